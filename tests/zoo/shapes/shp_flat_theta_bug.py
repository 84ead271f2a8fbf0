"""Handwritten-digit network in the machine-learning-course style: both weight matrices live in
ONE flat unrolled vector nn_params (Theta1 then Theta2, column-major like the course's Theta1(:)),
nn_cost_function(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_)
returns (J, grad) with grad unrolled the same way, training is scipy.optimize.minimize(...,
jac=True, method="CG", args=(...)); examples as rows (m, 64), labels 1..10 (digit 0 is label 10).

Bug: the gradient of Theta2 is unrolled in the wrong order. nn_params is cut back into Theta1 and
Theta2 with order="F" (column-major), Theta1_grad is unrolled with order="F" too, but Theta2_grad
with a plain .ravel() (row-major). The Theta2 block of grad holds the right numbers in the wrong
places: it is Theta2_grad TRANSPOSED, read column-major (C-order ravel of a (10, 26) matrix is
the F-order ravel of its (26, 10) transpose).

Expected diagnosis: gradient-mismatch (error) on the Theta2 block of the flat vector, kind
transpose (the unrolling order); the Theta1 block agrees.

Ground truth (float64, central differences eps=1e-5 on all 1885 entries of nn_params, lambda_=1):
  Theta1 block (1625 entries) relative error 5.2e-9; Theta2 block (260 entries) 0.147 (a least-
  squares factor of 0.957: the values are all there, in the wrong places). The Theta2 block equals
  the C-order ravel of the numerical Theta2 gradient, i.e. the F-order ravel of its transpose, to
  9.3e-11; sorted, the analytic and numerical blocks agree to 9.3e-11. Whole vector: 0.147.
  The twin: Theta1 5.2e-9, Theta2 9.3e-11, whole vector 2.4e-10.
  J at the initial parameters 6.9124 (10 sigmoid outputs: 10 ln 2 = 6.93). CG stops after 3
  iterations / 56 evaluations, "Desired error not necessarily achieved due to precision loss",
  final cost 3.3273, training accuracy 8.7% (the twin: 150 iterations, 1.9364, 84.4%).
  Author run: 4 s (two runs, OMP_NUM_THREADS=1, a 2-core machine shared with other jobs).
"""
import numpy as np
from scipy import optimize

FONT = {  # 5x3 bitmaps
    0: ["###", "#.#", "#.#", "#.#", "###"], 1: [".#.", "##.", ".#.", ".#.", "###"],
    2: ["###", "..#", "###", "#..", "###"], 3: ["###", "..#", ".##", "..#", "###"],
    4: ["#.#", "#.#", "###", "..#", "..#"], 5: ["###", "#..", "###", "..#", "###"],
    6: ["###", "#..", "###", "#.#", "###"], 7: ["###", "..#", ".#.", ".#.", ".#."],
    8: ["###", "#.#", "###", "#.#", "###"], 9: ["###", "#.#", "###", "..#", "###"],
}


def load_data(m=2000, seed=5):
    """8x8 grey images of digits drawn from a 5x3 font at a random place; y in 1..10 (0 -> 10)."""
    rng = np.random.RandomState(seed)
    digits = rng.randint(0, 10, size=m)
    X = np.zeros((m, 64))
    for i, d in enumerate(digits):
        glyph = np.array([[ch == "#" for ch in row] for row in FONT[d]], dtype=float)
        img = np.zeros((8, 8))
        r, c = rng.randint(0, 4), rng.randint(0, 6)
        img[r:r + 5, c:c + 3] = glyph * rng.uniform(0.5, 1.0)
        img += 0.15 * rng.randn(8, 8)
        X[i] = np.clip(img, 0, 1).ravel()
    y = np.where(digits == 0, 10, digits)
    return X, y


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_gradient(z):
    g = sigmoid(z)
    return g * (1 - g)


def rand_initialize_weights(L_in, L_out, epsilon_init=0.12):
    return np.random.rand(L_out, 1 + L_in) * 2 * epsilon_init - epsilon_init


