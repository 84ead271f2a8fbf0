"""The texts of the ``activation-derivative`` findings, and of ``user-code-error`` for a helper or
forward that fails: the worst points as a learner reads them best, what a wrong helper computes
instead, the right formula and the code to write."""

from __future__ import annotations

from typing import Any

import numpy as np

from nndoctor.activations.identify import Activation
from nndoctor.activations.numeric import Comparison, Numeric
from nndoctor.activations.signature import Signature
from nndoctor.findings import Finding, Location, Severity
from nndoctor.usercode import UserCodeError, finding_of


def _fmt(x: float) -> str:
    if not np.isfinite(x):
        return str(x)
    return f"{x:.4g}"


def _fmt_z(z: float) -> str:
    return f"{z:.1f}" if float(z).is_integer() else f"{z:g}"


def _worst_points(Z: np.ndarray, got: np.ndarray, want: np.ndarray, valid: np.ndarray, n: int = 3,
                  extra: dict[str, np.ndarray] | None = None,
                  bound: np.ndarray | None = None, tol: float = 0.0,
                  round_first: bool = False) -> list[dict[str, float]]:
    """The points where ``got`` and ``want`` differ most, preferring the useful range |z| <= 3 and,
    among equal differences, round values of z near 1 (a learner reads "at z = -1.0" best). Only
    points that really disagree (beyond ``bound`` and ``tol``) are preferred for being in range."""
    with np.errstate(all="ignore"):
        diff = np.abs(got - want)
    diff = np.where(np.isnan(diff), np.inf, diff).ravel()
    wrong = diff - (0.0 if bound is None else bound.ravel())
    zs = Z.ravel()
    scale = float(np.max(diff[valid.ravel()])) if valid.any() else 1.0
    scale = scale if np.isfinite(scale) and scale > 0 else 1.0
    with np.errstate(all="ignore"):
        ref_scale = float(np.max(np.abs(want[valid]))) if valid.any() else 1.0
    ref_scale = ref_scale if np.isfinite(ref_scale) and ref_scale > 0 else 1.0

    def rank(i: int) -> tuple[Any, ...]:
        level = diff[i] / scale if np.isfinite(diff[i]) else np.inf
        significant = bool(wrong[i] > tol * ref_scale)
        key = (not significant, abs(zs[i]) > 3, -round(float(level), 4), not float(zs[i]).is_integer(),
               abs(abs(zs[i]) - 1))
        if round_first:  # any wrong point will do: show a round one
            key = (key[0], key[1], key[3], key[2], key[4])
        return key

    ranked = sorted((int(i) for i in np.flatnonzero(valid.ravel()) if diff[i] > 0), key=rank)
    idx: list[int] = []
    shown: set[float] = set()
    for i in ranked:  # one point per value of z: a grid shaped like the program's repeats its values
        z = float(zs[i])
        if z not in shown or (extra and len(idx) < n):
            shown.add(z)
            idx.append(i)
        if len(idx) == n:
            break
    points = []
    for i in idx:
        point = {"z": float(zs[i])}
        for key, arr in (extra or {}).items():
            point[key] = float(arr.ravel()[i])
        point.update(helper=float(got.ravel()[i]), numeric=float(want.ravel()[i]))
        points.append(point)
    return points


_FORMULA = {
    "identity": "a derivative of 1 everywhere (the identity is linear)",
    "relu": "relu'(z) = 1 where z > 0, else 0",
    "leaky-relu": "leaky_relu'(z) = 1 where z > 0, else alpha",
    "sigmoid": "sigmoid'(z) = s * (1 - s) with s = sigmoid(z)",
    "tanh": "tanh'(z) = 1 - tanh(z)**2",
    "elu": "elu'(z) = 1 where z > 0, else alpha * exp(z)",
    "softplus": "softplus'(z) = sigmoid(z) = 1 / (1 + exp(-z))",
    "swish": "swish'(z) = s + z * s * (1 - s) with s = sigmoid(z)",
}


