"""Cat / non-cat, two-layer network (LINEAR -> RELU -> LINEAR -> SIGMOID), learning rate 1.0.

Field-guide case 1: the learning rate is far too high. The course's default is 0.0075; with 1.0
the first updates are so large that they push every hidden ReLU's pre-activation below zero for
every image. From then on layer 1 outputs only zeros, dW1 and db1 are exactly 0, the output layer
can only learn the label average, and the cost freezes at one value for the rest of training.
The inputs are pixel-like (all positive, 0..1), which is what lets one big step kill a whole layer.

Expected diagnosis
------------------
error  learning-rate (too-high), layer 1, update_parameters: every ReLU of layer 1 outputs 0 for
       all 209 examples from some early iteration on, so dW1 is exactly 0 and the cost is flat.
The dead units, the zero gradient and the flat cost are symptoms of that one cause and are folded
into it (no separate dead-relu, zero-gradient or cost-plateau). The backward pass itself is right,
so a gradient check finds nothing. `randn * 0.01` in a 2-layer net may be noted as init-scale at
level info only. Its correct twin is correct_two_layer.py (same data, learning rate 0.0075).
"""

import numpy as np


def load_data(m=209, n_px=12, seed=1):
    """A small stand-in for the cat pictures: m grey 12x12 thumbnails flattened to 144 pixel values
    in [0, 1] (one column per picture), label 1 for a cat (about a third of them)."""
    rng = np.random.RandomState(seed)
    n_x = n_px * n_px
    Y = (rng.rand(1, m) < 0.35).astype(float)
    brightness = 0.5 * rng.rand(n_x, 1)       # how bright each pixel is on average
    cat_look = 0.05 * rng.randn(n_x, 1)       # what a cat changes in the picture
    X = brightness + 0.25 * rng.randn(n_x, m) + cat_look * (Y - 0.5)
    return np.clip(X, 0, 1), Y


def sigmoid(Z):
    return 1 / (1 + np.exp(-Z))


def relu(Z):
    return np.maximum(0, Z)


def initialize_parameters(n_x, n_h, n_y):
    np.random.seed(1)
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
    A1 = relu(Z1)
    Z2 = np.dot(W2, A1) + b2
    A2 = sigmoid(Z2)

    cache = {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}
    return A2, cache


def compute_cost(A2, Y):
    m = Y.shape[1]
    logprobs = Y * np.log(A2) + (1 - Y) * np.log(1 - A2)
    cost = -np.sum(logprobs) / m
    return float(np.squeeze(cost))


def backward_propagation(parameters, cache, X, Y):
    m = X.shape[1]
    W2 = parameters["W2"]
    A1 = cache["A1"]
    A2 = cache["A2"]
    Z1 = cache["Z1"]

    dZ2 = A2 - Y
    dW2 = np.dot(dZ2, A1.T) / m
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    dA1 = np.dot(W2.T, dZ2)
    dZ1 = dA1 * (Z1 > 0)
    dW1 = np.dot(dZ1, X.T) / m
    db1 = np.sum(dZ1, axis=1, keepdims=True) / m

    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


def update_parameters(parameters, grads, learning_rate):
    W1 = parameters["W1"] - learning_rate * grads["dW1"]
    b1 = parameters["b1"] - learning_rate * grads["db1"]
    W2 = parameters["W2"] - learning_rate * grads["dW2"]
    b2 = parameters["b2"] - learning_rate * grads["db2"]
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}


def predict(X, parameters):
    A2, _ = forward_propagation(X, parameters)
    return (A2 > 0.5).astype(float)


def model(X, Y, n_h=7, learning_rate=1.0, num_iterations=2500, print_cost=False):
    """Trains the two-layer network; learning_rate=1.0 is the bug (try 0.0075)."""
    n_x = X.shape[0]
    n_y = Y.shape[0]
    parameters = initialize_parameters(n_x, n_h, n_y)
    costs = []

    for i in range(num_iterations):
        A2, cache = forward_propagation(X, parameters)
        cost = compute_cost(A2, Y)
        grads = backward_propagation(parameters, cache, X, Y)
        parameters = update_parameters(parameters, grads, learning_rate)

        if print_cost and (i % 100 == 0 or i == num_iterations - 1):
            print("Cost after iteration {}: {}".format(i, cost))
        if i % 100 == 0:
            costs.append(cost)

    return parameters, costs


if __name__ == "__main__":
    train_x, train_y = load_data()
    parameters, costs = model(train_x, train_y, print_cost=True)
    accuracy = np.mean(predict(train_x, parameters) == train_y)
    print("Train accuracy: {:.3f}".format(accuracy))


EXPECTED = {
    "verdict": "fail",
    "twin": "correct_two_layer.py",
    "cases": [1],
    "findings": [{"rule": "learning-rate", "kind": "too-high", "layer": 1, "severity": "error",
                  "function": "update_parameters"}],
    "absent": ["dead-relu", "zero-gradient", "cost-plateau", "gradient-mismatch"],
}
