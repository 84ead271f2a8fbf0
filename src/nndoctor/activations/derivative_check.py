"""The ``activation-derivative`` check: a derivative helper against a central difference of its
forward twin, for one pair (`check_pair`, `check_derivative`) or for all of a module's helpers
(`check_module_helpers`). Nothing here raises for what the user's functions do."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from nndoctor.activations import messages
from nndoctor.activations.grid import check_points, inputs_shaped_like, sample_grid
from nndoctor.activations.identify import (
    Activation,
    Forward,
    Helper,
    identify_derivative,
    match_a_form,
    match_z_derivative,
    probe_forward,
)
from nndoctor.activations.location import location_of
from nndoctor.activations.numeric import Comparison, Numeric, compare, numeric_derivative
from nndoctor.activations.pairing import pair_helpers
from nndoctor.activations.precision import close, machine_eps, tolerance
from nndoctor.activations.reference import KINK_GAP, KINKED, activation_value
from nndoctor.activations.signature import call_signature, input_hint, strong_z, unwrap
from nndoctor.findings import Finding, Location
from nndoctor.usercode import UserCodeError, function_name

_CODE_ERRORS = (NameError, AttributeError)


@dataclass
class _Outcome:
    finding: Finding | None = None
    error: UserCodeError | None = None
    error_function: str | None = None


@dataclass(frozen=True)
class PairCheck:
    """What `check_pair` found for one forward activation and its derivative helper.

    ``finding``: the ``activation-derivative`` finding when the derivative is wrong, or a
    ``user-code-error`` finding when either function fails with a NameError or AttributeError;
    None otherwise. ``unchecked``: when there is no finding, why the pair could not be compared,
    None when it was compared and the derivative is right:

    - ``"forward-not-callable"``: ``forward`` cannot be called as ``f(Z) -> A`` (or ``(A, cache)``)
      on the (4, 25) sample grid; ``forward_error`` is what it raised, if it raised;
    - ``"forward-not-elementwise"``: ``forward`` is neither a known activation (relu, leaky-relu,
      sigmoid, tanh, softmax, elu, softplus, swish) nor an elementwise function of Z;
    - ``"derivative-not-callable"``: ``derivative`` cannot be called as ``df(z)``, ``df(a)`` or
      ``df(dA, cache)`` with a (5, 12) float array.
    """

    finding: Finding | None = None
    unchecked: str | None = None
    forward_error: BaseException | None = None

    @property
    def ok(self) -> bool:
        """The pair was compared and the derivative is right."""
        return self.finding is None and self.unchecked is None


def check_pair(
    forward: Callable[..., Any],
    derivative: Callable[..., Any],
    *,
    forward_name: str | None = None,
    derivative_name: str | None = None,
) -> PairCheck:
    """Check one derivative helper against its forward activation (rule ``activation-derivative``).

    ``forward(Z)`` returns ``A``, ``(A, cache)`` or a dict holding A; ``derivative`` is written as
    learners write it: ``df(z)``, ``df(a)`` (``a * (1 - a)``), or ``df(dA, cache)`` returning ``dZ``
    (which must multiply by ``dA``). Both are called on a fixed grid of pre-activations, every call
    through `nndoctor.usercode.guarded_call`, and ``derivative`` is compared with a central
    difference of ``forward``. ``forward_name`` and ``derivative_name`` are the names the finding
    uses (by default the functions' own).

    Returns a `PairCheck`: its ``finding`` is what `check_derivative` finds (the worst points, the
    formula ``derivative`` computes instead when it is another known derivative, the right
    formula), or a ``user-code-error`` finding when either function fails with an undefined name;
    with no finding, its ``unchecked`` says whether the pair could be compared at all (when not,
    no finding does not mean the derivative is right). Exceptions raised by the user's functions
    are never propagated; unlike `check_derivative`, an error of nndoctor's own is.
    """
    outcome = _check(derivative, forward, derivative_name, forward_name)
    if outcome.finding is not None:
        return PairCheck(outcome.finding)
    if outcome.error is not None:
        return PairCheck(messages.user_code_finding(outcome.error))
    return _comparable(forward, derivative)


def _comparable(forward: Callable[..., Any], derivative: Callable[..., Any]) -> PairCheck:
    """No finding can mean "right" or "could not be compared": which one."""
    fwd = probe_forward(forward)
    if fwd is None or (fwd.activation is None and fwd.error is not None):
        return PairCheck(unchecked="forward-not-callable", forward_error=fwd.error if fwd is not None else None)
    if fwd.activation is None:
        Z = sample_grid()
        A0 = fwd(Z)
        if A0 is None or not _elementwise(fwd, Z, A0):
            return PairCheck(unchecked="forward-not-elementwise")
    if identify_derivative(derivative) is None:
        return PairCheck(unchecked="derivative-not-callable")
    return PairCheck()


def check_derivative(
    helper: Callable[..., Any],
    forward: Callable[..., Any],
    *,
    helper_name: str | None = None,
    forward_name: str | None = None,
) -> Finding | None:
    """Compare a derivative helper with a central difference of its forward twin.

    Returns an ``activation-derivative`` finding when the helper is not the twin's derivative
    (with the worst test points, the formula it computes instead when it is another known
    derivative, and the right formula), when a ``(dA, cache)`` helper does not multiply by dA, or
    (warning) when a helper whose parameter is named ``z`` only works when given the activation's
    output. Returns None when the helper is right, or when the pair cannot be checked (the twin
    is not an elementwise activation, a function raises, odd signatures). Never raises.
    """
    try:
        return _check(helper, forward, helper_name, forward_name).finding
    except Exception:  # noqa: BLE001
        return None


def _check(helper: Any, forward: Any, helper_name: str | None, forward_name: str | None,
           flag: str | None = None) -> _Outcome:
    hname = helper_name or function_name(unwrap(helper))
    fname = forward_name or function_name(unwrap(forward))
    fwd = probe_forward(forward)
    if fwd is None:
        return _Outcome()
    if fwd.activation is None and fwd.error is not None:
        return _code_error(fwd.error, fname)
    sig = call_signature(helper)
    if sig is None:
        return _Outcome()
    Z = check_points()
    A0 = fwd(Z)
    if A0 is None or not np.all(np.isfinite(A0)):
        return _Outcome()
    act = fwd.activation
    errors: list[BaseException] = []
    h = Helper(helper, sig, errors=errors)
    if act is not None and act.kind == "softmax":
        return _check_softmax(h, A0, act, hname, fname, helper, flag)
    if act is None and not _elementwise(fwd, Z, A0):
        return _Outcome()
    kinked = act is None or act.kind in KINKED
    modes: list[tuple[str, Any]] = [("Z", Z), ("A", A0)]
    if sig.style != "z":
        modes += [("(Z, A)", (Z, A0)), ("(A, Z)", (A0, Z))]
    outputs: list[tuple[str, np.ndarray]] = []
    dtypes = [fwd.dtype]
    for mode, x in modes:
        got = h(x)
        if got is not None:
            outputs.append((mode, got))
            dtypes.append(h.dtype)
    if not outputs:
        primary = errors[0] if errors else None
        if primary is not None and isinstance(primary, _CODE_ERRORS):
            return _code_error(primary, hname)
        return _Outcome()
    # the precision the forward really computes in (float16 inside, float32 outside happens):
    # its distance from the reference activation, when it is a known one
    coarsest: np.dtype | float = max(dtypes, key=machine_eps)
    if act is not None:
        ref = activation_value(act.kind, Z, _raw_alpha(act, A0, Z), act.axis)
        residual = float(np.max(np.abs(A0 - ref))) / max(float(np.max(np.abs(ref))), 1e-300)
        coarsest = max(machine_eps(coarsest), residual)
    numeric = numeric_derivative(fwd, Z, kinked, coarsest)
    if numeric is None or numeric.valid.sum() < 5:
        return _Outcome()
    tol = tolerance(coarsest)
    results = [compare(got, numeric, tol, mode) for mode, got in outputs]
    passing = [r for r in results if not r.fails]
    location = location_of(helper, hname, flag)
    base_evidence: dict[str, Any] = {
        "function": hname,
        "forward": fname,
        "forward_kind": act.kind if act else None,
        "signature": sig.style,
    }
    if act is not None and act.alpha is not None:
        base_evidence["alpha"] = act.alpha
    if passing:
        best = passing[0]
        if sig.style == "z" and best.mode == "A" and not any(r.mode == "Z" and not r.fails for r in results) \
                and strong_z(sig) and act is not None and act.kind in ("sigmoid", "tanh", "softplus", "elu"):
            return _Outcome(messages.expects_output_finding(hname, fname, act, sig, base_evidence, location, best))
        if sig.style != "z":
            return _Outcome(_check_upstream(h, best, numeric, Z, A0, tol, act, hname, fname, base_evidence, location))
        return _Outcome()
    # wrong: report the interpretation the parameter names suggest
    hint = input_hint(sig)
    preferred = ("A",) if hint == "a" else ("Z",)
    chosen = next((r for r in results if r.mode in preferred), None) \
        or next((r for r in results if r.mode in ("Z", "A")), None) \
        or min(results, key=lambda r: r.excess)
    recognized = _recognize(chosen, Z, A0, act, tol, coarsest)
    return _Outcome(messages.wrong_derivative_finding(chosen, numeric, Z, act, sig, hname, fname, base_evidence,
                                                      location, tol, recognized))


def _recognize(r: Comparison, Z: np.ndarray, A0: np.ndarray, act: Activation | None, tol: float,
               dtype: np.dtype | float) -> tuple[str, float | None] | None:
    """Does a wrong helper compute another known derivative? ``(kind, alpha)``, None when it does
    not, or when it is the derivative of the twin's own kind and alpha."""
    recognized: tuple[str, float | None] | None = None
    if r.mode == "A":
        far = np.abs(Z) >= KINK_GAP
        kind = match_a_form(r.got, A0, tol, far)
        if kind is not None:
            recognized = (kind, None)
    else:
        recognized = match_z_derivative(r.got, Z, tol, dtype)
    if recognized is not None and act is not None and (recognized[0], recognized[1]) == (act.kind, act.alpha):
        recognized = None
    return recognized


def _raw_alpha(act: Activation, A0: np.ndarray, Z: np.ndarray) -> float | None:
    """The alpha of a leaky ReLU or ELU as computed, before rounding for display."""
    neg = Z <= -KINK_GAP
    if act.kind == "leaky-relu":
        return float(np.median(A0[neg] / Z[neg]))
    if act.kind == "elu":
        return float(np.median(A0[neg] / np.expm1(Z[neg])))
    return act.alpha


def _elementwise(fwd: Forward, Z: np.ndarray, A0: np.ndarray) -> bool:
    """An activation we do not know can still be checked numerically if it is a non-constant
    elementwise function: each output depends on its own input only, not on its position."""
    tol = tolerance(fwd.dtype)
    if not np.ptp(A0) > 0:
        return False
    order = np.random.default_rng(5).permutation(Z.size)
    shuffled = fwd(Z.ravel()[order].reshape(Z.shape))
    if shuffled is None or not close(shuffled.ravel(), A0.ravel()[order], tol):
        return False
    changed = Z.copy()
    changed[:, ::2] += 0.75
    moved = fwd(changed)
    return moved is not None and close(moved[:, 1::2], A0[:, 1::2], tol)


def _code_error(exc: BaseException, function: str) -> _Outcome:
    if not isinstance(exc, _CODE_ERRORS):
        return _Outcome()
    err = UserCodeError.wrap(function, exc, exc.__traceback__)
    return _Outcome(error=err, error_function=function)


def _check_upstream(h: Helper, best: Comparison, numeric: Numeric, Z: np.ndarray, A0: np.ndarray, tol: float,
                    act: Activation | None, hname: str, fname: str, evidence: dict[str, Any],
                    location: Location) -> Finding | None:
    """A (dA, cache) helper right at dA = 1: does it multiply by dA?"""
    rng = np.random.default_rng(12345)
    dA = rng.uniform(0.5, 2.0, Z.shape) * rng.choice([-1.0, 1.0], Z.shape)
    x = {"Z": Z, "A": A0, "(Z, A)": (Z, A0), "(A, Z)": (A0, Z)}[best.mode]
    got = h(x, dA)
    if got is None:
        return None
    expected = dA * best.got
    v = numeric.valid
    scale = max(float(np.max(np.abs(expected[v]))), 1e-300)
    with np.errstate(all="ignore"):
        rel = float(np.max(np.abs(got[v] - expected[v]))) / scale
    if np.isfinite(rel) and rel <= tol:
        return None
    ignores = close(got[v], best.got[v], tol)
    return messages.upstream_finding(got, expected, dA, Z, v, rel, tol, ignores, best.mode, act, hname, fname,
                                     evidence, location)


def _check_softmax(h: Helper, A0: np.ndarray, act: Activation, hname: str, fname: str, helper: Any,
                   flag: str | None) -> _Outcome:
    """A softmax backward takes (dA, cache) and returns the vector-Jacobian product."""
    if h.sig.style == "z":
        return _Outcome()  # a one-argument softmax "derivative" cannot be judged elementwise
    Z = check_points()
    axis = act.axis or 0
    rng = np.random.default_rng(12345)
    dA = rng.uniform(-1.0, 1.0, Z.shape)
    expected = A0 * (dA - np.sum(dA * A0, axis=axis, keepdims=True))
    tol = tolerance(h.dtype)
    tried = []
    for mode, x in (("Z", Z), ("A", A0), ("(Z, A)", (Z, A0)), ("(A, Z)", (A0, Z))):
        got = h(x, dA)
        if got is None:
            continue
        if close(got, expected, tol) or close(got, dA, tol):
            return _Outcome()  # right, or a pass-through meant to be combined with cross-entropy
        tried.append((mode, got))
    if not tried:
        return _Outcome()
    mode, got = tried[0]
    scale = max(float(np.max(np.abs(expected))), 1e-300)
    rel = float(np.max(np.abs(got - expected))) / scale
    return _Outcome(messages.softmax_finding(got, expected, dA, Z, rel, tol, mode, axis, h.sig.style, hname, fname,
                                             location_of(helper, hname, flag)))


def check_module_helpers(functions: Mapping[str, Callable[..., Any]],
                         shapes: Mapping[str, tuple[int, ...]] | None = None) -> list[Finding]:
    """Pair a module's derivative helpers with their forward twins (`pair_helpers`) and check each
    (`check_derivative`). ``shapes``: the shape of the array the program called each function with;
    a function is then only called on inputs shaped like it. A helper or forward that fails with a
    NameError or AttributeError (an undefined name, ``np.float`` on a recent numpy) is reported once
    as ``user-code-error``; other failures only mean the pair could not be checked. Never raises."""
    findings: list[Finding] = []
    reported: set[str] = set()
    shapes = shapes or {}
    try:
        pairs = pair_helpers(functions, shapes)
    except Exception:  # noqa: BLE001
        return findings
    for pair in pairs:
        shape = shapes.get(pair.helper_name.split("(")[0]) or shapes.get(pair.forward_name)
        try:
            flag = None
            if pair.matched_by == "flag" and isinstance(pair.helper, functools.partial):
                flag = next(iter(pair.helper.keywords), None)
            with inputs_shaped_like(shape):
                outcome = _check(pair.helper, pair.forward, pair.helper_name, pair.forward_name, flag)
        except Exception:  # noqa: BLE001
            continue
        if outcome.finding is not None:
            findings.append(outcome.finding)
        elif outcome.error is not None and outcome.error_function not in reported:
            reported.add(outcome.error_function or "")
            findings.append(messages.user_code_finding(outcome.error))
    return findings
