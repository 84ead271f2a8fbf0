"""Reference networks for the tests: course-style L-layer nets with bugs that can be planted.

Parameters {"W1", "b1", ...}, examples as columns. Everything is written out plainly so that a
planted bug is exactly one changed line, as it would be in a learner's code.
"""

from __future__ import annotations

import numpy as np


def init_params(dims, rng, scale="he", dtype=np.float64):
    params = {}
    for l in range(1, len(dims)):
        s = np.sqrt(2.0 / dims[l - 1]) if scale == "he" else float(scale)
        params[f"W{l}"] = (rng.standard_normal((dims[l], dims[l - 1])) * s).astype(dtype)
        params[f"b{l}"] = (rng.standard_normal((dims[l], 1)) * 0.1).astype(dtype)
    return params


def act(z, name):
    if name == "relu":
        return np.maximum(0, z)
    if name == "sigmoid":
        return 1 / (1 + np.exp(-z))
    if name == "tanh":
        return np.tanh(z)
    if name == "lrelu":
        return np.where(z > 0, z, 0.01 * z)
    raise ValueError(name)


def act_grad(z, a, name):
    if name == "relu":
        return (z > 0).astype(z.dtype)
    if name == "sigmoid":
        return a * (1 - a)
    if name == "tanh":
        return 1 - a ** 2
    if name == "lrelu":
        return np.where(z > 0, 1.0, 0.01).astype(z.dtype)
    raise ValueError(name)


def forward(X, params, hidden="relu", keep_prob=1.0, rng=None):
    """Returns (AL, caches). Output layer: sigmoid. Dropout on hidden layers drawn from np.random
    (the course's way) unless a private ``rng`` is given."""
    L = len(params) // 2
    A = X
    caches = []
    for l in range(1, L + 1):
        W, b = params[f"W{l}"], params[f"b{l}"]
        Z = W @ A + b
        A_prev = A
        A = act(Z, "sigmoid" if l == L else hidden)
        D = None
        if keep_prob < 1.0 and l < L:
            draw = rng.random(A.shape) if rng is not None else np.random.rand(*A.shape)
            D = draw < keep_prob
            A = A * D / keep_prob
        caches.append((A_prev, Z, A, D))
    return A, caches


def cost(AL, Y, params=None, lambd=0.0):
    m = Y.shape[1]
    J = -np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)) / m
    if lambd:
        J += lambd / (2 * m) * sum(np.sum(params[k] ** 2) for k in params if k.startswith("W"))
    return J


def backward(AL, Y, caches, params, hidden="relu", lambd=0.0, keep_prob=1.0, bug=None):
    """Gradients {dW1, db1, ..., dA*, dZ*}. ``bug``: (kind, layer[, value]) plants one error:
    scale, sign, transpose, forget-l2, sigmoid-derivative, flat-db, drop, nan, row, entry, spread."""
    L = len(caches)
    m = Y.shape[1]
    grads = {}
    dZ = AL - Y
    for l in range(L, 0, -1):
        A_prev, Z, A, D = caches[l - 1]
        if l < L:
            dA = grads[f"dA{l}"]
            if D is not None:
                dA = dA * D / keep_prob
            if bug and bug[0] == "sigmoid-derivative" and bug[1] == l:
                s = act(Z, "sigmoid")
                dZ = dA * s * act(1 - Z, "sigmoid")  # sigmoid(z) * sigmoid(1 - z): the field guide's bug
            else:
                a_pre = A if D is None else act(Z, hidden)
                dZ = dA * act_grad(Z, a_pre, hidden)
        W = params[f"W{l}"]
        dW = dZ @ A_prev.T / m
        db = np.sum(dZ, axis=1, keepdims=True) / m
        if lambd and not (bug and bug[0] == "forget-l2" and bug[1] == l):
            dW = dW + lambd / m * W
        if bug and bug[1] == l:
            kind = bug[0]
            if kind == "scale":
                dW = dW * bug[2]
            elif kind == "sign":
                dW = -dW
            elif kind == "transpose":
                dW = dW.T
            elif kind == "flat-db":
                db = db.ravel()
            elif kind == "nan":
                dW = dW.copy()
                dW[0, 0] = np.nan
            elif kind == "row":
                dW = dW.copy()
                dW[bug[2]] *= 3.0
            elif kind == "spread":
                # a small error spread over every entry, of relative size bug[2]: ||error|| = bug[2] * ||dW||
                u = np.random.default_rng(bug[3] if len(bug) > 3 else 0).standard_normal(dW.shape)
                dW = dW + bug[2] * np.linalg.norm(dW) * u / np.linalg.norm(u)
            elif kind == "entry":
                dW = dW.copy()
                dW.flat[bug[2]] += 0.5 * (abs(dW.flat[bug[2]]) + 1e-2)
        grads[f"dW{l}"] = dW
        grads[f"db{l}"] = db
        grads[f"dZ{l}"] = dZ
        grads[f"dA{l - 1}"] = W.T @ dZ
    if bug and bug[0] == "drop":
        del grads[bug[1]]
    return grads


def problem(dims, m, seed=0, dtype=np.float64, scale="he"):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((dims[0], m)).astype(dtype)
    Y = (rng.random((1, m)) < 0.5).astype(dtype)
    return X, Y, init_params(dims, rng, scale, dtype)


def functions(X, Y, hidden="relu", lambd=0.0, keep_prob=1.0, bug=None, rng_factory=None, internal=None):
    """(cost_fn, grad_fn) in the pure style for check_gradients. ``internal``: a dtype (np.float32)
    the code casts everything to before computing, while returning a Python float and float64
    gradients, as code does that mixes a float32 pipeline with float64 labels."""

    def inside(p):
        if internal is None:
            return X, Y, p
        return X.astype(internal), Y.astype(internal), {k: v.astype(internal) for k, v in p.items()}

    def cost_fn(p):
        rng = rng_factory() if rng_factory else None
        Xi, Yi, q = inside(p)
        AL, _ = forward(Xi, q, hidden, keep_prob, rng)
        return cost(AL, Yi, q, lambd) if internal is None else float(cost(AL, Yi, q, lambd))

    def grad_fn(p):
        rng = rng_factory() if rng_factory else None
        Xi, Yi, q = inside(p)
        AL, caches = forward(Xi, q, hidden, keep_prob, rng)
        grads = backward(AL, Yi, caches, q, hidden, lambd, keep_prob, bug)
        return grads if internal is None else {k: np.asarray(v, dtype=np.float64) for k, v in grads.items()}

    return cost_fn, grad_fn
