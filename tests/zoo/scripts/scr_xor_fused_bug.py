"""XOR with a three-layer sigmoid network written as one module-level loop, no function at all, the
update ADDING its step (synapse_2 += layer_2.T @ layer_3_delta), no learning rate, no cost.

Planted bug: the middle layer's delta multiplies by the derivative of the FIRST hidden layer
(layer_1 * (1 - layer_1)) where its own (layer_2 * (1 - layer_2)) belongs (both have 8 units... here
the shapes are made equal on purpose: 6 and 6). Training still lowers the error a little, slowly.

Expected diagnosis: the output layer's steps follow half the squared error (an implied-loss note
says so) and the steps of the layers below disagree with it: gradient-mismatch on synapse_1 (and
synapse_0 below it).

Ground truth (float64): synapse_2's step equals the gradient of 0.5 * sum((y - out)^2) to 1e-12;
synapse_1's and synapse_0's differ from theirs (nndoctor check measures relative errors of
about 0.02 and 0.24 at the first step).
"""
import numpy as np

np.random.seed(1)
X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=float)
y = np.array([[0, 1, 1, 0]], dtype=float).T

synapse_0 = 2 * np.random.random((3, 6)) - 1
synapse_1 = 2 * np.random.random((6, 6)) - 1
synapse_2 = 2 * np.random.random((6, 1)) - 1

for j in range(6000):
    layer_0 = X
    layer_1 = 1 / (1 + np.exp(-np.dot(layer_0, synapse_0)))
    layer_2 = 1 / (1 + np.exp(-np.dot(layer_1, synapse_1)))
    layer_3 = 1 / (1 + np.exp(-np.dot(layer_2, synapse_2)))

    layer_3_error = y - layer_3
    layer_3_delta = layer_3_error * layer_3 * (1 - layer_3)
    layer_2_delta = np.dot(layer_3_delta, synapse_2.T) * layer_1 * (1 - layer_1)  # layer_1's derivative
    layer_1_delta = np.dot(layer_2_delta, synapse_1.T) * layer_1 * (1 - layer_1)

    synapse_2 += np.dot(layer_2.T, layer_3_delta)
    synapse_1 += np.dot(layer_1.T, layer_2_delta)
    synapse_0 += np.dot(layer_0.T, layer_1_delta)

    if j % 1000 == 0:
        print("error:", np.mean(np.abs(layer_3_error)))

EXPECTED = {
    "verdict": "fail",
    "style": "one module-level loop, no functions, weights updated with += of the computed step, no learning rate and no cost",
    "twin": "scr_xor_fused_ok.py",
    "trains": True,
    "findings": [
        {"rule": "implied-loss", "severity": "info", "kind": "squared-error"},
        {"rule": "gradient-mismatch", "severity": "error", "parameter": "synapse_1"},
    ],
    "absent": ["user-code-error"],
}
