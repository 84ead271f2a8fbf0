"""Moons, per-example SGD: the loop visits the examples one at a time (`for x, y in zip(X, Y)`),
each x a 1-D vector of 2 features and y a scalar; plain functions take the weights as separate
arrays, forward(x, W1, b1, W2, b2) -> (z1, h, y_hat); sigmoid hidden layer and sigmoid output;
the mean of the per-example costs is printed once per epoch; training in main() from __main__.

Correct twin of shp_per_example_bug.py: sigmoid_derivative(z) = sigmoid(z) * (1 - sigmoid(z)).

Expected diagnosis: pass. The cost the tool sees at every step is ONE example's loss: it jumps
between 1e-9 and 4 from step to step (half of all 45,000 steps are higher than the step before)
and even the printed epoch means rise 49 times in 150 epochs. That is per-example SGD, not a
learning rate problem, oscillation or divergence. The gradient check is on one example (1-D x,
scalar y, np.outer gradients, parameters rebound inside train()).

Ground truth (float64, central differences eps=1e-5):
  first SGD step (example 98): W1 1.8e-10 | b1 1.5e-10 | W2 1.9e-11 | b2 2.7e-12;
  mean over all 300 examples: W1 1.5e-10 | b1 8.9e-10 | W2 3.0e-11 | b2 1.5e-10.
  Per-step cost over 45,000 steps: min 3.4e-9, max 4.29; last epoch mean 0.0373, std 0.165,
  max 1.79. Epoch cost 0.4725 (ep. 0) -> 0.0843 (ep. 50) -> 0.0373 (ep. 149), largest rise between
  epochs 0.025; accuracy 0.987.
  Author run: 4-8 s (two runs, OMP_NUM_THREADS=1, a 2-core machine shared with other jobs).
"""
import numpy as np


def make_moons(n=300, noise=0.15, seed=8):
    rng = np.random.RandomState(seed)
    n_a = n // 2
    t_a = np.linspace(0, np.pi, n_a)
    t_b = np.linspace(0, np.pi, n - n_a)
    X = np.concatenate([np.column_stack([np.cos(t_a), np.sin(t_a)]),
                        np.column_stack([1 - np.cos(t_b), 0.5 - np.sin(t_b)])])
    X += noise * rng.randn(n, 2)
    y = np.concatenate([np.zeros(n_a), np.ones(n - n_a)])
    return X, y


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_derivative(z):
    return sigmoid(z) * (1 - sigmoid(z))


def init_weights(n_in, n_hidden, seed=1):
    rng = np.random.RandomState(seed)
    W1 = rng.randn(n_hidden, n_in)
    b1 = np.zeros(n_hidden)
    W2 = rng.randn(1, n_hidden) * np.sqrt(1.0 / n_hidden)
    b2 = np.zeros(1)
    return W1, b1, W2, b2


def forward(x, W1, b1, W2, b2):
    z1 = W1 @ x + b1
    h = sigmoid(z1)
    y_hat = sigmoid(W2 @ h + b2)
    return z1, h, y_hat


def loss(y_hat, y):
    return float(-(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat))[0])


def backward(x, y, z1, h, y_hat, W2):
    d_out = y_hat - y
    dW2 = np.outer(d_out, h)
    db2 = d_out
    d_hidden = (W2.T @ d_out) * sigmoid_derivative(z1)
    dW1 = np.outer(d_hidden, x)
    db1 = d_hidden
    return dW1, db1, dW2, db2


def train(X, Y, W1, b1, W2, b2, epochs=150, lr=0.1, seed=2):
    rng = np.random.RandomState(seed)
    for epoch in range(epochs):
        order = rng.permutation(len(Y))
        total = 0.0
        for x, y in zip(X[order], Y[order]):
            z1, h, y_hat = forward(x, W1, b1, W2, b2)
            total += loss(y_hat, y)
            dW1, db1, dW2, db2 = backward(x, y, z1, h, y_hat, W2)
            W1 -= lr * dW1
            b1 -= lr * db1
            W2 -= lr * dW2
            b2 -= lr * db2
        if epoch % 10 == 0 or epoch == epochs - 1:
            print(f"epoch {epoch:3d}  cost {total / len(Y):.4f}")
    return W1, b1, W2, b2


def main():
    X, Y = make_moons()
    W1, b1, W2, b2 = init_weights(2, 10)
    W1, b1, W2, b2 = train(X, Y, W1, b1, W2, b2)
    preds = np.array([forward(x, W1, b1, W2, b2)[2][0] > 0.5 for x in X])
    print("accuracy:", np.mean(preds == Y))


if __name__ == "__main__":
    main()

EXPECTED = {
    "verdict": "pass",
    "style": "per-example SGD, for x, y in zip(X, Y) with 1-D x and scalar y; weights passed as separate arrays; "
             "np.outer gradients; cost printed per epoch; main() from __main__",
    "twin": "shp_per_example_bug.py",
    "trains": True,
    "findings": [],
    "absent": ["gradient-mismatch", "activation-derivative", "learning-rate", "cost-oscillation", "cost-divergence",
               "initial-cost", "output-activation"],
}
