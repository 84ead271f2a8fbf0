"""The slow one: a 64-256-128-10 ReLU/softmax net (layers as a list of {"W", "b"} dicts, examples as rows) trained by mini-batch SGD for 600 epochs in a loop written inline under the guard; the author's run takes well over a minute.

Bug: get_minibatches() shuffles X and y with two different permutations
(`X_shuf, y_shuf = X[idx_x], y[idx_y]`), so about 90% of the labels in every batch belong to
another example. FIELD_GUIDE case 20.

Structure: `if __name__ == "__main__":` builds 3000 8x8 pattern images (2500 train, 500
validation), then `for epoch in range(600): for xb, yb in get_minibatches(X_train, y_train, 32,
rng): forward / backward / sgd_step`; the loss is only computed every 50 epochs on all training
rows. 79 batches an epoch, 47,400 updates. A tool must cap this run (iterations and time) and
still give the diagnosis.

Expected diagnosis: error mini-batch (misaligned) in get_minibatches. Measured on the first epoch's
79 batches (78 of 32 rows and one of 4): every training row appears once (coverage is right, the
label multiset is preserved), but only 262 of 2500 rows (0.105, chance is 0.1) carry their own
label. The backward is right: relative error on the first batch layers[0]["W"] 1.3e-8, ["b"]
6.0e-9, layers[1] 7.5e-9 / 3.5e-9, layers[2] 1.9e-9 / 1.0e-9. Author's run: loss 2.5349 at
initialization, 2.3367 (epoch 0), 2.2994 (50), 2.3026 (150 to 350), 2.3019 (599) = ln 10 = 2.3026:
nothing is learned; validation accuracy 0.06-0.12. Wall time 112 s (one BLAS thread, on a shared
2-core machine). The flat cost is the consequence, not a plateau to report; the learning rate is
not the cause (the twin learns with it).
Correct twin: scr_slow_minibatch_ok.py.
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
    X_shuf, y_shuf = X[idx_x], y[idx_y]
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
    "verdict": "fail",
    "style": "slow run (over a minute): 64-256-128-10 ReLU/softmax, layers as a list of {'W', 'b'} dicts, rows; the epoch loop inline under the guard",
    "twin": "scr_slow_minibatch_ok.py",
    "trains": True,
    "findings": [
        {"rule": "mini-batch", "kind": "misaligned", "severity": "error", "function": "get_minibatches"},
    ],
    "absent": ["gradient-mismatch", "learning-rate", "cost-plateau", "cost-oscillation", "user-code-error"],
}
