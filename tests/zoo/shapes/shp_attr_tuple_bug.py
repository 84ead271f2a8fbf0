"""XOR-quadrant points, a class whose weights are plain attributes (self.w1, self.b1, ... self.w3,
self.b3), forward(self, X) returns the output, backward(self, X, y, output) returns a TUPLE of
gradients (dw1, db1, dw2, db2, dw3, db3) that train() unpacks; tanh hidden layers (16 and 16
units, so w2 is square), sigmoid output, binary cross-entropy compute_loss(y, output); examples as
rows (m, 2), y (m, 1); training in the __main__ block.

Bug: a transposed gradient. dw2 = d2.T @ self.a1 instead of self.a1.T @ d2; w2 is (16, 16), so
the shapes agree and nothing crashes.

Expected diagnosis: gradient-mismatch, kind transpose, parameter w2 (error): the analytic dw2 is
exactly the transpose of the numerical gradient; every other parameter agrees.

Ground truth (float64, central differences eps=1e-5, first step, 400 examples):
  w2 (16, 16): relative error 0.693 against the numerical gradient, 6.5e-10 against its
  transpose. w1 8.1e-10, b1 1.5e-10, b2 3.0e-10, w3 2.0e-10, b3 2.4e-12. The twin: all <= 8.1e-10.
  loss 0.6969 (it. 0) -> 0.2705 (it. 100) -> 0.0929 (it. 2499), with 648 rises in 2500 steps
  (largest 0.143); the twin falls monotonically (0 rises) to 0.0877.
  Author run: 4-7 s (two runs, OMP_NUM_THREADS=1, a 2-core machine shared with other jobs).
"""
import numpy as np


def make_xor(n=400, seed=6):
    rng = np.random.RandomState(seed)
    X = rng.uniform(-1, 1, size=(n, 2))
    y = ((X[:, 0] > 0) != (X[:, 1] > 0)).astype(float).reshape(-1, 1)
    X += 0.08 * rng.randn(n, 2)
    return X, y


class NeuralNetwork:
    def __init__(self, n_input=2, n_hidden=16, seed=3):
        rng = np.random.RandomState(seed)
        self.w1 = rng.randn(n_input, n_hidden) * np.sqrt(1.0 / n_input)
        self.b1 = np.zeros((1, n_hidden))
        self.w2 = rng.randn(n_hidden, n_hidden) * np.sqrt(1.0 / n_hidden)
        self.b2 = np.zeros((1, n_hidden))
        self.w3 = rng.randn(n_hidden, 1) * np.sqrt(1.0 / n_hidden)
        self.b3 = np.zeros((1, 1))

    @staticmethod
    def sigmoid(s):
        return 1 / (1 + np.exp(-s))

    def forward(self, X):
        self.a1 = np.tanh(X @ self.w1 + self.b1)
        self.a2 = np.tanh(self.a1 @ self.w2 + self.b2)
        return self.sigmoid(self.a2 @ self.w3 + self.b3)

    def compute_loss(self, y, output):
        return -np.mean(y * np.log(output) + (1 - y) * np.log(1 - output))

    def backward(self, X, y, output):
        m = X.shape[0]
        d3 = (output - y) / m
        dw3 = self.a2.T @ d3
        db3 = d3.sum(axis=0, keepdims=True)
        d2 = (d3 @ self.w3.T) * (1 - self.a2 ** 2)
        dw2 = d2.T @ self.a1
        db2 = d2.sum(axis=0, keepdims=True)
        d1 = (d2 @ self.w2.T) * (1 - self.a1 ** 2)
        dw1 = X.T @ d1
        db1 = d1.sum(axis=0, keepdims=True)
        return dw1, db1, dw2, db2, dw3, db3

    def train(self, X, y, epochs=2500, lr=0.5):
        for epoch in range(epochs):
            output = self.forward(X)
            loss = self.compute_loss(y, output)
            dw1, db1, dw2, db2, dw3, db3 = self.backward(X, y, output)
            self.w1 -= lr * dw1
            self.b1 -= lr * db1
            self.w2 -= lr * dw2
            self.b2 -= lr * db2
            self.w3 -= lr * dw3
            self.b3 -= lr * db3
            if epoch % 250 == 0:
                print("Epoch %4d | loss %.5f" % (epoch, loss))


if __name__ == "__main__":
    X, y = make_xor()
    nn = NeuralNetwork()
    nn.train(X, y)
    accuracy = np.mean((nn.forward(X) > 0.5) == y)
    print("Training accuracy: %.2f%%" % (100 * accuracy))

EXPECTED = {
    "verdict": "fail",
    "style": "class with attribute weights self.w1..self.b3; forward(X) returns the output; "
             "backward(X, y, output) returns a tuple (dw1, db1, dw2, db2, dw3, db3); examples as rows; __main__",
    "twin": "shp_attr_tuple_ok.py",
    "trains": True,
    "findings": [
        {"rule": "gradient-mismatch", "kind": "transpose", "parameter": "w2", "severity": "error"},
    ],
    "absent": ["learning-rate", "initial-cost", "output-activation"],
}
