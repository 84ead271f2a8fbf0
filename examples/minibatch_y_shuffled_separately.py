"""A one-hidden-layer network trained with mini-batches whose labels are shuffled on their own.

Field-guide case 20: `random_mini_batches(X, Y, mini_batch_size, seed)` must shuffle X and Y with
one permutation, so that every column of a batch keeps its example's label. This one calls
`np.random.permutation(m)` twice, once for X and once for Y: every batch pairs inputs with the
labels of other examples. The labels become random noise, the network has nothing to learn, and
the cost sits at ln 2 = 0.693 from the first epochs to the last (train accuracy 0.5), with a forward pass,
a backward pass and an update that are all right: the gradient check passes.

Expected diagnosis
------------------
error  mini-batch (misaligned), random_mini_batches: (nearly) every column of every batch holds X
       of one example and Y of another (148 of 148 on the probe's data, seed 1); X and Y were
       shuffled with two different permutations (found by calling the builder with data whose every
       column carries its own index).
Watching the training alone finds nothing: the cost wanders around ln 2 (0.693-0.699 from epoch
20 on, mini-batch noise), which is neither a clean plateau nor a bug in any step it can check.
Correct twin: minibatch_correct.py.
"""

import numpy as np


def load_data(m=400, seed=2):
    """Two Gaussian clouds in 2-D, as columns: X (2, m), Y (1, m), label 1 for the cloud on the right."""
    rng = np.random.RandomState(seed)
    Y = (np.arange(m) % 2).reshape(1, m).astype(float)
    X = rng.randn(2, m) * 0.8
    X[0] += 2.0 * Y[0] - 1.0
    X[1] += 1.0 * Y[0] - 0.5
    return X, Y


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def initialize_parameters(n_x, n_h, n_y):
    np.random.seed(2)
    W1 = np.random.randn(n_h, n_x) * 0.5
    b1 = np.zeros((n_h, 1))
    W2 = np.random.randn(n_y, n_h) * 0.5
    b2 = np.zeros((n_y, 1))
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}


def random_mini_batches(X, Y, mini_batch_size=64, seed=0):
    np.random.seed(seed)
    m = X.shape[1]
    mini_batches = []
    shuffled_X = X[:, np.random.permutation(m)]
    shuffled_Y = Y[:, np.random.permutation(m)]  # BUG: a second permutation, not the one used for X
    num_complete_minibatches = m // mini_batch_size
    for k in range(num_complete_minibatches):
        mini_batch_X = shuffled_X[:, k * mini_batch_size:(k + 1) * mini_batch_size]
        mini_batch_Y = shuffled_Y[:, k * mini_batch_size:(k + 1) * mini_batch_size]
        mini_batches.append((mini_batch_X, mini_batch_Y))
    if m % mini_batch_size != 0:
        mini_batch_X = shuffled_X[:, num_complete_minibatches * mini_batch_size:]
        mini_batch_Y = shuffled_Y[:, num_complete_minibatches * mini_batch_size:]
        mini_batches.append((mini_batch_X, mini_batch_Y))
    return mini_batches


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
    A1, A2 = cache["A1"], cache["A2"]
    dZ2 = A2 - Y
    dW2 = np.dot(dZ2, A1.T) / m
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    dZ1 = np.dot(parameters["W2"].T, dZ2) * (1 - np.power(A1, 2))
    dW1 = np.dot(dZ1, X.T) / m
    db1 = np.sum(dZ1, axis=1, keepdims=True) / m
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


def update_parameters(parameters, grads, learning_rate=0.5):
    for key in ("W1", "b1", "W2", "b2"):
        parameters[key] = parameters[key] - learning_rate * grads["d" + key]
    return parameters


def model(X, Y, n_h=4, learning_rate=0.5, mini_batch_size=64, num_epochs=200, print_cost=True):
    parameters = initialize_parameters(X.shape[0], n_h, Y.shape[0])
    m = X.shape[1]
    costs = []
    seed = 0
    for epoch in range(num_epochs):
        seed = seed + 1
        epoch_cost = 0.0
        for minibatch_X, minibatch_Y in random_mini_batches(X, Y, mini_batch_size, seed):
            A2, cache = forward_propagation(minibatch_X, parameters)
            epoch_cost += compute_cost(A2, minibatch_Y) * minibatch_X.shape[1] / m
            grads = backward_propagation(parameters, cache, minibatch_X, minibatch_Y)
            parameters = update_parameters(parameters, grads, learning_rate)
        if print_cost and epoch % 20 == 0:
            print("Cost after epoch %i: %f" % (epoch, epoch_cost))
        costs.append(epoch_cost)
    return parameters, costs


def predict(X, parameters):
    A2, _ = forward_propagation(X, parameters)
    return (A2 > 0.5).astype(float)


if __name__ == "__main__":
    X, Y = load_data()
    parameters, costs = model(X, Y)
    print("Train accuracy:", np.mean(predict(X, parameters) == Y))


EXPECTED = {
    "verdict": "fail",
    "twin": "minibatch_correct.py",
    "cases": [20],
    "findings": [{"rule": "mini-batch", "kind": "misaligned", "severity": "error",
                  "function": "random_mini_batches", "needs": "probes"}],
    "absent": ["gradient-mismatch", "learning-rate", "parameters-not-updated"],
}
