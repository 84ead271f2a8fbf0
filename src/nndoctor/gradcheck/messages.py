"""Findings of the gradient check, worded for a learner: what is wrong, the numbers, the fix."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from nndoctor.findings import Finding, Location, Severity
from nndoctor.gradcheck.classify import Diagnosis
from nndoctor.gradcheck.evaluator import UnusableOutput
from nndoctor.gradcheck.result import ParameterCheck
from nndoctor.usercode import UserCodeError, finding_of


def name_factor(c: float, n_examples: int | None, n_classes: int | None) -> tuple[str, str, str] | None:
    """Recognize a factor: returns (the number as written, its name, what it usually means) or None."""
    candidates: list[tuple[float, str, str, str]] = []
    if n_examples and n_examples > 1:
        candidates += [
            (float(n_examples), str(n_examples), f"m = {n_examples}",
             "the 1/m of the averaged cost is missing in the backward pass"),
            (1.0 / n_examples, f"1/{n_examples}", f"1/m (m = {n_examples})",
             "the gradient is divided by m twice, or the cost sums over examples while the backward averages"),
        ]
    if n_classes and n_classes > 1:
        candidates += [
            (float(n_classes), str(n_classes), f"C = {n_classes} (the number of classes)",
             "the cost averages over the classes as well as the examples (np.mean over the whole (C, m) "
             "array) while the backward divides by m only"),
            (1.0 / n_classes, f"1/{n_classes}", f"1/C (C = {n_classes} classes)",
             "the backward divides by the number of classes, which the cost does not"),
        ]
    for k in range(2, 11):
        candidates.append((float(k), str(k), str(k), ""))
        candidates.append((1.0 / k, f"1/{k}", f"1/{k}", ""))
    for value, written, label, meaning in candidates:
        if abs(c / value - 1.0) < 2e-3:
            return written, label, meaning
    return None


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def fmt_factor(c: float) -> str:
    """A factor with enough digits to show how far it is from 1: 1.0004, never "1"."""
    digits = 4
    if c != 1.0 and np.isfinite(c) and abs(c - 1.0) < 1e-2:
        digits = int(np.ceil(-np.log10(abs(c - 1.0)))) + 2
    return f"{c:.{digits}g}"


def _entries_text(name: str, p: ParameterCheck) -> str:
    return ", ".join(f"{w.label(name)} analytic {_fmt(w.analytic)} numeric {_fmt(w.numeric)}" for w in p.worst_entries)


class _Words(NamedTuple):
    """What a mismatch finding says, its fix, and the evidence only this kind of mismatch has."""

    message: str
    fix: str
    evidence: dict[str, Any]


def mismatch_finding(
    p: ParameterCheck, diag: Diagnosis, key: str, location: Location, directional: dict[str, float],
    severity: Severity, n_examples: int | None, n_classes: int | None, tolerance_label: str,
    marginal: bool = False, moved_off_kink: bool = False,
) -> Finding:
    evidence: dict[str, Any] = {
        "kind": diag.kind,
        "relative_error": diag.relative_error,
        "worst_entries": [w.to_dict() for w in p.worst_entries],
        "directional": directional,
        "evaluations": p.evaluations,
        "precision": tolerance_label,
    }
    worst = _entries_text(p.name, p)
    worst_sentence = f" Worst entries: {worst}." if worst else ""
    message, fix, kind_evidence = _mismatch_words(p, diag, key, n_examples, n_classes, worst_sentence)
    evidence.update(kind_evidence)
    if severity is Severity.WARNING:
        message = "Small but real disagreement: " + message[0].lower() + message[1:]
        fix += " At this size it can also be an epsilon added in the cost (log(A + 1e-8)) that the backward ignores."
    if marginal:
        message += _marginal_note(directional)
        evidence["marginal"] = True
    if moved_off_kink:
        message += (" (Measured at parameters moved by a relative 1e-3: at yours, pre-activations sit on a ReLU "
                    "kink, where the cost has no derivative.)")
        evidence["moved_off_kink"] = True
    return Finding("gradient-mismatch", message, severity, location, evidence, fix)


def _mismatch_words(p: ParameterCheck, diag: Diagnosis, key: str, n_examples: int | None, n_classes: int | None,
                    worst_sentence: str) -> _Words:
    """The words for the kind of mismatch ``diag`` recognized, ``worst_sentence`` ending the message."""
    name, rel = p.name, diag.relative_error
    if diag.kind in ("scale", "sign"):
        c = diag.factor if diag.factor is not None else float("nan")
        if diag.kind == "sign":
            return _sign_words(key, c, worst_sentence)
        if c == 0.0:
            return _zero_gradient_words(key, name, c, worst_sentence)
        return _factor_words(key, c, rel, name_factor(c, n_examples, n_classes), worst_sentence)
    if diag.kind == "transpose":
        return _transpose_words(key, rel, worst_sentence)
    if diag.kind == "missing-term":
        lam = diag.coefficient if diag.coefficient is not None else float("nan")
        return _missing_term_words(key, name, rel, lam, n_examples, worst_sentence)
    if diag.numeric_is_zero:
        return _unused_parameter_words(key, name, worst_sentence)
    return _unrecognized_words(p, key, rel, worst_sentence)


def _sign_words(key: str, c: float, worst_sentence: str) -> _Words:
    message = (f"{key} has the wrong sign: it is -1 x the numerical gradient of the cost, so the update "
               f"climbs the cost instead of descending it.{worst_sentence}")
    fix = (f"Flip the sign where {key} is computed (for sigmoid or softmax with cross-entropy the output "
           f"error is dZ = A - Y, not Y - A).")
    return _Words(message, fix, {"factor": c})


def _zero_gradient_words(key: str, name: str, c: float, worst_sentence: str) -> _Words:
    message = (f"{key} is all zeros, but the cost does change with {name}: the backward pass never fills "
               f"this gradient (or multiplies it by zero).{worst_sentence}")
    fix = f"Compute {key} from the layer's dZ and the previous activation instead of leaving it at zero."
    return _Words(message, fix, {"factor": c})


def _factor_words(key: str, c: float, rel: float, named: tuple[str, str, str] | None, worst_sentence: str) -> _Words:
    """``key`` is ``c`` times the right gradient; ``named``: the factor recognized (name_factor), if it is."""
    written, label, meaning = named if named else (fmt_factor(c), fmt_factor(c), "")
    called = f", a factor of {label}" if label != written else ""
    explained = f": {meaning}" if meaning else ""
    message = (f"{key} is {written} x the numerical gradient of the cost (relative error {rel:.2g})"
               f"{called}{explained}.{worst_sentence}")
    if meaning:
        fix = f"Make the cost and {key} agree on the factor {label}."
    else:
        fix = f"Look for a stray factor {written} in the line that computes {key}."
    return _Words(message, fix, {"factor": c, "factor_name": label if named else None})


def _transpose_words(key: str, rel: float, worst_sentence: str) -> _Words:
    message = f"{key} is the transpose of the right gradient (relative error {rel:.2g}).{worst_sentence}"
    fix = (f"For a weight of shape (units, inputs), dW = dZ @ A_prev.T / m: check the order of the factors "
           f"and the .T in the line that computes {key}.")
    return _Words(message, fix, {})


def _missing_term_words(key: str, name: str, rel: float, lam: float, n_examples: int | None,
                        worst_sentence: str) -> _Words:
    """``key`` lacks ``lam`` x ``name`` (an L2 penalty's gradient) or, ``lam`` negative, has one too many."""
    hint = f"; with m = {n_examples} that is lambd = {_fmt(lam * n_examples)}" if n_examples else ""
    if lam > 0:
        message = (f"{key} lacks a term {_fmt(lam)} x {name} (relative error {rel:.2g}): the cost has a "
                   f"penalty such as L2 (lambd/m * {name}{hint}) whose gradient the backward pass forgot."
                   f"{worst_sentence}")
        fix = f"Add (lambd / m) * {name} to {key}, the derivative of lambd/(2m) * sum({name}**2)."
    else:
        message = (f"{key} has an extra term {_fmt(-lam)} x {name} that the cost does not have (relative "
                   f"error {rel:.2g}){hint}.{worst_sentence}")
        fix = (f"Either add the L2 penalty lambd/(2m) * sum({name}**2) to the cost, or remove the "
               f"lambd/m * {name} term from {key}.")
    return _Words(message, fix, {"coefficient": lam})


def _unused_parameter_words(key: str, name: str, worst_sentence: str) -> _Words:
    message = (f"The cost does not change when {name} changes, yet {key} is not zero: {name} is probably not "
               f"used in the forward pass, or a layer after it blocks every signal.{worst_sentence}")
    fix = f"Check that the forward pass uses {name}, and that {key} belongs to this parameter."
    return _Words(message, fix, {})


def _unrecognized_words(p: ParameterCheck, key: str, rel: float, worst_sentence: str) -> _Words:
    # a single number is always some multiple of the right one: no pattern to rule out
    patterns = ("" if int(np.prod(p.shape)) == 1 else
                "; it is not a constant factor, a sign, a transpose or a missing L2 term")
    message = (f"{key} disagrees with the numerical gradient of the cost (relative error about {rel:.2g})"
               f"{patterns}.{worst_sentence}")
    fix = (f"Recheck the formula for {key}, most often the derivative of this layer's activation "
           f"(sigmoid'(z) = s(z) * (1 - s(z)), tanh'(z) = 1 - tanh(z)**2, relu'(z) = (z > 0)) "
           f"and which cached values it uses.")
    return _Words(message, fix, {})


def _marginal_note(directional: dict[str, float]) -> str:
    """How small the disagreement along the checked direction is, against its value and the error bound."""
    gap = abs(directional["analytic"] - directional["numeric"])
    analytic, bound = abs(directional["analytic"]), directional["error_bound"]
    return (f" The disagreement along the checked direction is only {gap / max(analytic, 1e-300):.1%}, "
            f"{gap / max(bound, 1e-300):.1f} times the error bound: near ReLU kinks or at the limit of the "
            f"cost's precision this can happen without a bug.")


def shape_finding(p: ParameterCheck, key: str, location: Location, values: str | None, severity: Severity) -> Finding:
    gshape, pshape = p.gradient_shape, p.shape
    evidence = {"kind": "shape", "parameter_shape": list(pshape), "gradient_shape": list(gshape or ()),
                "values": values, "relative_error": p.relative_error}
    values_text = {
        "match-after-reshape": " Its values are right once reshaped.",
        "match-after-transpose": " Its values are right once transposed.",
        "wrong": " Its values are wrong as well.",
        None: "",
    }[values]
    if key == p.name:  # gradients matched by position (return dW1, db1, ...): no key of their own
        key = f"d{p.name}" if p.name[:1].isalpha() and "." not in p.name else f"the gradient of {p.name}"
    message = f"{key} has shape {tuple(gshape or ())} but {p.name} has shape {tuple(pshape)}.{values_text}"
    if not gshape and len(pshape) == 2 and 1 in pshape and max(pshape) > 1:
        axis = 1 if pshape[1] == 1 else 0
        message = (f"{key} is one number (shape ()) but {p.name} has shape {tuple(pshape)}: the sum over every unit "
                   f"and every example (np.sum without an axis), where each of the {max(pshape)} units needs its own "
                   f"gradient. In the update every bias moves by that same number.")
        fix = f"Sum over the examples only: {key} = np.sum(dZ, axis={axis}, keepdims=True) / m."
    elif len(pshape) == 2 and pshape[1] == 1 and gshape == (pshape[0],):
        fix = f"Keep the column shape: {key} = np.sum(dZ, axis=1, keepdims=True) / m."
        message += f" In the update, {p.name} - learning_rate * {key} broadcasts into a {pshape[0]}x{pshape[0]} matrix."
    elif values == "match-after-transpose":
        fix = f"Compute {key} as dZ @ A_prev.T (shape units x inputs), not A_prev @ dZ.T."
    else:
        fix = f"Make {key} the same shape as {p.name}: {tuple(pshape)}."
    return Finding("gradient-mismatch", message, severity, location, evidence, fix)


def missing_finding(name: str, tried: list[str], location: Location, available: list[str]) -> Finding:
    listed = ", ".join(repr(k) for k in available[:12]) or "nothing"
    message = (f"The gradients have no entry for {name} (looked for {', '.join(repr(k) for k in tried[:2])}); "
               f"they hold {listed}.")
    return Finding("gradient-mismatch", message, Severity.ERROR, location,
                   {"kind": "missing", "looked_for": tried, "available": available},
                   f"Store the gradient of {name} under {tried[0]!r} in the backward pass.")


def non_finite_finding(array_name: str, values: np.ndarray, shape: tuple[int, ...], location: Location,
                       what: str) -> Finding:
    bad = ~np.isfinite(values)
    count = int(bad.sum())
    first = int(np.flatnonzero(bad)[0]) if count else 0
    idx = tuple(int(i) for i in np.unravel_index(first, shape)) if shape else ()
    first_value = values.ravel()[first] if values.size else float("nan")
    label = "nan" if np.isnan(first_value) else ("inf" if first_value > 0 else "-inf")
    message = (f"{what} {array_name} has {count} of {values.size} entries that are NaN or inf "
               f"(first at index {list(idx)}: {label}).")
    fix = ("Look for log(0) from a saturated sigmoid, a division by zero, or an overflow in exp; "
           "use np.clip or a numerically stable formula (log-sum-exp for softmax).")
    return Finding("non-finite", message, Severity.ERROR, location,
                   {"array": array_name, "count": count, "size": int(values.size), "first_index": list(idx),
                    "first_value": label}, fix)


# --- findings that are not about one gradient's values -----------------------------------

def non_finite_cost(cost: float, function: str) -> Finding:
    return Finding(
        "non-finite",
        f"The cost is {cost} at the starting parameters, so nothing can be compared with it.",
        Severity.ERROR, Location(function=function),
        {"array": "cost", "count": 1, "size": 1, "first_index": [], "first_value": str(cost)},
        "A cost of inf usually means log(0): the output sigmoid is saturated (weights initialized too "
        "large, e.g. randn * 10) or a label is outside {0, 1}. Scale the initialization down "
        "(He: randn * sqrt(2 / n_prev)) or clip the predictions before the log.",
    )


def non_finite_under_steps(name: str, cost: float, step: float | None, location: Location) -> Finding:
    """The cost is finite at the user's parameters but not when this parameter moves a tiny step."""
    moved = f" by {step:.2g} per entry" if step else ""
    return Finding(
        "non-finite",
        f"The cost is {cost:.6g} at your parameters but NaN or inf as soon as {name} moves{moved}, so its "
        f"gradient could not be checked: the cost sits at the edge of where it is defined.",
        Severity.WARNING, location,
        {"array": "cost", "count": 1, "size": 1, "first_index": [], "first_value": "nan", "parameter": name,
         "where": "moved parameters", "step": step},
        "Look for log(A) or log(1 - A) with A exactly 0 or 1 (a saturated sigmoid: clip A to [1e-12, 1 - 1e-12]), "
        "sqrt of a value that is exactly 0, or a division by a quantity that is exactly 0.",
    )


def user_code_finding(err: UserCodeError, parameter: str | None = None) -> Finding:
    return finding_of(err, message=f"{err.function} raised {type(err.exception).__name__}: {err.exception}",
                      parameter=parameter,
                      fix="Fix the exception first: the check needs the function to run at these parameters.")


def unusable_finding(err: UnusableOutput) -> Finding:
    returned = err.returned
    return Finding(
        "unexpected-output", str(err), Severity.ERROR, Location(function=err.function),
        {"function": err.function, "returned_type": type(returned).__name__,
         "returned_shape": list(getattr(returned, "shape", ()) or []) or None, "expected": err.expected},
        f"Make {err.function} return {err.expected}.",
    )


def stochastic_finding(first: float, second: float, replayed: bool, function: str, sources: list[str] = ()) -> Finding:
    drawn = f" (it draws from {', '.join(sources)})" if sources else ""
    if replayed:
        message = (f"{function} is random (two evaluations at the same point gave {first:.10g} and "
                   f"{second:.10g}: dropout?){drawn}; the check replayed that random state before every "
                   f"evaluation, so all of them saw the same masks.")
        fix = "Nothing to fix: the gradients were checked with the dropout masks held fixed."
        severity = Severity.INFO
    else:
        message = (f"{function} is random ({first:.10g} then {second:.10g}){drawn} and replaying the random state "
                   f"it can reach does not make it repeatable, so no gradient could be checked.")
        fix = ("Draw the randomness from np.random (seeded globally) or from a generator your functions keep "
               "(self.rng, a module-level rng); a generator created afresh from the clock or the OS on every "
               "call cannot be replayed. Or switch dropout off (keep_prob=1) for the check.")
        severity = Severity.WARNING
    return Finding("stochastic-cost", message, severity, Location(function=function),
                   {"first": first, "second": second, "replayed": replayed, "sources": list(sources)}, fix)


def kink_finding(name: str, relative_error: float | None, location: Location) -> Finding:
    rel = f" (relative error {relative_error:.2g} there)" if relative_error is not None else ""
    return Finding(
        "check-inconclusive",
        f"The gradient of {name} could not be checked at these exact parameters{rel}: some pre-activations sit "
        f"on (or within a hair of) a ReLU kink, where the cost has no derivative. Moved slightly off the kink, "
        f"the gradient is right.",
        Severity.INFO, location,  # nothing to fix: a note, not a warning
        {"parameter": name, "reason": "exact-kink", "relative_error": relative_error},
        "Nothing to fix in the backward pass. If the weights are all zero, that is a bug of its own "
        "(symmetry is never broken): initialize them randomly, e.g. He: randn * sqrt(2 / n_prev).",
    )


def inconclusive_finding(name: str, attempts: int, bound: float | None, reason: str, location: Location) -> Finding:
    why = {
        "kink": "every direction crossed a kink of a ReLU or max (the cost is not smooth there)",
        "roundoff": "round-off noise in the cost drowned the differences",
        "truncation": "the cost curves too strongly for the step sizes tried",
    }.get(reason, "the measurements were too noisy")
    return Finding(
        "check-inconclusive",
        f"The gradient of {name} could not be verified: {why} ({attempts} directions tried).",
        Severity.WARNING, location,
        {"parameter": name, "attempts": attempts, "error_bound": bound, "reason": reason},
        "Run the check at another point (e.g. after a few training steps, or with pre-activations away from 0), "
        "or pass eps= to choose the step yourself.",
    )


def not_checkable_finding(name: str, reason: str, is_array: bool) -> Finding:
    """Something in the parameters the check cannot perturb: listed, never skipped silently."""
    return Finding(
        "check-inconclusive",
        f"{reason[0].upper()}{reason[1:]}: it was not checked.",
        Severity.WARNING if is_array else Severity.INFO, Location(parameter=name),
        {"parameter": name, "reason": "not-checkable", "detail": reason},
        "Keep the trainable parameters as float arrays (np.float64) in the structure you pass, and anything "
        "else (hyperparameters, masks, caches) outside it." if is_array else
        "Nothing to fix if it is not a parameter; otherwise make it a float array.",
    )