def _code(kind: str | None, alpha: float | None, style: str, input_: str) -> str | None:
    a = "0.01" if alpha is None else f"{alpha:g}"
    z_forms = {
        "identity": "np.ones_like(z)",
        "relu": "(z > 0).astype(float)",
        "leaky-relu": f"np.where(z > 0, 1.0, {a})",
        "sigmoid": "s * (1 - s)   # s = 1 / (1 + np.exp(-z))",
        "tanh": "1 - np.tanh(z) ** 2",
        "elu": f"np.where(z > 0, 1.0, {a} * np.exp(z))",
        "softplus": "1 / (1 + np.exp(-z))",
        "swish": "s + z * s * (1 - s)   # s = 1 / (1 + np.exp(-z))",
    }
    a_forms = {
        "identity": "np.ones_like(a)",
        "relu": "(a > 0).astype(float)",
        "leaky-relu": f"np.where(a > 0, 1.0, {a})",
        "sigmoid": "a * (1 - a)   # a = sigmoid(z)",
        "tanh": "1 - a ** 2   # a = tanh(z)",
        "elu": f"np.where(a > 0, 1.0, a + {a})",
        "softplus": "1 - np.exp(-a)",
    }
    dz_forms = {
        "identity": "dZ = dA",
        "relu": "dZ = np.array(dA, copy=True); dZ[Z <= 0] = 0",
        "leaky-relu": f"dZ = dA * np.where(Z > 0, 1.0, {a})",
        "sigmoid": "s = 1 / (1 + np.exp(-Z)); dZ = dA * s * (1 - s)",
        "tanh": "dZ = dA * (1 - np.tanh(Z) ** 2)",
        "elu": f"dZ = dA * np.where(Z > 0, 1.0, {a} * np.exp(Z))",
        "softplus": "dZ = dA / (1 + np.exp(-Z))",
        "swish": "s = 1 / (1 + np.exp(-Z)); dZ = dA * (s + Z * s * (1 - s))",
    }
    dz_a_forms = {
        "identity": "dZ = dA",
        "relu": "dZ = dA * (A > 0)",
        "leaky-relu": f"dZ = dA * np.where(A > 0, 1.0, {a})",
        "sigmoid": "dZ = dA * A * (1 - A)   # A = sigmoid(Z)",
        "tanh": "dZ = dA * (1 - A ** 2)   # A = tanh(Z)",
        "elu": f"dZ = dA * np.where(A > 0, 1.0, A + {a})",
        "softplus": "dZ = dA * (1 - np.exp(-A))",
    }
    if kind is None:
        return None
    if style != "z":
        if input_ == "a" and kind in dz_a_forms:
            return dz_a_forms[kind]
        return dz_forms.get(kind)
    if input_ == "a" and kind in a_forms:
        return "return " + a_forms[kind]
    return "return " + z_forms[kind] if kind in z_forms else None


def _describe(kind: str, alpha: float | None) -> str:
    if kind == "identity":
        return "the identity (a linear activation)"
    if kind == "leaky-relu" and alpha is not None:
        return f"a leaky ReLU with alpha = {alpha:g}"
    if kind == "elu" and alpha is not None and alpha != 1.0:
        return f"an ELU with alpha = {alpha:g}"
    return kind


def _severity(rel: float) -> Severity:
    return Severity.ERROR if rel >= 1e-3 else Severity.WARNING


