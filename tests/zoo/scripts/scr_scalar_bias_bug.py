"""Blob "digits" as columns, a two-layer ReLU/softmax network taking its parameters as separate arrays
(forward(W1, b1, W2, b2, X), the data last), no cost ever computed (the loop prints the accuracy),
hand-written momentum carried over correctly.

Planted bug: the bias gradients are summed over everything, units included
(db1 = np.sum(dZ1) / m, no axis): one number per layer, so every bias of a layer moves by the same
amount. Its correct twin is scr_velocity_reset_ok.py (axis=1, keepdims=True).

Expected diagnosis: gradient-mismatch of kind "shape" on b1 and b2 (one number where each unit needs
its own), found against the loss the softmax output implies (the weights' gradients fit the mean
cross-entropy; an implied-loss note says so).

Ground truth (float64): dW1, dW2 agree with the mean cross-entropy to 1e-9; db2 is exactly 0 (the
softmax rows of dZ2 sum to zero), db1 is one number for 32 units.
"""
import numpy as np


def make_blobs(n_per_class=150, features=64, classes=10, seed=3):
    rng = np.random.RandomState(seed)
    centers = rng.uniform(0, 1, size=(classes, features))
    labels = np.repeat(np.arange(classes), n_per_class)
    rng.shuffle(labels)
    X = centers[labels] + 0.35 * rng.randn(len(labels), features)
    return X.T, labels  # features x examples, integer labels


def init_params(n_x, n_h, n_y):
    W1 = np.random.randn(n_h, n_x) * np.sqrt(2.0 / n_x)
    b1 = np.zeros((n_h, 1))
    W2 = np.random.randn(n_y, n_h) * np.sqrt(1.0 / n_h)
    b2 = np.zeros((n_y, 1))
    return W1, b1, W2, b2


def relu(Z):
    return np.maximum(Z, 0)


def softmax(Z):
    E = np.exp(Z - Z.max(axis=0, keepdims=True))
    return E / E.sum(axis=0, keepdims=True)


def forward_prop(W1, b1, W2, b2, X):
    Z1 = W1.dot(X) + b1
    A1 = relu(Z1)
    Z2 = W2.dot(A1) + b2
    A2 = softmax(Z2)
    return Z1, A1, Z2, A2


def one_hot(Y, classes):
    encoded = np.zeros((classes, Y.size))
    encoded[Y, np.arange(Y.size)] = 1
    return encoded


def backward_prop(Z1, A1, A2, W2, X, Y):
    m = X.shape[1]
    dZ2 = A2 - one_hot(Y, A2.shape[0])
    dW2 = dZ2.dot(A1.T) / m
    db2 = np.sum(dZ2) / m
    dZ1 = W2.T.dot(dZ2) * (Z1 > 0)
    dW1 = dZ1.dot(X.T) / m
    db1 = np.sum(dZ1) / m
    return dW1, db1, dW2, db2


def update_params(W1, b1, W2, b2, dW1, db1, dW2, db2, alpha, beta, velocity):
    vW1, vb1, vW2, vb2 = velocity
    vW1 = beta * vW1 + (1 - beta) * dW1
    vb1 = beta * vb1 + (1 - beta) * db1
    vW2 = beta * vW2 + (1 - beta) * dW2
    vb2 = beta * vb2 + (1 - beta) * db2
    W1 = W1 - alpha * vW1
    b1 = b1 - alpha * vb1
    W2 = W2 - alpha * vW2
    b2 = b2 - alpha * vb2
    return W1, b1, W2, b2, (vW1, vb1, vW2, vb2)


def gradient_descent(X, Y, alpha, iterations, beta):
    W1, b1, W2, b2 = init_params(X.shape[0], 32, 10)
    velocity = tuple(np.zeros_like(p) for p in (W1, b1, W2, b2))
    for i in range(iterations):
        Z1, A1, Z2, A2 = forward_prop(W1, b1, W2, b2, X)
        dW1, db1, dW2, db2 = backward_prop(Z1, A1, A2, W2, X, Y)
        W1, b1, W2, b2, velocity = update_params(W1, b1, W2, b2, dW1, db1, dW2, db2, alpha, beta, velocity)
        if i % 25 == 0:
            print("iteration", i, "accuracy", np.mean(np.argmax(A2, 0) == Y))
    return W1, b1, W2, b2


np.random.seed(1)
X, Y = make_blobs()
W1, b1, W2, b2 = gradient_descent(X, Y, alpha=0.3, iterations=150, beta=0.9)

EXPECTED = {
    "verdict": "fail",
    "style": "separate arrays with the data last, tuple of every layer's values, no cost (accuracy printed), integer labels one-hot inside the backward, hand-written momentum",
    "twin": "scr_velocity_reset_ok.py",
    "trains": True,
    "findings": [
        {"rule": "gradient-mismatch", "kind": "shape", "severity": "error", "parameter": "b1"},
        {"rule": "gradient-mismatch", "kind": "shape", "severity": "error", "parameter": "b2"},
        {"rule": "implied-loss", "severity": "info"},
    ],
    "absent": ["optimizer-update", "user-code-error", "init-scale"],
}
