"""8x8 digit images, layer objects: class Dense with .weights/.bias, forward(x) and backward(grad)
that stores .dweights/.dbias, separate ReLU and Softmax layer objects, a Sequential holding them in
.layers, and a loss object with forward(probs, y)/backward(probs, y); examples as rows (m, 64).

Correct twin of shp_dense_layers_bug.py: the loss sums over classes and averages over examples,
-np.mean(np.sum(y * log p, axis=1)), which is what the backward -y / p / m differentiates.

Expected diagnosis: pass. A tool must find the parameters on the layer objects
(model.layers[i].weights / .bias), their gradients in .dweights / .dbias after backward(), the
output as what the loss object's forward consumes, and the update as the in-place -=.

Ground truth (float64, central differences eps=1e-6, first step, 1200 training images):
  layers[0].weights 6.5e-9 | layers[0].bias 2.5e-9 | layers[2].weights 3.5e-9 | layers[2].bias 2.3e-9.
  loss 2.4310 (it. 0; ln 10 = 2.3026) -> 0.4869 (it. 100) -> 0.0218 (it. 900), train acc 1.000,
  test 0.983. Pixels are 0..16 scaled to 0..1.
  Author run: 8-11 s (two runs, OMP_NUM_THREADS=1, a 2-core machine shared with other jobs).
"""
import numpy as np

SEGMENTS = {  # seven-segment strokes of each digit
    0: "abcdef", 1: "bc", 2: "abged", 3: "abgcd", 4: "fgbc",
    5: "afgcd", 6: "afgedc", 7: "abc", 8: "abcdefg", 9: "abcdfg",
}


def draw_digit(digit, rng):
    img = np.zeros((8, 8))
    top, mid, bottom = 1, 4, 7
    left, right = 2, 5
    cells = {
        "a": [(top, c) for c in range(left, right + 1)],
        "g": [(mid, c) for c in range(left, right + 1)],
        "d": [(bottom, c) for c in range(left, right + 1)],
        "f": [(r, left) for r in range(top, mid + 1)],
        "b": [(r, right) for r in range(top, mid + 1)],
        "e": [(r, left) for r in range(mid, bottom + 1)],
        "c": [(r, right) for r in range(mid, bottom + 1)],
    }
    for seg in SEGMENTS[digit]:
        ink = rng.uniform(0.6, 1.0)
        for r, c in cells[seg]:
            img[r, c] = max(img[r, c], ink)
    img = np.roll(img, rng.randint(-1, 2), axis=1)
    img = np.roll(img, rng.randint(-1, 1), axis=0)
    img = img + rng.uniform(0, 0.35, size=img.shape)
    return np.clip(np.round(16 * img), 0, 16)


def load_digits(n_per_class=150, seed=0):
    rng = np.random.RandomState(seed)
    labels = np.repeat(np.arange(10), n_per_class)
    rng.shuffle(labels)
    images = np.stack([draw_digit(d, rng) for d in labels])
    return images.reshape(len(labels), 64) / 16.0, labels


class Dense:
    def __init__(self, n_inputs, n_neurons, rng):
        self.weights = rng.randn(n_inputs, n_neurons) * np.sqrt(2.0 / n_inputs)
        self.bias = np.zeros((1, n_neurons))

    def forward(self, x):
        self.inputs = x
        return x @ self.weights + self.bias

    def backward(self, grad):
        self.dweights = self.inputs.T @ grad
        self.dbias = np.sum(grad, axis=0, keepdims=True)
        return grad @ self.weights.T


class ReLU:
    def forward(self, x):
        self.inputs = x
        return np.maximum(0, x)

    def backward(self, grad):
        out = grad.copy()
        out[self.inputs <= 0] = 0
        return out


class Softmax:
    def forward(self, x):
        e = np.exp(x - np.max(x, axis=1, keepdims=True))
        self.output = e / np.sum(e, axis=1, keepdims=True)
        return self.output

    def backward(self, grad):
        s = self.output
        return s * (grad - np.sum(grad * s, axis=1, keepdims=True))


class CategoricalCrossEntropy:
    def forward(self, probs, y_true):
        probs = np.clip(probs, 1e-7, 1 - 1e-7)
        return -np.mean(np.sum(y_true * np.log(probs), axis=1))

    def backward(self, probs, y_true):
        probs = np.clip(probs, 1e-7, 1 - 1e-7)
        return -y_true / probs / len(probs)


class Sequential:
    def __init__(self, layers):
        self.layers = layers

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad):
        for layer in reversed(self.layers):
            grad = layer.backward(grad)
        return grad


def train(model, loss_fn, x, y, epochs=1000, lr=0.5):
    for epoch in range(epochs):
        probs = model.forward(x)
        loss = loss_fn.forward(probs, y)
        model.backward(loss_fn.backward(probs, y))
        for layer in model.layers:
            if isinstance(layer, Dense):
                layer.weights -= lr * layer.dweights
                layer.bias -= lr * layer.dbias
        if epoch % 100 == 0:
            acc = np.mean(np.argmax(probs, axis=1) == np.argmax(y, axis=1))
            print(f"epoch: {epoch}, acc: {acc:.3f}, loss: {loss:.4f}")


if __name__ == "__main__":
    x, labels = load_digits()
    y = np.eye(10)[labels]
    x_train, y_train, x_test, y_test = x[:1200], y[:1200], x[1200:], y[1200:]
    rng = np.random.RandomState(0)
    model = Sequential([Dense(64, 32, rng), ReLU(), Dense(32, 10, rng), Softmax()])
    train(model, CategoricalCrossEntropy(), x_train, y_train)
    test_probs = model.forward(x_test)
    print("test accuracy:", np.mean(np.argmax(test_probs, axis=1) == np.argmax(y_test, axis=1)))

EXPECTED = {
    "verdict": "pass",
    "style": "layer objects: Dense(.weights/.bias, forward/backward storing .dweights/.dbias), ReLU and "
             "Softmax layers, Sequential(.layers), loss object forward/backward; examples as rows (m, 64)",
    "twin": "shp_dense_layers_bug.py",
    "trains": True,
    "findings": [],
    "absent": ["gradient-mismatch", "initial-cost", "learning-rate", "cost-divergence", "output-activation",
               "unnormalized-input", "non-finite"],
}
