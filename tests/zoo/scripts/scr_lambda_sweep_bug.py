"""Class `MLP` (descriptive keys w_hidden, b_hidden, w_out, b_out in self.params, the forward's cache and the gradients kept on self, examples as columns); under the guard, experiments over the L2 strength, one fresh net per value.

Bug: loss() adds the L2 penalty lam / (2m) * (|w_hidden|^2 + |w_out|^2) but backward() forgets its
gradient: `grads["w_hidden"]` and `grads["w_out"]` lack `+ lam / m * W`. FIELD_GUIDE case 11.

Structure: `for lam in [0.0, 0.3, 1.0]: net = MLP(2, 40); history = net.fit(...)`. The first run
(lam = 0) is exactly right, the bug only shows in runs 2 and 3: a tool that checks only the first
training run sees nothing; the report should say which run (lam) a finding belongs to.

Expected diagnosis: error gradient-mismatch (missing-term) on w_hidden (and w_out), in MLP.backward,
for the runs with lam = 0.3 and lam = 1.0. Measured in float64 at the initial parameters (150
training examples): lam = 0: every gradient agrees (w_hidden 6.5e-10, b_hidden 1.9e-9, w_out
1.5e-10, b_out 6.3e-12); lam = 0.3: w_hidden 1.81e-2, w_out 9.8e-4, and numeric - analytic equals
0.002 x W (= lam / m; relative error of that fit 2e-8); lam = 1.0: w_hidden 6.01e-2, w_out 3.3e-3,
the missing term 0.00667 x W (= 1.0 / 150); the biases agree. Symptoms: lam changes nothing in
training (train 0.947 / test 0.907 for all three values; weights end at |w_hidden| 9.85,
|w_out| 10.23 each time), and the reported loss, which includes the penalty, turns upward: lam = 1.0
falls 0.9747 -> 0.4010 (it. 253) and rises to 0.7917 (it. 4999); lam = 0.3: 0.8771 -> 0.2421
(it. 521) -> 0.3214. The twin: lam = 0.3 ends at 0.2081 (0.920 / 0.907), lam = 1.0 at 0.2808
(0.927 / 0.890).
Correct twin: scr_lambda_sweep_ok.py.
"""

import numpy as np


def make_moons(n, noise, rng):
    """Two interleaving half circles, examples as columns: X (2, n), Y (1, n)."""
    t = rng.uniform(0, np.pi, n)
    label = rng.randint(0, 2, n)
    x = np.where(label == 0, np.cos(t), 1 - np.cos(t))
    y = np.where(label == 0, np.sin(t), 0.5 - np.sin(t))
    X = np.vstack([x, y]) + noise * rng.randn(2, n)
    return X, label.reshape(1, n).astype(float)


def load_data(seed=21):
    rng = np.random.RandomState(seed)
    X_train, Y_train = make_moons(150, 0.3, rng)
    X_test, Y_test = make_moons(300, 0.3, rng)
    return X_train, Y_train, X_test, Y_test


class MLP:
    """One tanh hidden layer, a sigmoid output, cross-entropy with an optional L2 penalty."""

    def __init__(self, n_in, n_hidden, seed=0):
        rng = np.random.RandomState(seed)
        self.params = {
            "w_hidden": rng.randn(n_hidden, n_in) * np.sqrt(1.0 / n_in),
            "b_hidden": np.zeros((n_hidden, 1)),
            "w_out": rng.randn(1, n_hidden) * np.sqrt(1.0 / n_hidden),
            "b_out": np.zeros((1, 1)),
        }
        self.grads = {}
        self.cache = {}

    def forward(self, X):
        p = self.params
        h = np.tanh(p["w_hidden"] @ X + p["b_hidden"])
        out = 1 / (1 + np.exp(-(p["w_out"] @ h + p["b_out"])))
        self.cache = {"X": X, "h": h, "out": out}
        return out

    def loss(self, X, Y, lam):
        m = X.shape[1]
        out = self.forward(X)
        data_loss = -np.mean(Y * np.log(out) + (1 - Y) * np.log(1 - out))
        l2 = lam / (2 * m) * (np.sum(self.params["w_hidden"] ** 2) + np.sum(self.params["w_out"] ** 2))
        return data_loss + l2

    def backward(self, Y, lam):
        p = self.params
        X, h, out = self.cache["X"], self.cache["h"], self.cache["out"]
        m = X.shape[1]
        d_out = (out - Y) / m
        self.grads["w_out"] = d_out @ h.T
        self.grads["b_out"] = d_out.sum(axis=1, keepdims=True)
        d_h = (p["w_out"].T @ d_out) * (1 - h ** 2)
        self.grads["w_hidden"] = d_h @ X.T
        self.grads["b_hidden"] = d_h.sum(axis=1, keepdims=True)

    def step(self, lr):
        for name in self.params:
            self.params[name] -= lr * self.grads[name]

    def fit(self, X, Y, lam=0.0, lr=0.5, epochs=5000, verbose=False):
        history = []
        for epoch in range(epochs):
            history.append(self.loss(X, Y, lam))
            self.backward(Y, lam)
            self.step(lr)
            if verbose and epoch % 1000 == 0:
                print("  epoch %d loss %.4f" % (epoch, history[-1]))
        return history

    def accuracy(self, X, Y):
        return float(np.mean((self.forward(X) > 0.5) == Y))


if __name__ == "__main__":
    X_train, Y_train, X_test, Y_test = load_data()
    print("lambda   final loss   train acc   test acc")
    for lam in [0.0, 0.3, 1.0]:
        net = MLP(2, 40)
        history = net.fit(X_train, Y_train, lam=lam, lr=0.5, epochs=5000)
        print("%-8g %-12.4f %-11.3f %.3f" % (lam, history[-1], net.accuracy(X_train, Y_train),
                                            net.accuracy(X_test, Y_test)))


EXPECTED = {
    "verdict": "fail",
    "style": "class MLP with descriptive keys (w_hidden, w_out) and a cache on self, examples as columns; experiments over the L2 strength",
    "twin": "scr_lambda_sweep_ok.py",
    "trains": True,
    "findings": [
        {"rule": "gradient-mismatch", "kind": "missing-term", "severity": "error", "parameter": "w_hidden",
         "function": "MLP.backward"},
    ],
    "absent": ["learning-rate", "high-variance", "cost-plateau", "user-code-error"],
}
