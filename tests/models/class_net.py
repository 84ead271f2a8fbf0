"""A class-based network in the style of field-guide case 4: the forward pass takes its activation
from a keyword default while the backward pass reads self.activation."""

import numpy as np

MISMATCH = True  # False: the forward uses self.activation too (the correct twin)


class Network:
    def __init__(self, sizes, activation="sigmoid", seed=0):
        rng = np.random.RandomState(seed)
        self.activation = activation
        self.W1 = rng.randn(sizes[1], sizes[0]) * np.sqrt(1 / sizes[0])
        self.b1 = np.zeros((sizes[1], 1))
        self.W2 = rng.randn(sizes[2], sizes[1]) * np.sqrt(1 / sizes[1])
        self.b2 = np.zeros((sizes[2], 1))

    def relu(self, z):
        return np.maximum(0, z)

    def sigmoid(self, z):
        return 1 / (1 + np.exp(-z))

    def relu_derivative(self, z):
        return (z > 0).astype(float)

    def sigmoid_derivative(self, z):
        s = self.sigmoid(z)
        return s * (1 - s)

    def forward(self, X, activation="relu"):
        if not MISMATCH:
            activation = self.activation
        self.Z1 = self.W1 @ X + self.b1
        self.A1 = self.relu(self.Z1) if activation == "relu" else self.sigmoid(self.Z1)
        self.Z2 = self.W2 @ self.A1 + self.b2
        self.A2 = self.sigmoid(self.Z2)
        return self.A2

    def cost(self, A2, Y):
        return float(-np.mean(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)))

    def backward(self, X, Y):
        m = X.shape[1]
        dZ2 = self.A2 - Y
        self.grads = {"dW2": dZ2 @ self.A1.T / m, "db2": dZ2.sum(axis=1, keepdims=True) / m}
        deriv = self.relu_derivative if self.activation == "relu" else self.sigmoid_derivative
        dZ1 = (self.W2.T @ dZ2) * deriv(self.Z1)
        self.grads["dW1"] = dZ1 @ X.T / m
        self.grads["db1"] = dZ1.sum(axis=1, keepdims=True) / m

    def step(self, learning_rate):
        for name in ("W1", "b1", "W2", "b2"):
            setattr(self, name, getattr(self, name) - learning_rate * self.grads["d" + name])

    def train(self, X, Y, learning_rate=0.5, epochs=100):
        for _ in range(epochs):
            A2 = self.forward(X)
            self.cost(A2, Y)
            self.backward(X, Y)
            self.step(learning_rate)


def load_data(m=300, seed=1):
    rng = np.random.RandomState(seed)
    X = rng.randn(4, m)
    Y = ((X[0] * X[1] + 0.5 * X[2]) > 0).astype(float).reshape(1, m)
    return X, Y
