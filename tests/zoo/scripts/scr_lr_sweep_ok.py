"""Several experiments in one script: under the guard, a loop over three learning rates, each run training its own 2-10-5-1 ReLU/sigmoid net with fit(); keys W1.. with examples as rows (Z = A @ W + b).

Correct twin of scr_lr_sweep_bug.py: init_weights() draws He-scaled random weights
(`rng.randn(sizes[l - 1], sizes[l]) * np.sqrt(2.0 / sizes[l - 1])`). FIELD_GUIDE cases 9 and 14.

Structure: `for lr in (0.05, 0.1, 0.3): params, history = fit(X, y, sizes, learning_rate=lr)`, then a
table and the "best" learning rate. Each run is its own training run.

Expected diagnosis: pass, for every run. Measured in float64: analytic vs central differences at the
initial parameters (the same in every run), relative error W1 5.0e-10, b1 9.7e-10, W2 4.2e-10,
b2 1.5e-10, W3 3.4e-11, b3 1.7e-10 (no exact ReLU kink: smallest |Z1| 9.9e-5, |Z2| 1.4e-3).
Loss 0.8245 at iteration 0 in each run (an ordinary start for He init with a sigmoid output, not an
initial-cost problem), then lr 0.05: 0.6443 (it. 100), 0.5091 (it. 299), 0.1004 (it. 2999);
lr 0.1: 0.5920, 0.2540, 0.0902; lr 0.3: 0.2558, 0.1184, 0.0808; accuracy 0.974 / 0.974 / 0.976.
None of the three learning rates is too low or too high.
Buggy twin: scr_lr_sweep_bug.py.
"""

import numpy as np


def load_data(n=500, seed=11):
    """Points in the plane, label 1 inside a ring; exactly half of each label. X (n, 2) rows, y (n, 1)."""
    rng = np.random.RandomState(seed)
    inner = rng.randn(n // 2, 2) * 0.6
    angle = rng.uniform(0, 2 * np.pi, n - n // 2)
    outer = np.column_stack([np.cos(angle), np.sin(angle)]) * rng.uniform(1.4, 2.4, (n - n // 2, 1))
    X = np.vstack([inner, outer])
    y = np.vstack([np.ones((n // 2, 1)), np.zeros((n - n // 2, 1))])
    order = rng.permutation(n)
    return X[order], y[order]


def init_weights(sizes, seed=0):
    rng = np.random.RandomState(seed)
    params = {}
    for l in range(1, len(sizes)):
        params["W" + str(l)] = rng.randn(sizes[l - 1], sizes[l]) * np.sqrt(2.0 / sizes[l - 1])
        params["b" + str(l)] = np.zeros((1, sizes[l]))
    return params


def forward(X, params):
    L = len(params) // 2
    A = X
    caches = []
    for l in range(1, L + 1):
        Z = A @ params["W" + str(l)] + params["b" + str(l)]
        caches.append((A, Z))
        A = np.maximum(0, Z) if l < L else 1 / (1 + np.exp(-Z))
    return A, caches


def bce(out, y):
    return float(-np.mean(y * np.log(out) + (1 - y) * np.log(1 - out)))


def backward(out, y, caches, params):
    L = len(caches)
    n = y.shape[0]
    grads = {}
    dZ = (out - y) / n
    for l in range(L, 0, -1):
        A_prev, Z = caches[l - 1]
        if l < L:
            dZ = dA * (Z > 0)
        grads["dW" + str(l)] = A_prev.T @ dZ
        grads["db" + str(l)] = dZ.sum(axis=0, keepdims=True)
        dA = dZ @ params["W" + str(l)].T
    return grads


def sgd(params, grads, lr):
    for key in params:
        params[key] = params[key] - lr * grads["d" + key]
    return params


def fit(X, y, sizes, learning_rate, n_iter=3000):
    params = init_weights(sizes)
    history = []
    for i in range(n_iter):
        out, caches = forward(X, params)
        history.append(bce(out, y))
        grads = backward(out, y, caches, params)
        params = sgd(params, grads, learning_rate)
    return params, history


def accuracy(params, X, y):
    out, _ = forward(X, params)
    return float(np.mean((out > 0.5) == y))


if __name__ == "__main__":
    X, y = load_data()
    sizes = [2, 10, 5, 1]
    results = {}
    for lr in (0.05, 0.1, 0.3):
        params, history = fit(X, y, sizes, learning_rate=lr)
        results[lr] = (history[-1], accuracy(params, X, y))
        print("lr %-5g loss %.4f -> %.4f  accuracy %.3f" % (lr, history[0], history[-1], results[lr][1]))
    best = min(results, key=lambda k: results[k][0])
    print("best learning rate:", best)


EXPECTED = {
    "verdict": "pass",
    "style": "several experiments: a loop over learning rates under the guard, each run training its own model; keys W1 with examples as rows",
    "twin": "scr_lr_sweep_bug.py",
    "trains": True,
    "findings": [],
    "absent": ["symmetric-init", "learning-rate", "initial-cost", "cost-plateau", "gradient-mismatch",
               "user-code-error"],
}
