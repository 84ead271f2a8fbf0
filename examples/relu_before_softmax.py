"""A three-class classifier with examples as rows (X is m x n), lowercase keys (w1, dw1), a ReLU
hidden layer, and a ReLU on the output layer too, before the softmax.

Field-guide case 13 (ReLU on the output layer before softmax). `forward` computes

    a2 = relu(a1 @ w2 + b2)
    out = softmax(a2)

so every negative score is cut to 0: the wrong classes' scores cannot go below zero, and a class
whose score is negative for every example gets no gradient at all (its ReLU is off). The loss
still falls, so nothing looks broken; on these easy data it even reaches a good accuracy, on harder
ones accuracy stalls while the loss keeps falling (the field guide's report). `backward`
differentiates the ReLU correctly, so the gradients match this (wrong) network and a gradient check
passes: only the architecture is wrong.

Expected diagnosis
------------------
error  output-activation, forward: 3 activations for 2 weight layers; the output layer's values
       go through relu then softmax. The softmax needs the raw scores (logits).
Correct twin: correct_rows.py.
"""

import numpy as np

hidden = 32


def load_data(m=450, n=20, classes=3, seed=5):
    """Three kinds of wine, 20 chemical measurements each (standardized), one row per bottle.
    Returns x (m, n) and one-hot labels y (m, classes)."""
    rng = np.random.RandomState(seed)
    centers = rng.randn(classes, n)
    labels = rng.randint(classes, size=m)
    x = centers[labels] + 1.5 * rng.randn(m, n)
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    y = np.eye(classes)[labels]
    return x, y


def relu(z):
    return np.maximum(0, z)


def relu_grad(z):
    return (z > 0).astype(float)


def softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def init_params(n_in, n_hidden, n_out, seed=42):
    rng = np.random.RandomState(seed)
    return {
        "w1": rng.randn(n_in, n_hidden) * np.sqrt(2.0 / n_in),
        "b1": np.zeros((1, n_hidden)),
        "w2": rng.randn(n_hidden, n_out) * np.sqrt(1.0 / n_hidden),
        "b2": np.zeros((1, n_out)),
    }


def forward(x, params):
    z1 = x @ params["w1"] + params["b1"]
    a1 = relu(z1)
    z2 = a1 @ params["w2"] + params["b2"]
    a2 = relu(z2)  # BUG: the output layer should give its raw scores z2 to the softmax
    out = softmax(a2)
    cache = {"x": x, "z1": z1, "a1": a1, "z2": z2}
    return out, cache


def cross_entropy(out, y):
    return float(-np.mean(np.sum(y * np.log(out), axis=1)))


def backward(out, y, cache, params):
    m = y.shape[0]
    dz2 = (out - y) / m * relu_grad(cache["z2"])
    grads = {"dw2": cache["a1"].T @ dz2, "db2": dz2.sum(axis=0, keepdims=True)}
    dz1 = (dz2 @ params["w2"].T) * relu_grad(cache["z1"])
    grads["dw1"] = cache["x"].T @ dz1
    grads["db1"] = dz1.sum(axis=0, keepdims=True)
    return grads


def sgd_step(params, grads, lr):
    for name in params:
        params[name] -= lr * grads["d" + name]


def fit(x, y, hidden, lr=0.5, iterations=1000, verbose=False):
    params = init_params(x.shape[1], hidden, y.shape[1])
    losses = []
    for it in range(iterations):
        out, cache = forward(x, params)
        losses.append(cross_entropy(out, y))
        grads = backward(out, y, cache, params)
        sgd_step(params, grads, lr)
        if verbose and it % 100 == 0:
            acc = np.mean(out.argmax(axis=1) == y.argmax(axis=1))
            print(f"iteration {it}: loss {losses[-1]:.4f}, accuracy {acc:.3f}")
    return params, losses


if __name__ == "__main__":
    x, y = load_data()
    x_train, y_train, x_test, y_test = x[:350], y[:350], x[350:], y[350:]
    params, losses = fit(x_train, y_train, hidden, verbose=True)
    out, _ = forward(x_test, params)
    print("test accuracy:", np.mean(out.argmax(axis=1) == y_test.argmax(axis=1)))


EXPECTED = {
    "verdict": "fail",
    "twin": "correct_rows.py",
    "cases": [13],
    "findings": [{"rule": "output-activation", "function": "forward", "severity": "error"}],
    "absent": ["gradient-mismatch", "activation-mismatch"],
}
