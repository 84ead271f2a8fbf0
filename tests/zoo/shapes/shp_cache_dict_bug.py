"""Two-layer moons classifier, course style: forward_propagation returns ONE cache dict holding
the output (cache["A2"]), compute_cost(A2, Y) takes (output, labels); examples as columns (2, m).

Bug: db1 is summed over the wrong axis, np.sum(dZ1, axis=0, keepdims=True) in a columns layout,
so db1 has shape (1, 400) instead of (6, 1). Nothing crashes: the update broadcasts b1 to (6, 400),
one bias per hidden unit AND per training example, and the forward keeps working on the training set.

Expected diagnosis: gradient-mismatch, kind shape, parameter b1 (error): at the first step the
analytic db1 is (1, 400) for a (6, 1) parameter; after one update b1 itself is (6, 400).
W1, b2, W2 agree with central differences (relative error < 1e-9, see ground truth below).

Ground truth (float64, central differences eps=1e-5, first step, seeded data and init):
  W1 (6, 2) rel.err 5.0e-11 | b1: analytic (1, 400) for a (6, 1) parameter | W2 (1, 6) 1.7e-11 |
  b2 (1, 1) 2.5e-11; the twin: every parameter <= 2.0e-10.
  cost 0.7259 (it. 0) -> 0.0020 (it. 1000) -> 0.00007 (it. 14000), 100% train accuracy: the
  per-example biases memorize the training set; b1.shape after training (6, 400).
  The twin: 0.7259 -> 0.0452 -> 0.0147, 99.2%, monotone, no saturation (max |Z2| 30).
  Author run: 8-9 s (two runs, OMP_NUM_THREADS=1, a 2-core machine shared with other jobs).
"""
import numpy as np


def load_data(m=400, noise=0.2, seed=3):
    """Two interleaving half circles, examples as columns."""
    rng = np.random.RandomState(seed)
    half = m // 2
    t_top = rng.rand(half) * np.pi
    t_bot = rng.rand(m - half) * np.pi
    top = np.vstack([np.cos(t_top), np.sin(t_top)])
    bottom = np.vstack([1.0 - np.cos(t_bot), 0.5 - np.sin(t_bot)])
    X = np.hstack([top, bottom]) + noise * rng.randn(2, m)
    Y = np.hstack([np.zeros((1, half)), np.ones((1, m - half))])
    return X, Y


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def layer_sizes(X, Y, n_h=6):
    return X.shape[0], n_h, Y.shape[0]


def initialize_parameters(n_x, n_h, n_y):
    np.random.seed(2)
    W1 = np.random.randn(n_h, n_x) * np.sqrt(1.0 / n_x)
    b1 = np.zeros((n_h, 1))
    W2 = np.random.randn(n_y, n_h) * np.sqrt(1.0 / n_h)
    b2 = np.zeros((n_y, 1))
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}


def forward_propagation(X, parameters):
    W1, b1 = parameters["W1"], parameters["b1"]
    W2, b2 = parameters["W2"], parameters["b2"]
    Z1 = np.dot(W1, X) + b1
    A1 = np.tanh(Z1)
    Z2 = np.dot(W2, A1) + b2
    A2 = sigmoid(Z2)
    cache = {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}
    return cache


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
    db1 = np.sum(dZ1, axis=0, keepdims=True) / m
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


def update_parameters(parameters, grads, learning_rate=1.2):
    new = {}
    for key in ("W1", "b1", "W2", "b2"):
        new[key] = parameters[key] - learning_rate * grads["d" + key]
    return new


def nn_model(X, Y, n_h, num_iterations=10000, learning_rate=1.2, print_cost=False):
    n_x, _, n_y = layer_sizes(X, Y, n_h)
    parameters = initialize_parameters(n_x, n_h, n_y)
    for i in range(num_iterations):
        cache = forward_propagation(X, parameters)
        cost = compute_cost(cache["A2"], Y)
        grads = backward_propagation(parameters, cache, X, Y)
        parameters = update_parameters(parameters, grads, learning_rate)
        if print_cost and i % 1000 == 0:
            print("Cost after iteration %i: %f" % (i, cost))
    return parameters


def predict(parameters, X):
    cache = forward_propagation(X, parameters)
    return (cache["A2"] > 0.5).astype(float)


X, Y = load_data()
print("X:", X.shape, "Y:", Y.shape)
parameters = nn_model(X, Y, n_h=6, num_iterations=15000, learning_rate=0.5, print_cost=True)
predictions = predict(parameters, X)
print("Accuracy: %.1f%%" % (100 * np.mean(predictions == Y)))
print("b1 shape after training:", parameters["b1"].shape)

EXPECTED = {
    "verdict": "fail",
    "style": "forward returns a cache dict holding A2; compute_cost(A2, Y) (output, labels); "
             "course-style functions at module level; examples as columns (2, m)",
    "twin": "shp_cache_dict_ok.py",
    "trains": True,
    "findings": [
        {"rule": "gradient-mismatch", "kind": "shape", "parameter": "b1", "severity": "error"},
    ],
    "absent": ["learning-rate", "cost-divergence", "initial-cost", "output-activation"],
}
