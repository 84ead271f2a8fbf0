"""A class-based network done right, in the "stateful" class style.

Another common class style (correct; a cousin of correct_class.py): the data is stored on the object (`self.X`, `self.Y`), `forward()`
takes no argument and reads `self.X`, `backward()` fills `self.grads`, and both passes use
`self.activation` (tanh in the hidden layer, sigmoid on the output).

Expected diagnosis
------------------
pass: no warning and no error (and a gradient check on the file passes), with nndoctor seeing both
layers: tanh in layer 1, sigmoid in layer 2. A pass that comes from not recognizing the network
(forward and cost not found) would not count.
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


class MLP:
    def __init__(self, layer_sizes, activation="tanh", learning_rate=0.5, seed=1):
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

    @staticmethod
    def sigmoid(z):
        return 1 / (1 + np.exp(-z))

    @staticmethod
    def tanh(z):
        return np.tanh(z)

    @staticmethod
    def tanh_derivative(z):
        return 1 - np.tanh(z) ** 2

    @staticmethod
    def relu(z):
        return np.maximum(0, z)

    @staticmethod
    def relu_derivative(z):
        return (z > 0).astype(float)

    def hidden(self, z):
        return self.tanh(z) if self.activation == "tanh" else self.relu(z)

    def hidden_derivative(self, z):
        return self.tanh_derivative(z) if self.activation == "tanh" else self.relu_derivative(z)

    def forward(self):
        p = self.params
        self.Z1 = np.dot(p["W1"], self.X) + p["b1"]
        self.A1 = self.hidden(self.Z1)
        self.Z2 = np.dot(p["W2"], self.A1) + p["b2"]
        self.A2 = self.sigmoid(self.Z2)
        return self.A2

    def cost(self):
        m = self.Y.shape[1]
        return float(-np.sum(self.Y * np.log(self.A2) + (1 - self.Y) * np.log(1 - self.A2)) / m)

    def backward(self):
        m = self.X.shape[1]
        dZ2 = self.A2 - self.Y
        self.grads["dW2"] = np.dot(dZ2, self.A1.T) / m
        self.grads["db2"] = np.sum(dZ2, axis=1, keepdims=True) / m
        dZ1 = np.dot(self.params["W2"].T, dZ2) * self.hidden_derivative(self.Z1)
        self.grads["dW1"] = np.dot(dZ1, self.X.T) / m
        self.grads["db1"] = np.sum(dZ1, axis=1, keepdims=True) / m

    def step(self):
        for key in self.params:
            self.params[key] -= self.learning_rate * self.grads["d" + key]

    def fit(self, X, Y, epochs=2000, print_every=0):
        self.X, self.Y = X, Y
        costs = []
        for epoch in range(epochs):
            self.forward()
            costs.append(self.cost())
            self.backward()
            self.step()
            if print_every and epoch % print_every == 0:
                print("epoch", epoch, "cost", round(costs[-1], 6))
        return costs

    def predict(self, X):
        self.X = X
        return (self.forward() > 0.5).astype(float)


if __name__ == "__main__":
    X, Y = load_data()
    net = MLP(layer_sizes)
    costs = net.fit(X[:, :300], Y[:, :300], print_every=500)
    print("train accuracy", np.mean(net.predict(X[:, :300]) == Y[:, :300]))
    print("test accuracy", np.mean(net.predict(X[:, 300:]) == Y[:, 300:]))


EXPECTED = {
    "verdict": "pass",
    "cases": [4],
    "findings": [],
    "absent": ["activation-mismatch", "activation-derivative", "gradient-mismatch"],
    "layers": {1: "tanh", 2: "sigmoid"},
}
