"""XOR with a three-layer sigmoid network written as one module-level loop, no function at all: the
layers are named layer_0 .. layer_3, the weights synapse_0 .. synapse_2, the deltas carry (y - out)
so the update ADDS its step (synapse_2 += layer_2.T @ layer_3_delta), there is no learning rate in the
update line and no cost is ever computed (the loop prints the error now and then).

Correct twin of scr_xor_fused_bug.py.

Expected diagnosis: pass. A tool must take the += lines for the update of a loop with no functions,
read the applied step as (minus) a gradient, and, with no cost in the program, find the loss those
steps descend from the output layer and the labels: half the squared error (an implied-loss note).

Ground truth (float64): the applied steps equal -eta x the gradient of 0.5 * sum((y - out)^2) to
1e-12; the error falls from about 0.5 to below 0.05 in 6000 iterations.
"""
import numpy as np

np.random.seed(1)
X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=float)
y = np.array([[0, 1, 1, 0]], dtype=float).T

synapse_0 = 2 * np.random.random((3, 8)) - 1
synapse_1 = 2 * np.random.random((8, 6)) - 1
synapse_2 = 2 * np.random.random((6, 1)) - 1

for j in range(6000):
    layer_0 = X
    layer_1 = 1 / (1 + np.exp(-np.dot(layer_0, synapse_0)))
    layer_2 = 1 / (1 + np.exp(-np.dot(layer_1, synapse_1)))
    layer_3 = 1 / (1 + np.exp(-np.dot(layer_2, synapse_2)))

    layer_3_error = y - layer_3
    layer_3_delta = layer_3_error * layer_3 * (1 - layer_3)
    layer_2_delta = np.dot(layer_3_delta, synapse_2.T) * layer_2 * (1 - layer_2)
    layer_1_delta = np.dot(layer_2_delta, synapse_1.T) * layer_1 * (1 - layer_1)

    synapse_2 += np.dot(layer_2.T, layer_3_delta)
    synapse_1 += np.dot(layer_1.T, layer_2_delta)
    synapse_0 += np.dot(layer_0.T, layer_1_delta)

    if j % 1000 == 0:
        print("error:", np.mean(np.abs(layer_3_error)))

EXPECTED = {
    "verdict": "pass",
    "style": "one module-level loop, no functions, weights updated with += of the computed step, no learning rate and no cost",
    "twin": "scr_xor_fused_bug.py",
    "trains": True,
    "findings": [{"rule": "implied-loss", "severity": "info", "kind": "squared-error"}],
    "absent": ["gradient-mismatch", "user-code-error"],
}
