"""learner-gradient-check: the learner's own gradient check, compared with nndoctor's.

A program that checks its gradients itself (the course's ``gradient_check_n``, a cs231n-style
``eval_numerical_gradient``, a loop that nudges each weight) returns a difference and decides from
it. nndoctor has its own verdict on the same forward and backward. When the two agree, nothing is
said. When they disagree, one of them is wrong, and it is the learner's: nndoctor's check bounds its
own error. What the learner's check does wrong is read from what it was seen doing (evaluations.py):

- it perturbs the data X instead of the parameters (``perturbs-input``);
- it evaluates J- at the parameters it used for J+ (``reused-theta``): its numerical gradient is 0,
  so it reports a difference of exactly 1 on a right backprop;
- it divides by eps instead of 2 eps (``epsilon``): its numerical gradient is twice the real one, so
  it reports ``|g - 2g| / (|g| + |2g|) = 1/3`` on a right backprop;
- it compares without normalizing (``not-normalized``): its difference scales with the gradient.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from nndoctor.evaluations import Evaluation, LearnerCheck
from nndoctor.findings import Finding, Location
from nndoctor.usercode import definition_site

SAYS_WRONG = 1e-4  # a learner's difference above this: their check says the backprop is wrong
SAYS_RIGHT = 1e-6  # below this: it says the backprop is right


def judge_learner_checks(checks: list[LearnerCheck], backprop_right: bool | None, wrong: list[str]) -> list[Finding]:
    """``backprop_right``: nndoctor's verdict on the same backward (None: it has none); ``wrong``:
    the parameters it found wrong."""
    if backprop_right is None:
        return []
    findings = []
    for check in checks:
        value = _value(check.result)
        if value is None or not math.isfinite(value):
            continue
        seen = _what_it_perturbs(check.samples)
        if seen["target"] is None:
            continue  # evaluations that nudge nothing by a small step are not a gradient check
        if backprop_right and value > SAYS_WRONG:
            findings.append(_check_is_wrong(check, value, seen))
        elif not backprop_right and value < SAYS_RIGHT:
            findings.append(_misses_the_bug(check, value, seen, wrong))
    return findings


def _value(result: Any) -> float | None:
    result = result[0] if isinstance(result, tuple) and result else result
    if isinstance(result, (bool, np.bool_)):
        return None
    try:
        return float(result) if np.size(result) == 1 else None
    except (TypeError, ValueError):
        return None


def _what_it_perturbs(samples: list[Evaluation]) -> dict[str, Any]:
    """From the first evaluations (unperturbed, then +eps / -eps pairs): what changed, by how much,
    and whether J- was evaluated where J+ was."""
    seen: dict[str, Any] = {"target": None, "eps": None, "reused": False}
    if len(samples) < 3:
        return seen
    base = samples[0]
    changes = [_changed(base, s) for s in samples[1:]]
    first = next((c for c in changes if c is not None), None)
    if first is None:
        return seen
    seen["target"], seen["eps"] = first
    # J+ then J-: the second evaluation should undo the first one's step on the same entry, the other way
    if len(samples) >= 3 and _same_inputs(samples[1], samples[2]) and changes[0] is not None:
        seen["reused"] = True
    return seen


MAX_STEP = 0.1  # a gradient check nudges one entry by a small step
MAX_ENTRIES = 2


def _nudge(a: np.ndarray, b: np.ndarray) -> float | None:
    """The step when b is a with at most MAX_ENTRIES entries nudged by at most MAX_STEP, else None."""
    diff = np.abs(np.asarray(b, dtype=np.float64) - np.asarray(a, dtype=np.float64))
    changed = np.count_nonzero(diff)
    if changed == 0 or changed > MAX_ENTRIES:
        return None
    step = float(diff.max())
    return step if step <= MAX_STEP else None


def _changed(base: Evaluation, other: Evaluation) -> tuple[str, float] | None:
    """("parameters" | "input", the step) for the one entry nudged between two evaluations' inputs."""
    for a, b in zip(base.inputs, other.inputs):
        if a is None or b is None:
            continue
        if isinstance(a, Mapping) and isinstance(b, Mapping):
            steps = [s for k in a if k in b and np.shape(a[k]) == np.shape(b[k])
                     for s in [_nudge(a[k], b[k])] if s is not None]
            if steps:
                return "parameters", max(steps)
        elif isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape:
            step = _nudge(a, b)
            if step is not None:
                kind = "parameters" if (a.ndim == 1 or 1 in a.shape) and a.size > 1 and _is_first(base, a) else "input"
                return kind, step
    return None