def nn_cost_function(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_=0.0):
    Theta1 = np.reshape(nn_params[:hidden_layer_size * (input_layer_size + 1)],
                        (hidden_layer_size, input_layer_size + 1), order="F")
    Theta2 = np.reshape(nn_params[hidden_layer_size * (input_layer_size + 1):],
                        (num_labels, hidden_layer_size + 1), order="F")
    m = X.shape[0]

    a1 = np.concatenate([np.ones((m, 1)), X], axis=1)
    z2 = a1 @ Theta1.T
    a2 = np.concatenate([np.ones((m, 1)), sigmoid(z2)], axis=1)
    z3 = a2 @ Theta2.T
    h = sigmoid(z3)

    y_matrix = np.eye(num_labels)[y - 1]
    J = (-1 / m) * np.sum(y_matrix * np.log(h) + (1 - y_matrix) * np.log(1 - h))
    J += (lambda_ / (2 * m)) * (np.sum(Theta1[:, 1:] ** 2) + np.sum(Theta2[:, 1:] ** 2))

    delta3 = h - y_matrix
    delta2 = (delta3 @ Theta2[:, 1:]) * sigmoid_gradient(z2)
    Delta1 = delta2.T @ a1
    Delta2 = delta3.T @ a2

    Theta1_grad = Delta1 / m
    Theta2_grad = Delta2 / m
    Theta1_grad[:, 1:] += (lambda_ / m) * Theta1[:, 1:]
    Theta2_grad[:, 1:] += (lambda_ / m) * Theta2[:, 1:]

    grad = np.concatenate([Theta1_grad.ravel(order="F"), Theta2_grad.ravel()])
    return J, grad


def predict(Theta1, Theta2, X):
    m = X.shape[0]
    h1 = sigmoid(np.concatenate([np.ones((m, 1)), X], axis=1) @ Theta1.T)
    h2 = sigmoid(np.concatenate([np.ones((m, 1)), h1], axis=1) @ Theta2.T)
    return np.argmax(h2, axis=1) + 1


# ==================== Part 1: Loading data ====================
input_layer_size = 64   # 8x8 input images of digits
hidden_layer_size = 25  # 25 hidden units
num_labels = 10         # 10 labels, from 1 to 10 (note that "0" is mapped to label 10)

print("Loading data ...")
X, y = load_data()
m = X.shape[0]

# ==================== Part 2: Initializing parameters ====================
np.random.seed(0)
initial_Theta1 = rand_initialize_weights(input_layer_size, hidden_layer_size)
initial_Theta2 = rand_initialize_weights(hidden_layer_size, num_labels)
initial_nn_params = np.concatenate([initial_Theta1.ravel(order="F"), initial_Theta2.ravel(order="F")])

lambda_ = 1.0
J, _ = nn_cost_function(initial_nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_)
print("Cost at initial parameters (lambda = 1): %.6f" % J)

# ==================== Part 3: Training NN ====================
print("Training Neural Network...")
options = {"maxiter": 150}
res = optimize.minimize(nn_cost_function, initial_nn_params, jac=True, method="CG", options=options,
                        args=(input_layer_size, hidden_layer_size, num_labels, X, y, lambda_))
nn_params = res.x
print("Optimizer: %s (%d iterations, %d cost evaluations), final cost %.6f" % (res.message, res.nit, res.nfev, res.fun))

Theta1 = np.reshape(nn_params[:hidden_layer_size * (input_layer_size + 1)],
                    (hidden_layer_size, (input_layer_size + 1)), order="F")
Theta2 = np.reshape(nn_params[(hidden_layer_size * (input_layer_size + 1)):],
                    (num_labels, (hidden_layer_size + 1)), order="F")

# ==================== Part 4: Implement Predict ====================
pred = predict(Theta1, Theta2, X)
print("Training Set Accuracy: %f" % (np.mean(pred == y) * 100))

EXPECTED = {
    "verdict": "fail",
    "style": "one flat unrolled parameter vector (Theta1, Theta2, column-major); nn_cost_function(...) -> (J, grad); "
             "scipy.optimize.minimize(jac=True, method='CG'); examples as rows, labels 1..10; module-level script",
    "twin": "shp_flat_theta_ok.py",
    "trains": True,
    "findings": [
        {"rule": "gradient-mismatch", "kind": "transpose", "parameter": "Theta2", "severity": "error"},
    ],
    "absent": ["learning-rate", "initial-cost", "output-activation"],
}
