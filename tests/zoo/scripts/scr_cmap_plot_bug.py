"""Course-like functions (W1.., examples as columns), ReLU hidden layer and softmax on 4 Gaussian blobs; after training, a plot helper from a helper module written for an old matplotlib (`matplotlib.cm.get_cmap`, removed in 3.9).

Bug: the forward uses ReLU in layer 1 but the backward differentiates a sigmoid:
`dZ1 = sigmoid_backward(dA1, cache["A1"])` (dA * A * (1 - A)) instead of
`relu_backward(dA1, cache["Z1"])`. The helper sigmoid_backward is itself a correct sigmoid
derivative; it is used for the wrong layer. FIELD_GUIDE case 4.

Structure: under the guard: train(X, Y, n_h=16, learning_rate=0.5, num_iterations=5000), the
accuracy, then `plot_decision_boundary(...)` from scr_helpers_oldplot.py, whose first line
raises AttributeError: module 'matplotlib.cm' has no attribute 'get_cmap' (matplotlib >= 3.9).
That crash comes after training and must not stop or change the diagnosis.

Expected diagnosis: error activation-mismatch, layer 1 (forward ReLU, backward sigmoid
derivative); the gradient check's disagreements belong inside it; and a user-code-error warning
(never an error) for the removed get_cmap in plot_decision_boundary. Measured in float64 at the
initial parameters: dW1 equals (dA1 * A1 * (1 - A1)) @ X.T exactly, not the ReLU gradient;
relative error against central differences W1 0.967, b1 0.972, W2 1.2e-10, b2 5.7e-10 (no exact
kink: smallest |Z1| 7.3e-4). 35% of the layer-1 outputs exceed 1, where A * (1 - A) is negative, so
those units are pushed the wrong way and grow: max |A1| 13 (it. 0), 27 (1), 90 (2), 3.4e3 (3);
cost 1.6456 (it. 0), 1.5404 (1), 14.44 (2), nan from iteration 3 (the NaN is a consequence of the
mismatch); accuracy 0.25. With relu_backward (the twin) the same learning rate trains: 1.6456 ->
0.1482, accuracy 0.9425: the learning rate is not the cause.
Correct twin: scr_cmap_plot_ok.py.
"""

import matplotlib.pyplot as plt
import numpy as np

from scr_helpers_oldplot import plot_decision_boundary


def load_blobs(per_class=100, seed=8):
    """Four Gaussian blobs in the plane; X (2, m) as columns, Y one-hot (4, m), labels (m,)."""
    rng = np.random.RandomState(seed)
    centers = np.array([[-2.0, -2.0], [2.0, -2.0], [-2.0, 2.0], [2.0, 2.0]])
    X = np.hstack([(c + 1.1 * rng.randn(per_class, 2)).T for c in centers])
    labels = np.repeat(np.arange(4), per_class)
    Y = np.eye(4)[:, labels]
    return X, Y, labels


def relu(Z):
    return np.maximum(0, Z)


def sigmoid_backward(dA, A):
    return dA * A * (1 - A)


def relu_backward(dA, Z):
    return dA * (Z > 0)


def softmax(Z):
    E = np.exp(Z - Z.max(axis=0, keepdims=True))
    return E / E.sum(axis=0, keepdims=True)


def initialize_parameters(n_x, n_h, n_y):
    np.random.seed(1)
    return {"W1": np.random.randn(n_h, n_x) * np.sqrt(2.0 / n_x), "b1": np.zeros((n_h, 1)),
            "W2": np.random.randn(n_y, n_h) * np.sqrt(1.0 / n_h), "b2": np.zeros((n_y, 1))}


def forward_propagation(X, parameters):
    Z1 = parameters["W1"] @ X + parameters["b1"]
    A1 = relu(Z1)
    Z2 = parameters["W2"] @ A1 + parameters["b2"]
    A2 = softmax(Z2)
    return A2, {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}


def compute_cost(A2, Y):
    return float(-np.sum(Y * np.log(A2)) / Y.shape[1])


def backward_propagation(parameters, cache, X, Y):
    m = X.shape[1]
    dZ2 = (cache["A2"] - Y) / m
    dW2 = dZ2 @ cache["A1"].T
    db2 = np.sum(dZ2, axis=1, keepdims=True)
    dA1 = parameters["W2"].T @ dZ2
    dZ1 = sigmoid_backward(dA1, cache["A1"])
    dW1 = dZ1 @ X.T
    db1 = np.sum(dZ1, axis=1, keepdims=True)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


def update_parameters(parameters, grads, learning_rate):
    for key in parameters:
        parameters[key] = parameters[key] - learning_rate * grads["d" + key]
    return parameters


def train(X, Y, n_h, learning_rate=0.5, num_iterations=5000, print_cost=True):
    parameters = initialize_parameters(X.shape[0], n_h, Y.shape[0])
    costs = []
    for i in range(num_iterations):
        A2, cache = forward_propagation(X, parameters)
        cost = compute_cost(A2, Y)
        grads = backward_propagation(parameters, cache, X, Y)
        parameters = update_parameters(parameters, grads, learning_rate)
        costs.append(cost)
        if print_cost and i % 1000 == 0:
            print("iteration %d: cost %.4f" % (i, cost))
    return parameters, costs


def predict(parameters, X):
    A2, _ = forward_propagation(X, parameters)
    return np.argmax(A2, axis=0)


if __name__ == "__main__":
    X, Y, labels = load_blobs()
    parameters, costs = train(X, Y, n_h=16, learning_rate=0.5, num_iterations=5000)
    print("training accuracy:", np.mean(predict(parameters, X) == labels))
    plot_decision_boundary(lambda points: predict(parameters, points), X, labels)
    plt.title("ReLU hidden layer, 16 units")
    plt.show()


EXPECTED = {
    "verdict": "fail",
    "style": "course-like functions, softmax on 4 blobs, examples as columns; a helper module's plot (matplotlib.cm.get_cmap) after training",
    "twin": "scr_cmap_plot_ok.py",
    "trains": True,
    "findings": [
        {"rule": "activation-mismatch", "severity": "error", "layer": 1},
        {"rule": "user-code-error", "severity": "warning", "function": "plot_decision_boundary"},
    ],
    "absent": ["activation-derivative", "output-activation", "learning-rate"],
}
