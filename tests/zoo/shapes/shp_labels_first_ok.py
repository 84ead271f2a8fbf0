"""Three-class spiral, softmax network with lowercase keys: forward(x, params) returns a cache dict
whose "probs" entry is the output; the cost is cross_entropy(y_true, y_pred) with the LABELS FIRST;
examples as rows (m, 2), one-hot labels (m, 3); training in the __main__ block.

Correct twin of shp_labels_first_bug.py: the cost sums over classes (axis=1) and averages over
examples, matching the backward's (probs - y_true) / m.

Expected diagnosis: pass. A tool must take the cost's SECOND argument as the network output (the
first is the labels), find it as cache["probs"], and match gradients keyed like the parameters
("w1", not "dw1").

Ground truth (float64, central differences eps=1e-5, first step):
  w1 (2, 64) 6.2e-9 | b1 (1, 64) 3.6e-9 | w2 (64, 3) 8.2e-11 | b2 (1, 3) 1.1e-9 (with eps=1e-6
  w1 is 6.8e-8: the gradient entries are ~1e-3 against a cost of ~1, so round-off dominates).
  cost 1.0950 (it. 0; ln 3 = 1.0986) -> 0.0222 (it. 1000) -> 0.0018 (it. 8000), 0 rises in 8000
  steps, train accuracy 1.000.
  Author run: 4-9 s (two runs, OMP_NUM_THREADS=1, a 2-core machine shared with other jobs).
"""
import numpy as np


def make_spiral(per_class=100, n_classes=3, seed=0):
    rng = np.random.RandomState(seed)
    x = np.zeros((per_class * n_classes, 2))
    labels = np.zeros(per_class * n_classes, dtype=int)
    for c in range(n_classes):
        rows = slice(c * per_class, (c + 1) * per_class)
        radius = np.linspace(0.05, 1.0, per_class)
        angle = np.linspace(c * 4.0, (c + 1) * 4.0, per_class) + 0.2 * rng.randn(per_class)
        x[rows, 0] = radius * np.sin(angle)
        x[rows, 1] = radius * np.cos(angle)
        labels[rows] = c
    return x, labels


def one_hot(labels, n_classes):
    out = np.zeros((labels.size, n_classes))
    out[np.arange(labels.size), labels] = 1.0
    return out


def init_params(n_in, n_hidden, n_out, seed=1):
    rng = np.random.RandomState(seed)
    return {
        "w1": rng.randn(n_in, n_hidden) * np.sqrt(2.0 / n_in),
        "b1": np.zeros((1, n_hidden)),
        "w2": rng.randn(n_hidden, n_out) * 0.01,
        "b2": np.zeros((1, n_out)),
    }


def softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def forward(x, params):
    z1 = x @ params["w1"] + params["b1"]
    h = np.maximum(0, z1)
    scores = h @ params["w2"] + params["b2"]
    probs = softmax(scores)
    return {"z1": z1, "h": h, "scores": scores, "probs": probs}


def cross_entropy(y_true, y_pred):
    log_p = np.log(y_pred + 1e-12)
    return -np.mean(np.sum(y_true * log_p, axis=1))


def backprop(params, cache, x, y_true):
    m = x.shape[0]
    d_scores = (cache["probs"] - y_true) / m
    grads = {
        "w2": cache["h"].T @ d_scores,
        "b2": d_scores.sum(axis=0, keepdims=True),
    }
    d_h = d_scores @ params["w2"].T
    d_z1 = d_h * (cache["z1"] > 0)
    grads["w1"] = x.T @ d_z1
    grads["b1"] = d_z1.sum(axis=0, keepdims=True)
    return grads


def sgd_step(params, grads, lr):
    for name in params:
        params[name] -= lr * grads[name]


if __name__ == "__main__":
    x, labels = make_spiral()
    y = one_hot(labels, 3)
    params = init_params(2, 64, 3)
    for epoch in range(8001):
        cache = forward(x, params)
        loss = cross_entropy(y, cache["probs"])
        grads = backprop(params, cache, x, y)
        sgd_step(params, grads, lr=1.0)
        if epoch % 500 == 0:
            acc = np.mean(np.argmax(cache["probs"], axis=1) == labels)
            print(f"epoch {epoch:5d}  loss {loss:.4f}  train acc {acc:.3f}")

EXPECTED = {
    "verdict": "pass",
    "style": "forward returns a cache dict ('probs'); cross_entropy(y_true, y_pred) labels first; "
             "lowercase keys; examples as rows (m, 2); __main__ block",
    "twin": "shp_labels_first_bug.py",
    "trains": True,
    "findings": [],
    "absent": ["gradient-mismatch", "initial-cost", "learning-rate", "cost-divergence", "cost-oscillation",
               "output-activation", "non-finite"],
}
