"""A source file saved with a UTF-8 byte order mark (Windows Notepad does that), with non-ASCII text
in its comments and strings.

Expected: read as python reads it (the mark is not part of the first statement): the program runs
and is checked, exit 0 for this healthy network, no user-code-error.
"""

import numpy as np


def load_data():
    rng = np.random.RandomState(1)
    X = rng.randn(2, 40)
    Y = (X[0:1] * X[1:2] > 0).astype(float)
    return X, Y


def initialize_parameters(n_x, n_h, n_y):
    rng = np.random.RandomState(2)
    return {"W1": rng.randn(n_h, n_x) * 0.5, "b1": np.zeros((n_h, 1)),
            "W2": rng.randn(n_y, n_h) * 0.5, "b2": np.zeros((n_y, 1))}


def forward_propagation(X, parameters):
    A1 = np.tanh(parameters["W1"] @ X + parameters["b1"])
    A2 = 1 / (1 + np.exp(-(parameters["W2"] @ A1 + parameters["b2"])))
    return A2, {"A1": A1, "A2": A2}


def compute_cost(A2, Y):
    m = Y.shape[1]
    return float(-np.sum(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)) / m)


def backward_propagation(parameters, cache, X, Y):
    m = X.shape[1]
    A1, A2 = cache["A1"], cache["A2"]
    dZ2 = A2 - Y
    dZ1 = parameters["W2"].T @ dZ2 * (1 - A1 ** 2)
    return {"dW1": dZ1 @ X.T / m, "db1": np.sum(dZ1, axis=1, keepdims=True) / m,
            "dW2": dZ2 @ A1.T / m, "db2": np.sum(dZ2, axis=1, keepdims=True) / m}


def update_parameters(parameters, grads, learning_rate=1.2):
    return {k: parameters[k] - learning_rate * grads["d" + k] for k in parameters}


def nn_model(X, Y, n_h=4, num_iterations=1000):
    parameters = initialize_parameters(X.shape[0], n_h, Y.shape[0])
    for i in range(num_iterations):
        A2, cache = forward_propagation(X, parameters)
        cost = compute_cost(A2, Y)
        grads = backward_propagation(parameters, cache, X, Y)
        parameters = update_parameters(parameters, grads)
        if i % 100 == 0:
            print("cost after iteration %i: %f" % (i, cost))
    return parameters


X, Y = load_data()
parameters = nn_model(X, Y)
predictions = forward_propagation(X, parameters)[0] > 0.5
# précision sur l'entraînement — ≈ 0.9
print("précision :", float(np.mean(predictions == Y)))


EXPECTED = {"exit": 0, "finding": None, "absent": ["user-code-error"]}
