"""A learner's file written for old numpy and a desktop: np.float, TkAgg, plt.show(), and an
interactive prompt at the end. Its training loop sits at module level, with helper functions."""

import matplotlib
matplotlib.use("TkAgg")
import matplotlib.pyplot as plt
import numpy as np

np.random.seed(0)
X = np.random.randn(5, 120).astype(np.float)
Y = (X[0:1] + X[1:2] > 0).astype(np.int)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def relu(z):
    return np.maximum(0, z)


def forward(X, params):
    Z1 = params["W1"] @ X + params["b1"]
    A1 = relu(Z1)
    A2 = sigmoid(params["W2"] @ A1 + params["b2"])
    return A2, (Z1, A1)


def cost(A2, Y):
    return float(-np.mean(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)))


def backward(X, Y, A2, cache, params):
    Z1, A1 = cache
    m = X.shape[1]
    dZ2 = A2 - Y
    grads = {"dW2": dZ2 @ A1.T / m, "db2": dZ2.sum(axis=1, keepdims=True) / m}
    dZ1 = params["W2"].T @ dZ2 * (Z1 > 0)
    grads["dW1"] = dZ1 @ X.T / m
    grads["db1"] = dZ1.sum(axis=1, keepdims=True) / m
    return grads


params = {"W1": np.random.randn(8, 5) * np.sqrt(2 / 5), "b1": np.zeros((8, 1)),
          "W2": np.random.randn(1, 8) * np.sqrt(1 / 8), "b2": np.zeros((1, 1))}
costs = []
for i in range(2000):
    A2, cache = forward(X, params)
    costs.append(cost(A2, Y))
    grads = backward(X, Y, A2, cache, params)
    for k in params:
        params[k] = params[k] - 0.5 * grads["d" + k]

plt.plot(costs)
plt.show()
while True:
    answer = input("train again? ")
    if answer == "n":
        break
