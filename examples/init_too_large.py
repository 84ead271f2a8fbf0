"""Three-layer network (LINEAR -> RELU -> LINEAR -> RELU -> LINEAR -> SIGMOID) on two circles,
initialized with `np.random.randn(...) * 10`.

Field-guide case 10 (initialization too large). The weights start about 10 times larger than He
(`sqrt(2 / n_prev)`, 1.0 for W1 and 0.45 for W2 here), so the pre-activations are huge, the output
sigmoid is saturated at exactly 0 or 1 for some examples, and log(0) makes the cost inf at
iteration 0. Training still creeps along afterwards, slowly and badly (the course's run: 0.38 after
14,000 iterations, train accuracy 0.83).

Expected diagnosis
------------------
error    non-finite, iteration 0, in the cost: log(0) of a saturated sigmoid output.
warning  init-scale (too-large): W1, W2, W3 start far above the He scale for their fan-in.
Not a learning-rate problem (the cost is inf before any update) and not a gradient bug (a gradient
check passes). Correct twin: correct_he_init.py.
"""

import numpy as np

layers_dims = [2, 10, 5, 1]


def load_data(m=300, seed=1):
    """Two noisy concentric circles (like sklearn's make_circles): blue points (1) inside, red (0) out."""
    rng = np.random.RandomState(seed)
    t = rng.rand(m) * 2 * np.pi
    y = np.arange(m) % 2
    r = np.where(y == 1, 0.8, 1.0)
    X = np.vstack([r * np.cos(t), r * np.sin(t)]) + 0.05 * rng.randn(2, m)
    return X, y.reshape(1, m).astype(float)


def sigmoid(x):
    s = 1 / (1 + np.exp(-x))
    return s


def relu(x):
    s = np.maximum(0, x)
    return s


def initialize_parameters_random(layers_dims):
    np.random.seed(3)
    parameters = {}
    L = len(layers_dims)
    for l in range(1, L):
        parameters["W" + str(l)] = np.random.randn(layers_dims[l], layers_dims[l - 1]) * 10
        parameters["b" + str(l)] = np.zeros((layers_dims[l], 1))
    return parameters


def forward_propagation(X, parameters):
    W1 = parameters["W1"]
    b1 = parameters["b1"]
    W2 = parameters["W2"]
    b2 = parameters["b2"]
    W3 = parameters["W3"]
    b3 = parameters["b3"]

    z1 = np.dot(W1, X) + b1
    a1 = relu(z1)
    z2 = np.dot(W2, a1) + b2
    a2 = relu(z2)
    z3 = np.dot(W3, a2) + b3
    a3 = sigmoid(z3)

    cache = (z1, a1, W1, b1, z2, a2, W2, b2, z3, a3, W3, b3)
    return a3, cache


def compute_loss(a3, Y):
    m = Y.shape[1]
    logprobs = np.multiply(-np.log(a3), Y) + np.multiply(-np.log(1 - a3), 1 - Y)
    loss = 1. / m * np.nansum(logprobs)
    return loss


def backward_propagation(X, Y, cache):
    m = X.shape[1]
    (z1, a1, W1, b1, z2, a2, W2, b2, z3, a3, W3, b3) = cache

    dz3 = 1. / m * (a3 - Y)
    dW3 = np.dot(dz3, a2.T)
    db3 = np.sum(dz3, axis=1, keepdims=True)

    da2 = np.dot(W3.T, dz3)
    dz2 = np.multiply(da2, np.int64(a2 > 0))
    dW2 = np.dot(dz2, a1.T)
    db2 = np.sum(dz2, axis=1, keepdims=True)

    da1 = np.dot(W2.T, dz2)
    dz1 = np.multiply(da1, np.int64(a1 > 0))
    dW1 = np.dot(dz1, X.T)
    db1 = np.sum(dz1, axis=1, keepdims=True)

    gradients = {"dz3": dz3, "dW3": dW3, "db3": db3,
                 "da2": da2, "dz2": dz2, "dW2": dW2, "db2": db2,
                 "da1": da1, "dz1": dz1, "dW1": dW1, "db1": db1}
    return gradients


def update_parameters(parameters, grads, learning_rate):
    L = len(parameters) // 2
    for k in range(L):
        parameters["W" + str(k + 1)] = parameters["W" + str(k + 1)] - learning_rate * grads["dW" + str(k + 1)]
        parameters["b" + str(k + 1)] = parameters["b" + str(k + 1)] - learning_rate * grads["db" + str(k + 1)]
    return parameters


def model(X, Y, learning_rate=0.01, num_iterations=15000, print_cost=True):
    costs = []
    parameters = initialize_parameters_random(layers_dims)

    for i in range(num_iterations):
        a3, cache = forward_propagation(X, parameters)
        cost = compute_loss(a3, Y)
        grads = backward_propagation(X, Y, cache)
        parameters = update_parameters(parameters, grads, learning_rate)

        if print_cost and i % 1000 == 0:
            print("Cost after iteration {}: {}".format(i, cost))
            costs.append(cost)

    return parameters


def predict(X, y, parameters):
    a3, caches = forward_propagation(X, parameters)
    p = (a3 > 0.5).astype(int)
    print("Accuracy: " + str(np.mean(p[0, :] == y[0, :])))
    return p


if __name__ == "__main__":
    train_X, train_Y = load_data()
    parameters = model(train_X, train_Y)
    print("On the train set:")
    predictions_train = predict(train_X, train_Y, parameters)


EXPECTED = {
    "verdict": "fail",
    "twin": "correct_he_init.py",
    "cases": [10],
    "findings": [{"rule": "non-finite", "severity": "error"},
                 {"rule": "init-scale", "kind": "too-large", "severity": "warning"}],
    "absent": ["learning-rate", "symmetric-init", "gradient-mismatch"],
}
