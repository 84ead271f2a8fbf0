"""implied-loss: which loss a fused backward-and-update descends, when the program computes none.

Some programs never compute a cost: ``backprop(X, Y)`` works out the deltas and updates the weights
in place, and the loop prints the accuracy. There is no cost function to check the gradients
against, but the step itself is known: the update applied ``W_after - W_before = -lr * g``, so the
gradient it used is ``g = (W_before - W_after) / lr``. nndoctor checks ``g`` against the gradients
of the losses such a network is trained with (the cross-entropy of its output against the labels,
the squared error), computed numerically through the program's own forward pass. A loss whose
gradient ``g`` is, up to one factor shared by every parameter (a ``1/m`` or a learning rate written
inside the update), is the loss the program minimizes. When neither fits, the update is not the
gradient of a known loss: a derivative is wrong somewhere in the fused backward.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from nndoctor import roles as R
from nndoctor.checkfile.replay import _argument_names, owner_learning_rate
from nndoctor.findings import Finding, Location
from nndoctor.recorded import RecordedStep, TapeEntry
from nndoctor.usercode import definition_site

CLIP = 1e-12


def implied_loss(step: RecordedStep, params: Mapping[str, np.ndarray], owner: Any, seed: int) -> list[Finding]:
    from nndoctor.gradcheck import check_gradients

    moved_at = next((i for i, e in enumerate(step.tape) if e.moved and e.step), None)
    if moved_at is None or moved_at == 0:
        return []
    forward, fused = step.tape[0], step.tape[moved_at]
    applied = fused.step or {}
    if set(applied) != set(params):
        return []
    lr = step.learning_rate or _learning_rate(fused) or (owner_learning_rate(owner) if owner is not None else None)
    scale = 1.0 / lr if lr else 1.0
    g = {k: -np.asarray(v, dtype=np.float64) * scale for k, v in applied.items()}
    output = R.output_of(forward.call.result)
    labels = _labels(fused, forward, output)
    if not isinstance(output, np.ndarray) or labels is None:
        return []

    def output_at() -> np.ndarray:
        return np.asarray(R.output_of(forward.call.func(*forward.call.args, **forward.call.kwargs)), dtype=np.float64)

    results = []
    for kind, loss in _candidates(output, labels):
        def cost(loss: Callable[[np.ndarray], float] = loss) -> float:
            return loss(output_at())

        with _at(params, step.params_at):
            check = check_gradients(cost, lambda: g, dict(params), seed=seed, style="stateful")
        factor = _shared_factor(check)
        results.append((kind, check, factor))
        if factor is not None:
            return [_fits(kind, factor, lr, fused)]
    best = min(results, key=lambda r: _worst(r[1]), default=None)
    return [_neither(fused, best, lr)] if best is not None else []


class _at:
    """The parameters at their values of the recorded step, for the length of the analysis."""

    def __init__(self, params: Mapping[str, np.ndarray], values: Mapping[str, np.ndarray] | None) -> None:
        self.params, self.values, self.saved = params, values, None

    def __enter__(self) -> None:
        if self.values and set(self.values) == set(self.params):
            self.saved = {k: np.array(v, copy=True) for k, v in self.params.items()}
            for k, v in self.params.items():
                np.copyto(v, self.values[k])

    def __exit__(self, *exc: Any) -> None:
        if self.saved is not None:
            for k, v in self.params.items():
                np.copyto(v, self.saved[k])


def _learning_rate(entry: TapeEntry) -> float | None:
    names = _argument_names(entry.call.func)
    return R.learning_rate_in(entry.call.args, entry.call.kwargs, names)


def _labels(fused: TapeEntry, forward: TapeEntry, output: Any) -> np.ndarray | None:
    """The labels the fused backward got: an array shaped like the output that is not the data."""
    data = {id(a) for a in forward.call.inputs if isinstance(a, np.ndarray)}
    for a in fused.call.inputs:
        if isinstance(a, np.ndarray) and id(a) not in data and a is not output and a.shape == np.shape(output):
            return np.asarray(a, dtype=np.float64)
    return None


def _candidates(output: np.ndarray, labels: np.ndarray) -> list[tuple[str, Callable[[np.ndarray], float]]]:
    found: list[tuple[str, Callable[[np.ndarray], float]]] = []
    if np.all((output > 0) & (output < 1)) and np.all((labels >= 0) & (labels <= 1)):
        one_hot = output.ndim == 2 and min(output.shape) > 1 and (
            np.allclose(labels.sum(axis=0), 1) or np.allclose(labels.sum(axis=1), 1))
        if one_hot:
            found.append(("cross-entropy", lambda A: float(-np.sum(labels * np.log(np.clip(A, CLIP, None))))))
        else:
            found.append(("cross-entropy", lambda A: float(-np.sum(labels * np.log(np.clip(A, CLIP, None))
                                                            + (1 - labels) * np.log(np.clip(1 - A, CLIP, None))))))
    found.append(("squared-error", lambda A: float(0.5 * np.sum((A - labels) ** 2))))
    return found


def _shared_factor(check: Any) -> float | None:
    """The factor every parameter's applied gradient shares with the loss's gradient, if one does."""
    factors = []
    for p in check.parameters.values():
        if p.status == "ok":
            factors.append(1.0)
        elif p.status == "mismatch" and p.kind == "scale" and p.factor:
            factors.append(float(p.factor))
        else:
            return None
    if not factors:
        return None
    first = factors[0]
    return first if all(math.isclose(f, first, rel_tol=2e-3) for f in factors) else None


def _worst(check: Any) -> float:
    errors = [p.relative_error for p in check.parameters.values() if p.relative_error is not None]
    return max(errors) if errors else math.inf


def _where(fused: TapeEntry) -> Location:
    file, line = definition_site(fused.call.func)
    return Location(function=fused.call.name, file=file, line=line)


def _fits(kind: str, factor: float, lr: float | None, fused: TapeEntry) -> Finding:
    what = "the cross-entropy of its output against the labels" if kind == "cross-entropy" else \
        "the squared error of its output against the labels"
    per = "" if math.isclose(factor, 1.0, rel_tol=2e-3) else f" (times {factor:.4g}: an average over the examples or a factor in the update)"
    return Finding(
        rule="implied-loss", severity="info",
        message=(f"The program computes no cost; the update {fused.call.name} applies is the gradient of {what}"
                 f"{per}. nndoctor checked it against that loss{'' if lr else ' (the learning rate was not found: up to a factor)'}."),
        location=_where(fused),
        evidence={"kind": kind, "factor": factor, "learning_rate": lr},
        fix="Nothing to fix. Computing that loss now and then (and printing it) makes training easier to follow.")


def _neither(fused: TapeEntry, best: tuple[str, Any, float | None], lr: float | None) -> Finding:
    kind, check, _ = best
    wrong = [n for n, p in check.parameters.items() if p.status != "ok"]
    return Finding(
        rule="implied-loss", severity="error",
        message=(f"The update {fused.call.name} applies is not the gradient of a known loss: against the "
                 f"cross-entropy and the squared error of the output, {', '.join('d' + n for n in wrong)} disagree "
                 f"(relative error {_worst(check):.2g} against the {kind}, the closest). A derivative in the fused "
                 f"backward is wrong, or it uses values from the wrong layer."),
        location=_where(fused),
        evidence={"kind": "neither", "closest": kind, "relative_error": _worst(check), "parameters": wrong,
                  "learning_rate": lr},
        fix=("Write the gradient apart from the update (a backward that returns dW1, db1, ...) and compare it with "
             "a numerical gradient of the loss, or check each derivative: sigmoid'(z) = s * (1 - s), "
             "tanh'(z) = 1 - a**2, softmax with cross-entropy gives A - Y."))
