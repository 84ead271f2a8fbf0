"""A course-style L-layer network, written as learners write it (functions at module level).

Tests load a fresh copy of this module (load_model) and change its settings before training, so a
planted bug is one changed name: INIT_SCALE, the activation functions, the update step.
"""

import numpy as np

INIT_SCALE = "he"  # "he", "zeros", or a number multiplying randn
HIDDEN_BACKWARD = "relu"  # "sigmoid" plants field-guide case 4 (forward relu, backward sigmoid)
OUTPUT_ACTIVATION = "sigmoid"  # "relu" plants a ReLU output under a cross-entropy cost
EXTRA_ACTIVATION = False  # True plants case 8: a hidden activation applied to the output as well
SIGMOID_DERIVATIVE_BUG = False  # True plants case 3: sigmoid(z) * sigmoid(1 - z)
KEEP_UPDATE = True  # False plants "update result ignored"
UPDATE_SIGN = -1  # +1 plants W = W + learning_rate * dW
FIRST_BIAS = 0.0  # a large negative value kills every ReLU of layer 1 from the start
COST_STYLE = "plain"  # "plain" computes log(A) as is (NaN once A is exactly 0 or 1)
DW1_PLACEHOLDER = False  # True plants dW1 = np.zeros_like(W1): layer 1's gradient never filled in


def load_data(m=200, n_x=20, seed=1):
    rng = np.random.RandomState(seed)
    X = rng.randn(n_x, m)
    w = rng.randn(1, n_x)
    Y = (w @ X + 0.5 * rng.randn(1, m) > 0).astype(float)
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
    if SIGMOID_DERIVATIVE_BUG:
        return dA * s * (1 / (1 + np.exp(-(1 - Z))))
    return dA * s * (1 - s)


def initialize_parameters_deep(layer_dims):
    np.random.seed(3)
    parameters = {}
    for l in range(1, len(layer_dims)):
        if INIT_SCALE == "zeros":
            W = np.zeros((layer_dims[l], layer_dims[l - 1]))
        elif INIT_SCALE == "he":
            W = np.random.randn(layer_dims[l], layer_dims[l - 1]) * np.sqrt(2 / layer_dims[l - 1])
        else:
            W = np.random.randn(layer_dims[l], layer_dims[l - 1]) * INIT_SCALE
        parameters["W" + str(l)] = W
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1)) + (FIRST_BIAS if l == 1 else 0.0)
    return parameters


def linear_activation_forward(A_prev, W, b, activation):
    Z = W @ A_prev + b
    if activation == "sigmoid":
        A, activation_cache = sigmoid(Z)
    else:
        A, activation_cache = relu(Z)
    return A, ((A_prev, W, b), activation_cache)


def L_model_forward(X, parameters):
    caches = []
    A = X
    L = len(parameters) // 2
    for l in range(1, L):
        A, cache = linear_activation_forward(A, parameters["W" + str(l)], parameters["b" + str(l)], "relu")
        caches.append(cache)
    if EXTRA_ACTIVATION:  # the hidden-layer step runs once more, on the output layer
        A_prev, W, b = A, parameters["W" + str(L)], parameters["b" + str(L)]
        H, _ = relu(W @ A_prev + b)
        AL, cache = sigmoid(H)
        caches.append(((A_prev, W, b), cache))
        return AL, caches
    AL, cache = linear_activation_forward(A, parameters["W" + str(L)], parameters["b" + str(L)], OUTPUT_ACTIVATION)
    caches.append(cache)
    return AL, caches


def compute_cost(AL, Y):
    m = Y.shape[1]
    cost = -np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)) / m
    return float(np.squeeze(cost))


def linear_activation_backward(dA, cache, activation):
    (A_prev, W, b), activation_cache = cache
    if activation == "relu":
        dZ = relu_backward(dA, activation_cache)
    else:
        dZ = sigmoid_backward(dA, activation_cache)
    m = A_prev.shape[1]
    dW = dZ @ A_prev.T / m
    db = np.sum(dZ, axis=1, keepdims=True) / m
    dA_prev = W.T @ dZ
    return dA_prev, dW, db


def L_model_backward(AL, Y, caches):
    grads = {}
    L = len(caches)
    dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))
    grads["dA" + str(L - 1)], grads["dW" + str(L)], grads["db" + str(L)] = \
        linear_activation_backward(dAL, caches[L - 1], "sigmoid")
    for l in reversed(range(L - 1)):
        dA_prev, dW, db = linear_activation_backward(grads["dA" + str(l + 1)], caches[l], HIDDEN_BACKWARD)
        grads["dA" + str(l)] = dA_prev
        grads["dW" + str(l + 1)] = dW
        grads["db" + str(l + 1)] = db
    if DW1_PLACEHOLDER:
        grads["dW1"] = np.zeros_like(grads["dW1"])
    return grads


def update_parameters(parameters, grads, learning_rate):
    L = len(parameters) // 2
    for l in range(L):
        parameters["W" + str(l + 1)] = parameters["W" + str(l + 1)] + UPDATE_SIGN * learning_rate * grads["dW" + str(l + 1)]
        parameters["b" + str(l + 1)] = parameters["b" + str(l + 1)] + UPDATE_SIGN * learning_rate * grads["db" + str(l + 1)]
    return parameters


def L_layer_model(X, Y, layers_dims, learning_rate=0.0075, num_iterations=3000, print_cost=False):
    costs = []
    parameters = initialize_parameters_deep(layers_dims)
    for i in range(num_iterations):
        AL, caches = L_model_forward(X, parameters)
        cost = compute_cost(AL, Y)
        grads = L_model_backward(AL, Y, caches)
        if KEEP_UPDATE:
            parameters = update_parameters(parameters, grads, learning_rate)
        else:
            update_parameters(dict(parameters), grads, learning_rate)
        if print_cost and i % 100 == 0:
            print(f"Cost after iteration {i}: {cost}")
        costs.append(cost)
    return parameters, costs


def predict(X, parameters):
    AL, _ = L_model_forward(X, parameters)
    return (AL > 0.5).astype(float)


def two_layer_model(X, Y, layers_dims, learning_rate=0.0075, num_iterations=3000, print_cost=False):
    """The course's 2-layer loop: no forward or backward function, the steps are written inline."""
    costs = []
    parameters = initialize_parameters_deep(layers_dims)
    for i in range(num_iterations):
        W1, b1, W2, b2 = parameters["W1"], parameters["b1"], parameters["W2"], parameters["b2"]
        A1, cache1 = linear_activation_forward(X, W1, b1, "relu")
        A2, cache2 = linear_activation_forward(A1, W2, b2, "sigmoid")
        cost = compute_cost(A2, Y)
        dA2 = -(np.divide(Y, A2) - np.divide(1 - Y, 1 - A2))
        dA1, dW2, db2 = linear_activation_backward(dA2, cache2, "sigmoid")
        dA0, dW1, db1 = linear_activation_backward(dA1, cache1, "relu")
        grads = {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}
        parameters = update_parameters(parameters, grads, learning_rate)
        costs.append(cost)
    return parameters, costs