def wrong_derivative_finding(r: Comparison, numeric: Numeric, Z: np.ndarray, act: Activation | None,
                             sig: Signature, hname: str, fname: str, evidence: dict[str, Any], location: Location,
                             tol: float, recognized: tuple[str, float | None] | None) -> Finding:
    """The helper is not the derivative of its twin (``r``: its values in the interpretation shown).
    ``recognized``: the other known derivative it computes, ``(kind, alpha)``, if any."""
    input_ = "a" if r.mode == "A" else "z"
    points = _worst_points(Z, r.got, numeric.value, numeric.valid, bound=numeric.bound, tol=tol)
    worst = points[0]
    evidence = dict(evidence)
    evidence.update(problem="wrong-derivative", input=input_, max_relative_error=r.max_relative_error,
                    tolerance=tol, worst_points=points)
    if sig.style != "z":
        evidence["cache"] = r.mode
    called = ""
    if input_ == "a":
        called = (f"called with a = {fname}(z), " if sig.style == "z"
                  else f"called with the activation {fname}(Z) as cache, ")
    message = (f"{hname} is not the derivative of {fname}: {called}at z = {_fmt_z(worst['z'])} it returns "
               f"{_fmt(worst['helper'])}, the derivative is {_fmt(worst['numeric'])}")
    zero = np.flatnonzero((Z.ravel() == 0.0) & numeric.valid.ravel())
    if zero.size and worst["z"] != 0.0:
        i = zero[0]
        got0, want0 = float(r.got.ravel()[i]), float(numeric.value.ravel()[i])
        if abs(got0 - want0) > numeric.bound.ravel()[i] + tol * max(abs(want0), 1e-12):
            evidence["at_zero"] = {"z": 0.0, "helper": got0, "numeric": want0}
            message += f" (at z = 0: {_fmt(got0)} instead of {_fmt(want0)})"
    if recognized is not None:
        kind, alpha = recognized
        evidence["recognized_as"] = kind
        if alpha is not None:
            evidence["helper_alpha"] = alpha
        if act is not None and kind == act.kind and alpha is not None:
            message += (f"; it is the derivative of {_describe(kind, alpha)}, but {fname} uses "
                        f"alpha = {act.alpha:g}")
        elif kind == "identity" and act is not None and act.kind in ("relu", "leaky-relu", "elu"):
            message += "; it lets the gradient through unchanged where z < 0, as if the activation were linear"
        else:
            message += f"; it computes the derivative of {_describe(kind, alpha)}"
            if input_ == "a":
                message += " (written in terms of the output)"
    message += "."
    fix = _fix_text(act, sig, input_, hname, fname)
    return Finding("activation-derivative", message, _severity(r.max_relative_error), location, evidence, fix)


def _fix_text(act: Activation | None, sig: Signature, input_: str, hname: str, fname: str) -> str:
    if act is None:
        return (f"Re-derive the derivative of {fname} with respect to its input z and check it against "
                f"(f(z + h) - f(z - h)) / (2 * h) for a small h at a few points, negative ones included.")
    formula = _FORMULA.get(act.kind, "")
    if act.kind in ("leaky-relu", "elu") and act.alpha is not None:
        formula = formula.replace("alpha", f"alpha = {act.alpha:g}", 1)
    code = _code(act.kind, act.alpha, sig.style, input_)
    text = f"Use {formula}" if formula else f"Differentiate {fname} with respect to z"
    if code:
        text += f": in {hname}, `{code}`"
    text += "."
    if input_ == "z" and sig.style != "z":
        text += " Differentiate with respect to Z, the pre-activation the forward pass stored in its cache."
    return text


def expects_output_finding(hname: str, fname: str, act: Activation | None, sig: Signature,
                           evidence: dict[str, Any], location: Location, best: Comparison) -> Finding:
    """The helper is right only when given the activation's output, but its parameter is named z."""
    evidence = dict(evidence)
    evidence.update(problem="expects-activation-output", input="a", max_relative_error=best.max_relative_error)
    param = sig.value_name or "z"
    message = (f"{hname} is the derivative of {fname} only when given the activation's output a = {fname}(z): "
               f"it is written in terms of a, but its parameter is named {param}. Called with z it is wrong.")
    code_z = _code(act.kind if act else None, act.alpha if act else None, "z", "z")
    fix = (f"Call {hname}(A) with the output of {fname}, and rename the parameter to a; or write it in terms of "
           f"z{': `' + code_z + '`' if code_z else ''}.")
    return Finding("activation-derivative", message, Severity.WARNING, location, evidence, fix)


