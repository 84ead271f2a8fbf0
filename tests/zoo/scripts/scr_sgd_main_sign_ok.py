"""Per-example SGD with all the work in main() called from the guard (no argparse); lowercase keys w1, b1, w2, b2 in a dict, examples as rows, tanh hidden layer, sigmoid output; update() changes the dict in place and returns nothing.

Correct twin of scr_sgd_main_sign_bug.py: update() steps down the gradient
(`net[k] -= lr * grads["d" + k]`). FIELD_GUIDE case 19.

Structure: `if __name__ == "__main__": main()`; main() seeds numpy, builds the data (1000 rows,
4 features) and an 8-unit net, and runs 25 epochs of one update per example in shuffled order. The
loss is never computed inside the loop: only once before it ("start") and once per epoch on all
rows.

Expected diagnosis: pass. Measured in float64: relative error on the first example w1 3.5e-10,
b1 2.8e-10, w2 2.1e-10, b2 1.7e-11 (all rows: 7.6e-10, 6.5e-9, 2.1e-10, 1.6e-9); the first update is
exactly -lr * grad; full-data loss 0.5161 (start), 0.5156 (1 update), 0.5106 (10), 0.4605 (100),
0.4032 (300), 0.3537 (epoch 0), 0.3372 (epoch 24), accuracy 0.847 (the classes overlap: about 85%
is what this data allows). Single-example updates are noisy by nature; the per-epoch loss falls
smoothly then levels off: no oscillation, no plateau, no learning-rate finding.
Buggy twin: scr_sgd_main_sign_bug.py.
"""

import numpy as np


def make_data(n=1000, seed=9):
    """Two overlapping Gaussian classes in 4-D, standardized; rows: X (n, 4), y (n, 1)."""
    rng = np.random.RandomState(seed)
    y = (rng.rand(n) < 0.5).astype(float)
    means = np.array([[0.0, 0.0, 0.0, 0.0], [1.2, -0.8, 0.9, 0.4]])
    X = means[y.astype(int)] + rng.randn(n, 4) @ np.array([[1.0, 0.3, 0.0, 0.0],
                                                            [0.0, 1.0, 0.2, 0.0],
                                                            [0.0, 0.0, 1.0, 0.5],
                                                            [0.0, 0.0, 0.0, 1.0]])
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    return X, y.reshape(n, 1)


def init_net(n_in, n_hidden):
    return {"w1": np.random.randn(n_in, n_hidden) * np.sqrt(1.0 / n_in), "b1": np.zeros((1, n_hidden)),
            "w2": np.random.randn(n_hidden, 1) * np.sqrt(1.0 / n_hidden), "b2": np.zeros((1, 1))}


def forward(net, x):
    h = np.tanh(x @ net["w1"] + net["b1"])
    out = 1.0 / (1.0 + np.exp(-(h @ net["w2"] + net["b2"])))
    return {"x": x, "h": h, "out": out}


def loss(out, y):
    return float(-np.mean(y * np.log(out) + (1 - y) * np.log(1 - out)))


def backward(net, cache, y):
    n = y.shape[0]
    d_out = (cache["out"] - y) / n
    d_h = (d_out @ net["w2"].T) * (1 - cache["h"] ** 2)
    return {"dw2": cache["h"].T @ d_out, "db2": d_out.sum(axis=0, keepdims=True),
            "dw1": cache["x"].T @ d_h, "db1": d_h.sum(axis=0, keepdims=True)}


def update(net, grads, lr):
    for k in net:
        net[k] -= lr * grads["d" + k]


def main():
    np.random.seed(3)
    X, y = make_data()
    net = init_net(X.shape[1], 8)
    lr = 0.01
    print("start: loss %.4f" % loss(forward(net, X)["out"], y))
    for epoch in range(25):
        for i in np.random.permutation(X.shape[0]):
            cache = forward(net, X[i:i + 1])
            grads = backward(net, cache, y[i:i + 1])
            update(net, grads, lr)
        out = forward(net, X)["out"]
        print("epoch %2d: loss %.4f  accuracy %.3f" % (epoch, loss(out, y), np.mean((out > 0.5) == y)))


if __name__ == "__main__":
    main()


EXPECTED = {
    "verdict": "pass",
    "style": "per-example SGD in main() called from the guard; lowercase keys w1/b1/w2/b2, examples as rows, an in-place update",
    "twin": "scr_sgd_main_sign_bug.py",
    "trains": True,
    "findings": [],
    "absent": ["optimizer-update", "gradient-mismatch", "learning-rate", "cost-oscillation", "cost-plateau",
               "non-finite", "user-code-error"],
}
