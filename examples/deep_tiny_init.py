"""A deep course-style network initialized with `np.random.randn(...) * 0.01`: it never gets going.

Field-guide cases 10 / 15 (bad initialization scale; loss not decreasing). `* 0.01` is what the
course uses for its 2-layer net, and there it is fine. In a 5-layer ReLU net every layer shrinks
the signal by about 0.01 * sqrt(n_prev / 2) (0.02 to 0.05 here), so the output is almost the same
for every example and almost no gradient reaches the first layers: the cost sits at ln 2 = 0.6931
and the first layer hardly moves.

Expected diagnosis
------------------
warning  vanishing-gradient, parameter W1: ||dW1|| is a few 1e-7 of ||W1|| while the cost is stuck.
warning  init-scale (too-small): W1 .. W5 start 20 to 60 times below the He (ReLU layers) or Xavier
         (sigmoid output) scale for their fan-in, and the cost went flat.
The slow cost is explained by these two; no learning-rate finding (raising the learning rate is
not the fix). A gradient check passes. Fix: He initialization, `* np.sqrt(2 / layer_dims[l - 1])`,
as in correct_deep.py.
"""

import numpy as np

layers_dims = [40, 20, 10, 10, 10, 1]  # 5-layer model


def load_data(m=400, n_x=40, seed=2):
    """m examples as columns of n_x features; the label depends on the features non-linearly."""
    rng = np.random.RandomState(seed)
    X = rng.randn(n_x, m)
    w = rng.randn(1, n_x) / np.sqrt(n_x)
    score = 2 * (w @ X) + X[0:1] * X[1:2] - 0.5 * X[2:3] ** 2 + 0.3 * rng.randn(1, m)
    Y = (score > np.median(score)).astype(float)
    return X, Y


def sigmoid(Z):
    A = 1 / (1 + np.exp(-Z))
    return A, Z


def relu(Z):
    A = np.maximum(0, Z)
    return A, Z


def relu_backward(dA, cache):
    Z = cache
    dZ = np.array(dA, copy=True)
    dZ[Z <= 0] = 0
    return dZ


def sigmoid_backward(dA, cache):
    Z = cache
    s = 1 / (1 + np.exp(-Z))
    return dA * s * (1 - s)


def initialize_parameters_deep(layer_dims):
    np.random.seed(3)
    parameters = {}
    L = len(layer_dims)
    for l in range(1, L):
        parameters["W" + str(l)] = np.random.randn(layer_dims[l], layer_dims[l - 1]) * 0.01
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1))
    return parameters


def linear_forward(A, W, b):
    Z = np.dot(W, A) + b
    cache = (A, W, b)
    return Z, cache


def linear_activation_forward(A_prev, W, b, activation):
    Z, linear_cache = linear_forward(A_prev, W, b)
    if activation == "sigmoid":
        A, activation_cache = sigmoid(Z)
    elif activation == "relu":
        A, activation_cache = relu(Z)
    cache = (linear_cache, activation_cache)
    return A, cache


def L_model_forward(X, parameters):
    caches = []
    A = X
    L = len(parameters) // 2  # number of layers

    # [LINEAR -> RELU] * (L-1)
    for l in range(1, L):
        A_prev = A
        A, cache = linear_activation_forward(A_prev, parameters["W" + str(l)], parameters["b" + str(l)], "relu")
        caches.append(cache)

    # LINEAR -> SIGMOID
    AL, cache = linear_activation_forward(A, parameters["W" + str(L)], parameters["b" + str(L)], "sigmoid")
    caches.append(cache)
    return AL, caches


def compute_cost(AL, Y):
    m = Y.shape[1]
    cost = (-1 / m) * np.sum(np.multiply(Y, np.log(AL)) + np.multiply(1 - Y, np.log(1 - AL)))
    return float(np.squeeze(cost))


def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    dW = (1 / m) * np.dot(dZ, A_prev.T)
    db = (1 / m) * np.sum(dZ, axis=1, keepdims=True)
    dA_prev = np.dot(W.T, dZ)
    return dA_prev, dW, db


def linear_activation_backward(dA, cache, activation):
    linear_cache, activation_cache = cache
    if activation == "relu":
        dZ = relu_backward(dA, activation_cache)
    elif activation == "sigmoid":
        dZ = sigmoid_backward(dA, activation_cache)
    return linear_backward(dZ, linear_cache)


def L_model_backward(AL, Y, caches):
    grads = {}
    L = len(caches)
    Y = Y.reshape(AL.shape)

    dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))

    current_cache = caches[L - 1]
    dA_prev_temp, dW_temp, db_temp = linear_activation_backward(dAL, current_cache, "sigmoid")
    grads["dA" + str(L - 1)] = dA_prev_temp
    grads["dW" + str(L)] = dW_temp
    grads["db" + str(L)] = db_temp

    for l in reversed(range(L - 1)):
        current_cache = caches[l]
        dA_prev_temp, dW_temp, db_temp = linear_activation_backward(grads["dA" + str(l + 1)], current_cache, "relu")
        grads["dA" + str(l)] = dA_prev_temp
        grads["dW" + str(l + 1)] = dW_temp
        grads["db" + str(l + 1)] = db_temp

    return grads


def update_parameters(parameters, grads, learning_rate):
    L = len(parameters) // 2
    for l in range(L):
        parameters["W" + str(l + 1)] = parameters["W" + str(l + 1)] - learning_rate * grads["dW" + str(l + 1)]
        parameters["b" + str(l + 1)] = parameters["b" + str(l + 1)] - learning_rate * grads["db" + str(l + 1)]
    return parameters


def L_layer_model(X, Y, layers_dims, learning_rate=0.0075, num_iterations=2500, print_cost=False):
    costs = []
    parameters = initialize_parameters_deep(layers_dims)

    for i in range(0, num_iterations):
        AL, caches = L_model_forward(X, parameters)
        cost = compute_cost(AL, Y)
        grads = L_model_backward(AL, Y, caches)
        parameters = update_parameters(parameters, grads, learning_rate)

        if print_cost and (i % 100 == 0 or i == num_iterations - 1):
            print("Cost after iteration {}: {}".format(i, cost))
        if i % 100 == 0 or i == num_iterations:
            costs.append(cost)

    return parameters, costs


def predict(X, y, parameters):
    probas, caches = L_model_forward(X, parameters)
    p = (probas > 0.5).astype(float)
    print("Accuracy: " + str(np.mean(p == y)))
    return p


if __name__ == "__main__":
    X, Y = load_data()
    train_x, train_y, test_x, test_y = X[:, :300], Y[:, :300], X[:, 300:], Y[:, 300:]
    parameters, costs = L_layer_model(train_x, train_y, layers_dims, print_cost=True)
    predict(train_x, train_y, parameters)
    predict(test_x, test_y, parameters)


EXPECTED = {
    "verdict": "warn",
    "twin": "correct_deep.py",
    "cases": [10, 15],
    "findings": [{"rule": "vanishing-gradient", "parameter": "W1", "severity": "warning"},
                 {"rule": "init-scale", "kind": "too-small", "severity": "warning"}],
    "absent": ["learning-rate", "gradient-mismatch", "symmetric-init"],
}
