"""Dropout masks drawn with np.random.randn instead of np.random.rand (field-guide case 21).

The course's 3-layer network with inverted dropout (keep_prob = 0.86) on noisy circles. The mask
`np.random.randn(...) < keep_prob` keeps about 80.5% of the units (the normal CDF at 0.86), not
86%, while the activations are still divided by 0.86. Nothing crashes and training still works a
bit worse.

Expected diagnosis
------------------
error  dropout-mask (keep-rate), layers 1 and 2 (forward_propagation_with_dropout): about 80% of
       the units kept while keep_prob is 0.86, which is what randn keeps; draw the mask with rand.
The noisy cost (new masks every iteration) is not reported as oscillation.
Correct twin: correct_dropout.py.
"""


import numpy as np



def load_data(m=300, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(2, m)
    Y = (np.sum(X ** 2, axis=0, keepdims=True) > 1.5).astype(float)
    return X, Y


def relu(x):
    return np.maximum(0, x)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def initialize_parameters(layer_dims):
    np.random.seed(3)
    parameters = {}
    for l in range(1, len(layer_dims)):
        parameters["W" + str(l)] = np.random.randn(layer_dims[l], layer_dims[l - 1]) * np.sqrt(2 / layer_dims[l - 1])
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1))
    return parameters


def _mask(shape, keep_prob):
    return (np.random.randn(*shape) < keep_prob).astype(int)   # randn: the bug (should be rand)


def forward_propagation_with_dropout(X, parameters, keep_prob=0.86):
    W1, b1, W2, b2, W3, b3 = (parameters[k] for k in ("W1", "b1", "W2", "b2", "W3", "b3"))
    Z1 = W1 @ X + b1
    A1 = relu(Z1)
    D1 = _mask(A1.shape, keep_prob)
    A1 = A1 * D1
    A1 = A1 / keep_prob
    Z2 = W2 @ A1 + b2
    A2 = relu(Z2)
    D2 = _mask(A2.shape, keep_prob)
    A2 = A2 * D2
    A2 = A2 / keep_prob
    Z3 = W3 @ A2 + b3
    A3 = sigmoid(Z3)
    return A3, (Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3)


def compute_cost(A3, Y):
    m = Y.shape[1]
    return float(-np.sum(Y * np.log(A3) + (1 - Y) * np.log(1 - A3)) / m)


def backward_propagation_with_dropout(X, Y, cache, keep_prob):
    m = X.shape[1]
    (Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3) = cache
    dZ3 = A3 - Y
    dW3 = dZ3 @ A2.T / m
    db3 = np.sum(dZ3, axis=1, keepdims=True) / m
    dA2 = W3.T @ dZ3
    dA2 = dA2 * D2 / keep_prob
    dZ2 = dA2 * (A2 > 0)
    dW2 = dZ2 @ A1.T / m
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    dA1 = W2.T @ dZ2
    dA1 = dA1 * D1 / keep_prob
    dZ1 = dA1 * (A1 > 0)
    dW1 = dZ1 @ X.T / m
    db1 = np.sum(dZ1, axis=1, keepdims=True) / m
    return {"dZ3": dZ3, "dW3": dW3, "db3": db3, "dA2": dA2, "dZ2": dZ2, "dW2": dW2, "db2": db2,
            "dA1": dA1, "dZ1": dZ1, "dW1": dW1, "db1": db1}


def update_parameters(parameters, grads, learning_rate):
    for k in list(parameters):
        parameters[k] = parameters[k] - learning_rate * grads["d" + k]
    return parameters


def model(X, Y, learning_rate=0.3, num_iterations=30000, keep_prob=0.86):
    parameters = initialize_parameters([X.shape[0], 20, 3, 1])
    for i in range(num_iterations):
        a3, cache = forward_propagation_with_dropout(X, parameters, keep_prob)
        compute_cost(a3, Y)
        grads = backward_propagation_with_dropout(X, Y, cache, keep_prob)
        parameters = update_parameters(parameters, grads, learning_rate)
    return parameters

if __name__ == "__main__":
    X, Y = load_data()
    parameters = model(X, Y, num_iterations=3000)
    a3, _ = forward_propagation_with_dropout(X, parameters, keep_prob=1.0)
    print("train accuracy", float(np.mean((a3 > 0.5) == Y)))


EXPECTED = {
    "verdict": "fail",
    "twin": "correct_dropout.py",
    "cases": [21],
    "findings": [{"rule": "dropout-mask", "kind": "keep-rate", "layer": 1, "severity": "error"},
                 {"rule": "dropout-mask", "kind": "keep-rate", "layer": 2, "severity": "error"}],
    "absent": ["cost-oscillation", "gradient-mismatch"],
}
