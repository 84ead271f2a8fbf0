"""The course's "optimization" network trained with Adam, whose update forgets the bias correction.

Field-guide case 19: Adam keeps two moving averages, v = beta1 * v + (1 - beta1) * dW and
s = beta2 * s + (1 - beta2) * dW**2, both starting at zero, and divides them by (1 - beta1**t) and
(1 - beta2**t) before stepping by learning_rate * v_corrected / (sqrt(s_corrected) + epsilon).
This `update_parameters_with_adam` steps with the raw v and s. The first step is then
0.1 / sqrt(0.001) = 3.16 times the intended one, and for the first hundreds of steps the step
sizes are off; the final accuracy hardly shows it (0.96 on the moons either way), and
neither a gradient check nor the cost curve can see it.

Expected diagnosis
------------------
error  optimizer-update (bias-correction), update_parameters_with_adam: neither v nor s is
       divided by its correction; at t = 1 an entry moves by 3.16 x the step of Adam's formula
       (found by probing the update function on controlled inputs, over 4 consecutive calls).
Watching the training finds nothing else: the cost falls, the gradients match.
Correct twin: adam_correct.py.
"""

import math

import numpy as np

layers_dims = [2, 6, 4, 1]


def load_data(m=300, noise=0.2, seed=3):
    """Two interleaving half circles ("moons"), as columns: X (2, m), Y (1, m)."""
    rng = np.random.RandomState(seed)
    t = rng.rand(m) * np.pi
    y = np.arange(m) % 2
    x1 = np.where(y == 0, np.cos(t), 1 - np.cos(t))
    x2 = np.where(y == 0, np.sin(t), 0.5 - np.sin(t))
    X = np.vstack([x1, x2]) + noise * rng.randn(2, m)
    return X, y.reshape(1, m).astype(float)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def relu(x):
    return np.maximum(0, x)


def initialize_parameters(layer_dims):
    np.random.seed(3)
    parameters = {}
    L = len(layer_dims)
    for l in range(1, L):
        parameters["W" + str(l)] = np.random.randn(layer_dims[l], layer_dims[l - 1]) * np.sqrt(2 / layer_dims[l - 1])
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1))
    return parameters


def forward_propagation(X, parameters):
    W1, b1, W2, b2, W3, b3 = (parameters[k] for k in ("W1", "b1", "W2", "b2", "W3", "b3"))
    z1 = np.dot(W1, X) + b1
    a1 = relu(z1)
    z2 = np.dot(W2, a1) + b2
    a2 = relu(z2)
    z3 = np.dot(W3, a2) + b3
    a3 = sigmoid(z3)
    cache = (z1, a1, W1, b1, z2, a2, W2, b2, z3, a3, W3, b3)
    return a3, cache


def compute_cost(a3, Y):
    m = Y.shape[1]
    logprobs = np.multiply(-np.log(a3), Y) + np.multiply(-np.log(1 - a3), 1 - Y)
    return float(np.sum(logprobs) / m)


def backward_propagation(X, Y, cache):
    m = X.shape[1]
    (z1, a1, W1, b1, z2, a2, W2, b2, z3, a3, W3, b3) = cache
    dz3 = 1.0 / m * (a3 - Y)
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
    return {"dz3": dz3, "dW3": dW3, "db3": db3, "da2": da2, "dz2": dz2, "dW2": dW2, "db2": db2,
            "da1": da1, "dz1": dz1, "dW1": dW1, "db1": db1}


def random_mini_batches(X, Y, mini_batch_size=64, seed=0):
    np.random.seed(seed)
    m = X.shape[1]
    mini_batches = []
    permutation = list(np.random.permutation(m))
    shuffled_X = X[:, permutation]
    shuffled_Y = Y[:, permutation].reshape((1, m))
    num_complete_minibatches = math.floor(m / mini_batch_size)
    for k in range(0, num_complete_minibatches):
        mini_batch_X = shuffled_X[:, k * mini_batch_size:(k + 1) * mini_batch_size]
        mini_batch_Y = shuffled_Y[:, k * mini_batch_size:(k + 1) * mini_batch_size]
        mini_batches.append((mini_batch_X, mini_batch_Y))
    if m % mini_batch_size != 0:
        mini_batch_X = shuffled_X[:, num_complete_minibatches * mini_batch_size:]
        mini_batch_Y = shuffled_Y[:, num_complete_minibatches * mini_batch_size:]
        mini_batches.append((mini_batch_X, mini_batch_Y))
    return mini_batches


