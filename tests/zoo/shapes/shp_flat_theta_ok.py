"""Handwritten-digit network in the machine-learning-course style: both weight matrices live in
ONE flat unrolled vector nn_params (Theta1 then Theta2, column-major like the course's Theta1(:)),
nn_cost_function(nn_params, input_layer_size, hidden_layer_size, num_labels, X, y, lambda_)
returns (J, grad) with grad unrolled the same way, training is scipy.optimize.minimize(...,
jac=True, method="CG", args=(...)); examples as rows (m, 64), labels 1..10 (digit 0 is label 10).

Correct twin of shp_flat_theta_bug.py: both gradient blocks are unrolled with order="F", the
order nn_params is cut back with.

Expected diagnosis: pass. A tool must see that the program trains with scipy.optimize.minimize,
take the function it is given (returning (J, grad), jac=True) as cost and gradient, check the flat
vector (by blocks: Theta1 is the first 25 * 65 entries, Theta2 the last 10 * 26) and not expect
ln 10 at initialization: the output is 10 independent sigmoids, so 10 ln 2 = 6.93 is right.

Ground truth (float64, central differences eps=1e-5 on all 1885 entries of nn_params, lambda_=1):
  Theta1 block 5.2e-9 | Theta2 block 9.3e-11 | whole vector 2.4e-10.
  J at the initial parameters 6.9124; CG runs its 150 iterations (294 evaluations), final cost
  1.9364, training accuracy 84.4%.
  Author run: 6-8 s (two runs, OMP_NUM_THREADS=1, a 2-core machine shared with other jobs).
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

    grad = np.concatenate([Theta1_grad.ravel(order="F"), Theta2_grad.ravel(order="F")])
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
    "verdict": "pass",
    "style": "one flat unrolled parameter vector (Theta1, Theta2, column-major); nn_cost_function(...) -> (J, grad); "
             "scipy.optimize.minimize(jac=True, method='CG'); examples as rows, labels 1..10; module-level script",
    "twin": "shp_flat_theta_bug.py",
    "trains": True,
    "findings": [],
    "absent": ["gradient-mismatch", "initial-cost", "learning-rate", "output-activation", "cost-divergence",
               "non-finite"],
}
