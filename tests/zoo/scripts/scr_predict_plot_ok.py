"""Course "planar data" net (tanh hidden layer, sigmoid output, examples as columns) as a module-level script: `parameters = nn_model(...)`, then the accuracy from predict(), then `plt.plot(costs); plt.show()`.

Correct twin of scr_predict_plot_bug.py: `db1 = 1 / m * np.sum(dZ1, axis=1, keepdims=True)`.
FIELD_GUIDE case 12.

Structure: no guard, no main(): the data, the training call, the lines that use its result
(`acc = np.mean(predict(parameters, X) == Y)`) and the plot of the module-level `costs` list (which
nn_model appends to every 100 iterations) all run at import. A tool that caps the training must
hand back the partly trained parameters so that the accuracy and plot lines still run.

Expected diagnosis: pass. Measured in float64 at the initial parameters: analytic vs central
differences, relative error W1 2.5e-10, b1 1.3e-9, W2 1.6e-10, b2 1.7e-10; b1 keeps its shape
(4, 1). Cost 0.8153 (it. 0) -> 0.3757 (it. 1000) -> 0.3643 (it. 9000), training accuracy 84.50%
(19 of the 400 labels are flipped at random; 4 tanh units cannot draw the whole flower: a slow
tail, not a plateau to report). The plot runs (Agg backend): no user-code-error.
Buggy twin: scr_predict_plot_bug.py.
"""

import matplotlib.pyplot as plt
import numpy as np


def load_planar_dataset(m=400, seed=1):
    """A flower-like 2-D pattern: the label flips with the angle sector and with the radius.

    X is (2, m), one example per column; Y is (1, m) of 0/1 with 5% of the labels flipped.
    """
    rng = np.random.RandomState(seed)
    radius = 4 * np.sqrt(rng.rand(m))
    angle = rng.rand(m) * 2 * np.pi
    X = np.vstack([radius * np.cos(angle), radius * np.sin(angle)])
    Y = (np.sin(3 * angle) * (radius - 1.5) > 0).astype(int)
    flip = rng.rand(m) < 0.05
    Y[flip] = 1 - Y[flip]
    return X, Y.reshape(1, m)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def layer_sizes(X, Y):
    return X.shape[0], Y.shape[0]


def initialize_parameters(n_x, n_h, n_y):
    np.random.seed(2)
    W1 = np.random.randn(n_h, n_x) * 0.5
    b1 = np.zeros((n_h, 1))
    W2 = np.random.randn(n_y, n_h) * 0.5
    b2 = np.zeros((n_y, 1))
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}


def forward_propagation(X, parameters):
    Z1 = np.dot(parameters["W1"], X) + parameters["b1"]
    A1 = np.tanh(Z1)
    Z2 = np.dot(parameters["W2"], A1) + parameters["b2"]
    A2 = sigmoid(Z2)
    cache = {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}
    return A2, cache


def compute_cost(A2, Y):
    m = Y.shape[1]
    logprobs = np.multiply(np.log(A2), Y) + np.multiply(np.log(1 - A2), 1 - Y)
    return float(-np.sum(logprobs) / m)


def backward_propagation(parameters, cache, X, Y):
    m = X.shape[1]
    W2 = parameters["W2"]
    A1 = cache["A1"]
    A2 = cache["A2"]
    dZ2 = A2 - Y
    dW2 = 1 / m * np.dot(dZ2, A1.T)
    db2 = 1 / m * np.sum(dZ2, axis=1, keepdims=True)
    dZ1 = np.dot(W2.T, dZ2) * (1 - np.power(A1, 2))
    dW1 = 1 / m * np.dot(dZ1, X.T)
    db1 = 1 / m * np.sum(dZ1, axis=1, keepdims=True)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


def update_parameters(parameters, grads, learning_rate=1.2):
    for key in ("W1", "b1", "W2", "b2"):
        parameters[key] = parameters[key] - learning_rate * grads["d" + key]
    return parameters


costs = []


def nn_model(X, Y, n_h, num_iterations=10000, print_cost=False):
    n_x, n_y = layer_sizes(X, Y)
    parameters = initialize_parameters(n_x, n_h, n_y)
    for i in range(num_iterations):
        A2, cache = forward_propagation(X, parameters)
        cost = compute_cost(A2, Y)
        grads = backward_propagation(parameters, cache, X, Y)
        parameters = update_parameters(parameters, grads)
        if i % 100 == 0:
            costs.append(cost)
        if print_cost and i % 1000 == 0:
            print("Cost after iteration %i: %f" % (i, cost))
    return parameters


def predict(parameters, X):
    A2, cache = forward_propagation(X, parameters)
    return (A2 > 0.5).astype(int)


X, Y = load_planar_dataset()
print("X:", X.shape, "Y:", Y.shape)

parameters = nn_model(X, Y, n_h=4, num_iterations=10000, print_cost=True)
acc = np.mean(predict(parameters, X) == Y)
print("Accuracy: %.2f%%" % (100 * acc))

plt.plot(costs)
plt.ylabel("cost")
plt.xlabel("iterations (per hundreds)")
plt.title("Learning rate = 1.2, 4 hidden units")
plt.show()


EXPECTED = {
    "verdict": "pass",
    "style": "course planar net, module-level script: parameters = nn_model(...), accuracy from predict, then plt.plot(costs); plt.show()",
    "twin": "scr_predict_plot_bug.py",
    "trains": True,
    "findings": [],
    "absent": ["gradient-mismatch", "user-code-error", "learning-rate", "cost-oscillation", "cost-plateau"],
}
