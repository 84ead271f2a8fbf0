"""Digits as 16-pixel vectors, one example at a time in a nested module-level loop (epochs, then
zip(images, labels)), no function at all: each example is reshaped IN PLACE to a column
(img.shape += (1,)), the forward, the squared-error cost e and the backward are inline, and each
update line applies its own step (w_h_o += -learn_rate * delta_o @ h.T).

Correct twin of scr_per_example_inline_bug.py: every delta is the derivative of e and is computed
before any weight moves.

Expected diagnosis: pass. A tool must take the inner loop for the training loop, replay its body as
it runs without changing the learner's arrays (img.shape += (1,) runs on a copy), read each applied
step as minus the learning rate times a gradient, and check those against the program's own cost e.

Ground truth (float64, central differences of e on the first example): every relative error below
1e-9; accuracy rises from about 0.1 to above 0.8 in two epochs.
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

        delta_o = 2 / len(o) * (o - l) * o * (1 - o)
        delta_h = np.transpose(w_h_o) @ delta_o * (h * (1 - h))
        w_h_o += -learn_rate * delta_o @ np.transpose(h)
        b_h_o += -learn_rate * delta_o
        w_i_h += -learn_rate * delta_h @ np.transpose(img)
        b_i_h += -learn_rate * delta_h

    print(f"epoch {epoch}: accuracy {nr_correct / len(images):.3f}")
    nr_correct = 0

EXPECTED = {
    "verdict": "pass",
    "style": "per-example SGD in a nested module-level loop with no functions, examples reshaped in place, update lines that apply their own step (+= -lr * delta @ h.T)",
    "twin": "scr_per_example_inline_bug.py",
    "trains": True,
    "findings": [],
    "absent": ["gradient-mismatch", "user-code-error", "learning-rate", "cost-oscillation"],
}
