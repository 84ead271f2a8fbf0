"""Two interleaved spirals, written as maximum likelihood: the loop's printed "loss" is the mean
LOG-LIKELIHOOD (the negative of the cross-entropy, so it RISES toward 0 as training works),
gradients(params, cache, X, Y) returns the gradient of that log-likelihood and the update is
gradient ASCENT, params[k] += lr * grads["d" + k]; lowercase keys (w1, b1, w2, b2; dw1, ...);
forward(params, X) returns (a2, cache dict); tanh hidden layer, sigmoid output; examples as
columns (2, m); training in the __main__ block.

Bug: a sign flip in the hidden layer's gradient: the tanh derivative is written a1 ** 2 - 1
instead of 1 - a1 ** 2, so dw1 and db1 point the wrong way (they DEcrease the likelihood) while
dw2 and db2 are right.

Expected diagnosis: gradient-mismatch, kind sign, parameters w1 and b1 (error), measured against
the printed quantity the program maximizes (or, equivalently, against the loss it minimizes with
the update's sign): w2 and b2 agree.

Ground truth (float64, central differences eps=1e-5 of the printed log-likelihood, first step):
  w1 (24, 2) and b1 (24, 1): analytic / numerical = -1.000 (relative error 1.000 each);
  w2 5.3e-11, b2 5.3e-9. The twin: w1 6.1e-10, b1 2.8e-8 (its entries are ~1e-4), w2 5.3e-11,
  b2 5.3e-9.
  printed "loss" (a log-likelihood) -0.6770 (it. 0) -> -0.6079 (best, it. 45) -> -0.6687
  (it. 1000) -> -1.2407 (it. 3000) -> -1.6874 (it. 8000): the likelihood the program maximizes
  FALLS, accuracy 0.565 -> 0.477. (The twin rises to -0.0409, accuracy 0.990.)
  Author run: 8 s (two runs, OMP_NUM_THREADS=1, a 2-core machine shared with other jobs).
"""
import numpy as np


def twin_spirals(n_per_arm=200, turns=1.5, noise=0.08, seed=12):
    rng = np.random.RandomState(seed)
    t = np.sqrt(rng.rand(n_per_arm)) * turns * 2 * np.pi
    arm = np.vstack([t * np.cos(t), t * np.sin(t)]) / (turns * 2 * np.pi)
    X = np.hstack([arm, -arm]) + noise * rng.randn(2, 2 * n_per_arm)
    Y = np.hstack([np.zeros((1, n_per_arm)), np.ones((1, n_per_arm))])
    return X, Y


def init(n_x, n_h, seed=0):
    rng = np.random.RandomState(seed)
    return {"w1": rng.randn(n_h, n_x), "b1": np.zeros((n_h, 1)),
            "w2": rng.randn(1, n_h) * 0.1, "b2": np.zeros((1, 1))}


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def forward(params, X):
    z1 = params["w1"] @ X + params["b1"]
    a1 = np.tanh(z1)
    z2 = params["w2"] @ a1 + params["b2"]
    a2 = sigmoid(z2)
    return a2, {"z1": z1, "a1": a1, "z2": z2, "a2": a2}


def log_likelihood(Y, a2):
    return float(np.mean(Y * np.log(a2) + (1 - Y) * np.log(1 - a2)))


def gradients(params, cache, X, Y):
    m = X.shape[1]
    dz2 = Y - cache["a2"]
    dw2 = dz2 @ cache["a1"].T / m
    db2 = dz2.sum(axis=1, keepdims=True) / m
    dz1 = (params["w2"].T @ dz2) * (cache["a1"] ** 2 - 1)
    dw1 = dz1 @ X.T / m
    db1 = dz1.sum(axis=1, keepdims=True) / m
    return {"dw1": dw1, "db1": db1, "dw2": dw2, "db2": db2}


if __name__ == "__main__":
    X, Y = twin_spirals()
    params = init(2, 24)
    lr = 1.0
    history = []
    for it in range(8001):
        a2, cache = forward(params, X)
        loss = log_likelihood(Y, a2)
        history.append(loss)
        grads = gradients(params, cache, X, Y)
        for k in params:
            params[k] += lr * grads["d" + k]
        if it % 1000 == 0:
            acc = np.mean((a2 > 0.5) == Y)
            print(f"iter {it:5d}: loss {loss:.4f}  accuracy {acc:.3f}")
    print("best loss:", max(history))

EXPECTED = {
    "verdict": "fail",
    "style": "printed 'loss' is a log-likelihood (rises); gradients of the log-likelihood; gradient ASCENT "
             "params[k] += lr * grads; lowercase keys; forward returns (a2, cache dict); examples as columns",
    "twin": "shp_loglik_ok.py",
    "trains": True,
    "findings": [
        {"rule": "gradient-mismatch", "kind": "sign", "parameter": "w1", "severity": "error"},
        {"rule": "gradient-mismatch", "kind": "sign", "parameter": "b1", "severity": "error"},
    ],
    "absent": ["learning-rate", "initial-cost", "output-activation", "optimizer-update"],
}
