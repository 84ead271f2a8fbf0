"""Lowercase keys (w1, b1, w2, b2), examples as rows, tanh/softmax net on a 3-arm spiral; under the guard the learner first runs their own per-array finite-difference check, then trains.

Bug: the learner's gradient check is wrong, the backprop is right. check_gradients() perturbs each
entry by +eps and -eps but divides the difference by eps instead of 2 * eps
(`numeric[idx] = (loss_plus - loss_minus) / eps`), so its "numerical gradient" is twice the true
one and it reports a relative difference of 1/3 for every array. FIELD_GUIDE case 12.

Structure: `if __name__ == "__main__":` builds the data and the net, calls
check_gradients(net, x[::30], y[::30]) (15 rows) and then train(net, x, y) (3000 full-batch
steps, lr 1.0) and prints the accuracy.

Expected diagnosis: warning learner-gradient-check (epsilon) in check_gradients, and no
gradient-mismatch. Measured in float64 (central differences, eps 1e-6): the backprop agrees,
relative error on the 15 rows w1 4.8e-9, b1 2.1e-8, w2 1.2e-9, b2 1.2e-8 (on all 450 rows: 2.7e-9,
2.0e-8, 5.6e-10, 6.3e-9; b1 and b2 have small gradients at the zero initial biases). The learner's
check prints "relative difference 3.333e-01" for w1, b1, w2 and b2 and "gradient check FAILED,
worst difference 0.33333333333" (the ratio of its numeric to the analytic gradient is exactly 2).
Training: loss 1.0150 (step 0) -> 0.0212 (step 2500), 0.0183 at the end, accuracy 0.993.
Correct twin: scr_gradcheck_learner_eps_ok.py.
"""

import numpy as np


def spiral_data(points_per_class=150, classes=3, seed=5):
    """A 2-D spiral with one arm per class; examples as rows: x (N, 2), y (N,) integer labels."""
    rng = np.random.RandomState(seed)
    xs, ys = [], []
    for c in range(classes):
        r = np.linspace(0.05, 1.0, points_per_class)
        theta = c * 2 * np.pi / classes + 4.0 * r + 0.4 * rng.randn(points_per_class)
        xs.append(np.column_stack([r * np.sin(theta), r * np.cos(theta)]))
        ys.append(np.full(points_per_class, c))
    return np.vstack(xs), np.concatenate(ys)


def init_net(n_in, n_hidden, n_out, seed=0):
    rng = np.random.RandomState(seed)
    return {"w1": rng.randn(n_in, n_hidden) * np.sqrt(1.0 / n_in), "b1": np.zeros((1, n_hidden)),
            "w2": rng.randn(n_hidden, n_out) * np.sqrt(1.0 / n_hidden), "b2": np.zeros((1, n_out))}


def loss_and_cache(net, x, y):
    """Mean softmax cross-entropy of integer labels y; returns the loss and what backward needs."""
    h = np.tanh(x @ net["w1"] + net["b1"])
    scores = h @ net["w2"] + net["b2"]
    scores = scores - scores.max(axis=1, keepdims=True)
    probs = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    n = x.shape[0]
    loss = -np.log(probs[np.arange(n), y]).mean()
    return loss, (x, h, probs)


def gradients(net, cache, y):
    x, h, probs = cache
    n = x.shape[0]
    dscores = probs.copy()
    dscores[np.arange(n), y] -= 1
    dscores /= n
    grad = {"dw2": h.T @ dscores, "db2": dscores.sum(axis=0, keepdims=True)}
    dh = (dscores @ net["w2"].T) * (1 - h ** 2)
    grad["dw1"] = x.T @ dh
    grad["db1"] = dh.sum(axis=0, keepdims=True)
    return grad


def check_gradients(net, x, y, eps=1e-5):
    """Compare the backprop gradients with finite differences, one parameter array at a time."""
    _, cache = loss_and_cache(net, x, y)
    grad = gradients(net, cache, y)
    worst = 0.0
    for name in net:
        numeric = np.zeros_like(net[name])
        it = np.nditer(net[name], flags=["multi_index"])
        while not it.finished:
            idx = it.multi_index
            saved = net[name][idx]
            net[name][idx] = saved + eps
            loss_plus, _ = loss_and_cache(net, x, y)
            net[name][idx] = saved - eps
            loss_minus, _ = loss_and_cache(net, x, y)
            net[name][idx] = saved
            numeric[idx] = (loss_plus - loss_minus) / eps
            it.iternext()
        analytic = grad["d" + name]
        diff = np.linalg.norm(analytic - numeric) / (np.linalg.norm(analytic) + np.linalg.norm(numeric))
        worst = max(worst, diff)
        print(f"{name}: relative difference {diff:.3e}")
    if worst > 1e-6:
        print("gradient check FAILED, worst difference", worst)
    else:
        print("gradient check passed")
    return worst


def train(net, x, y, lr=1.0, steps=3000):
    for step in range(steps):
        loss, cache = loss_and_cache(net, x, y)
        grad = gradients(net, cache, y)
        for name in net:
            net[name] -= lr * grad["d" + name]
        if step % 500 == 0:
            print(f"step {step}: loss {loss:.4f}")
    return net


if __name__ == "__main__":
    x, y = spiral_data()
    net = init_net(2, 50, 3)
    # check the backprop on a few examples before training
    check_gradients(net, x[::30], y[::30])
    net = train(net, x, y)
    _, (_, _, probs) = loss_and_cache(net, x, y)
    print("training accuracy:", np.mean(np.argmax(probs, axis=1) == y))


EXPECTED = {
    "verdict": "warn",
    "style": "lowercase keys, examples as rows, tanh/softmax spiral; the learner's per-array finite-difference check, then training, under the guard",
    "twin": "scr_gradcheck_learner_eps_ok.py",
    "trains": True,
    "findings": [
        {"rule": "learner-gradient-check", "kind": "epsilon", "severity": "warning",
         "function": "check_gradients"},
    ],
    "absent": ["gradient-mismatch", "activation-derivative", "learning-rate", "user-code-error"],
}
