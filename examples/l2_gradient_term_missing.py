"""L2-regularized three-layer network (LINEAR -> RELU -> LINEAR -> RELU -> LINEAR -> SIGMOID) on
noisy 2-D points, with the regularization term added to the cost but not to the gradients.

Field-guide case 11 (regularization). L2 regularization adds (lambd / (2 m)) * sum ||W||^2 to the
cost, so each dW gets an extra lambd / m * W. Here `compute_cost_with_regularization` adds the
penalty, but `backward_propagation_with_regularization` was copied from the plain backward pass
and never uses `lambd`: dW1, dW2 and dW3 are the gradients of the unregularized cost. Training
still runs and the cost still falls, only the weights are not shrunk: the result is the
unregularized model (more overfitting), and nothing looks wrong while it trains.

Expected diagnosis
------------------
error  gradient-mismatch (missing-term), W1, W2, W3 (one finding for the three): each dW lacks
       lambd / m * W = 0.002333 * W (lambd = 0.7, m = 300); b1, b2, b3 are right. Only the
       gradient check on the file sees this.
The runtime rules have nothing to say: the training itself is healthy (no warning, no error from
watching). Correct twin: correct_l2_regularization.py.
"""

import numpy as np

layers_dims = [2, 20, 3, 1]


def load_data(m=300, seed=3):
    """Where the goalkeeper kicked the ball (2 coordinates per column) and whether one of our own
    players headed it (1) or an opponent did (0); the boundary is wavy and 10% of labels are noise."""
    rng = np.random.RandomState(seed)
    X = rng.uniform(-0.75, 0.75, size=(2, m))
    boundary = 0.25 * np.sin(4 * X[0]) + 0.4 * X[0] ** 2 - 0.1
    y = (X[1] > boundary).astype(float)
    flip = rng.rand(m) < 0.1
    y[flip] = 1 - y[flip]
    return X, y.reshape(1, m)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def relu(x):
    return np.maximum(0, x)


def initialize_parameters(layer_dims):
    np.random.seed(3)
    parameters = {}
    L = len(layer_dims)
    for l in range(1, L):
        parameters["W" + str(l)] = np.random.randn(layer_dims[l], layer_dims[l - 1]) / np.sqrt(layer_dims[l - 1])
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1))
    return parameters


def forward_propagation(X, parameters):
    W1, b1 = parameters["W1"], parameters["b1"]
    W2, b2 = parameters["W2"], parameters["b2"]
    W3, b3 = parameters["W3"], parameters["b3"]

    Z1 = np.dot(W1, X) + b1
    A1 = relu(Z1)
    Z2 = np.dot(W2, A1) + b2
    A2 = relu(Z2)
    Z3 = np.dot(W3, A2) + b3
    A3 = sigmoid(Z3)

    cache = (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3)
    return A3, cache


def compute_cost(a3, Y):
    m = Y.shape[1]
    logprobs = np.multiply(-np.log(a3), Y) + np.multiply(-np.log(1 - a3), 1 - Y)
    return 1. / m * np.nansum(logprobs)


def compute_cost_with_regularization(A3, Y, parameters, lambd):
    m = Y.shape[1]
    W1 = parameters["W1"]
    W2 = parameters["W2"]
    W3 = parameters["W3"]

    cross_entropy_cost = compute_cost(A3, Y)
    L2_regularization_cost = lambd / (2 * m) * (np.sum(np.square(W1)) + np.sum(np.square(W2)) + np.sum(np.square(W3)))
    return cross_entropy_cost + L2_regularization_cost


def backward_propagation_with_regularization(X, Y, cache, lambd):
    m = X.shape[1]
    (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3) = cache

    dZ3 = A3 - Y
    dW3 = 1. / m * np.dot(dZ3, A2.T)  # BUG: + lambd / m * W3 is missing (and below for W2, W1)
    db3 = 1. / m * np.sum(dZ3, axis=1, keepdims=True)

    dA2 = np.dot(W3.T, dZ3)
    dZ2 = np.multiply(dA2, np.int64(A2 > 0))
    dW2 = 1. / m * np.dot(dZ2, A1.T)
    db2 = 1. / m * np.sum(dZ2, axis=1, keepdims=True)

    dA1 = np.dot(W2.T, dZ2)
    dZ1 = np.multiply(dA1, np.int64(A1 > 0))
    dW1 = 1. / m * np.dot(dZ1, X.T)
    db1 = 1. / m * np.sum(dZ1, axis=1, keepdims=True)

    gradients = {"dZ3": dZ3, "dW3": dW3, "db3": db3, "dA2": dA2,
                 "dZ2": dZ2, "dW2": dW2, "db2": db2, "dA1": dA1,
                 "dZ1": dZ1, "dW1": dW1, "db1": db1}
    return gradients


def update_parameters(parameters, grads, learning_rate):
    n = len(parameters) // 2
    for k in range(n):
        parameters["W" + str(k + 1)] = parameters["W" + str(k + 1)] - learning_rate * grads["dW" + str(k + 1)]
        parameters["b" + str(k + 1)] = parameters["b" + str(k + 1)] - learning_rate * grads["db" + str(k + 1)]
    return parameters


def model(X, Y, learning_rate=0.3, num_iterations=30000, print_cost=True, lambd=0.7):
    costs = []
    parameters = initialize_parameters(layers_dims)

    for i in range(0, num_iterations):
        a3, cache = forward_propagation(X, parameters)
        cost = compute_cost_with_regularization(a3, Y, parameters, lambd)
        grads = backward_propagation_with_regularization(X, Y, cache, lambd)
        parameters = update_parameters(parameters, grads, learning_rate)

        if print_cost and i % 10000 == 0:
            print("Cost after iteration {}: {}".format(i, cost))
        if print_cost and i % 1000 == 0:
            costs.append(cost)

    return parameters


def predict(X, y, parameters):
    a3, _ = forward_propagation(X, parameters)
    p = (a3 > 0.5).astype(float)
    print("Accuracy: " + str(np.mean(p == y)))
    return p


if __name__ == "__main__":
    X, Y = load_data()
    train_X, train_Y, test_X, test_Y = X[:, :200], Y[:, :200], X[:, 200:], Y[:, 200:]
    parameters = model(train_X, train_Y)
    print("On the training set:")
    predict(train_X, train_Y, parameters)
    print("On the test set:")
    predict(test_X, test_Y, parameters)


EXPECTED = {
    "verdict": "fail",
    "twin": "correct_l2_regularization.py",
    "cases": [11],
    "findings": [{"rule": "gradient-mismatch", "kind": "missing-term", "parameter": "W1", "severity": "error",
                  "parameters": ["W1", "W2", "W3"], "needs": "gradient-check"}],
    "absent": [],
}
