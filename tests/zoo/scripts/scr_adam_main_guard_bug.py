"""Course "optimization" net (mini-batches, gd / momentum / Adam); the training call exists only in the __main__ block.

Bug: update_parameters_with_adam computes v_corrected and s_corrected, then steps with the raw v and
s (`learning_rate * v[g] / (np.sqrt(s[g]) + epsilon)`): Adam without its bias correction.
FIELD_GUIDE case 19.

Structure: model(X, Y, layers_dims, optimizer, ...) has no default for layers_dims nor for
optimizer; only the `if __name__ == "__main__":` block builds layers_dims = [2, 8, 4, 1] from the
data and says optimizer="adam", num_epochs=2000. A tool that skips the block, or guesses a call with
optimizer="gd", never runs this Adam.

Expected diagnosis: error optimizer-update (bias-correction) in update_parameters_with_adam.
Measured in float64 on the author's run (400 examples, 7 mini-batches an epoch, 14,000 Adam steps):
- the update vs Adam's formula, same gradients and state: at t = 1 every moving entry of W1 steps
  3.160 x the formula's step (0.002212 instead of 0.0007 = learning_rate; 0.1 / sqrt(0.001) = 3.162);
  t = 2: 4.25 x, t = 3: 4.95 x, t = 10: 6.53 x, t = 100: 3.24 x, t = 1000: 1.26 x, t = 10000: 1.00 x;
- backprop is right: analytic vs central-difference gradients on the first mini-batch, relative
  error W1 2.0e-9, b1 6.9e-10, W2 1.1e-9, b2 2.7e-10, W3 9.5e-10, b3 1.1e-9 (no example has every
  layer-1 ReLU off, so no exact kink);
- cost 0.6666 (epoch 0) -> 0.0708 (epoch 1750), final full-data cost 0.0704, accuracy 0.9725;
  the twin gives 0.6695 -> 0.0712, 0.0707, 0.9725: the cost cannot tell them apart.
Nothing else to report (no learning-rate, no oscillation).
Correct twin: scr_adam_main_guard_ok.py.
"""

import math

import numpy as np


def load_dataset(m=400, noise=0.15, seed=2):
    """Two noisy concentric circles, examples as columns: X (2, m), Y (1, m)."""
    rng = np.random.RandomState(seed)
    angle = rng.uniform(0, 2 * np.pi, m)
    label = (np.arange(m) % 2).astype(float)
    radius = np.where(label == 1, 0.45, 1.0) + noise * rng.randn(m)
    X = np.vstack([radius * np.cos(angle), radius * np.sin(angle)])
    return X, label.reshape(1, m)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def relu(z):
    return np.maximum(0, z)


def initialize_parameters(layers_dims):
    np.random.seed(3)
    parameters = {}
    for l in range(1, len(layers_dims)):
        parameters["W" + str(l)] = np.random.randn(layers_dims[l], layers_dims[l - 1]) * np.sqrt(2.0 / layers_dims[l - 1])
        parameters["b" + str(l)] = np.zeros((layers_dims[l], 1))
    return parameters


def forward_propagation(X, parameters):
    W1 = parameters["W1"]
    b1 = parameters["b1"]
    W2 = parameters["W2"]
    b2 = parameters["b2"]
    W3 = parameters["W3"]
    b3 = parameters["b3"]
    Z1 = np.dot(W1, X) + b1
    A1 = relu(Z1)
    Z2 = np.dot(W2, A1) + b2
    A2 = relu(Z2)
    Z3 = np.dot(W3, A2) + b3
    A3 = sigmoid(Z3)
    cache = (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3)
    return A3, cache


def compute_cost(A3, Y):
    m = Y.shape[1]
    logprobs = np.multiply(-np.log(A3), Y) + np.multiply(-np.log(1 - A3), 1 - Y)
    return 1.0 / m * np.sum(logprobs)


def backward_propagation(X, Y, cache):
    m = X.shape[1]
    (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3) = cache
    dZ3 = (A3 - Y) / m
    dW3 = np.dot(dZ3, A2.T)
    db3 = np.sum(dZ3, axis=1, keepdims=True)
    dA2 = np.dot(W3.T, dZ3)
    dZ2 = dA2 * (A2 > 0)
    dW2 = np.dot(dZ2, A1.T)
    db2 = np.sum(dZ2, axis=1, keepdims=True)
    dA1 = np.dot(W2.T, dZ2)
    dZ1 = dA1 * (A1 > 0)
    dW1 = np.dot(dZ1, X.T)
    db1 = np.sum(dZ1, axis=1, keepdims=True)
    gradients = {"dZ3": dZ3, "dW3": dW3, "db3": db3, "dA2": dA2, "dZ2": dZ2, "dW2": dW2, "db2": db2,
                 "dA1": dA1, "dZ1": dZ1, "dW1": dW1, "db1": db1}
    return gradients


def random_mini_batches(X, Y, mini_batch_size=64, seed=0):
    np.random.seed(seed)
    m = X.shape[1]
    permutation = list(np.random.permutation(m))
    shuffled_X = X[:, permutation]
    shuffled_Y = Y[:, permutation].reshape((1, m))
    mini_batches = []
    num_complete = math.floor(m / mini_batch_size)
    for k in range(num_complete):
        batch_X = shuffled_X[:, k * mini_batch_size:(k + 1) * mini_batch_size]
        batch_Y = shuffled_Y[:, k * mini_batch_size:(k + 1) * mini_batch_size]
        mini_batches.append((batch_X, batch_Y))
    if m % mini_batch_size != 0:
        batch_X = shuffled_X[:, num_complete * mini_batch_size:]
        batch_Y = shuffled_Y[:, num_complete * mini_batch_size:]
        mini_batches.append((batch_X, batch_Y))
    return mini_batches


