"""Two moons-like clusters, a tanh hidden layer and a softmax output trained inside one function
with no cost at all: the backward starts from the probabilities changed in place (delta3 = probs;
delta3[range(m), y] -= 1), the gradients are summed over the examples and carry an L2 term
(dW2 += reg * W2), and the update adds a negated step (W1 += -epsilon * dW1).

Expected diagnosis: PASS. implied-loss (info) says the applied gradients are those of the
cross-entropy plus an L2 penalty with lambda = 0.01.
"""
import numpy as np

rng = np.random.default_rng(7)
m = 200
angles = rng.uniform(0, np.pi, m)
y = (rng.random(m) < 0.5).astype(int)
X = np.c_[np.cos(angles) + y, np.sin(angles) * (1 - 2 * y) + 0.3 * y] + rng.normal(0, 0.15, (m, 2))

epsilon = 0.01
reg = 0.01


def build(hidden, passes=2000):
    r = np.random.default_rng(0)
    W1 = r.standard_normal((2, hidden)) / np.sqrt(2)
    b1 = np.zeros((1, hidden))
    W2 = r.standard_normal((hidden, 2)) / np.sqrt(hidden)
    b2 = np.zeros((1, 2))
    for i in range(passes):
        z1 = X.dot(W1) + b1
        a1 = np.tanh(z1)
        z2 = a1.dot(W2) + b2
        scores = np.exp(z2)
        probs = scores / np.sum(scores, axis=1, keepdims=True)
        delta3 = probs
        delta3[range(m), y] -= 1
        dW2 = a1.T.dot(delta3)
        db2 = np.sum(delta3, axis=0, keepdims=True)
        delta2 = delta3.dot(W2.T) * (1 - np.power(a1, 2))
        dW1 = np.dot(X.T, delta2)
        db1 = np.sum(delta2, axis=0, keepdims=True)
        dW2 += reg * W2
        dW1 += reg * W1
        W1 += -epsilon * dW1
        b1 += -epsilon * db1
        W2 += -epsilon * dW2
        b2 += -epsilon * db2
    return W1, b1, W2, b2


W1, b1, W2, b2 = build(3)
hidden = np.tanh(X.dot(W1) + b1)
print("train accuracy", np.mean(np.argmax(hidden.dot(W2) + b2, axis=1) == y))

EXPECTED = {
    "verdict": "pass",
    "style": "inline loop in a function, softmax output, backward changing the probabilities in place, L2 inside the gradients, no cost, W += -epsilon * dW",
    "twin": "scr_softmax_l2_inline_bug.py",
    "trains": True,
    "findings": [
        {"rule": "implied-loss", "severity": "info"},
    ],
    "absent": ["user-code-error"],
}
