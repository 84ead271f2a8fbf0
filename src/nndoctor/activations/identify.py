"""Recognizing activations and derivative helpers by what they compute, never by their names alone.

`identify_activation` calls a forward function on the sample grid and names the activation it
computes; `identify_derivative` calls a helper on the check grid as ``helper(z)``, ``helper(a)`` or
``helper(dA, cache)`` and names the derivative; `derivative_from_values` reads which derivative an
observed backward applied from the values it got and gave, calling nothing. `Forward` and `Helper`
are the user's functions made callable on arrays, every call through `guarded_call`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from nndoctor.activations.grid import check_points, observed_shape, sample_points
from nndoctor.activations.precision import FLOAT64, close, rounded, tolerance
from nndoctor.activations.reference import (
    A_FORMS,
    ELEMENTWISE,
    KINK_GAP,
    activation_value,
    derivative_value,
    softmax,
)
from nndoctor.activations.returns import Picker, candidates, pick
from nndoctor.activations.signature import Signature, call_signature, input_hint
from nndoctor.usercode import guarded_call


@dataclass(frozen=True)
class Activation:
    """What a forward activation function computes.

    ``kind`` is one of `KINDS`; ``alpha`` is the slope (leaky-relu) or scale (elu) of the negative
    side; ``axis`` the axis a softmax normalizes over (0: examples as columns, 1: as rows);
    ``returns_cache`` is True when the function returns ``(A, cache)`` (or a dict) rather than ``A``.
    """

    kind: str
    alpha: float | None = None
    axis: int | None = None
    returns_cache: bool = False


@dataclass(frozen=True)
class Derivative:
    """What a derivative helper computes.

    ``of``: the activation it differentiates correctly (a `KINDS` entry), None when it matches no
    known derivative (a buggy helper looks like that). ``input``: ``"z"`` when it takes the
    pre-activation, ``"a"`` when it takes the activation's output (``a * (1 - a)``).
    ``signature``: ``"z"`` for ``helper(z)``, ``"dA,cache"`` for ``helper(dA, cache)``
    (``"cache,dA"`` when the parameters are named the other way round). ``alpha`` as in
    `Activation`. ``cache``: how the cache was passed when the helper worked: ``"Z"``, ``"A"``,
    ``"(Z, A)"`` or ``"(A, Z)"``; None for ``helper(z)``.
    """

    of: str | None
    input: str = "z"
    signature: str = "z"
    alpha: float | None = None
    cache: str | None = None


def classify(A: np.ndarray, Z: np.ndarray, dtype: np.dtype,
             two_d: bool) -> tuple[str, float | None, int | None] | None:
    """Which known activation ``A`` is of ``Z``: ``(kind, alpha, axis)``, None when none is. ``dtype``:
    the precision A was computed in; ``two_d``: whether a softmax over either axis is possible."""
    tol = tolerance(dtype)
    if not np.all(np.isfinite(A)):
        return None
    pos, neg = Z > 0, Z < 0
    far_neg = Z <= -KINK_GAP
    if close(A, Z, tol):
        return "identity", None, None
    if close(A[pos], Z[pos], tol):
        if close(A[neg], np.zeros(int(neg.sum())), tol):
            return "relu", None, None
        if far_neg.any():
            alpha = float(np.median(A[far_neg] / Z[far_neg]))
            if alpha > 0 and close(A, activation_value("leaky-relu", Z, alpha), tol):
                return "leaky-relu", rounded(alpha, dtype), None
            denom = np.expm1(Z[far_neg])
            alpha = float(np.median(A[far_neg] / denom))
            if alpha > 0 and close(A, activation_value("elu", Z, alpha), tol):
                return "elu", rounded(alpha, dtype), None
    for kind in ("sigmoid", "tanh", "softplus", "swish"):
        if close(A, activation_value(kind, Z), tol):
            return kind, None, None
    if two_d:
        for axis in (0, 1):
            if close(A, softmax(Z, axis), tol):
                return "softmax", None, axis
    return None


@dataclass
class Forward:
    """A user forward function made callable as z -> A (float64), with how A is picked."""

    func: Callable[..., Any]
    picker: Picker
    flat: bool
    dtype: np.dtype
    activation: Activation | None
    error: BaseException | None = None

    def __call__(self, z: np.ndarray) -> np.ndarray | None:
        arg = z.ravel().copy() if self.flat else z.copy()
        ok, result = guarded_call(self.func, arg)
        if not ok:
            self.error = self.error or result
            return None
        got = pick(result, self.picker, arg.shape)
        if got is None:
            return None
        return got[0].reshape(z.shape)


def probe_forward(func: Callable[..., Any]) -> Forward | None:
    """Call ``func`` once on the sample grid (once more on its flat version if the 2-D call
    raises) and recognize it. Returns None when it cannot be called with one array."""
    sig = call_signature(func)
    if sig is None or sig.style != "z":
        return None
    Z = sample_points()
    ok, result = guarded_call(func, Z.copy())
    flat = False
    first_error = None if ok else result
    if not ok and observed_shape() is None:  # the program's own shape is the only one tried when known
        ok, result = guarded_call(func, Z.ravel().copy())
        flat = True
        if not ok:
            return Forward(func, ("array",), False, np.dtype(np.float64), None, first_error)
    zz = Z.ravel() if flat else Z
    cands = candidates(result, zz.shape)
    if not cands:
        return None
    returns_cache = cands[0][2][0] in ("index", "key")
    chosen = None
    for arr, dtype, picker in cands:
        got = classify(arr, zz, dtype, not flat)
        if got is None:
            continue
        if got[0] != "identity":
            chosen = (got, dtype, picker)
            break
        if chosen is None:  # (Z, Z): keep looking for a non-identity output
            chosen = (got, dtype, picker)
    if chosen is None:
        arr, dtype, picker = cands[0]
        return Forward(func, picker, flat, dtype, None)
    (kind, alpha, axis), dtype, picker = chosen
    return Forward(func, picker, flat, dtype, Activation(kind, alpha, axis, bool(returns_cache)))


def identify_activation(func: Callable[..., Any]) -> Activation | None:
    """What activation ``func`` computes, from its values on `sample_grid()`; None when it is not a
    recognizable activation (raises, wrong shape, other signature, another function).

    Accepts functions returning ``A``, ``(A, cache)`` or a dict holding A. Never raises, never
    prints, leaves numpy's global random state as it was; calls ``func`` once (twice when it
    only works on 1-D arrays).
    """
    try:
        probe = probe_forward(func)
        return None if probe is None else probe.activation
    except Exception:  # noqa: BLE001 - a recognizer never crashes its caller
        return None


def _copy_arg(x: Any) -> Any:
    if isinstance(x, np.ndarray):
        return x.copy()
    if isinstance(x, tuple):
        return tuple(_copy_arg(v) for v in x)
    return x


def _flat_arg(x: Any) -> Any:
    if isinstance(x, np.ndarray):
        return x.ravel().copy()
    if isinstance(x, tuple):
        return tuple(_flat_arg(v) for v in x)
    return x


@dataclass
class Helper:
    """A user derivative helper callable as (x, dA) -> array, remembering its exceptions."""

    func: Callable[..., Any]
    sig: Signature
    flat: bool = False
    errors: list[BaseException] | None = None
    dtype: np.dtype = FLOAT64

    def __call__(self, x: Any, dA: np.ndarray | None = None) -> np.ndarray | None:
        z_shape = (x[0] if isinstance(x, tuple) else x).shape
        shapes = (self.flat,) if self.flat else ((False,) if observed_shape() is not None else (False, True))
        for flat in shapes:
            arg = _flat_arg(x) if flat else _copy_arg(x)
            shape = (int(np.prod(z_shape)),) if flat else z_shape
            if self.sig.style == "z":
                args: tuple[Any, ...] = (arg,)
            else:
                upstream = np.ones(z_shape) if dA is None else dA
                upstream = upstream.ravel().copy() if flat else upstream.copy()
                args = (upstream, arg) if self.sig.style == "dA,cache" else (arg, upstream)
            ok, result = guarded_call(self.func, *args)
            if not ok:
                if self.errors is not None:
                    self.errors.append(result)
                continue
            cands = candidates(result, shape, broadcast=True)
            if not cands:
                return None
            arr, dtype, _ = cands[0]
            self.flat = flat
            self.dtype = dtype
            return arr.reshape(z_shape)
        return None


def match_z_derivative(g: np.ndarray, Z: np.ndarray, tol: float,
                       dtype: np.dtype = FLOAT64) -> tuple[str, float | None] | None:
    """Which known derivative ``g`` (the helper's output at ``Z``) is, or None."""
    far = np.abs(Z) >= KINK_GAP
    pos, neg = Z >= KINK_GAP, Z <= -KINK_GAP
    if not np.all(np.isfinite(g[far])):
        return None
    if close(g[far], np.ones(int(far.sum())), tol):
        return "identity", None
    if close(g[pos], np.ones(int(pos.sum())), tol) and neg.any():
        if close(g[neg], np.zeros(int(neg.sum())), tol):
            return "relu", None
        alpha = float(np.median(g[neg]))
        if alpha > 0 and close(g[neg], np.full(int(neg.sum()), alpha), tol):
            return "leaky-relu", rounded(alpha, dtype)
        alpha = float(np.median(g[neg] / np.exp(Z[neg])))
        if alpha > 0 and close(g[neg], alpha * np.exp(Z[neg]), tol):
            return "elu", rounded(alpha, dtype)
    if not np.all(np.isfinite(g)):
        return None
    for kind in ("sigmoid", "tanh", "softplus", "swish"):
        if close(g, derivative_value(kind, Z), tol):
            return kind, None
    return None


def match_a_form(g: np.ndarray, a: np.ndarray, tol: float, far: np.ndarray) -> str | None:
    """Which known derivative, written in terms of the output, ``g`` is as a function of ``a``."""
    for kind, form in A_FORMS.items():
        mask = far if kind in ("relu", "identity") else np.ones_like(far)
        if np.all(np.isfinite(g[mask])) and close(g[mask], form(a)[mask], tol):
            return kind
    return None


def identify_derivative(func: Callable[..., Any]) -> Derivative | None:
    """What derivative helper ``func`` is: ``helper(z)`` / ``helper(a)`` / ``helper(dA, cache)``,
    and which activation it differentiates (``of``, None when it matches no known derivative).
    Returns None when ``func`` cannot be called in any of these ways. Never raises, never prints,
    leaves numpy's global random state as it was.
    """
    try:
        return _identify_derivative(func)
    except Exception:  # noqa: BLE001
        return None


def _identify_derivative(func: Callable[..., Any]) -> Derivative | None:
    sig = call_signature(func)
    if sig is None:
        return None
    Z = check_points()
    helper = Helper(func, sig)
    hint = input_hint(sig)
    ran_as: str | None = None

    def tol() -> float:
        return tolerance(helper.dtype)

    g = helper(Z)
    if g is not None:
        ran_as = "Z"
        match = match_z_derivative(g, Z, tol(), helper.dtype)
        if match is not None:
            return Derivative(match[0], "z", sig.style, match[1], None if sig.style == "z" else "Z")
    # helpers written in terms of the output: sigmoid_prime(a) = a * (1 - a), dtanh(a) = 1 - a**2
    far = np.abs(Z) >= KINK_GAP
    for kind in ("sigmoid", "tanh", "softplus", "elu"):
        a = activation_value(kind, Z)
        g = helper(a)
        if g is None:
            continue
        ran_as = ran_as or "A"
        mask = far if kind == "elu" else np.ones_like(far)
        if np.all(np.isfinite(g[mask])) and close(g[mask], derivative_value(kind, Z)[mask], tol()):
            return Derivative(kind, "a", sig.style, 1.0 if kind == "elu" else None, None if sig.style == "z" else "A")
    if sig.style != "z":
        # a cache tuple holding Z and the activation, in either order. A helper that reads only Z
        # returns the same whatever the activation slot holds; one that reads the activation only
        # counts when it differentiates the activation that produced it.
        def tupled(layout: str, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            return (Z, a) if layout == "(Z, A)" else (a, Z)

        reads_a: list[str] = []
        for layout in ("(Z, A)", "(A, Z)"):
            outs = [helper(tupled(layout, activation_value(kind, Z))) for kind in ("sigmoid", "tanh")]
            if outs[0] is None or outs[1] is None:
                continue
            ran_as = ran_as or layout
            if close(outs[0], outs[1], tol()):
                match = match_z_derivative(outs[0], Z, tol(), helper.dtype)
                if match is not None:
                    return Derivative(match[0], "z", sig.style, match[1], layout)
            else:
                reads_a.append(layout)
        for kind in ELEMENTWISE[1:]:
            a = activation_value(kind, Z)
            for layout in reads_a:
                g = helper(tupled(layout, a))
                match = None if g is None else match_z_derivative(g, Z, tol(), helper.dtype)
                if match is not None and match[0] == kind:
                    return Derivative(kind, "a", sig.style, match[1], layout)
    if ran_as is None:
        return None
    if sig.style == "z":
        return Derivative(None, hint, "z", None, None)
    return Derivative(None, "a" if ran_as == "A" or (ran_as == "Z" and hint == "a") else "z", sig.style, None, ran_as)


def derivative_from_values(result: np.ndarray, arrays: list[np.ndarray]) -> str | None:
    """Which activation's derivative an observed backward applied, from its values alone: ``result``
    is ``dA * f'(x)`` for one of the ``arrays`` as ``dA`` and another as ``x`` (Z, or the output A
    for the forms written in terms of it). Nothing is called. None when no single kind fits."""
    result = np.asarray(result, dtype=np.float64)
    fits: set[str] = set()
    for i, dA in enumerate(arrays):
        if dA.shape != result.shape or not np.all(np.isfinite(dA)) or np.count_nonzero(dA) < dA.size // 2:
            continue
        with np.errstate(all="ignore"):
            ratio = np.where(dA != 0, result / np.where(dA == 0, 1.0, dA), np.nan)
        valid = np.isfinite(ratio)
        if valid.sum() < 4:
            continue
        for j, x in enumerate(arrays):
            if j == i or x.shape != result.shape:
                continue
            x = np.asarray(x, dtype=np.float64)
            for kind, form in A_FORMS.items():
                if kind in ("identity", "relu"):
                    continue
                if np.allclose(ratio[valid], form(x)[valid], rtol=1e-6, atol=1e-9):
                    fits.add(kind)
            for kind in ("sigmoid", "tanh"):
                if np.allclose(ratio[valid], derivative_value(kind, x)[valid], rtol=1e-6, atol=1e-9):
                    fits.add(kind)
    return next(iter(fits)) if len(fits) == 1 else None
