"""A class of tiny course-style files for the tests of `nndoctor check` on many files.

Each file is a two-layer tanh/sigmoid network on 40 examples of 3 features, trained by a
`model()` loop; the variants plant known bugs so that the reports differ from file to file:
a stray factor 2 in db1 (gradient-mismatch), zero initialization (symmetric-init), or none.
Kept tiny so that a check takes about as long as Python and numpy take to start.
"""

from __future__ import annotations

from pathlib import Path

TEMPLATE = '''"""Student {index}: a two-layer network."""
import numpy as np


def load_data():
    rng = np.random.RandomState({seed})
    X = rng.randn(3, 40)
    Y = (X[0:1] * X[1:2] > 0).astype(float)
    return X, Y


def initialize_parameters(n_x, n_h, n_y):
    np.random.seed({seed})
    return {{"W1": np.random.randn(n_h, n_x) * {scale}, "b1": np.zeros((n_h, 1)),
             "W2": np.random.randn(n_y, n_h) * {scale}, "b2": np.zeros((n_y, 1))}}


def forward_propagation(X, parameters):
    Z1 = parameters["W1"] @ X + parameters["b1"]
    A1 = np.tanh(Z1)
    Z2 = parameters["W2"] @ A1 + parameters["b2"]
    A2 = 1 / (1 + np.exp(-Z2))
    return A2, (Z1, A1, Z2, A2)


def compute_cost(A2, Y):
    m = Y.shape[1]
    return float(-np.sum(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)) / m)


def backward_propagation(parameters, cache, X, Y):
    m = X.shape[1]
    Z1, A1, Z2, A2 = cache
    dZ2 = A2 - Y
    dW2 = dZ2 @ A1.T / m
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    dZ1 = parameters["W2"].T @ dZ2 * (1 - A1 ** 2)
    dW1 = dZ1 @ X.T / m
    db1 = {db1_factor}np.sum(dZ1, axis=1, keepdims=True) / m
    return {{"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}}


def update_parameters(parameters, grads, learning_rate):
    return {{k: parameters[k] - learning_rate * grads["d" + k] for k in parameters}}


def model(X, Y, n_h=4, num_iterations=200, learning_rate={lr}):
    parameters = initialize_parameters(X.shape[0], n_h, Y.shape[0])
    for i in range(num_iterations):
        A2, cache = forward_propagation(X, parameters)
        cost = compute_cost(A2, Y)
        grads = backward_propagation(parameters, cache, X, Y)
        parameters = update_parameters(parameters, grads, learning_rate)
    return parameters


if __name__ == "__main__":
    X, Y = load_data()
    model(X, Y)
'''

VARIANTS = {
    "correct": {"scale": "0.5", "db1_factor": "", "lr": "0.5"},
    "factor": {"scale": "0.5", "db1_factor": "2 * ", "lr": "0.5"},
    "zeros": {"scale": "0.0", "db1_factor": "", "lr": "0.5"},
}


def variant_of(index: int) -> str:
    return ("correct", "factor", "zeros")[index % 3]


def write_class(folder: Path, n: int, prefix: str = "student") -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        path = folder / f"{prefix}_{i:02d}.py"
        path.write_text(TEMPLATE.format(index=i, seed=i + 1, **VARIANTS[variant_of(i)]))
        paths.append(path)
    return paths
