"""A block's outcome, written once into its table row and its finding (at most one per block).

Nothing is appended and withdrawn later: every stage returns outcomes, and this module turns the
final one into the row the table shows and the finding the report lists.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from nndoctor.findings import Finding, Location, Severity
from nndoctor.gradcheck import messages
from nndoctor.gradcheck.pipeline import Outcome
from nndoctor.gradcheck.result import ParameterCheck


@dataclass(frozen=True)
class Context:
    """What the wording needs beyond the block: the user's sizes and the precision's name."""

    n_examples: int | None
    n_classes: int | None
    precision_label: str
    error_level: float
    cost0: float


def settle(p: ParameterCheck, outcome: Outcome, where: Callable[[], Location], ctx: Context,
           moved_off_kink: bool = False) -> Finding | None:
    """Fill the row from the outcome; return the block's finding (None for a clean pass).
    ``where()`` locates the gradient in the user's code (read from source: asked only for a finding)."""
    p.relative_error = outcome.relative_error
    p.evaluations += outcome.evaluations
    p.directions = outcome.directions
    p.step = outcome.step
    p.ruled_out = outcome.ruled_out
    p.joint = outcome.joint
    key = p.gradient_key or p.name
    if outcome.status == "ok":
        p.status = "ok"
        return None
    location = where()
    if outcome.status == "inconclusive":
        p.status = "inconclusive"
        if outcome.reason == "exact-kink":
            p.note = "agrees once moved off the ReLU kinks its pre-activations sit on; undefined at these parameters"
            return messages.kink_finding(p.name, outcome.relative_error, location)
        if outcome.reason == "non-finite":
            p.note = "the cost turns NaN or inf when this parameter moves by a tiny step"
            return messages.non_finite_under_steps(p.name, ctx.cost0, outcome.step, location)
        p.note = f"every measurement was dominated by {outcome.reason or 'noise'} error"
        return messages.inconclusive_finding(p.name, max(outcome.directions, 1), None, outcome.reason or "noise", location)
    found = outcome.found
    assert found is not None
    diag = found.diagnosis
    if (diag.kind == "scale" and diag.factor and int(np.prod(p.shape)) == 1
            and messages.name_factor(diag.factor, ctx.n_examples, ctx.n_classes) is None):
        # any wrong single number is some multiple of the right one: no evidence of a stray factor
        diag.kind, diag.factor = "other", None
    p.worst_entries = found.worst
    p.kind, p.relative_error = diag.kind, diag.relative_error
    p.factor, p.coefficient = diag.factor, diag.coefficient
    big = (diag.relative_error >= ctx.error_level or found.entry_wrong) and not found.marginal
    severity = Severity.ERROR if big else Severity.WARNING
    p.status = "mismatch" if big else "suspicious"
    return messages.mismatch_finding(p, diag, key, location, found.directional, severity, ctx.n_examples,
                                     ctx.n_classes, ctx.precision_label, marginal=found.marginal,
                                     moved_off_kink=moved_off_kink)
