"""Another style: lowercase keys, tanh hidden layer, softmax output over C classes, mini-batches,
short function names. Used to check the runtime rules stay silent on a healthy network."""

import numpy as np

ZERO_OUTPUT = False  # True: the output layer starts at zero (fine: its units differ through the labels)
COST_SCALE = "mean"  # "mean-over-classes" plants field-guide case 5 (cost divided by C as well)
HIDDEN_BIAS = 0.0  # a large value starts every tanh unit of layer 1 in its flat tail


def get_data(m=600, n=10, classes=4, seed=0):
    rng = np.random.RandomState(seed)
    centers = rng.randn(classes, n) * 2
    y = rng.randint(classes, size=m)
    x = (centers[y] + rng.randn(m, n)).T
    onehot = np.eye(classes)[y].T
    return x, onehot


def tanh(z):
    return np.tanh(z)


def tanh_prime(z):
    return 1 - np.tanh(z) ** 2


def softmax(z):
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def init(n_in, n_hidden, n_out, seed=2):
    rng = np.random.RandomState(seed)
    w2 = np.zeros((n_out, n_hidden)) if ZERO_OUTPUT else rng.randn(n_out, n_hidden) * np.sqrt(1 / n_hidden)
    return {"w1": rng.randn(n_hidden, n_in) * np.sqrt(1 / n_in), "b1": np.full((n_hidden, 1), HIDDEN_BIAS),
            "w2": w2, "b2": np.zeros((n_out, 1))}


def forward(x, param):
    z1 = param["w1"] @ x + param["b1"]
    a1 = tanh(z1)
    z2 = param["w2"] @ a1 + param["b2"]
    return softmax(z2), {"z1": z1, "a1": a1}


def cost(out, y):
    if COST_SCALE == "mean-over-classes":
        return float(-np.mean(y * np.log(out + 1e-9)))
    return float(-np.sum(y * np.log(out + 1e-9)) / y.shape[1])


def backward(x, y, out, cache, param):
    m = x.shape[1]
    dz2 = (out - y) / m
    grad = {"dw2": dz2 @ cache["a1"].T, "db2": dz2.sum(axis=1, keepdims=True)}
    dz1 = (param["w2"].T @ dz2) * tanh_prime(cache["z1"])
    grad["dw1"] = dz1 @ x.T
    grad["db1"] = dz1.sum(axis=1, keepdims=True)
    return grad


def step(param, grad, lr):
    for k in param:
        param[k] -= lr * grad["d" + k]


def fit(x, y, hidden=16, lr=0.1, epochs=30, batch=64, seed=0):
    rng = np.random.RandomState(seed)
    param = init(x.shape[0], hidden, y.shape[0])
    for epoch in range(epochs):
        order = rng.permutation(x.shape[1])
        for start in range(0, x.shape[1], batch):
            idx = order[start:start + batch]
            out, cache = forward(x[:, idx], param)
            cost(out, y[:, idx])
            grad = backward(x[:, idx], y[:, idx], out, cache, param)
            step(param, grad, lr)
    return param
