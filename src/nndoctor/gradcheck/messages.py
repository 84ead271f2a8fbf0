"""Findings of the gradient check, worded for a learner: what is wrong, the numbers, the fix."""

from __future__ import annotations

from typing import Any

import numpy as np

from nndoctor.findings import Finding, Location, Severity
from nndoctor.gradcheck.classify import Diagnosis
from nndoctor.gradcheck.result import ParameterCheck


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


def mismatch_finding(
    p: ParameterCheck, diag: Diagnosis, key: str, location: Location, directional: dict[str, float],
    severity: Severity, n_examples: int | None, n_classes: int | None, tolerance_label: str,
) -> Finding:
    name = p.name
    rel = diag.relative_error
    evidence: dict[str, Any] = {
        "kind": diag.kind,
        "relative_error": rel,
        "worst_entries": [w.to_dict() for w in p.worst_entries],
        "directional": directional,
        "evaluations": p.evaluations,
        "precision": tolerance_label,
    }
    worst = _entries_text(name, p)
    worst_sentence = f" Worst entries: {worst}." if worst else ""
    if diag.kind in ("scale", "sign"):
        c = diag.factor if diag.factor is not None else float("nan")
        evidence["factor"] = c
        named = name_factor(c, n_examples, n_classes)
        if diag.kind == "sign":
            message = (f"{key} has the wrong sign: it is -1 x the numerical gradient of the cost, so the update "
                       f"climbs the cost instead of descending it.{worst_sentence}")
            fix = (f"Flip the sign where {key} is computed (for sigmoid or softmax with cross-entropy the output "
                   f"error is dZ = A - Y, not Y - A).")
        elif c == 0.0:
            message = (f"{key} is all zeros, but the cost does change with {name}: the backward pass never fills "
                       f"this gradient (or multiplies it by zero).{worst_sentence}")
            fix = f"Compute {key} from the layer's dZ and the previous activation instead of leaving it at zero."
        else:
            written, label, meaning = named if named else (fmt_factor(c), fmt_factor(c), "")
            called = f", a factor of {label}" if label != written else ""
            explained = f": {meaning}" if meaning else ""
            message = (f"{key} is {written} x the numerical gradient of the cost (relative error {rel:.2g})"
                       f"{called}{explained}.{worst_sentence}")
            if meaning:
                fix = f"Make the cost and {key} agree on the factor {label}."
            else:
                fix = f"Look for a stray factor {written} in the line that computes {key}."
            evidence["factor_name"] = label if named else None
    elif diag.kind == "transpose":
        message = f"{key} is the transpose of the right gradient (relative error {rel:.2g}).{worst_sentence}"
        fix = (f"For a weight of shape (units, inputs), dW = dZ @ A_prev.T / m: check the order of the factors "
               f"and the .T in the line that computes {key}.")
    elif diag.kind == "missing-term":
        lam = diag.coefficient if diag.coefficient is not None else float("nan")
        evidence["coefficient"] = lam
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
    elif diag.numeric_is_zero:
        message = (f"The cost does not change when {name} changes, yet {key} is not zero: {name} is probably not "
                   f"used in the forward pass, or a layer after it blocks every signal.{worst_sentence}")
        fix = f"Check that the forward pass uses {name}, and that {key} belongs to this parameter."
    else:
        message = (f"{key} disagrees with the numerical gradient of the cost (relative error about {rel:.2g}); "
                   f"it is not a constant factor, a sign, a transpose or a missing L2 term.{worst_sentence}")
        fix = (f"Recheck the formula for {key}, most often the derivative of this layer's activation "
               f"(sigmoid'(z) = s(z) * (1 - s(z)), tanh'(z) = 1 - tanh(z)**2, relu'(z) = (z > 0)) "
               f"and which cached values it uses.")
    if severity is Severity.WARNING:
        message = "Small but real disagreement: " + message[0].lower() + message[1:]
        fix += " At this size it can also be an epsilon added in the cost (log(A + 1e-8)) that the backward ignores."
    return Finding("gradient-mismatch", message, severity, location, evidence, fix)


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
    message = f"{key} has shape {tuple(gshape or ())} but {p.name} has shape {tuple(pshape)}.{values_text}"
    if len(pshape) == 2 and pshape[1] == 1 and gshape == (pshape[0],):
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
