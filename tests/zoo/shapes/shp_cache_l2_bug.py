"""Three-layer L2-regularized classifier, course style: forward_propagation returns a cache dict
holding every intermediate ("A3" is the output), the cost takes the parameters too:
compute_cost_with_regularization(A3, Y, parameters, lambd); examples as columns (2, m); the work
sits in main() called from the __main__ block; the cost curve is plotted with plt.show().

Bug (FIELD_GUIDE case 11): the L2 gradient term is forgotten for one layer. The cost adds
lambd/(2m) * (|W1|^2 + |W2|^2 + |W3|^2), the backward adds lambd/m * W1 and lambd/m * W3 but
dW2 is the unregularized dZ2 A1^T / m.

Expected diagnosis: gradient-mismatch, kind missing-term, parameter W2 (error); the missing
piece is exactly lambd/m * W2. W1, b1, b2, W3, b3 agree with the cost.

Ground truth (float64, central differences eps=1e-5, first step, lambd = 0.7, m = 211):
  W2 (3, 20): relative error 1.9e-2, analytic / numerical 0.9977; numerical - analytic equals
  lambd/m * W2 to 3.3e-9 (the whole difference is the missing term). W1 4.0e-10, b1 2.0e-10,
  b2 6.2e-11, W3 1.2e-10, b3 5.5e-12. The twin: every parameter <= 4.0e-10.
  cost 0.7243 (it. 0) -> 0.3938 (it. 1000) -> 0.4641 (it. 5000) -> 0.6542 (it. 19999): after
  ~800 iterations the cost RISES, because |W2| grows unpenalized (3.1 in the twin, 13.9 here) and
  the cost still charges lambd/(2m)|W2|^2. Train 0.886 / test 0.865 (twin 0.877 / 0.865).
  A cost-divergence warning is therefore true here; learning-rate would be the wrong cause.
  Author run: 10-17 s (two runs, OMP_NUM_THREADS=1, a 2-core machine shared with other jobs).
"""
import matplotlib.pyplot as plt
import numpy as np


def load_2D_dataset(m_train=211, m_test=200, seed=7):
    """Positions on a field, label = which team's half, with a wavy border and 8% flipped labels."""
    rng = np.random.RandomState(seed)

    def sample(m):
        X = rng.uniform(-0.75, 0.75, size=(2, m))
        border = 0.25 * np.sin(4.0 * X[0]) - 0.1
        Y = (X[1] > border).astype(float)
        flip = rng.rand(m) < 0.08
        Y[flip] = 1.0 - Y[flip]
        return X, Y.reshape(1, m)

    train_X, train_Y = sample(m_train)
    test_X, test_Y = sample(m_test)
    return train_X, train_Y, test_X, test_Y


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def relu(x):
    return np.maximum(0, x)


def initialize_parameters(layer_dims):
    np.random.seed(3)
    parameters = {}
    for l in range(1, len(layer_dims)):
        parameters["W" + str(l)] = np.random.randn(layer_dims[l], layer_dims[l - 1]) / np.sqrt(layer_dims[l - 1])
        parameters["b" + str(l)] = np.zeros((layer_dims[l], 1))
    return parameters


def forward_propagation(X, parameters):
    W1, b1 = parameters["W1"], parameters["b1"]
    W2, b2 = parameters["W2"], parameters["b2"]
    W3, b3 = parameters["W3"], parameters["b3"]
    Z1 = np.dot(W1, X) + b1
    A1 = relu(Z1)
    Z2 = np.dot(W2, A1) + b2
    A2 = relu(Z2)
    Z3 = np.dot(W3, A2) + b3
    A3 = sigmoid(Z3)
    cache = {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2, "Z3": Z3, "A3": A3}
    return cache


def compute_cost(A3, Y):
    m = Y.shape[1]
    logprobs = np.multiply(-np.log(A3), Y) + np.multiply(-np.log(1 - A3), 1 - Y)
    return 1.0 / m * np.nansum(logprobs)


