"""Gradient-checking script: a forward that returns the cost, a backprop, and the learner's own flat-vector grad_check loop; every call sits under `if __name__ == "__main__":`.

Bug: one sign flipped in backprop: `dW2 = -1.0 / m * dZ2 @ A1.T` (should be `1.0 / m`). Every other
gradient is right. FIELD_GUIDE case 12.

Structure: nothing trains. The guard builds a random test case (make_test_case(): X (5, 8), Y (1, 8),
a 5-4-3-1 ReLU/ReLU/sigmoid net with random biases), runs forward_with_cost(X, Y, params) ->
(cost, cache), backprop(X, Y, cache) -> grads (which also holds dZ*/dA* entries), and
grad_check(params, grads, X, Y), which prints the difference. The forward and backward are the
ones the learner's check calls: the tool checks them as called there.

Expected diagnosis: error gradient-mismatch (sign), parameter W2, in backprop; nothing else.
Measured in float64 (central differences, eps 1e-6): dW2 is exactly the negative of the numerical
gradient (cosine -1.0000, norm ratio 1.0000, relative error 1.0); W1 5.2e-10, b1 3.6e-10, b2 1.3e-10,
W3 2.1e-11, b3 2.0e-11. No ReLU kink (smallest |Z1| 0.076, |Z2| 0.10; one layer-2 unit is off for
all 8 examples, its row of dW2 is 0 either way). cost = 0.7984946. The learner's own check is
right and prints "There is a mistake in the backward propagation! difference = 0.7310"
(the twin prints 1.2e-9): no learner-gradient-check finding.
Correct twin: scr_gradcheck_guard_ok.py.
"""

import numpy as np

KEYS = ["W1", "b1", "W2", "b2", "W3", "b3"]


def make_test_case(seed=4):
    """A small random problem: 5 features, 8 examples as columns, a 5-4-3-1 network."""
    rng = np.random.RandomState(seed)
    X = rng.randn(5, 8)
    Y = (rng.rand(1, 8) > 0.5).astype(float)
    params = {
        "W1": rng.randn(4, 5), "b1": rng.randn(4, 1),
        "W2": rng.randn(3, 4), "b2": rng.randn(3, 1),
        "W3": rng.randn(1, 3), "b3": rng.randn(1, 1),
    }
    return X, Y, params


def relu(z):
    return np.maximum(0, z)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def forward_with_cost(X, Y, params):
    """Forward pass that also returns the cross-entropy cost."""
    m = X.shape[1]
    Z1 = params["W1"] @ X + params["b1"]
    A1 = relu(Z1)
    Z2 = params["W2"] @ A1 + params["b2"]
    A2 = relu(Z2)
    Z3 = params["W3"] @ A2 + params["b3"]
    A3 = sigmoid(Z3)
    cost = -np.sum(Y * np.log(A3) + (1 - Y) * np.log(1 - A3)) / m
    cache = (Z1, A1, Z2, A2, Z3, A3, params)
    return cost, cache


def backprop(X, Y, cache):
    m = X.shape[1]
    Z1, A1, Z2, A2, Z3, A3, params = cache
    dZ3 = A3 - Y
    dW3 = 1.0 / m * dZ3 @ A2.T
    db3 = 1.0 / m * np.sum(dZ3, axis=1, keepdims=True)
    dA2 = params["W3"].T @ dZ3
    dZ2 = dA2 * (A2 > 0)
    dW2 = -1.0 / m * dZ2 @ A1.T
    db2 = 1.0 / m * np.sum(dZ2, axis=1, keepdims=True)
    dA1 = params["W2"].T @ dZ2
    dZ1 = dA1 * (A1 > 0)
    dW1 = 1.0 / m * dZ1 @ X.T
    db1 = 1.0 / m * np.sum(dZ1, axis=1, keepdims=True)
    return {"dZ3": dZ3, "dW3": dW3, "db3": db3, "dA2": dA2, "dZ2": dZ2, "dW2": dW2, "db2": db2,
            "dA1": dA1, "dZ1": dZ1, "dW1": dW1, "db1": db1}


def params_to_vector(params):
    return np.concatenate([params[k].reshape(-1, 1) for k in KEYS])


def vector_to_params(theta, like):
    out = {}
    start = 0
    for k in KEYS:
        size = like[k].size
        out[k] = theta[start:start + size].reshape(like[k].shape)
        start += size
    return out


def grads_to_vector(grads):
    return np.concatenate([grads["d" + k].reshape(-1, 1) for k in KEYS])


def grad_check(params, grads, X, Y, eps=1e-7):
    theta = params_to_vector(params)
    analytic = grads_to_vector(grads)
    numeric = np.zeros_like(theta)
    for i in range(theta.shape[0]):
        theta_plus = np.copy(theta)
        theta_plus[i] += eps
        J_plus, _ = forward_with_cost(X, Y, vector_to_params(theta_plus, params))
        theta_minus = np.copy(theta)
        theta_minus[i] -= eps
        J_minus, _ = forward_with_cost(X, Y, vector_to_params(theta_minus, params))
        numeric[i] = (J_plus - J_minus) / (2 * eps)
    difference = np.linalg.norm(analytic - numeric) / (np.linalg.norm(analytic) + np.linalg.norm(numeric))
    if difference > 2e-7:
        print("There is a mistake in the backward propagation! difference = " + str(difference))
    else:
        print("Your backward propagation works perfectly fine! difference = " + str(difference))
    return difference


if __name__ == "__main__":
    X, Y, params = make_test_case()
    cost, cache = forward_with_cost(X, Y, params)
    grads = backprop(X, Y, cache)
    print("cost =", cost)
    difference = grad_check(params, grads, X, Y)


EXPECTED = {
    "verdict": "fail",
    "style": "gradient-checking script: forward-with-cost, backprop, flat-vector grad_check, every call under the guard",
    "twin": "scr_gradcheck_guard_ok.py",
    "trains": False,
    "findings": [
        {"rule": "gradient-mismatch", "kind": "sign", "severity": "error", "parameter": "W2",
         "function": "backprop"},
    ],
    "absent": ["learner-gradient-check", "activation-derivative", "activation-mismatch", "user-code-error"],
}
