"""Two interleaved spirals, written as maximum likelihood: the loop's printed "loss" is the mean
LOG-LIKELIHOOD (the negative of the cross-entropy, so it RISES toward 0 as training works),
gradients(params, cache, X, Y) returns the gradient of that log-likelihood and the update is
gradient ASCENT, params[k] += lr * grads["d" + k]; lowercase keys (w1, b1, w2, b2; dw1, ...);
forward(params, X) returns (a2, cache dict); tanh hidden layer, sigmoid output; examples as
columns (2, m); training in the __main__ block.

Correct twin of shp_loglik_bug.py: the tanh derivative is 1 - a1 ** 2.

Expected diagnosis: pass. The printed quantity is maximized, not minimized: it starts at -0.677
and rises to -0.041, which is NOT cost-divergence; its value is negative, which is not a bad
initial cost (it is -ln 2 territory: -0.677 vs -0.693); the gradients are those of the printed
quantity and the += update ascends it, which is NOT a sign error in the gradients nor in the
optimizer.

Ground truth (float64, central differences eps=1e-5 of the printed log-likelihood, first step):
  w1 6.1e-10 | b1 2.8e-8 (its entries are ~1e-4, round-off) | w2 5.3e-11 | b2 5.3e-9; against the
  cross-entropy (its negative) every factor is -1.
  printed "loss" -0.6770 (it. 0) -> -0.2802 (it. 1000) -> -0.0980 (it. 3000) -> -0.0409 (it. 8000),
  7724 of 8000 steps up; accuracy 0.565 -> 0.990.
  Author run: 8-9 s (two runs, OMP_NUM_THREADS=1, a 2-core machine shared with other jobs).
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
    dz1 = (params["w2"].T @ dz2) * (1 - cache["a1"] ** 2)
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
    "verdict": "pass",
    "style": "printed 'loss' is a log-likelihood (rises); gradients of the log-likelihood; gradient ASCENT "
             "params[k] += lr * grads; lowercase keys; forward returns (a2, cache dict); examples as columns",
    "twin": "shp_loglik_bug.py",
    "trains": True,
    "findings": [],
    "absent": ["cost-divergence", "gradient-mismatch", "initial-cost", "optimizer-update", "learning-rate",
               "cost-plateau", "parameters-not-updated", "output-activation"],
}
