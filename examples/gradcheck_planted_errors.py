"""A three-layer network (LINEAR->RELU->LINEAR->RELU->LINEAR->SIGMOID) in the course's style,
whose backward pass has two planted errors, the classic gradient-checking exercise.

Expected diagnosis (`python examples/gradcheck_planted_errors.py` or `nndoctor demo`):
  error  gradient-mismatch (scale)  parameter W2: dW2 is 2 x the numerical gradient
  error  gradient-mismatch (scale)  parameter b1: db1 is 4 x the numerical gradient
  W1, W3, b2, b3: ok
Its correct twin is `backward_propagation_fixed` below (every parameter ok).
"""

import numpy as np


def relu(z):
    return np.maximum(0, z)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def make_problem(seed=1):
    """X (4 features x 3 examples), binary labels Y, and small random parameters."""
    rng = np.random.RandomState(seed)
    X = rng.randn(4, 3)
    Y = np.array([[1, 1, 0]])
    parameters = {
        "W1": rng.randn(5, 4), "b1": rng.randn(5, 1),
        "W2": rng.randn(3, 5), "b2": rng.randn(3, 1),
        "W3": rng.randn(1, 3), "b3": rng.randn(1, 1),
    }
    return X, Y, parameters


def forward_propagation_n(X, Y, parameters):
    """Returns the cross-entropy cost and the cache of every intermediate value."""
    W1, b1 = parameters["W1"], parameters["b1"]
    W2, b2 = parameters["W2"], parameters["b2"]
    W3, b3 = parameters["W3"], parameters["b3"]
    Z1 = W1 @ X + b1
    A1 = relu(Z1)
    Z2 = W2 @ A1 + b2
    A2 = relu(Z2)
    Z3 = W3 @ A2 + b3
    A3 = sigmoid(Z3)
    m = X.shape[1]
    cost = -np.sum(Y * np.log(A3) + (1 - Y) * np.log(1 - A3)) / m
    cache = (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3)
    return cost, cache


def backward_propagation_n(X, Y, cache):
    """Backward pass with two planted bugs (marked BUG)."""
    m = X.shape[1]
    (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3) = cache
    dZ3 = A3 - Y
    dW3 = dZ3 @ A2.T / m
    db3 = np.sum(dZ3, axis=1, keepdims=True) / m
    dA2 = W3.T @ dZ3
    dZ2 = dA2 * (A2 > 0)
    dW2 = dZ2 @ A1.T * 2 / m  # BUG: stray factor 2
    db2 = np.sum(dZ2, axis=1, keepdims=True) / m
    dA1 = W2.T @ dZ2
    dZ1 = dA1 * (A1 > 0)
    dW1 = dZ1 @ X.T / m
    db1 = 4.0 * np.sum(dZ1, axis=1, keepdims=True) / m  # BUG: 4 instead of 1
    return {"dZ3": dZ3, "dW3": dW3, "db3": db3, "dA2": dA2, "dZ2": dZ2, "dW2": dW2, "db2": db2,
            "dA1": dA1, "dZ1": dZ1, "dW1": dW1, "db1": db1}


def backward_propagation_fixed(X, Y, cache):
    """The correct twin."""
    m = X.shape[1]
    (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3) = cache
    dZ3 = A3 - Y
    dA2 = W3.T @ dZ3
    dZ2 = dA2 * (A2 > 0)
    dA1 = W2.T @ dZ2
    dZ1 = dA1 * (A1 > 0)
    return {"dW3": dZ3 @ A2.T / m, "db3": np.sum(dZ3, axis=1, keepdims=True) / m,
            "dW2": dZ2 @ A1.T / m, "db2": np.sum(dZ2, axis=1, keepdims=True) / m,
            "dW1": dZ1 @ X.T / m, "db1": np.sum(dZ1, axis=1, keepdims=True) / m}


def check(backward=backward_propagation_n, seed=0):
    """Run nndoctor's gradient check on this network; returns the GradientCheck."""
    import nndoctor

    X, Y, parameters = make_problem()

    def cost(p):
        return forward_propagation_n(X, Y, p)[0]

    def grads(p):
        return backward(X, Y, forward_propagation_n(X, Y, p)[1])

    return nndoctor.check_gradients(cost, grads, parameters, seed=seed, n_examples=X.shape[1])


if __name__ == "__main__":
    print(check())
