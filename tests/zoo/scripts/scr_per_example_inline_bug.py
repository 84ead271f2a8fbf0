"""Digits as 16-pixel vectors, one example at a time in a nested module-level loop with no function at
all, examples reshaped in place (img.shape += (1,)), the squared-error cost e computed inline, and
update lines that apply their own step (w_h_o += -learn_rate * delta_o @ h.T).

Planted bugs (as in a well-known video's code): delta_o = o - l drops the sigmoid derivative and
the 2/len(o) of the cost e, and the hidden delta is computed AFTER w_h_o has been updated, so it
reads the new output weights.

Expected diagnosis: gradient-mismatch on all four arrays against the program's own cost e.

Ground truth (float64, central differences of e on the first example): every block is wrong, not
by a constant factor (nndoctor check measures relative errors of 0.64 on w_h_o, 1.0 on b_h_o and
w_i_h, 0.92 on b_i_h).
"""
import numpy as np

rng = np.random.default_rng(4)
prototypes = rng.uniform(0, 1, size=(10, 16))
digits = rng.integers(0, 10, size=800)
images = np.clip(prototypes[digits] + rng.normal(0, 0.15, size=(800, 16)), 0, 1)
labels = np.eye(10)[digits]

w_i_h = np.random.default_rng(0).uniform(-0.5, 0.5, (12, 16))
w_h_o = np.random.default_rng(1).uniform(-0.5, 0.5, (10, 12))
b_i_h = np.zeros((12, 1))
b_h_o = np.zeros((10, 1))

learn_rate = 0.5
nr_correct = 0
for epoch in range(2):
    for img, l in zip(images, labels):
        img.shape += (1,)
        l.shape += (1,)
        h_pre = b_i_h + w_i_h @ img
        h = 1 / (1 + np.exp(-h_pre))
        o_pre = b_h_o + w_h_o @ h
        o = 1 / (1 + np.exp(-o_pre))

        e = 1 / len(o) * np.sum((o - l) ** 2, axis=0)
        nr_correct += int(np.argmax(o) == np.argmax(l))

        delta_o = o - l
        w_h_o += -learn_rate * delta_o @ np.transpose(h)
        b_h_o += -learn_rate * delta_o
        delta_h = np.transpose(w_h_o) @ delta_o * (h * (1 - h))
        w_i_h += -learn_rate * delta_h @ np.transpose(img)
        b_i_h += -learn_rate * delta_h

    print(f"epoch {epoch}: accuracy {nr_correct / len(images):.3f}")
    nr_correct = 0

EXPECTED = {
    "verdict": "fail",
    "style": "per-example SGD in a nested module-level loop with no functions, examples reshaped in place, update lines that apply their own step (+= -lr * delta @ h.T)",
    "twin": "scr_per_example_inline_ok.py",
    "trains": True,
    "findings": [
        {"rule": "gradient-mismatch", "severity": "error", "parameter": "w_h_o"},
        {"rule": "gradient-mismatch", "severity": "error", "parameter": "w_i_h"},
    ],
    "absent": ["user-code-error"],
}
