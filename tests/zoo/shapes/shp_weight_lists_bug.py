"""Ten-class blobs, a class whose weights live in Python lists (self.W[l], self.b[l], 1-D biases);
backward(Y) returns two lists (dW, db) aligned with them and fit() updates self.W[l] -= lr * dW[l];
examples as rows (m, 16), ReLU hidden layers, softmax output; training at module level.

Bug: off-by-one in the backward's layer loop. `for l in reversed(range(1, L))` treats index 0 as
"the input" and never reaches the first weight matrix: dW[0] and db[0] stay the zeros they were
initialized to, so layer 0 never moves from its random initialization (the rest still learns).

Expected diagnosis: gradient-mismatch (error) for W[0] and b[0]: the analytic gradient is exactly
zero where the numerical one is not; W[1], b[1], W[2], b[2] agree. (zero-gradient for layer 0 would
also be a true statement.)

Ground truth (float64, central differences eps=1e-6, first step, 1000 training examples):
  W[0] (16, 32) and b[0] (32,): analytic exactly 0, numerical norms 0.725 and 0.125 (relative
  error 1.0, factor 0). W[1] 2.8e-9, b[1] 2.8e-9, W[2] 1.6e-9, b[2] 1.6e-9.
  The twin: every parameter <= 3.9e-9 (with eps=1e-5 the twin's W[0] shows 2.2e-6: a step of 1e-5
  crosses a ReLU kink at |z| = 3.7e-5; a checker must not call that a bug).
  cost 2.5219 (it. 0; ln 10 = 2.3026) -> 0.3181 (it. 100) -> 0.0481 (it. 1999), never rising;
  train 0.987 / test 0.93 (twin: 0.0078, 0.999 / 0.965).
  Author run: 6-11 s (two runs, OMP_NUM_THREADS=1, a 2-core machine shared with other jobs).
"""
import numpy as np


def make_blobs(n_per_class=120, n_classes=10, n_features=16, spread=1.0, seed=0):
    rng = np.random.RandomState(seed)
    centers = rng.randn(n_classes, n_features) * 1.2
    X = np.concatenate([c + spread * rng.randn(n_per_class, n_features) for c in centers])
    y = np.repeat(np.arange(n_classes), n_per_class)
    order = rng.permutation(len(y))
    return X[order], y[order]


class MLP:
    def __init__(self, sizes, seed=42):
        rng = np.random.RandomState(seed)
        self.sizes = sizes
        self.W = [rng.randn(n_in, n_out) * np.sqrt(1.0 / n_in) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
        self.b = [np.zeros(n_out) for n_out in sizes[1:]]

    def forward(self, X):
        self.activations = [X]
        self.zs = []
        a = X
        for l in range(len(self.W)):
            z = a @ self.W[l] + self.b[l]
            self.zs.append(z)
            if l == len(self.W) - 1:
                z = z - z.max(axis=1, keepdims=True)
                a = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
            else:
                a = np.maximum(z, 0)
            self.activations.append(a)
        return a

    def loss(self, probs, Y):
        return -np.sum(Y * np.log(probs)) / Y.shape[0]

    def backward(self, Y):
        L = len(self.W)
        m = Y.shape[0]
        dW = [np.zeros_like(w) for w in self.W]
        db = [np.zeros_like(b) for b in self.b]
        delta = (self.activations[-1] - Y) / m
        for l in reversed(range(1, L)):
            dW[l] = self.activations[l].T @ delta
            db[l] = delta.sum(axis=0)
            if l > 0:
                delta = (delta @ self.W[l].T) * (self.zs[l - 1] > 0)
        return dW, db

    def fit(self, X, Y, epochs=1000, lr=0.1, verbose=100):
        history = []
        for epoch in range(epochs):
            probs = self.forward(X)
            loss = self.loss(probs, Y)
            dW, db = self.backward(Y)
            for l in range(len(self.W)):
                self.W[l] -= lr * dW[l]
                self.b[l] -= lr * db[l]
            history.append(loss)
            if verbose and epoch % verbose == 0:
                print("epoch", epoch, "loss", round(loss, 5))
        return history

    def predict(self, X):
        return np.argmax(self.forward(X), axis=1)


X, y = make_blobs()
Y = np.eye(10)[y]
split = 1000
net = MLP([16, 32, 32, 10])
history = net.fit(X[:split], Y[:split], epochs=2000, lr=0.1, verbose=200)
print("train accuracy:", np.mean(net.predict(X[:split]) == y[:split]))
print("test accuracy:", np.mean(net.predict(X[split:]) == y[split:]))

EXPECTED = {
    "verdict": "fail",
    "style": "class with weights in lists self.W[l], self.b[l] (1-D biases); backward returns lists dW, db; "
             "examples as rows; training at module level",
    "twin": "shp_weight_lists_ok.py",
    "trains": True,
    "findings": [
        {"rule": "gradient-mismatch", "parameter": "W[0]", "severity": "error"},
        {"rule": "gradient-mismatch", "parameter": "b[0]", "severity": "error"},
    ],
    "absent": ["learning-rate", "cost-divergence", "initial-cost", "symmetric-init"],
}
