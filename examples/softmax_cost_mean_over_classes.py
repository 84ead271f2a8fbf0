"""Hand-sign classifier (6 classes), tanh hidden layer, softmax output, mini-batches, whose cost
averages over the classes as well as over the examples.

Field-guide case 5 (cost scale mismatch). The cost is written

    cost = -np.mean(Y * np.log(A2 + 1e-9))

Y and A2 are (6, m), so np.mean divides by 6 * m, not by m: the printed cost is 6 times too small
(about ln(6) / 6 = 0.30 at the start instead of ln(6) = 1.79). The backward pass uses the usual
dZ2 = (A2 - Y) / m, which is the gradient of the cost averaged over the examples only, so every
gradient is 6 times the gradient of the cost this file computes. Training still works (the
learning rate absorbs the factor), which is why it goes unnoticed. The `+ 1e-9` also hides a
saturated softmax instead of computing a stable log-softmax.

Expected diagnosis
------------------
warning  initial-cost: the cost at iteration 0 is about ln(6) / 6 instead of ln(6): averaged over
         the 6 classes too.
error    gradient-mismatch (scale), W1, b1, W2, b2 (one finding for all four): each gradient is
         6 x (the number of classes) the numerical gradient of compute_cost. Found by the
         gradient check on the file.
Correct twin: correct_softmax_minibatch.py.
"""

import numpy as np


def load_data(m=600, n_px=8, classes=6, seed=3):
    """m 8x8 grey thumbnails of hands showing 0..5 fingers (as columns of 64 values in [0, 1]) and
    one-hot labels (6 x m)."""
    rng = np.random.RandomState(seed)
    n_x = n_px * n_px
    prototypes = rng.rand(classes, n_x)
    labels = rng.randint(classes, size=m)
    X = np.clip(0.6 * prototypes[labels] + 0.2 + 0.25 * rng.randn(m, n_x), 0, 1).T
    Y = np.eye(classes)[labels].T
    return X, Y


def softmax(Z):
    e = np.exp(Z - np.max(Z, axis=0, keepdims=True))
    return e / np.sum(e, axis=0, keepdims=True)


def tanh(Z):
    return np.tanh(Z)


def initialize_parameters(n_x, n_h, n_y):
    np.random.seed(1)
    W1 = np.random.randn(n_h, n_x) * np.sqrt(1 / n_x)
    b1 = np.zeros((n_h, 1))
    W2 = np.random.randn(n_y, n_h) * np.sqrt(1 / n_h)
    b2 = np.zeros((n_y, 1))
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}


def random_mini_batches(X, Y, mini_batch_size=64, seed=0):
    np.random.seed(seed)
    m = X.shape[1]
    mini_batches = []
    permutation = list(np.random.permutation(m))
    shuffled_X = X[:, permutation]
    shuffled_Y = Y[:, permutation]
    num_complete = m // mini_batch_size
    for k in range(num_complete):
        mini_batch_X = shuffled_X[:, k * mini_batch_size:(k + 1) * mini_batch_size]
        mini_batch_Y = shuffled_Y[:, k * mini_batch_size:(k + 1) * mini_batch_size]
        mini_batches.append((mini_batch_X, mini_batch_Y))
    if m % mini_batch_size != 0:
        mini_batch_X = shuffled_X[:, num_complete * mini_batch_size:]
        mini_batch_Y = shuffled_Y[:, num_complete * mini_batch_size:]
        mini_batches.append((mini_batch_X, mini_batch_Y))
    return mini_batches


def forward_propagation(X, parameters):
    Z1 = np.dot(parameters["W1"], X) + parameters["b1"]
    A1 = tanh(Z1)
    Z2 = np.dot(parameters["W2"], A1) + parameters["b2"]
    A2 = softmax(Z2)
    cache = (Z1, A1, Z2, A2)
    return A2, cache


def compute_cost(A2, Y):
    cost = -np.mean(Y * np.log(A2 + 1e-9))  # BUG: the mean runs over the 6 classes too
    return cost


def backward_propagation(parameters, cache, X, Y):
    m = X.shape[1]
    Z1, A1, Z2, A2 = cache
    dZ2 = (A2 - Y) / m
    dW2 = np.dot(dZ2, A1.T)
    db2 = np.sum(dZ2, axis=1, keepdims=True)
    dZ1 = np.dot(parameters["W2"].T, dZ2) * (1 - A1 ** 2)
    dW1 = np.dot(dZ1, X.T)
    db1 = np.sum(dZ1, axis=1, keepdims=True)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


def update_parameters(parameters, grads, learning_rate):
    for key in ("W1", "b1", "W2", "b2"):
        parameters[key] = parameters[key] - learning_rate * grads["d" + key]
    return parameters


def model(X, Y, n_h=25, learning_rate=0.1, num_epochs=100, mini_batch_size=64, print_cost=True):
    parameters = initialize_parameters(X.shape[0], n_h, Y.shape[0])
    costs = []
    seed = 3
    for epoch in range(num_epochs):
        seed = seed + 1
        epoch_cost = 0.0
        minibatches = random_mini_batches(X, Y, mini_batch_size, seed)
        for minibatch_X, minibatch_Y in minibatches:
            A2, cache = forward_propagation(minibatch_X, parameters)
            epoch_cost += compute_cost(A2, minibatch_Y) / len(minibatches)
            grads = backward_propagation(parameters, cache, minibatch_X, minibatch_Y)
            parameters = update_parameters(parameters, grads, learning_rate)
        if print_cost and epoch % 10 == 0:
            print("Cost after epoch %i: %f" % (epoch, epoch_cost))
        costs.append(epoch_cost)
    return parameters, costs


def predict(X, parameters):
    A2, _ = forward_propagation(X, parameters)
    return np.argmax(A2, axis=0)


if __name__ == "__main__":
    X, Y = load_data()
    X_train, Y_train, X_test, Y_test = X[:, :480], Y[:, :480], X[:, 480:], Y[:, 480:]
    parameters, costs = model(X_train, Y_train)
    print("Train accuracy:", np.mean(predict(X_train, parameters) == np.argmax(Y_train, axis=0)))
    print("Test accuracy:", np.mean(predict(X_test, parameters) == np.argmax(Y_test, axis=0)))


EXPECTED = {
    "verdict": "fail",
    "twin": "correct_softmax_minibatch.py",
    "cases": [5],
    "findings": [{"rule": "initial-cost", "severity": "warning", "function": "compute_cost"}]
    + [{"rule": "gradient-mismatch", "kind": "scale", "parameter": "W1", "factor": 6, "severity": "error",
        "parameters": ["W1", "b1", "W2", "b2"], "needs": "gradient-check"}],
    "absent": ["output-activation", "cost-oscillation"],
}