def compute_cost_with_regularization(A3, Y, parameters, lambd):
    m = Y.shape[1]
    W1, W2, W3 = parameters["W1"], parameters["W2"], parameters["W3"]
    cross_entropy_cost = compute_cost(A3, Y)
    L2_regularization_cost = lambd / (2 * m) * (np.sum(np.square(W1)) + np.sum(np.square(W2)) + np.sum(np.square(W3)))
    return cross_entropy_cost + L2_regularization_cost


def backward_propagation_with_regularization(X, Y, cache, parameters, lambd):
    m = X.shape[1]
    W1, W2, W3 = parameters["W1"], parameters["W2"], parameters["W3"]
    A1, A2, A3 = cache["A1"], cache["A2"], cache["A3"]

    dZ3 = A3 - Y
    dW3 = 1.0 / m * np.dot(dZ3, A2.T) + lambd / m * W3
    db3 = 1.0 / m * np.sum(dZ3, axis=1, keepdims=True)

    dA2 = np.dot(W3.T, dZ3)
    dZ2 = np.multiply(dA2, np.int64(A2 > 0))
    dW2 = 1.0 / m * np.dot(dZ2, A1.T)
    db2 = 1.0 / m * np.sum(dZ2, axis=1, keepdims=True)

    dA1 = np.dot(W2.T, dZ2)
    dZ1 = np.multiply(dA1, np.int64(A1 > 0))
    dW1 = 1.0 / m * np.dot(dZ1, X.T) + lambd / m * W1
    db1 = 1.0 / m * np.sum(dZ1, axis=1, keepdims=True)

    return {"dZ3": dZ3, "dW3": dW3, "db3": db3, "dA2": dA2, "dZ2": dZ2, "dW2": dW2, "db2": db2,
            "dA1": dA1, "dZ1": dZ1, "dW1": dW1, "db1": db1}


def update_parameters(parameters, grads, learning_rate):
    L = len(parameters) // 2
    for l in range(1, L + 1):
        parameters["W" + str(l)] = parameters["W" + str(l)] - learning_rate * grads["dW" + str(l)]
        parameters["b" + str(l)] = parameters["b" + str(l)] - learning_rate * grads["db" + str(l)]
    return parameters


def predict(X, Y, parameters):
    A3 = forward_propagation(X, parameters)["A3"]
    p = (A3 > 0.5).astype(float)
    return np.mean(p == Y)


def model(X, Y, learning_rate=0.3, num_iterations=20000, print_cost=True, lambd=0.7):
    layers_dims = [X.shape[0], 20, 3, 1]
    parameters = initialize_parameters(layers_dims)
    costs = []
    for i in range(num_iterations):
        cache = forward_propagation(X, parameters)
        cost = compute_cost_with_regularization(cache["A3"], Y, parameters, lambd)
        grads = backward_propagation_with_regularization(X, Y, cache, parameters, lambd)
        parameters = update_parameters(parameters, grads, learning_rate)
        if print_cost and i % 5000 == 0:
            print("Cost after iteration {}: {}".format(i, cost))
        if i % 1000 == 0:
            costs.append(cost)
    plt.plot(costs)
    plt.ylabel("cost")
    plt.xlabel("iterations (x1,000)")
    plt.title("Learning rate =" + str(learning_rate))
    plt.show()
    return parameters


def main():
    train_X, train_Y, test_X, test_Y = load_2D_dataset()
    parameters = model(train_X, train_Y, lambd=0.7)
    print("On the train set:", predict(train_X, train_Y, parameters))
    print("On the test set:", predict(test_X, test_Y, parameters))


if __name__ == "__main__":
    main()

EXPECTED = {
    "verdict": "fail",
    "style": "forward returns a cache dict of every intermediate; "
             "compute_cost_with_regularization(A3, Y, parameters, lambd); examples as columns; main() in __main__",
    "twin": "shp_cache_l2_ok.py",
    "trains": True,
    "findings": [
        {"rule": "gradient-mismatch", "kind": "missing-term", "parameter": "W2", "severity": "error"},
    ],
    "absent": ["learning-rate", "initial-cost", "output-activation"],
}
