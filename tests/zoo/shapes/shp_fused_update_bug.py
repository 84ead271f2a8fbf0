"""Iris-like flowers (3 classes, 4 measurements), a class whose backprop(X, Y) applies the update
to self.W1, self.b1, self.W2, self.b2 IN PLACE itself: the gradients are never returned and there
is NO cost function anywhere; the loop prints accuracy only. Sigmoid hidden layer, softmax output,
examples as rows (m, 4), one-hot labels (m, 3); run() called at module level.

Bug: a wrong derivative inside the fused update. The output delta is written
(output - Y) * output * (1 - output) / m, an elementwise "sigmoid derivative" pushed through a
softmax. It is neither the cross-entropy gradient ((output - Y) / m) nor the squared-error one
(which through a softmax needs the full Jacobian, output * (g - sum(g * output))).

Expected diagnosis: implied-loss, kind neither (error): the applied update (W_before - W_after) / lr
is not the gradient of the cross-entropy nor of the squared error of the softmax output, for any
scale. (A tool may say more, e.g. that the output layer's delta carries an extra p(1-p) factor.)

Ground truth (float64, first call of backprop on the 360 training rows; applied gradient
G = (before - after) / lr, lr = 0.5; central differences eps=1e-5 of each candidate loss):
  vs mean cross-entropy -mean_i sum_k y log p: relative error 0.662; best common scale 0.201 still
  leaves 0.130 (per parameter: W1 0.615, b1 0.670, W2 0.663, b2 0.684; factors 0.19-0.24).
  vs mean squared error mean_i 1/2 sum_k (p - y)^2: relative error 0.236; best common scale 0.647
  still leaves 0.133 (per parameter factors 0.58-0.79).
  The twin's update matches the mean cross-entropy to 5.5e-11 (every parameter <= 2.4e-10, factor 1).
  Training still works (train accuracy 0.98-0.99, test 1.000): only the update's loss is wrong.
  Author run: 2-3 s (two runs, OMP_NUM_THREADS=1, a 2-core machine shared with other jobs).
"""
import numpy as np


def load_flowers(n_per_class=150, seed=4):
    rng = np.random.RandomState(seed)
    means = np.array([[5.0, 3.4, 1.5, 0.25], [5.9, 2.8, 4.3, 1.3], [6.6, 3.0, 5.5, 2.0]])
    stds = np.array([[0.35, 0.38, 0.17, 0.1], [0.5, 0.31, 0.47, 0.2], [0.63, 0.32, 0.55, 0.27]])
    X = np.concatenate([mu + sd * rng.randn(n_per_class, 4) for mu, sd in zip(means, stds)])
    labels = np.repeat(np.arange(3), n_per_class)
    order = rng.permutation(len(labels))
    return X[order], labels[order]


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def softmax(x):
    exps = np.exp(x - np.max(x, axis=1, keepdims=True))
    return exps / np.sum(exps, axis=1, keepdims=True)


class NeuralNetwork:
    def __init__(self, n_in, n_hidden, n_out, lr=0.5, seed=0):
        rng = np.random.RandomState(seed)
        self.W1 = rng.randn(n_in, n_hidden) / np.sqrt(n_in)
        self.b1 = np.zeros((1, n_hidden))
        self.W2 = rng.randn(n_hidden, n_out) / np.sqrt(n_hidden)
        self.b2 = np.zeros((1, n_out))
        self.lr = lr

    def feedforward(self, X):
        self.hidden = sigmoid(X @ self.W1 + self.b1)
        self.output = softmax(self.hidden @ self.W2 + self.b2)
        return self.output

    def backprop(self, X, Y):
        m = X.shape[0]
        d_out = (self.output - Y) * self.output * (1 - self.output) / m
        d_hidden = (d_out @ self.W2.T) * self.hidden * (1 - self.hidden)
        self.W2 -= self.lr * self.hidden.T @ d_out
        self.b2 -= self.lr * np.sum(d_out, axis=0, keepdims=True)
        self.W1 -= self.lr * X.T @ d_hidden
        self.b1 -= self.lr * np.sum(d_hidden, axis=0, keepdims=True)

    def predict(self, X):
        return np.argmax(self.feedforward(X), axis=1)


def run():
    X, labels = load_flowers()
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    Y = np.eye(3)[labels]
    X_train, Y_train, X_test, labels_test = X[:360], Y[:360], X[360:], labels[360:]
    nn = NeuralNetwork(4, 16, 3, lr=0.5)
    for epoch in range(5000):
        nn.feedforward(X_train)
        nn.backprop(X_train, Y_train)
        if epoch % 1000 == 0:
            acc = np.mean(np.argmax(nn.output, axis=1) == np.argmax(Y_train, axis=1))
            print("epoch %d  train accuracy %.3f" % (epoch, acc))
    print("test accuracy %.3f" % np.mean(nn.predict(X_test) == labels_test))


run()

EXPECTED = {
    "verdict": "fail",
    "style": "no cost function; backprop(X, Y) updates self.W1.. in place; accuracy printed only; "
             "sigmoid hidden, softmax output; examples as rows; run() at module level",
    "twin": "shp_fused_update_ok.py",
    "trains": True,
    "findings": [
        {"rule": "implied-loss", "kind": "neither", "severity": "error"},
    ],
    "absent": ["learning-rate", "unnormalized-input"],
}
