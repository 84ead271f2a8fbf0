"""The slow one: a 64-256-128-10 ReLU/softmax net (layers as a list of {"W", "b"} dicts, examples as rows) trained by mini-batch SGD for 600 epochs in a loop written inline under the guard; the author's run takes well over a minute.

Correct twin of scr_slow_minibatch_bug.py: get_minibatches() takes X and y through the same
permutation (`X_shuf, y_shuf = X[idx_x], y[idx_x]`; idx_y is still drawn, so both twins consume the
random stream alike). FIELD_GUIDE case 20.

Structure: `if __name__ == "__main__":` builds 3000 8x8 pattern images (2500 train, 500
validation), then `for epoch in range(600): for xb, yb in get_minibatches(X_train, y_train, 32,
rng): forward / backward / sgd_step`; the loss is only computed every 50 epochs on all training
rows. 79 batches an epoch, 47,400 updates. A tool must cap this run (iterations and time).

Expected diagnosis: pass. Measured on the first epoch's 79 batches: every row once, 2500 of 2500
with their own label. Relative error on the first batch layers[0]["W"] 1.1e-8, ["b"] 5.8e-9,
layers[1] 7.1e-9 / 3.5e-9, layers[2] 1.9e-9 / 1.1e-9. Author's run: loss 2.5349 at initialization,
0.1976 (epoch 0), 0.0014 (50), 0.0001 (599); validation accuracy 0.984 -> 0.996. Wall time 87 s
(one BLAS thread, on a shared 2-core machine).
Buggy twin: scr_slow_minibatch_bug.py.
"""

import time

import numpy as np


def load_patterns(n=3000, seed=42):
    """8x8 pictures of 10 random binary patterns, each pixel flipped with probability 0.2.

    Examples are rows: X (n, 64) centred grey values, y (n,) integer classes 0..9.
    """
    rng = np.random.RandomState(seed)
    patterns = (rng.rand(10, 64) < 0.4).astype(float)
    y = rng.randint(0, 10, n)
    flips = rng.rand(n, 64) < 0.2
    X = np.abs(patterns[y] - flips) + 0.1 * rng.randn(n, 64)
    return X - 0.4, y


def init_layers(sizes, rng):
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers.append({"W": rng.randn(n_in, n_out) * np.sqrt(2.0 / n_in), "b": np.zeros(n_out)})
    return layers


def forward(layers, X):
    acts = [X]
    for i, layer in enumerate(layers):
        z = acts[-1] @ layer["W"] + layer["b"]
        if i < len(layers) - 1:
            acts.append(np.maximum(z, 0))
        else:
            z = z - z.max(axis=1, keepdims=True)
            e = np.exp(z)
            acts.append(e / e.sum(axis=1, keepdims=True))
    return acts


def nll(probs, y):
    return float(-np.mean(np.log(probs[np.arange(y.size), y])))


def backward(layers, acts, y):
    grads = [None] * len(layers)
    delta = acts[-1].copy()
    delta[np.arange(y.size), y] -= 1
    delta /= y.size
    for i in reversed(range(len(layers))):
        grads[i] = {"W": acts[i].T @ delta, "b": delta.sum(axis=0)}
        if i > 0:
            delta = (delta @ layers[i]["W"].T) * (acts[i] > 0)
    return grads


def get_minibatches(X, y, batch_size, rng):
    m = X.shape[0]
    idx_x = rng.permutation(m)
    idx_y = rng.permutation(m)
    X_shuf, y_shuf = X[idx_x], y[idx_x]
    return [(X_shuf[k:k + batch_size], y_shuf[k:k + batch_size]) for k in range(0, m, batch_size)]


def sgd_step(layers, grads, lr):
    for layer, grad in zip(layers, grads):
        layer["W"] -= lr * grad["W"]
        layer["b"] -= lr * grad["b"]


if __name__ == "__main__":
    X, y = load_patterns()
    X_train, y_train, X_val, y_val = X[:2500], y[:2500], X[2500:], y[2500:]
    rng = np.random.RandomState(0)
    layers = init_layers([64, 256, 128, 10], rng)
    lr = 0.05
    epochs = 600
    start = time.time()
    for epoch in range(epochs):
        for xb, yb in get_minibatches(X_train, y_train, 32, rng):
            acts = forward(layers, xb)
            grads = backward(layers, acts, yb)
            sgd_step(layers, grads, lr)
        if epoch % 50 == 0 or epoch == epochs - 1:
            train_loss = nll(forward(layers, X_train)[-1], y_train)
            val_acc = np.mean(np.argmax(forward(layers, X_val)[-1], axis=1) == y_val)
            print("epoch %3d  loss %.4f  val acc %.3f  (%.0f s)" % (epoch, train_loss, val_acc, time.time() - start))


EXPECTED = {
    "verdict": "pass",
    "style": "slow run (over a minute): 64-256-128-10 ReLU/softmax, layers as a list of {'W', 'b'} dicts, rows; the epoch loop inline under the guard",
    "twin": "scr_slow_minibatch_bug.py",
    "trains": True,
    "findings": [],
    "absent": ["mini-batch", "gradient-mismatch", "learning-rate", "cost-oscillation", "user-code-error"],
}
