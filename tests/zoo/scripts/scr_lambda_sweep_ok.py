"""Class `MLP` (descriptive keys w_hidden, b_hidden, w_out, b_out in self.params, the forward's cache and the gradients kept on self, examples as columns); under the guard, experiments over the L2 strength, one fresh net per value.

Correct twin of scr_lambda_sweep_bug.py: backward() adds `lam / m * W` to the gradients of w_hidden
and w_out. FIELD_GUIDE case 11.

Structure: `for lam in [0.0, 0.3, 1.0]: net = MLP(2, 40); history = net.fit(...)`: three training
runs, each diagnosed on its own.

Expected diagnosis: pass, for every run. Measured in float64 at the initial parameters (150 training
examples): lam = 0: w_hidden 6.5e-10, b_hidden 1.9e-9, w_out 1.5e-10, b_out 6.3e-12; lam = 0.3:
w_hidden 7.7e-10, w_out 1.7e-10; lam = 1.0: w_hidden 7.5e-10, w_out 1.7e-10 (biases as for lam = 0).
The loss falls in every run: lam = 0: 0.8352 -> 0.1198, train 0.947 / test 0.907; lam = 0.3:
0.8771 -> 0.2081, 0.920 / 0.907; lam = 1.0: 0.9747 -> 0.2808, 0.927 / 0.890 (|w_hidden| 9.85, 5.11,
3.24: the penalty shrinks the weights). A train/test gap of 0.04 is not worth a high-variance
warning.
Buggy twin: scr_lambda_sweep_bug.py.
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
        self.grads["w_out"] = d_out @ h.T + lam / m * p["w_out"]
        self.grads["b_out"] = d_out.sum(axis=1, keepdims=True)
        d_h = (p["w_out"].T @ d_out) * (1 - h ** 2)
        self.grads["w_hidden"] = d_h @ X.T + lam / m * p["w_hidden"]
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
    "verdict": "pass",
    "style": "class MLP with descriptive keys (w_hidden, w_out) and a cache on self, examples as columns; experiments over the L2 strength",
    "twin": "scr_lambda_sweep_bug.py",
    "trains": True,
    "findings": [],
    "absent": ["gradient-mismatch", "learning-rate", "high-variance", "cost-plateau", "cost-divergence",
               "user-code-error"],
}
