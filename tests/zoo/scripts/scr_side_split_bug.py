"""A 2-D "flower" data set as columns (X 2 x 400), a one-hidden-layer tanh network in the course's
functions, and before it a side logistic regression on a row-major train/test split of the
transposed data (X_train 320 x 2, y_train 320 x 1).

Planted bug: compute_cost keeps only the Y * log(A2) term and drops the 1/m (cost = -sum(Y log A2)),
while the backward differentiates the mean binary cross-entropy (dZ2 = A2 - Y, / m).

Expected diagnosis: gradient-mismatch on W2 and b2 against the program's own cost, the layer below
(W1, b1) named as carrying the same error down; the side experiment's split is not the network's
data (no label-format).

Ground truth (float64, central differences against compute_cost): W2 and b2 are wrong
(nndoctor check measures relative errors of 0.99 and 1.0 at the first step).
"""
import numpy as np


def load_flower(m=400, seed=1):
    rng = np.random.RandomState(seed)
    per_class = m // 2
    X = np.zeros((m, 2))
    Y = np.zeros((m, 1), dtype="uint8")
    for j in range(2):
        ix = range(per_class * j, per_class * (j + 1))
        t = np.linspace(j * 3.12, (j + 1) * 3.12, per_class) + rng.randn(per_class) * 0.2
        r = 4 * np.sin(4 * t) + rng.randn(per_class) * 0.2
        X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        Y[ix] = j
    return X.T, Y.T


def split(X, y, test_fraction=0.2, seed=42):
    order = np.random.RandomState(seed).permutation(len(X))
    cut = int(len(X) * (1 - test_fraction))
    return X[order[:cut]], X[order[cut:]], y[order[:cut]], y[order[cut:]]


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def logistic_regression(X, y, lr=0.1, steps=300):
    w, b = np.zeros((X.shape[1], 1)), 0.0
    for _ in range(steps):
        p = sigmoid(X @ w + b)
        w -= lr * X.T @ (p - y) / len(X)
        b -= lr * float(np.mean(p - y))
    return w, b


def initialize_parameters(n_x, n_h, n_y):
    return {"W1": np.random.randn(n_h, n_x) * 0.01, "b1": np.zeros((n_h, 1)),
            "W2": np.random.randn(n_y, n_h) * 0.01, "b2": np.zeros((n_y, 1))}


def forward_propagation(X, parameters):
    Z1 = parameters["W1"] @ X + parameters["b1"]
    A1 = np.tanh(Z1)
    Z2 = parameters["W2"] @ A1 + parameters["b2"]
    A2 = sigmoid(Z2)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def compute_cost(A2, Y):
    m = Y.shape[1]
    logprobs = np.multiply(np.log(A2), Y)
    return float(-np.sum(logprobs))


def backward_propagation(parameters, cache, X, Y):
    m = X.shape[1]
    dZ2 = cache["A2"] - Y
    dW2 = dZ2 @ cache["A1"].T / m
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    dZ1 = (parameters["W2"].T @ dZ2) * (1 - cache["A1"] ** 2)
    dW1 = dZ1 @ X.T / m
    db1 = np.sum(dZ1, axis=1, keepdims=True) / m
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


def update_parameters(parameters, grads, learning_rate=1.2):
    return {k: parameters[k] - learning_rate * grads["d" + k] for k in parameters}


def nn_model(X, Y, n_h, num_iterations=2000, learning_rate=1.2, print_cost=False):
    np.random.seed(3)
    parameters = initialize_parameters(X.shape[0], n_h, Y.shape[0])
    for i in range(num_iterations):
        A2, cache = forward_propagation(X, parameters)
        cost = compute_cost(A2, Y)
        grads = backward_propagation(parameters, cache, X, Y)
        parameters = update_parameters(parameters, grads, learning_rate)
        if print_cost and i % 1000 == 0:
            print(f"Cost after iteration {i}: {cost:f}")
    return parameters


X, Y = load_flower()
X_train, X_test, y_train, y_test = split(X.T, Y.T)
w, b = logistic_regression(X_train, y_train)
print("logistic regression accuracy:", np.mean((sigmoid(X_test @ w + b) > 0.5) == y_test))

parameters = nn_model(X, Y, 4, num_iterations=2000, print_cost=True)
predictions = forward_propagation(X, parameters)[0] > 0.5
print("network accuracy:", np.mean(predictions == Y))

EXPECTED = {
    "verdict": "fail",
    "style": "course column-major network, plus a side logistic regression on a row-major train/test split of the transposed data",
    "twin": "scr_side_split_ok.py",
    "trains": True,
    "findings": [
        {"rule": "gradient-mismatch", "severity": "error", "parameter": "W2"},
        {"rule": "gradient-mismatch", "severity": "error", "parameter": "b2"},
    ],
    "absent": ["label-format", "train-test-leakage", "user-code-error"],
}