def _is_first(evaluation: Evaluation, array: np.ndarray) -> bool:
    """A flat vector passed first (``cost(theta, X, y)``) is the parameters, not the data."""
    arrays = [a for a in evaluation.inputs if isinstance(a, np.ndarray)]
    return bool(arrays) and arrays[0] is array


def _same_inputs(a: Evaluation, b: Evaluation) -> bool:
    for x, y in zip(a.inputs, b.inputs):
        if isinstance(x, Mapping) and isinstance(y, Mapping):
            if set(x) != set(y) or any(not np.array_equal(x[k], y[k]) for k in x):
                return False
        elif isinstance(x, np.ndarray) and isinstance(y, np.ndarray):
            if not np.array_equal(x, y):
                return False
    return True


def _where(check: LearnerCheck) -> Location:
    file, line = definition_site(check.func)
    return Location(function=check.name, file=file, line=line)


def _check_is_wrong(check: LearnerCheck, value: float, seen: dict[str, Any]) -> Finding:
    eps = seen.get("eps")
    if seen.get("target") == "input":
        kind, why = "perturbs-input", ("it nudges the input data X, not the parameters: the numbers it compares "
                                       "with your gradients are derivatives with respect to the data")
        fix = "Perturb each parameter (theta_plus = theta + eps * e_i), keep X as it is."
    elif seen.get("reused") or math.isclose(value, 1.0, rel_tol=1e-3):
        kind, why = "reused-theta", ("it evaluates J- at the same parameters as J+ (theta_minus starts from "
                                     "theta_plus, or is never changed), so its numerical gradient is 0 and the "
                                     "difference is exactly 1")
        fix = "Start theta_minus from a fresh copy of theta: theta_minus = np.copy(theta); theta_minus[i] -= eps."
    elif math.isclose(value, 1 / 3, rel_tol=0.02):
        kind, why = "epsilon", ("it divides J+ - J- by eps instead of 2 eps, so its numerical gradient is twice "
                                "the real one and the difference comes out at 1/3 for a right backprop")
        fix = "gradapprox = (J_plus - J_minus) / (2 * epsilon): the two evaluations are 2 eps apart."
    else:
        kind, why = "other", "its numerical gradient is not the derivative of the cost it evaluates"
        fix = ("Compare with the textbook formula: gradapprox[i] = (J(theta + eps e_i) - J(theta - eps e_i)) / "
               "(2 eps), difference = |grad - gradapprox| / (|grad| + |gradapprox|).")
    at = f" (it steps by {eps:.1e})" if eps else ""
    return Finding(
        rule="learner-gradient-check", severity="warning",
        message=(f"Your backprop is right; your gradient check is wrong: {check.name} reports a difference of "
                 f"{value:.4g} where nndoctor's check finds every gradient correct. {why[0].upper()}{why[1:]}{at}."),
        location=_where(check),
        evidence={"kind": kind, "learner_difference": value, "evaluations": check.evaluations,
                  "perturbed": seen.get("target"), "step": eps, "nndoctor": "right"},
        fix=fix)


def _misses_the_bug(check: LearnerCheck, value: float, seen: dict[str, Any], wrong: list[str]) -> Finding:
    kind = "perturbs-input" if seen.get("target") == "input" else "other"
    return Finding(
        rule="learner-gradient-check", severity="warning",
        message=(f"{check.name} reports a difference of {value:.3g}, as if the backprop were right, but "
                 f"nndoctor's check finds {', '.join('d' + w for w in wrong) or 'gradients'} wrong (see "
                 f"gradient-mismatch): the learner's check cannot see that bug."
                 + (" It nudges the input data, not the parameters." if kind == "perturbs-input" else "")),
        location=_where(check),
        evidence={"kind": kind, "learner_difference": value, "evaluations": check.evaluations,
                  "perturbed": seen.get("target"), "nndoctor": "wrong", "parameters": wrong},
        fix=("Check that it compares your backprop's gradients (not the numerical ones twice) and perturbs the "
             "parameters the cost uses."))
