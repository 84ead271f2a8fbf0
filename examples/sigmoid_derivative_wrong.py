"""Digit classifier, two sigmoid hidden layers and a softmax output, lowercase keys (w1, dw1),
short function names. The sigmoid derivative is written wrong.

Field-guide case 3 (wrong sigmoid derivative). The derivative of sigmoid is
s(z) * (1 - s(z)); this file has

    def sigmoid_prime(z):
        return sigmoid(z) * sigmoid(1 - z)

which is positive and about the right size, so nothing crashes and on this easy data set the loss
still goes down. The same network is fine once `hidden = "relu"` (relu_prime is right), which is
exactly what makes the bug hard to find by hand: "sigmoid just doesn't work for me".

Expected diagnosis
------------------
error  activation-derivative, sigmoid_prime: it is not the derivative of sigmoid (its forward
       twin): at z = 0 it returns 0.3655 instead of 0.25. It is used in the backward pass of
       layers 1 and 2.
The gradient check on the file also finds dw2 and db2 wrong (kind other), and below them dw1 and
db1, which inherit the error; w3 and b3 are right. The activation-derivative finding names the
helper that causes all of it.
"""

import numpy as np

sizes = [64, 32, 16, 4]
hidden = "sigmoid"  # "relu" trains fine: relu_prime is right


def load_data(m=500, classes=4, seed=7):
    """8x8 grey "digits": each class is a noisy copy of its own template, pixels in [0, 1].
    Returns x (64 x m, one column per image) and one-hot labels y (classes x m)."""
    rng = np.random.RandomState(seed)
    templates = (rng.rand(classes, 64) > 0.6).astype(float)
    labels = rng.randint(classes, size=m)
    x = np.clip(templates[labels] * 0.8 + 0.3 * rng.randn(m, 64), 0, 1).T
    y = np.eye(classes)[labels].T
    return x, y


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_prime(z):
    return sigmoid(z) * sigmoid(1 - z)  # BUG: should be sigmoid(z) * (1 - sigmoid(z))


def relu(z):
    return np.maximum(z, 0)


def relu_prime(z):
    return (z > 0).astype(float)


def softmax(z):
    e = np.exp(z - np.max(z, axis=0, keepdims=True))
    return e / np.sum(e, axis=0, keepdims=True)


def init(sizes, seed=0):
    rng = np.random.RandomState(seed)
    param = {}
    for i in range(1, len(sizes)):
        param["w" + str(i)] = rng.randn(sizes[i], sizes[i - 1]) * np.sqrt(1.0 / sizes[i - 1])
        param["b" + str(i)] = np.zeros((sizes[i], 1))
    return param


def forward(x, param):
    act = sigmoid if hidden == "sigmoid" else relu
    cache = {"a0": x}
    cache["z1"] = param["w1"] @ x + param["b1"]
    cache["a1"] = act(cache["z1"])
    cache["z2"] = param["w2"] @ cache["a1"] + param["b2"]
    cache["a2"] = act(cache["z2"])
    cache["z3"] = param["w3"] @ cache["a2"] + param["b3"]
    cache["a3"] = softmax(cache["z3"])
    return cache["a3"], cache


def loss(out, y):
    return float(-np.sum(y * np.log(out)) / y.shape[1])


def backward(y, cache, param):
    act_prime = sigmoid_prime if hidden == "sigmoid" else relu_prime
    m = y.shape[1]
    grad = {}
    dz3 = (cache["a3"] - y) / m
    grad["dw3"] = dz3 @ cache["a2"].T
    grad["db3"] = np.sum(dz3, axis=1, keepdims=True)
    dz2 = (param["w3"].T @ dz3) * act_prime(cache["z2"])
    grad["dw2"] = dz2 @ cache["a1"].T
    grad["db2"] = np.sum(dz2, axis=1, keepdims=True)
    dz1 = (param["w2"].T @ dz2) * act_prime(cache["z1"])
    grad["dw1"] = dz1 @ cache["a0"].T
    grad["db1"] = np.sum(dz1, axis=1, keepdims=True)
    return grad


def sgd(param, grad, lr):
    for k in param:
        param[k] = param[k] - lr * grad["d" + k]
    return param


def fit(x, y, sizes, lr=0.5, epochs=1000, verbose=False):
    param = init(sizes)
    history = []
    for epoch in range(epochs):
        out, cache = forward(x, param)
        history.append(loss(out, y))
        grad = backward(y, cache, param)
        param = sgd(param, grad, lr)
        if verbose and epoch % 100 == 0:
            print(f"epoch {epoch:4d}  loss {history[-1]:.4f}")
    return param, history


def accuracy(x, y, param):
    out, _ = forward(x, param)
    return float(np.mean(np.argmax(out, axis=0) == np.argmax(y, axis=0)))


if __name__ == "__main__":
    x, y = load_data()
    param, history = fit(x, y, sizes, verbose=True)
    print(f"final loss {history[-1]:.4f}  accuracy {accuracy(x, y, param):.3f}")


EXPECTED = {
    "verdict": "fail",
    "cases": [3],
    # the gradient check's disagreements on w1, b1, w2, b2 are reported inside the helper's finding
    "findings": [{"rule": "activation-derivative", "function": "sigmoid_prime", "severity": "error"},
                 {"rule": "activation-derivative", "gradient_check": ["b1", "b2", "w1", "w2"],
                  "needs": "gradient-check"}],
    "absent": ["activation-mismatch", "output-activation"],
}
