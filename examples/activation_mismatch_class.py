"""A class-based two-layer network whose forward and backward passes disagree on the activation.

Field-guide case 4 (forward and backward disagree on the activation). The network is built with
`activation="sigmoid"` and `backward` differentiates `self.activation`, but `forward` has its own
keyword default:

    def forward(self, X, activation="relu"):

and `fit` calls `self.forward(X)`, so the forward pass runs ReLU while the backward pass
multiplies by the sigmoid derivative. Shapes agree, nothing crashes, the cost even goes down a
little: the gradients are simply those of another network.

Expected diagnosis
------------------
error  activation-mismatch, layer 1, in NeuralNetwork.sigmoid_derivative: layer 1's forward pass
       used relu, its backward pass the derivative of sigmoid.
A gradient check on the file also finds dW1 and db1 wrong (kind other; W2 and b2 are right); the
runtime rule names the cause.
Correct twin: correct_class.py.
"""

import numpy as np

layer_sizes = [20, 16, 1]


def load_data(m=400, n=20, seed=11):
    """Examples as columns; the label is a noisy non-linear function of a few features."""
    rng = np.random.RandomState(seed)
    X = rng.randn(n, m)
    score = X[0] * X[1] + 0.8 * X[2] - 0.5 * X[3] + 0.3 * rng.randn(m)
    Y = (score > 0).astype(float).reshape(1, m)
    return X, Y


class NeuralNetwork:
    def __init__(self, layer_sizes, activation="sigmoid", learning_rate=0.5, seed=1):
        n_x, n_h, n_y = layer_sizes
        rng = np.random.RandomState(seed)
        self.activation = activation
        self.learning_rate = learning_rate
        self.params = {
            "W1": rng.randn(n_h, n_x) * np.sqrt(1.0 / n_x),
            "b1": np.zeros((n_h, 1)),
            "W2": rng.randn(n_y, n_h) * np.sqrt(1.0 / n_h),
            "b2": np.zeros((n_y, 1)),
        }
        self.grads = {}

    def sigmoid(self, z):
        return 1 / (1 + np.exp(-z))

    def relu(self, z):
        return np.maximum(0, z)

    def sigmoid_derivative(self, z):
        s = self.sigmoid(z)
        return s * (1 - s)

    def relu_derivative(self, z):
        return (z > 0).astype(float)

    def forward(self, X, activation="relu"):  # BUG: should use self.activation
        p = self.params
        self.Z1 = p["W1"] @ X + p["b1"]
        if activation == "relu":
            self.A1 = self.relu(self.Z1)
        else:
            self.A1 = self.sigmoid(self.Z1)
        self.Z2 = p["W2"] @ self.A1 + p["b2"]
        self.A2 = self.sigmoid(self.Z2)
        return self.A2

    def compute_cost(self, A2, Y):
        m = Y.shape[1]
        return float(-np.sum(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)) / m)

    def backward(self, X, Y):
        m = X.shape[1]
        dZ2 = self.A2 - Y
        self.grads["dW2"] = dZ2 @ self.A1.T / m
        self.grads["db2"] = np.sum(dZ2, axis=1, keepdims=True) / m
        dA1 = self.params["W2"].T @ dZ2
        if self.activation == "relu":
            dZ1 = dA1 * self.relu_derivative(self.Z1)
        else:
            dZ1 = dA1 * self.sigmoid_derivative(self.Z1)
        self.grads["dW1"] = dZ1 @ X.T / m
        self.grads["db1"] = np.sum(dZ1, axis=1, keepdims=True) / m
        return self.grads

    def update(self):
        for key in self.params:
            self.params[key] = self.params[key] - self.learning_rate * self.grads["d" + key]

    def fit(self, X, Y, epochs=2000, print_every=0):
        costs = []
        for epoch in range(epochs):
            A2 = self.forward(X)
            cost = self.compute_cost(A2, Y)
            self.backward(X, Y)
            self.update()
            costs.append(cost)
            if print_every and epoch % print_every == 0:
                print("epoch", epoch, "cost", round(cost, 6))
        return costs

    def predict(self, X):
        return (self.forward(X, self.activation) > 0.5).astype(float)


if __name__ == "__main__":
    X, Y = load_data()
    net = NeuralNetwork(layer_sizes, activation="sigmoid")
    costs = net.fit(X[:, :300], Y[:, :300], print_every=500)
    print("train accuracy", np.mean(net.predict(X[:, :300]) == Y[:, :300]))
    print("test accuracy", np.mean(net.predict(X[:, 300:]) == Y[:, 300:]))


EXPECTED = {
    "verdict": "fail",
    "twin": "correct_class.py",
    "cases": [4],
    "findings": [{"rule": "activation-mismatch", "layer": 1, "severity": "error",
                  "function": "NeuralNetwork.sigmoid_derivative"}]
    # the gradient check's disagreements on W1 and b1 are reported inside the mismatch finding
    + [{"rule": "activation-mismatch", "gradient_check": ["W1", "b1"], "needs": "gradient-check"}],
    "absent": ["activation-derivative", "output-activation"],
}
