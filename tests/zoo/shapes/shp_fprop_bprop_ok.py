"""Three rings, layer classes in the fprop/bprop style: each layer has fprop(inputs) and
bprop(inputs, outputs, grads_wrt_outputs); affine layers add grads_wrt_params(inputs,
grads_wrt_outputs) -> [grads_wrt_weights, grads_wrt_biases] and keep weights as (output_dim,
input_dim); the model's fprop returns the list of every layer's activations (the output is the
last one) and an error object turns outputs and targets into the cost; examples as rows.

Correct twin of shp_fprop_bprop_bug.py: the tanh layer's bprop multiplies by 1 - outputs ** 2.

Expected diagnosis: pass. A tool must take the LAST element of the list model.fprop returns as
the output, pair the flat list of gradients with model.params (weights, biases, weights, biases),
and see the weights stored (output_dim, input_dim) although examples are rows.

Ground truth (float64, central differences eps=1e-5, first step, 600 examples):
  layers[0].weights 2.1e-10 | layers[0].biases 5.2e-10 | layers[2].weights 1.5e-10 |
  layers[2].biases 2.8e-9.
  cost 1.1490 (it. 0; ln 3 = 1.0986) -> 0.1936 (it. 500) -> 0.0516 (it. 2999), 0 rises; train acc 0.99.
  Author run: 9-12 s (two runs, OMP_NUM_THREADS=1, a 2-core machine shared with other jobs).
"""
import numpy as np


def make_rings(n_per_ring=200, seed=11):
    rng = np.random.RandomState(seed)
    inputs, targets = [], []
    for k, (r_lo, r_hi) in enumerate([(0.0, 0.45), (0.55, 0.95), (1.05, 1.5)]):
        radius = np.sqrt(rng.uniform(r_lo ** 2, r_hi ** 2, n_per_ring))
        angle = rng.uniform(0, 2 * np.pi, n_per_ring)
        inputs.append(np.column_stack([radius * np.cos(angle), radius * np.sin(angle)]))
        targets.append(np.full(n_per_ring, k))
    inputs = np.concatenate(inputs) + 0.05 * rng.randn(3 * n_per_ring, 2)
    targets = np.concatenate(targets)
    return inputs, np.eye(3)[targets]


class AffineLayer:
    def __init__(self, input_dim, output_dim, rng, init_scale=0.5):
        self.weights = rng.uniform(-init_scale, init_scale, (output_dim, input_dim))
        self.biases = np.zeros(output_dim)

    def fprop(self, inputs):
        return inputs.dot(self.weights.T) + self.biases

    def bprop(self, inputs, outputs, grads_wrt_outputs):
        return grads_wrt_outputs.dot(self.weights)

    def grads_wrt_params(self, inputs, grads_wrt_outputs):
        grads_wrt_weights = grads_wrt_outputs.T.dot(inputs)
        grads_wrt_biases = grads_wrt_outputs.sum(axis=0)
        return [grads_wrt_weights, grads_wrt_biases]

    @property
    def params(self):
        return [self.weights, self.biases]


class TanhLayer:
    def fprop(self, inputs):
        return np.tanh(inputs)

    def bprop(self, inputs, outputs, grads_wrt_outputs):
        return grads_wrt_outputs * (1.0 - outputs ** 2)


class MultipleLayerModel:
    def __init__(self, layers):
        self.layers = layers

    @property
    def params(self):
        found = []
        for layer in self.layers:
            if hasattr(layer, "params"):
                found += layer.params
        return found

    def fprop(self, inputs):
        activations = [inputs]
        for layer in self.layers:
            activations.append(layer.fprop(activations[-1]))
        return activations

    def grads_wrt_params(self, activations, grads_wrt_outputs):
        grads = []
        for i in range(len(self.layers) - 1, -1, -1):
            layer = self.layers[i]
            inputs, outputs = activations[i], activations[i + 1]
            if hasattr(layer, "grads_wrt_params"):
                grads = layer.grads_wrt_params(inputs, grads_wrt_outputs) + grads
            grads_wrt_outputs = layer.bprop(inputs, outputs, grads_wrt_outputs)
        return grads


class CrossEntropySoftmaxError:
    def softmax(self, outputs):
        shifted = np.exp(outputs - outputs.max(axis=-1, keepdims=True))
        return shifted / shifted.sum(axis=-1, keepdims=True)

    def __call__(self, outputs, targets):
        return -np.mean(np.sum(targets * np.log(self.softmax(outputs)), axis=1))

    def grad(self, outputs, targets):
        return (self.softmax(outputs) - targets) / outputs.shape[0]


def train(model, error, inputs, targets, learning_rate=0.5, num_epochs=3000, stats_interval=250):
    for epoch in range(num_epochs):
        activations = model.fprop(inputs)
        cost = error(activations[-1], targets)
        grads = model.grads_wrt_params(activations, error.grad(activations[-1], targets))
        for param, grad in zip(model.params, grads):
            param -= learning_rate * grad
        if epoch % stats_interval == 0:
            acc = np.mean(activations[-1].argmax(-1) == targets.argmax(-1))
            print("Epoch {0}: error(train)={1:.4f} acc(train)={2:.3f}".format(epoch, cost, acc))


if __name__ == "__main__":
    rng = np.random.RandomState(20171001)
    inputs, targets = make_rings()
    model = MultipleLayerModel([
        AffineLayer(2, 32, rng),
        TanhLayer(),
        AffineLayer(32, 3, rng),
    ])
    train(model, CrossEntropySoftmaxError(), inputs, targets)

EXPECTED = {
    "verdict": "pass",
    "style": "fprop(inputs)/bprop(inputs, outputs, grads_wrt_outputs) layer classes, grads_wrt_params lists, "
             "weights (out, in); model.fprop returns every activation; error object; examples as rows",
    "twin": "shp_fprop_bprop_bug.py",
    "trains": True,
    "findings": [],
    "absent": ["gradient-mismatch", "activation-mismatch", "activation-derivative", "learning-rate",
               "cost-divergence", "cost-oscillation", "initial-cost", "output-activation"],
}
