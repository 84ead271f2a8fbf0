"""Module-level script with no functions at all (data, initialization, training loop, predictions inline; examples as rows, plain variables W1, b1, W2, b2), ending in an interactive input() loop.

Bug: learning_rate = 5.0, far too high for this 64-10-1 ReLU/sigmoid net on 8x8 bar images: the
first updates push every hidden ReLU below zero for every example. FIELD_GUIDE case 1.

Structure: everything runs at import time; the training loop is a `for it in range(iterations)`
at module level (10000 full-batch iterations), then the accuracy is printed and a
`while True: answer = input(...)` loop asks for an index to classify until "q". With stdin closed,
input() raises EOFError there, after everything else ran: that is the end of the run, not the
learner's error.

Expected diagnosis: error learning-rate (too-high), layer 1. Measured in float64 on the author's run
(600 examples): units of layer 1 with some example active: 10/10 at iteration 0, 5 at 1, 2 from 5;
from iteration 41 every ReLU of layer 1 outputs 0 for all 600 examples, so dW1 and db1 are exactly 0
(|dW1| = 0.4763 at iteration 0) and the loss stays at 0.6923469671 from iteration 50 to the last
(the entropy of the label frequency: the output only learns the prior); loss 0.7241 (it. 0),
1.3822 (it. 1), 0.6923 (it. 10); training accuracy 0.52. The dead units, the zero gradient and the
flat cost are the consequence, not separate findings. The gradients are right: analytic vs central
differences at the initial parameters, relative error W1 1.0e-9, b1 4.7e-10, W2 1.7e-10, b2 4.1e-11.
With learning_rate = 0.5 (the twin) no unit dies: loss 0.7241 -> 0.000147, accuracy 1.0.
Correct twin: scr_toplevel_input_ok.py.
"""

import numpy as np

np.random.seed(1)

# data: 8x8 grey images holding one horizontal (label 0) or vertical (label 1) bar, one image per row
m = 600
labels = np.random.randint(0, 2, m)
images = np.zeros((m, 8, 8))
for i in range(m):
    k = np.random.randint(1, 7)
    side = k + np.random.choice([-1, 1])
    if labels[i] == 1:
        images[i, :, k] = 1.0
        images[i, :, side] = 0.5
    else:
        images[i, k, :] = 1.0
        images[i, side, :] = 0.5
X = images.reshape(m, 64) * np.random.uniform(0.4, 1.0, (m, 1)) + 0.5 * np.random.rand(m, 64)
X = np.clip(X, 0, 1)
y = labels.reshape(m, 1).astype(float)
print("X:", X.shape, "y:", y.shape)

# a 64-10-1 network: ReLU hidden layer, sigmoid output
n_hidden = 10
learning_rate = 5.0
iterations = 10000

W1 = np.random.randn(64, n_hidden) * np.sqrt(2.0 / 64)
b1 = np.zeros((1, n_hidden))
W2 = np.random.randn(n_hidden, 1) * np.sqrt(2.0 / n_hidden)
b2 = np.zeros((1, 1))

losses = []
for it in range(iterations):
    # forward
    Z1 = X @ W1 + b1
    A1 = np.maximum(0, Z1)
    Z2 = A1 @ W2 + b2
    A2 = 1 / (1 + np.exp(-Z2))
    loss = -np.mean(y * np.log(A2) + (1 - y) * np.log(1 - A2))
    losses.append(loss)

    # backward
    dZ2 = (A2 - y) / m
    dW2 = A1.T @ dZ2
    db2 = np.sum(dZ2, axis=0, keepdims=True)
    dA1 = dZ2 @ W2.T
    dZ1 = dA1 * (Z1 > 0)
    dW1 = X.T @ dZ1
    db1 = np.sum(dZ1, axis=0, keepdims=True)

    # gradient descent
    W1 -= learning_rate * dW1
    b1 -= learning_rate * db1
    W2 -= learning_rate * dW2
    b2 -= learning_rate * db2

    if it % 200 == 0:
        print("iteration %4d  loss %.6f" % (it, loss))

hidden = np.maximum(0, X @ W1 + b1)
probs = 1 / (1 + np.exp(-(hidden @ W2 + b2)))
pred = (probs > 0.5).astype(int).ravel()
print("training accuracy:", np.mean(pred == labels))

while True:
    answer = input("enter an index to classify (0-%d), q to quit: " % (m - 1))
    if answer.strip().lower() == "q":
        break
    idx = int(answer)
    for row in images[idx]:
        print("".join("#" if v > 0.7 else ("+" if v > 0.2 else ".") for v in row))
    print("predicted:", "vertical" if pred[idx] else "horizontal",
          " true:", "vertical" if labels[idx] else "horizontal",
          " p(vertical) = %.3f" % probs[idx, 0])


EXPECTED = {
    "verdict": "fail",
    "style": "no functions at all: data, init, training loop and predictions at module level, ending in an input() loop",
    "twin": "scr_toplevel_input_ok.py",
    "trains": True,
    "findings": [
        {"rule": "learning-rate", "kind": "too-high", "severity": "error", "layer": 1},
    ],
    "absent": ["dead-relu", "zero-gradient", "cost-plateau", "gradient-mismatch", "user-code-error"],
}
