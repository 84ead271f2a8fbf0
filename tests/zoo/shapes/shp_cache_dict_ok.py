"""Two-layer moons classifier, course style: forward_propagation returns ONE cache dict holding
the output (cache["A2"]), compute_cost(A2, Y) takes (output, labels); examples as columns (2, m).

Correct twin of shp_cache_dict_bug.py: db1 = np.sum(dZ1, axis=1, keepdims=True) / m.

Expected diagnosis: pass. A tool must find the output inside the returned dict (cache["A2"]), see
compute_cost consume it with the labels, and check all four parameters: they agree.

Ground truth (float64, central differences eps=1e-5, first step):
  W1 (6, 2) 5.0e-11 | b1 (6, 1) 2.0e-10 | W2 (1, 6) 1.7e-11 | b2 (1, 1) 2.5e-11.
  cost 0.7259 (it. 0; ln 2 = 0.6931) -> 0.0452 (it. 1000) -> 0.0147 (it. 14000), monotone
  (0 rises in 15000 iterations), 99.2% train accuracy, never saturated (max |Z2| 30, no log(0)).
  Author run: 7-8 s (two runs, OMP_NUM_THREADS=1, a 2-core machine shared with other jobs).
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
    db1 = np.sum(dZ1, axis=1, keepdims=True) / m
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
    "verdict": "pass",
    "style": "forward returns a cache dict holding A2; compute_cost(A2, Y) (output, labels); "
             "course-style functions at module level; examples as columns (2, m)",
    "twin": "shp_cache_dict_bug.py",
    "trains": True,
    "findings": [],
    "absent": ["gradient-mismatch", "learning-rate", "cost-divergence", "cost-plateau", "initial-cost",
               "output-activation", "non-finite"],
}