def update_parameters_with_gd(parameters, grads, learning_rate):
    L = len(parameters) // 2
    for l in range(1, L + 1):
        parameters["W" + str(l)] = parameters["W" + str(l)] - learning_rate * grads["dW" + str(l)]
        parameters["b" + str(l)] = parameters["b" + str(l)] - learning_rate * grads["db" + str(l)]
    return parameters


def initialize_velocity(parameters):
    L = len(parameters) // 2
    v = {}
    for l in range(1, L + 1):
        v["dW" + str(l)] = np.zeros_like(parameters["W" + str(l)])
        v["db" + str(l)] = np.zeros_like(parameters["b" + str(l)])
    return v


def update_parameters_with_momentum(parameters, grads, v, beta, learning_rate):
    L = len(parameters) // 2
    for l in range(1, L + 1):
        v["dW" + str(l)] = beta * v["dW" + str(l)] + (1 - beta) * grads["dW" + str(l)]
        v["db" + str(l)] = beta * v["db" + str(l)] + (1 - beta) * grads["db" + str(l)]
        parameters["W" + str(l)] = parameters["W" + str(l)] - learning_rate * v["dW" + str(l)]
        parameters["b" + str(l)] = parameters["b" + str(l)] - learning_rate * v["db" + str(l)]
    return parameters, v


def initialize_adam(parameters):
    L = len(parameters) // 2
    v = {}
    s = {}
    for l in range(1, L + 1):
        v["dW" + str(l)] = np.zeros_like(parameters["W" + str(l)])
        v["db" + str(l)] = np.zeros_like(parameters["b" + str(l)])
        s["dW" + str(l)] = np.zeros_like(parameters["W" + str(l)])
        s["db" + str(l)] = np.zeros_like(parameters["b" + str(l)])
    return v, s


def update_parameters_with_adam(parameters, grads, v, s, t, learning_rate=0.01,
                                beta1=0.9, beta2=0.999, epsilon=1e-8):
    L = len(parameters) // 2
    v_corrected = {}
    s_corrected = {}
    for l in range(1, L + 1):
        for name in ("W", "b"):
            g = "d" + name + str(l)
            v[g] = beta1 * v[g] + (1 - beta1) * grads[g]
            v_corrected[g] = v[g] / (1 - beta1 ** t)
            s[g] = beta2 * s[g] + (1 - beta2) * np.square(grads[g])
            s_corrected[g] = s[g] / (1 - beta2 ** t)
            parameters[name + str(l)] = parameters[name + str(l)] - learning_rate * v[g] / (np.sqrt(s[g]) + epsilon)
    return parameters, v, s, v_corrected, s_corrected


def model(X, Y, layers_dims, optimizer, learning_rate=0.0007, mini_batch_size=64, beta=0.9,
          beta1=0.9, beta2=0.999, epsilon=1e-8, num_epochs=10000, print_cost=True):
    costs = []
    t = 0
    seed = 10
    m = X.shape[1]
    parameters = initialize_parameters(layers_dims)
    if optimizer == "gd":
        pass
    elif optimizer == "momentum":
        v = initialize_velocity(parameters)
    elif optimizer == "adam":
        v, s = initialize_adam(parameters)
    else:
        raise ValueError("unknown optimizer " + optimizer)

    for i in range(num_epochs):
        seed = seed + 1
        minibatches = random_mini_batches(X, Y, mini_batch_size, seed)
        cost_total = 0
        for minibatch_X, minibatch_Y in minibatches:
            a3, caches = forward_propagation(minibatch_X, parameters)
            cost_total += compute_cost(a3, minibatch_Y) * minibatch_X.shape[1]
            grads = backward_propagation(minibatch_X, minibatch_Y, caches)
            if optimizer == "gd":
                parameters = update_parameters_with_gd(parameters, grads, learning_rate)
            elif optimizer == "momentum":
                parameters, v = update_parameters_with_momentum(parameters, grads, v, beta, learning_rate)
            elif optimizer == "adam":
                t = t + 1
                parameters, v, s, _, _ = update_parameters_with_adam(parameters, grads, v, s, t, learning_rate,
                                                                     beta1, beta2, epsilon)
        cost_avg = cost_total / m
        if print_cost and i % 250 == 0:
            print("Cost after epoch %i: %f" % (i, cost_avg))
        if i % 10 == 0:
            costs.append(cost_avg)
    return parameters


def predict(X, y, parameters):
    a3, _ = forward_propagation(X, parameters)
    p = (a3 > 0.5).astype(float)
    print("Accuracy: " + str(np.mean(p[0, :] == y[0, :])))
    return p


if __name__ == "__main__":
    train_X, train_Y = load_dataset()
    layers_dims = [train_X.shape[0], 8, 4, 1]
    parameters = model(train_X, train_Y, layers_dims, optimizer="adam", num_epochs=2000)
    predictions = predict(train_X, train_Y, parameters)


EXPECTED = {
    "verdict": "fail",
    "style": "course optimization net (mini-batches, Adam), training call only in the __main__ block",
    "twin": "scr_adam_main_guard_ok.py",
    "trains": True,
    "findings": [
        {"rule": "optimizer-update", "kind": "bias-correction", "severity": "error",
         "function": "update_parameters_with_adam"},
    ],
    "absent": ["gradient-mismatch", "learning-rate", "cost-oscillation", "parameters-not-updated",
               "user-code-error"],
}
