"""Course "planar data" net (tanh hidden layer, sigmoid output, examples as columns) as a module-level script: `parameters = nn_model(...)`, then the accuracy from predict(), then `plt.plot(costs); plt.show()`.

Bug: the bias gradient of layer 1 is summed over the wrong axis:
`db1 = 1 / m * np.sum(dZ1, axis=0, keepdims=True)` gives shape (1, 400) instead of (4, 1), and the
first update broadcasts b1 to (4, 400): one bias per example. Nothing crashes; the net memorizes the
training set. FIELD_GUIDE cases 12 (gradient check) and 7 (suspiciously good results).

Structure: no guard, no main(): the data, the training call, the lines that use its result
(`acc = np.mean(predict(parameters, X) == Y)`) and the plot of the module-level `costs` list (which
nn_model appends to every 100 iterations) all run at import. A tool that caps the training must
hand back the partly trained parameters so that the accuracy and plot lines still run.

Expected diagnosis: error gradient-mismatch (shape), parameter b1, in backward_propagation.
Measured in float64 at the initial parameters: db1 has shape (1, 400) but b1 is (4, 1) (the true
db1 is [-0.01341, -0.00783, 0.00707, 0.02301]); the other gradients agree with central
differences: W1 2.5e-10, W2 1.6e-10, b2 1.7e-10. After one update b1 is (4, 400) and stays so.
Cost 0.8153 (it. 0) -> 0.0263 (it. 9000), training accuracy 99.50% although 19 of the 400 labels
(4.75%) were flipped at random: the per-example biases fit the noise. The twin: 0.8153 -> 0.3643,
84.50%. The plot runs (Agg backend): no user-code-error.
Correct twin: scr_predict_plot_ok.py.
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
    db1 = 1 / m * np.sum(dZ1, axis=0, keepdims=True)
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
    "verdict": "fail",
    "style": "course planar net, module-level script: parameters = nn_model(...), accuracy from predict, then plt.plot(costs); plt.show()",
    "twin": "scr_predict_plot_ok.py",
    "trains": True,
    "findings": [
        {"rule": "gradient-mismatch", "kind": "shape", "severity": "error", "parameter": "b1",
         "function": "backward_propagation"},
    ],
    "absent": ["user-code-error", "learning-rate", "cost-oscillation"],
}
