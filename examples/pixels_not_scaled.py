"""Cat / non-cat, the course's two-layer loop, with the pixels left at 0..255 (field-guide cases 15, 17).

The course divides the flattened images by 255 before training; this file forgets it. The
pre-activations of the first layer are then 255 times larger than intended: ReLU units die or
blow up and the cost does not go down as it should. The backprop itself is right.

Expected diagnosis
------------------
warning  unnormalized-input (pixels): the inputs look like raw 0-255 pixel values; divide by 255.
Whatever the training then does wrong (dead units, a jumpy cost) is reported at level info only,
as a consequence of the raw inputs. Correct twin: correct_two_layer.py.
"""

import numpy as np

layers_dims = (144, 7, 1)  # n_x, n_h, n_y


def load_data(m=209, n_px=12, seed=1):
    """m grey 12x12 thumbnails as columns of 144 pixel values 0..255; label 1 = cat."""
    rng = np.random.RandomState(seed)
    n_x = n_px * n_px
    Y = (rng.rand(1, m) < 0.35).astype(float)
    brightness = 0.5 * rng.rand(n_x, 1)
    cat_look = 0.12 * rng.randn(n_x, 1)
    X = brightness + 0.25 * rng.randn(n_x, m) + cat_look * (Y - 0.5)
    return np.round(np.clip(X, 0, 1) * 255), Y   # the pixels as stored, 0..255: "/ 255" forgotten


def sigmoid(Z):
    A = 1 / (1 + np.exp(-Z))
    cache = Z
    return A, cache


def relu(Z):
    A = np.maximum(0, Z)
    cache = Z
    return A, cache


def sigmoid_backward(dA, cache):
    Z = cache
    s = 1 / (1 + np.exp(-Z))
    return dA * s * (1 - s)


def relu_backward(dA, cache):
    Z = cache
    dZ = np.array(dA, copy=True)
    dZ[Z <= 0] = 0
    return dZ


def initialize_parameters(n_x, n_h, n_y):
    np.random.seed(1)
    return {"W1": np.random.randn(n_h, n_x) * 0.01, "b1": np.zeros((n_h, 1)),
            "W2": np.random.randn(n_y, n_h) * 0.01, "b2": np.zeros((n_y, 1))}


def linear_activation_forward(A_prev, W, b, activation):
    Z = np.dot(W, A_prev) + b
    linear_cache = (A_prev, W, b)
    if activation == "sigmoid":
        A, activation_cache = sigmoid(Z)
    elif activation == "relu":
        A, activation_cache = relu(Z)
    return A, (linear_cache, activation_cache)


def compute_cost(AL, Y):
    m = Y.shape[1]
    cost = -(1 / m) * np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL))
    return float(np.squeeze(cost))


def linear_activation_backward(dA, cache, activation):
    linear_cache, activation_cache = cache
    if activation == "relu":
        dZ = relu_backward(dA, activation_cache)
    elif activation == "sigmoid":
        dZ = sigmoid_backward(dA, activation_cache)
    A_prev, W, b = linear_cache
    m = A_prev.shape[1]
    dW = (1 / m) * np.dot(dZ, A_prev.T)
    db = (1 / m) * np.sum(dZ, axis=1, keepdims=True)
    dA_prev = np.dot(W.T, dZ)
    return dA_prev, dW, db


def update_parameters(parameters, grads, learning_rate):
    L = len(parameters) // 2
    for l in range(1, L + 1):
        parameters["W" + str(l)] = parameters["W" + str(l)] - learning_rate * grads["dW" + str(l)]
        parameters["b" + str(l)] = parameters["b" + str(l)] - learning_rate * grads["db" + str(l)]
    return parameters


def two_layer_model(X, Y, layers_dims, learning_rate=0.0075, num_iterations=2500, print_cost=False):
    grads = {}
    costs = []
    (n_x, n_h, n_y) = layers_dims
    parameters = initialize_parameters(n_x, n_h, n_y)

    for i in range(num_iterations):
        W1 = parameters["W1"]
        b1 = parameters["b1"]
        W2 = parameters["W2"]
        b2 = parameters["b2"]

        # forward: LINEAR -> RELU -> LINEAR -> SIGMOID
        A1, cache1 = linear_activation_forward(X, W1, b1, "relu")
        A2, cache2 = linear_activation_forward(A1, W2, b2, "sigmoid")

        cost = compute_cost(A2, Y)

        # backward
        dA2 = -(np.divide(Y, A2) - np.divide(1 - Y, 1 - A2))
        dA1, dW2, db2 = linear_activation_backward(dA2, cache2, "sigmoid")
        dA0, dW1, db1 = linear_activation_backward(dA1, cache1, "relu")
        grads["dW1"] = dW1
        grads["db1"] = db1
        grads["dW2"] = dW2
        grads["db2"] = db2

        parameters = update_parameters(parameters, grads, learning_rate)

        if print_cost and (i % 100 == 0 or i == num_iterations - 1):
            print("Cost after iteration {}: {}".format(i, np.squeeze(cost)))
        if i % 100 == 0 or i == num_iterations:
            costs.append(cost)

    return parameters, costs


def predict(X, parameters):
    A1, _ = linear_activation_forward(X, parameters["W1"], parameters["b1"], "relu")
    A2, _ = linear_activation_forward(A1, parameters["W2"], parameters["b2"], "sigmoid")
    return (A2 > 0.5).astype(float)


if __name__ == "__main__":
    train_x, train_y = load_data()
    parameters, costs = two_layer_model(train_x, train_y, layers_dims, print_cost=True)
    print("Train accuracy:", np.mean(predict(train_x, parameters) == train_y))


EXPECTED = {
    "verdict": "warn",
    "twin": "correct_two_layer.py",
    "cases": [15, 17],
    "findings": [{"rule": "unnormalized-input", "kind": "pixels", "severity": "warning", "needs": "data-checks"}],
    "absent": ["gradient-mismatch", "train-test-leakage"],
    # watching the training alone (no data check) sees the symptom: every ReLU dies at iteration 15
    "watch_only": ["learning-rate"],
}
