"""Nielsen-style `Network` class (weights and biases in lists, examples as columns, quadratic cost, mini-batch SGD); built and trained in the __main__ block.

Bug: `sigmoid_prime(z)` returns `sigmoid(z) * sigmoid(1 - z)` instead of `sigmoid(z) * (1 - sigmoid(z))`.
FIELD_GUIDE case 3.

Structure: nothing runs at import; `if __name__ == "__main__":` loads the data, builds
`net = Network([n, 30, 10])` with n = X_train.shape[0] = 64 and calls
`net.train(X_train, Y_train, epochs=30, lr=3.0, batch_size=10, test_data=(X_test, y_test))`.
The training loop never computes the cost; `loss()` is only called for the epoch report.

Expected diagnosis: error activation-derivative on sigmoid_prime (the helper is not the derivative
of sigmoid: 0.3655 at z = 0 instead of 0.25, 0.2369 at z = 2 instead of 0.1050; largest error 0.169
on [-6, 6]); it is used by both layers, so every gradient disagrees with central differences of
loss() (float64, first mini-batch of 10 columns): relative error weights[0] 0.469, biases[0] 0.473,
weights[1] 0.236, biases[1] 0.236 (0.227 on the full training set). The gradient check's
disagreements belong inside that finding. Training still "works": loss 0.3206 (epoch 0) -> 0.0105
(epoch 29), test 456 / 500, train accuracy 0.987 (the twin: 0.3211 -> 0.0168, 446 / 500, 0.985).
lr = 3.0 is the usual value for this net and cost (the twin trains with it): not a learning-rate
finding.
Correct twin: scr_network_class_ok.py.
"""

import numpy as np


def load_data(n_train=2000, n_test=500, seed=7):
    """Blurry 8x8 "glyph" images of 10 classes, one image per column: X (64, m), labels (m,)."""
    rng = np.random.RandomState(seed)
    rows, cols = np.mgrid[0:8, 0:8]
    templates = []
    for _ in range(10):
        img = np.zeros((8, 8))
        for cy, cx in rng.uniform(0, 7, size=(3, 2)):
            img += np.exp(-((rows - cy) ** 2 + (cols - cx) ** 2) / 2.0)
        templates.append(img / img.max())
    templates = np.array(templates).reshape(10, 64)

    def draw(m):
        labels = rng.randint(0, 10, size=m)
        X = templates[labels].T * rng.uniform(0.7, 1.0, size=m) + 0.45 * rng.randn(64, m)
        return np.clip(X, 0, 1), labels

    X_train, y_train = draw(n_train)
    X_test, y_test = draw(n_test)
    return X_train, y_train, X_test, y_test


def vectorized_labels(labels, n_classes=10):
    Y = np.zeros((n_classes, labels.size))
    Y[labels, np.arange(labels.size)] = 1.0
    return Y


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_prime(z):
    return sigmoid(z) * sigmoid(1 - z)


class Network:
    def __init__(self, sizes, seed=0):
        rng = np.random.RandomState(seed)
        self.num_layers = len(sizes)
        self.sizes = sizes
        self.biases = [rng.randn(n, 1) for n in sizes[1:]]
        self.weights = [rng.randn(n_out, n_in) / np.sqrt(n_in) for n_in, n_out in zip(sizes[:-1], sizes[1:])]

    def feedforward(self, X):
        a = X
        for W, b in zip(self.weights, self.biases):
            a = sigmoid(W @ a + b)
        return a

    def loss(self, X, Y):
        """Quadratic cost, averaged over the examples (columns)."""
        return 0.5 * np.sum((self.feedforward(X) - Y) ** 2) / X.shape[1]

    def backprop(self, X, Y):
        m = X.shape[1]
        activation = X
        activations = [X]
        zs = []
        for W, b in zip(self.weights, self.biases):
            z = W @ activation + b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        nabla_w = [None] * len(self.weights)
        nabla_b = [None] * len(self.biases)
        delta = (activations[-1] - Y) * sigmoid_prime(zs[-1]) / m
        nabla_w[-1] = delta @ activations[-2].T
        nabla_b[-1] = delta.sum(axis=1, keepdims=True)
        for l in range(2, self.num_layers):
            delta = (self.weights[-l + 1].T @ delta) * sigmoid_prime(zs[-l])
            nabla_w[-l] = delta @ activations[-l - 1].T
            nabla_b[-l] = delta.sum(axis=1, keepdims=True)
        return nabla_w, nabla_b

    def evaluate(self, X, labels):
        return int(np.sum(np.argmax(self.feedforward(X), axis=0) == labels))

    def train(self, X, Y, epochs, lr, batch_size=10, test_data=None):
        m = X.shape[1]
        rng = np.random.RandomState(1)
        for epoch in range(epochs):
            order = rng.permutation(m)
            for start in range(0, m, batch_size):
                idx = order[start:start + batch_size]
                nabla_w, nabla_b = self.backprop(X[:, idx], Y[:, idx])
                self.weights = [W - lr * nw for W, nw in zip(self.weights, nabla_w)]
                self.biases = [b - lr * nb for b, nb in zip(self.biases, nabla_b)]
            report = "Epoch {0}: loss {1:.4f}".format(epoch, self.loss(X, Y))
            if test_data is not None:
                report += ", test {0} / {1}".format(self.evaluate(*test_data), test_data[1].size)
            print(report)


if __name__ == "__main__":
    X_train, y_train, X_test, y_test = load_data()
    Y_train = vectorized_labels(y_train)
    n = X_train.shape[0]
    net = Network([n, 30, 10])
    net.train(X_train, Y_train, epochs=30, lr=3.0, batch_size=10, test_data=(X_test, y_test))


EXPECTED = {
    "verdict": "fail",
    "style": "Nielsen-style Network class, weights in lists, examples as columns; built and trained in the __main__ block",
    "twin": "scr_network_class_ok.py",
    "trains": True,
    "findings": [
        {"rule": "activation-derivative", "severity": "error", "function": "sigmoid_prime"},
    ],
    "absent": ["activation-mismatch", "output-activation", "learning-rate", "cost-oscillation",
               "user-code-error"],
}
