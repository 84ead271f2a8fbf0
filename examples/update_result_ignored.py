"""Planar data ("flower"), one hidden tanh layer: the update is computed and thrown away.

Field-guide "other" case (the update step leaves the parameters unchanged). This
`update_parameters` works on a copy (`copy.deepcopy`, as the later edition of the course does) and
returns the new parameters, but `nn_model` calls it without keeping the result:

    update_parameters(parameters, grads, learning_rate)     # should be: parameters = ...

so the forward pass sees the initial parameters at every iteration. The printed cost never
changes (0.6931... for ever) and a learner usually suspects the learning rate or the backward pass,
both of which are fine.

Expected diagnosis
------------------
error  parameters-not-updated, update_parameters: it computes new parameters, but the forward pass
       receives the same values at every iteration; the result of the update is never used.
The flat cost is that bug's symptom (no separate cost-plateau or learning-rate finding); the
gradients are right (a gradient check passes).
"""

import copy

import numpy as np


def load_data(m=400, seed=1):
    """The planar "flower": 2 coordinates per point (one column each), red (0) or blue (1) petals."""
    rng = np.random.RandomState(seed)
    N = m // 2  # points per class
    X = np.zeros((m, 2))
    Y = np.zeros((m, 1), dtype="uint8")
    a = 4  # maximum ray of the flower
    for j in range(2):
        ix = range(N * j, N * (j + 1))
        t = np.linspace(j * 3.12, (j + 1) * 3.12, N) + rng.randn(N) * 0.2  # theta
        r = a * np.sin(4 * t) + rng.randn(N) * 0.2  # radius
        X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        Y[ix] = j
    return X.T, Y.T


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def layer_sizes(X, Y):
    n_x = X.shape[0]
    n_h = 4
    n_y = Y.shape[0]
    return (n_x, n_h, n_y)


def initialize_parameters(n_x, n_h, n_y):
    np.random.seed(2)
    W1 = np.random.randn(n_h, n_x) * 0.01
    b1 = np.zeros((n_h, 1))
    W2 = np.random.randn(n_y, n_h) * 0.01
    b2 = np.zeros((n_y, 1))
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}


def forward_propagation(X, parameters):
    W1 = parameters["W1"]
    b1 = parameters["b1"]
    W2 = parameters["W2"]
    b2 = parameters["b2"]
    Z1 = np.dot(W1, X) + b1
    A1 = np.tanh(Z1)
    Z2 = np.dot(W2, A1) + b2
    A2 = sigmoid(Z2)
    cache = {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}
    return A2, cache


def compute_cost(A2, Y):
    m = Y.shape[1]
    logprobs = np.multiply(np.log(A2), Y) + np.multiply(np.log(1 - A2), 1 - Y)
    cost = -np.sum(logprobs) / m
    return float(np.squeeze(cost))


def backward_propagation(parameters, cache, X, Y):
    m = X.shape[1]
    W2 = parameters["W2"]
    A1 = cache["A1"]
    A2 = cache["A2"]
    dZ2 = A2 - Y
    dW2 = np.dot(dZ2, A1.T) / m
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    dZ1 = np.dot(W2.T, dZ2) * (1 - np.power(A1, 2))
    dW1 = np.dot(dZ1, X.T) / m
    db1 = np.sum(dZ1, axis=1, keepdims=True) / m
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


def update_parameters(parameters, grads, learning_rate=1.2):
    parameters = copy.deepcopy(parameters)
    W1 = parameters["W1"]
    b1 = parameters["b1"]
    W2 = parameters["W2"]
    b2 = parameters["b2"]

    W1 = W1 - learning_rate * grads["dW1"]
    b1 = b1 - learning_rate * grads["db1"]
    W2 = W2 - learning_rate * grads["dW2"]
    b2 = b2 - learning_rate * grads["db2"]

    parameters = {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
    return parameters


def nn_model(X, Y, n_h, num_iterations=10000, print_cost=False):
    n_x, _, n_y = layer_sizes(X, Y)
    parameters = initialize_parameters(n_x, n_h, n_y)

    for i in range(0, num_iterations):
        A2, cache = forward_propagation(X, parameters)
        cost = compute_cost(A2, Y)
        grads = backward_propagation(parameters, cache, X, Y)
        update_parameters(parameters, grads)  # BUG: the new parameters are thrown away

        if print_cost and i % 1000 == 0:
            print("Cost after iteration %i: %f" % (i, cost))

    return parameters


def predict(parameters, X):
    A2, cache = forward_propagation(X, parameters)
    return (A2 > 0.5).astype(float)


n_h = 4

if __name__ == "__main__":
    X, Y = load_data()
    parameters = nn_model(X, Y, n_h=4, num_iterations=10000, print_cost=True)
    predictions = predict(parameters, X)
    print("Accuracy: %d%%" % float(100 * np.mean(predictions == Y)))


EXPECTED = {
    "verdict": "fail",
    "twin": "correct_planar.py",
    "cases": ["other"],
    "findings": [{"rule": "parameters-not-updated", "severity": "error", "function": "update_parameters"}],
    "absent": ["cost-plateau", "learning-rate", "gradient-mismatch", "zero-gradient"],
}