def upstream_finding(got: np.ndarray, expected: np.ndarray, dA: np.ndarray, Z: np.ndarray, valid: np.ndarray,
                     rel: float, tol: float, ignores: bool, mode: str, act: Activation | None, hname: str, fname: str,
                     evidence: dict[str, Any], location: Location) -> Finding:
    """A ``(dA, cache)`` helper, right at dA = 1, returns ``got`` instead of ``expected = dA * g'(Z)``:
    it ``ignores`` dA, or misuses it. ``mode``: how the cache was passed."""
    points = _worst_points(Z, got, expected, valid, extra={"dA": dA}, tol=tol, round_first=True)
    worst = points[0]
    evidence = dict(evidence)
    evidence.update(problem="ignores-dA" if ignores else "misuses-dA", input="a" if mode == "A" else "z",
                    cache=mode, max_relative_error=rel, tolerance=tol, worst_points=points)
    kind = act.kind if act else None
    code = _code(kind, act.alpha if act else None, "dA,cache", "a" if mode == "A" else "z")
    if ignores:
        message = (f"{hname} ignores dA: it returns {fname}'s derivative alone, so the gradient from the layer "
                   f"above is dropped. At z = {_fmt_z(worst['z'])} with dA = {_fmt(worst['dA'])} it returns "
                   f"{_fmt(worst['helper'])}, it should return dA * {fname}'(z) = {_fmt(worst['numeric'])}.")
        fix = "Multiply by the upstream gradient: dZ = dA * g'(Z)" + (f", here `{code}`." if code else ".")
    else:
        message = (f"{hname} does not multiply dA by {fname}'s derivative: at z = {_fmt_z(worst['z'])} with "
                   f"dA = {_fmt(worst['dA'])} it returns {_fmt(worst['helper'])}, dA * {fname}'(z) is "
                   f"{_fmt(worst['numeric'])} (with dA = 1 it is right).")
        fix = "Return the elementwise product dZ = dA * g'(Z)" + (f", here `{code}`." if code else ".")
    return Finding("activation-derivative", message, _severity(rel), location, evidence, fix)


def softmax_finding(got: np.ndarray, expected: np.ndarray, dA: np.ndarray, Z: np.ndarray, rel: float, tol: float,
                    mode: str, axis: int, style: str, hname: str, fname: str, location: Location) -> Finding:
    """A softmax backward returns ``got`` instead of the vector-Jacobian product ``expected`` for the
    upstream gradient ``dA``. ``mode``: how the cache was passed; ``style``: the helper's signature."""
    valid = np.ones(Z.shape, dtype=bool)
    points = _worst_points(Z, got, expected, valid, extra={"dA": dA})
    worst = points[0]
    message = (f"{hname} is not the backward of {fname}: for a random dA, at z = {_fmt_z(worst['z'])} it returns "
               f"{_fmt(worst['helper'])}, the vector-Jacobian product of softmax is {_fmt(worst['numeric'])}.")
    evidence = {"function": hname, "forward": fname, "forward_kind": "softmax", "signature": style,
                "axis": axis, "problem": "wrong-derivative", "cache": mode, "max_relative_error": rel,
                "tolerance": tol, "worst_points": points}
    fix = (f"Softmax mixes the entries of each example: dZ = A * (dA - np.sum(dA * A, axis={axis}, keepdims=True)) "
           f"with A = {fname}(Z). With cross-entropy, dZ = A - Y directly.")
    return Finding("activation-derivative", message, _severity(rel), location, evidence, fix)


def user_code_finding(err: UserCodeError) -> Finding:
    """A helper or forward failed with a NameError or AttributeError: the error, where it happened."""
    return finding_of(err, fix=f"Fix the exception first: {err.function} could not be checked against its twin.")
