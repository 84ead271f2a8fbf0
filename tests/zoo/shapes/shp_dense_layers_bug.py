"""8x8 digit images, layer objects: class Dense with .weights/.bias, forward(x) and backward(grad)
that stores .dweights/.dbias, separate ReLU and Softmax layer objects, a Sequential holding them in
.layers, and a loss object with forward(probs, y)/backward(probs, y); examples as rows (m, 64).

Bug (FIELD_GUIDE case 5): the softmax cross-entropy is averaged over the classes too,
-np.mean(y * log p) over all m * 10 entries, while the loss's backward returns -y / p / m (the
gradient of the mean over examples only). Every gradient is 10 x (the number of classes) the
gradient of the printed loss, and the printed loss starts at ln(10) / 10 = 0.23 instead of 2.30.

Expected diagnosis: gradient-mismatch, kind scale, factor 10 = number of classes (error), for every
parameter: layers[0].weights, layers[0].bias, layers[2].weights, layers[2].bias. A factor equal to
the class count is a bug, not the sum-vs-mean convention. (initial-cost would also be true.)

Ground truth (float64, central differences eps=1e-6, first step, 1200 training images):
  layers[0].weights (64, 32), layers[0].bias (1, 32), layers[2].weights (32, 10),
  layers[2].bias (1, 10): analytic / numerical = +10.000 for each, relative error 0.818 each.
  The twin: every parameter <= 6.5e-9.
  printed loss 0.2431 (it. 0) -> 0.0487 (it. 100) -> 0.0022 (it. 900); the training itself is
  exactly the twin's (train acc 1.000, test 0.983): only the printed loss is 1/10 of the real one.
  Author run: 7-10 s (two runs, OMP_NUM_THREADS=1, a 2-core machine shared with other jobs).
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
        return -np.mean(y_true * np.log(probs))

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
    "verdict": "fail",
    "style": "layer objects: Dense(.weights/.bias, forward/backward storing .dweights/.dbias), ReLU and "
             "Softmax layers, Sequential(.layers), loss object forward/backward; examples as rows (m, 64)",
    "twin": "shp_dense_layers_ok.py",
    "trains": True,
    "findings": [
        {"rule": "gradient-mismatch", "kind": "scale", "parameter": "layers[0].weights", "severity": "error"},
        {"rule": "gradient-mismatch", "kind": "scale", "parameter": "layers[2].weights", "severity": "error"},
    ],
    "absent": ["learning-rate", "cost-divergence", "output-activation"],
}
