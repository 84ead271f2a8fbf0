"""high-bias and high-variance from what the program itself evaluates after training.

A program that prints its train and dev (or test) accuracy calls its forward pass on both sets after
training; the hooks kept those calls with the labels their caller held (``predict(dev_x, dev_y,
parameters)``). The accuracies are computed from those very outputs (nothing is called), and read
with the field guide's table (nndoctor.data.fit.check_fit).

The numbers only mean something after a training run long enough: the author's full run. When
nndoctor stopped the run early, a model that already fits every training example is still judged
for variance (more training will not close a gap it already has), nothing else.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nndoctor.data.fit import check_fit
from nndoctor.findings import Finding

MEMORIZED = 0.01  # a training error this low cannot fall further: the gap is what it is


def bias_and_variance(evaluation_records: list[tuple[Any, ...]], train_inputs: dict[int, Any],
                      runs: list[Any]) -> list[Finding]:
    """The program's evaluations (forward calls with the labels their caller held) of each run,
    against the data that run trained on (``train_inputs``: run index -> X)."""
    findings: list[Finding] = []
    by_run: dict[int, dict[str, tuple[float, int]]] = {}
    for X, out, labels, iteration, axis, run in evaluation_records:
        if iteration.completed or run is None:
            continue  # a training step's forward, not an evaluation
        train_X = train_inputs.get(run.index)
        if train_X is None or X.shape[1 - axis] != train_X.shape[1 - axis]:
            continue  # another layer's input, or another network's
        if run.output_units is not None and out.shape[1 - axis] != run.output_units:
            continue  # a hidden layer's output (an inner forward of the same call)
        error = _error(out, labels, axis)
        if error is None:
            continue
        which = "train" if X is train_X or (X.shape == train_X.shape and np.array_equal(X, train_X)) else "dev"
        by_run.setdefault(run.index, {}).setdefault(which, (error, int(X.shape[axis])))
    by_index = {r.index: r for r in runs}
    for index, errors in by_run.items():
        if "train" not in errors or "dev" not in errors:
            continue
        run = by_index.get(index)
        (train_error, m_train), (dev_error, m_dev) = errors["train"], errors["dev"]
        found = check_fit(train_error, dev_error, train_examples=m_train, dev_examples=m_dev,
                          iterations=len(run.completed) if run is not None else None)
        # the best error reachable on these data is not known here (noisy labels make 10% unavoidable):
        # a high training error is worth a look, not a warning
        found = [Finding(rule=f.rule, message=f"{f.message} (nndoctor assumes the data allow an error near 0%.)",
                         severity="info", location=f.location, evidence=f.evidence, fix=f.fix)
                 if f.rule == "high-bias" else f for f in found]
        if run is not None and run.cut_short:
            # stopped before the author's end: only a gap the training set can no longer close counts
            found = [f for f in found if f.rule == "high-variance" and train_error <= MEMORIZED]
            found = [f.with_location(iteration=len(run.completed)) for f in found]
        if run is not None and sum(1 for r in runs if r.completed) > 1:
            found = [f.with_location(run=run.label) for f in found]
        findings += found
    return findings


def _error(out: np.ndarray, labels: np.ndarray, axis: int) -> float | None:
    """The error rate of the outputs against the labels: one unit (probability or score), or classes."""
    units = out.shape[1 - axis]
    m = out.shape[axis]
    y = np.asarray(labels)
    if units == 1:
        p = out.reshape(-1)
        y = y.reshape(-1)
        if y.size != m or not np.all(np.isin(np.unique(y), (0, 1))):
            return None
        threshold = 0.5 if np.all((p >= 0) & (p <= 1)) else 0.0
        return float(np.mean((p > threshold).astype(int) != y))
    predicted = np.argmax(out, axis=1 - axis)
    if y.ndim == 2 and y.size == out.size:
        y = np.argmax(y, axis=1 - axis) if y.shape == out.shape else np.argmax(y.T, axis=1 - axis)
    y = y.reshape(-1)
    if y.size != m or y.dtype.kind not in "iu" and not np.all(y == np.round(y)):
        return None
    return float(np.mean(predicted != y.astype(int)))
