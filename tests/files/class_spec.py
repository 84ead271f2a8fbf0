"""A class-based network with no training function nndoctor can guess: it declares one with
nndoctor.spec. The backward pass forgets the 1/m of db1."""
import numpy as np

import nndoctor


class Net:
    def __init__(self, seed=0):
        rng = np.random.RandomState(seed)
        self.params = {"W1": rng.randn(6, 3) * 0.8, "b1": np.zeros((6, 1)),
                       "W2": rng.randn(1, 6) * 0.4, "b2": np.zeros((1, 1))}

    def forward(self, X):
        p = self.params
        self.Z1 = p["W1"] @ X + p["b1"]
        self.A1 = np.tanh(self.Z1)
        self.A2 = 1 / (1 + np.exp(-(p["W2"] @ self.A1 + p["b2"])))
        return self.A2

    def loss(self, A2, Y):
        return float(-np.mean(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)))

    def backward(self, X, Y):
        m = X.shape[1]
        dZ2 = self.A2 - Y
        dZ1 = self.params["W2"].T @ dZ2 * (1 - self.A1 ** 2)
        return {"dW2": dZ2 @ self.A1.T / m, "db2": dZ2.sum(axis=1, keepdims=True) / m,
                "dW1": dZ1 @ X.T / m, "db1": dZ1.sum(axis=1, keepdims=True)}

    def step(self, grads, lr):
        for k in self.params:
            self.params[k] = self.params[k] - lr * grads["d" + k]


rng = np.random.RandomState(1)
X = rng.randn(3, 50)
Y = (X[0:1] * X[1:2] > 0).astype(float)
net = Net()


def go(epochs=1000):
    for _ in range(epochs):
        out = net.forward(X)
        net.loss(out, Y)
        net.step(net.backward(X, Y), 0.5)


nndoctor.spec(train=lambda: go(300))