def initialize_adam(parameters):
    L = len(parameters) // 2
    v = {}
    s = {}
    for l in range(1, L + 1):
        v["dW" + str(l)] = np.zeros(parameters["W" + str(l)].shape)
        v["db" + str(l)] = np.zeros(parameters["b" + str(l)].shape)
        s["dW" + str(l)] = np.zeros(parameters["W" + str(l)].shape)
        s["db" + str(l)] = np.zeros(parameters["b" + str(l)].shape)
    return v, s


def update_parameters_with_adam(parameters, grads, v, s, t, learning_rate=0.01,
                                beta1=0.9, beta2=0.999, epsilon=1e-8):
    L = len(parameters) // 2
    v_corrected = {}
    s_corrected = {}
    for l in range(1, L + 1):
        for p in ("W", "b"):
            key = "d" + p + str(l)
            v[key] = beta1 * v[key] + (1 - beta1) * grads[key]
            s[key] = beta2 * s[key] + (1 - beta2) * np.square(grads[key])
            v_corrected[key] = v[key]  # BUG: should be v[key] / (1 - beta1 ** t)
            s_corrected[key] = s[key]  # BUG: should be s[key] / (1 - beta2 ** t)
            parameters[p + str(l)] = parameters[p + str(l)] - learning_rate * v_corrected[key] / (
                np.sqrt(s_corrected[key]) + epsilon)
    return parameters, v, s, v_corrected, s_corrected


def model(X, Y, layers_dims, optimizer="adam", learning_rate=0.0007, mini_batch_size=64, beta=0.9,
          beta1=0.9, beta2=0.999, epsilon=1e-8, num_epochs=3000, print_cost=True):
    costs = []
    t = 0  # the Adam counter
    seed = 10
    m = X.shape[1]
    parameters = initialize_parameters(layers_dims)
    v, s = initialize_adam(parameters)

    for i in range(num_epochs):
        seed = seed + 1
        minibatches = random_mini_batches(X, Y, mini_batch_size, seed)
        cost_total = 0
        for minibatch in minibatches:
            (minibatch_X, minibatch_Y) = minibatch
            a3, caches = forward_propagation(minibatch_X, parameters)
            cost_total += compute_cost(a3, minibatch_Y) * minibatch_X.shape[1]
            grads = backward_propagation(minibatch_X, minibatch_Y, caches)
            t = t + 1
            parameters, v, s, _, _ = update_parameters_with_adam(parameters, grads, v, s, t, learning_rate,
                                                                 beta1, beta2, epsilon)
        cost_avg = cost_total / m
        if print_cost and i % 500 == 0:
            print("Cost after epoch %i: %f" % (i, cost_avg))
        if i % 100 == 0:
            costs.append(cost_avg)
    return parameters, costs


def predict(X, y, parameters):
    a3, _ = forward_propagation(X, parameters)
    p = (a3 > 0.5).astype(float)
    print("Accuracy: " + str(np.mean(p == y)))
    return p


if __name__ == "__main__":
    X, Y = load_data()
    parameters, costs = model(X, Y, layers_dims)
    predict(X, Y, parameters)


EXPECTED = {
    "verdict": "fail",
    "twin": "adam_correct.py",
    "cases": [19],
    "findings": [{"rule": "optimizer-update", "kind": "bias-correction", "severity": "error",
                  "function": "update_parameters_with_adam", "needs": "probes"}],
    "absent": ["gradient-mismatch", "parameters-not-updated"],
}
