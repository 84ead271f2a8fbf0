"""An infinite training loop nndoctor cannot count: least squares by gradient descent at module
level, `while True:` with the update inside (its author stops it with Ctrl-C), in a form that
makes no training step nndoctor recognizes, so no run can be stopped after --iterations.

Expected: the time limit (--timeout 4 here) stops the loop; the report is still written, with a
user-code-error finding that says the time ran out before anything could be checked and names the
loop's line: exit 2, well within the limit (the child answers it; nothing has to be killed).
"""

import numpy as np

rng = np.random.RandomState(0)
X = rng.randn(50, 3)
y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.randn(50)
w = np.zeros(3)
while True:
    grad = X.T @ (X @ w - y) / len(y)
    w -= 0.1 * grad


EXPECTED = {"exit": 2, "finding": "user-code-error", "message": "The time limit ran out: nothing could be checked",
            "args": ["--timeout", "4"], "seconds": 12, "probe": {"timed_out": True}}
