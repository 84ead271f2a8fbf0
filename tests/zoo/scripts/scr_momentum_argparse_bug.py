"""Two-layer tanh/softmax net on 8x8 digits, lowercase keys, examples as rows; all the work in main(), which reads its settings with argparse (defaults only).

Bug: sgd_momentum returns the new velocity in a fresh dict, and train() throws it away
(`params, _ = sgd_momentum(params, grads, velocity, beta, lr)`): every call receives the same
all-zero velocity, so momentum is not carried over and each step is lr * (1 - beta) * grad, plain
SGD with a learning rate ten times smaller. FIELD_GUIDE case 19.

Structure: `if __name__ == "__main__": main()`; main() calls parser.parse_args(), which must see no
command-line arguments (a tool that leaves its own sys.argv in place makes argparse exit).

Expected diagnosis: error optimizer-update (state), located in train() where the returned velocity
is discarded (sgd_momentum itself computes beta * v + (1 - beta) * g correctly). Measured in
float64 on the author's run (2400 training rows, batch 32, 75 batches an epoch, 60 epochs, 4500
updates): the same velocity object enters all 4500 calls and it is all zeros every time
(max |v| = 0.0); the applied step equals lr * (1 - beta) * g exactly, and differs from the momentum
formula lr * v_t by |applied - formula| / |formula| = 0.57 at t = 2, 0.71 at t = 3, 0.79 at t = 5.
Backprop is right: analytic vs central differences on the first batch, relative error w1 8.1e-9,
b1 3.6e-9, w2 3.4e-9, b2 1.8e-9. Cost (full training set after each epoch): 2.1714 (epoch 0)
-> 0.2408 (epoch 59), train accuracy 0.959, test 0.935; the twin: 1.3736 -> 0.0379, 0.999 / 0.945.
The learning rate 0.1 is not the cause (the twin trains well with it).
Correct twin: scr_momentum_argparse_ok.py.
"""

import argparse

import numpy as np


def make_digits(per_class=300, noise=0.35, seed=0):
    """Fake 8x8 digit images: 10 stroke patterns, each drawn with jitter and noise.

    Examples are rows: x has shape (10 * per_class, 64) with values in [0, 1], labels (10 * per_class,).
    """
    rng = np.random.RandomState(seed)
    protos = np.zeros((10, 8, 8))
    for c in range(10):
        for _ in range(4):  # four short strokes per class
            r, col = rng.randint(0, 8, size=2)
            dr, dc = [(0, 1), (1, 0), (1, 1), (1, -1)][rng.randint(4)]
            for step in range(5):
                rr, cc = r + step * dr, col + step * dc
                if 0 <= rr < 8 and 0 <= cc < 8:
                    protos[c, rr, cc] = 1.0
    images = []
    labels = []
    for c in range(10):
        for _ in range(per_class):
            img = np.roll(protos[c], rng.randint(-1, 2), axis=rng.randint(2))
            img = img * rng.uniform(0.6, 1.0) + noise * rng.randn(8, 8)
            images.append(np.clip(img, 0, 1).ravel())
            labels.append(c)
    order = rng.permutation(len(labels))
    return np.array(images)[order], np.array(labels)[order]


def one_hot(labels, n_classes):
    out = np.zeros((labels.size, n_classes))
    out[np.arange(labels.size), labels] = 1
    return out


def init_params(n_in, n_hidden, n_out, seed):
    rng = np.random.RandomState(seed)
    return {
        "w1": rng.randn(n_in, n_hidden) / np.sqrt(n_in),
        "b1": np.zeros(n_hidden),
        "w2": rng.randn(n_hidden, n_out) / np.sqrt(n_hidden),
        "b2": np.zeros(n_out),
    }


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def forward(params, x):
    a1 = np.tanh(x @ params["w1"] + params["b1"])
    probs = softmax(a1 @ params["w2"] + params["b2"])
    return probs, {"x": x, "a1": a1, "probs": probs}


def cross_entropy(probs, y):
    return -np.mean(np.sum(y * np.log(probs), axis=1))


def backward(params, cache, y):
    n = y.shape[0]
    dz2 = (cache["probs"] - y) / n
    grads = {"dw2": cache["a1"].T @ dz2, "db2": dz2.sum(axis=0)}
    dz1 = (dz2 @ params["w2"].T) * (1 - cache["a1"] ** 2)
    grads["dw1"] = cache["x"].T @ dz1
    grads["db1"] = dz1.sum(axis=0)
    return grads


def zero_velocity(params):
    return {"d" + name: np.zeros_like(value) for name, value in params.items()}


def sgd_momentum(params, grads, velocity, beta, lr):
    new_velocity = {}
    for name in params:
        new_velocity["d" + name] = beta * velocity["d" + name] + (1 - beta) * grads["d" + name]
        params[name] = params[name] - lr * new_velocity["d" + name]
    return params, new_velocity


def batches(x, y, size, rng):
    perm = rng.permutation(x.shape[0])
    for start in range(0, x.shape[0], size):
        idx = perm[start:start + size]
        yield x[idx], y[idx]


def train(x, y, hidden, epochs, lr, beta, batch_size, seed):
    params = init_params(x.shape[1], hidden, y.shape[1], seed)
    velocity = zero_velocity(params)
    rng = np.random.RandomState(seed)
    history = []
    for epoch in range(epochs):
        for xb, yb in batches(x, y, batch_size, rng):
            probs, cache = forward(params, xb)
            grads = backward(params, cache, yb)
            params, _ = sgd_momentum(params, grads, velocity, beta, lr)
        loss = cross_entropy(forward(params, x)[0], y)
        history.append(loss)
        if epoch % 10 == 0 or epoch == epochs - 1:
            print(f"epoch {epoch:3d}  loss {loss:.4f}")
    return params, history


def accuracy(params, x, labels):
    return np.mean(np.argmax(forward(params, x)[0], axis=1) == labels)


def main():
    parser = argparse.ArgumentParser(description="two-layer tanh/softmax net on 8x8 digits, SGD with momentum")
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--beta", type=float, default=0.9)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    x, labels = make_digits()
    n_train = int(0.8 * len(labels))
    x_train, x_test = x[:n_train], x[n_train:]
    l_train, l_test = labels[:n_train], labels[n_train:]
    y_train = one_hot(l_train, 10)

    params, history = train(x_train, y_train, args.hidden, args.epochs, args.lr, args.beta,
                            args.batch_size, args.seed)
    print(f"train accuracy {accuracy(params, x_train, l_train):.3f}")
    print(f"test accuracy  {accuracy(params, x_test, l_test):.3f}")


if __name__ == "__main__":
    main()


EXPECTED = {
    "verdict": "fail",
    "style": "lowercase keys, examples as rows, tanh/softmax digits, all work in main() with argparse defaults",
    "twin": "scr_momentum_argparse_ok.py",
    "trains": True,
    "findings": [
        {"rule": "optimizer-update", "kind": "state", "severity": "error", "function": "train"},
    ],
    "absent": ["gradient-mismatch", "learning-rate", "cost-oscillation", "cost-plateau",
               "parameters-not-updated", "user-code-error"],
}
