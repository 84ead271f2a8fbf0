"""Activation functions and their derivative helpers, recognized by what they compute.

Learners write ``sigmoid(Z) -> (A, cache)``, ``relu_backward(dA, cache)``, ``lreluDer(z)``,
``sigmoid_prime(a) = a * (1 - a)``... This module calls such functions on a small fixed grid of
pre-activations and recognizes them by their values, never by their names alone:

- `identify_activation(func)`: relu, leaky-relu (with its alpha), sigmoid, tanh, softmax (over
  axis 0 or axis 1), identity, elu, softplus, swish;
- `identify_derivative(func)`: which activation a helper differentiates, whether it takes ``z``
  or the activation's output ``a``, and whether it is called ``helper(z)`` or ``helper(dA, cache)``;
- `pair_helpers(functions)`: a module's derivative helpers and their forward twins, by name
  (``sigmoid_backward`` / ``sigmoid``, ``lreluDer`` / ``lrelu``, ``dtanh`` / ``tanh``) and otherwise
  by what they compute;
- `check_derivative(helper, forward)`: the helper against a central difference of its twin
  (rule ``activation-derivative``), including whether a ``(dA, cache)`` helper multiplies by dA;
- `check_module_helpers(functions)`: all of the above for a module.

Every call of user code goes through one guard: exceptions are caught, output is swallowed,
stdin reads as empty, numpy's global random state (and `random`'s) is restored, and a line
budget stops a function that turns out to be a training loop. Nothing here raises.
"""

from __future__ import annotations

import ast
import contextlib
import difflib
import functools
import inspect
import io
import random
import re
import sys
import textwrap
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from nndoctor.findings import Finding, Location, Severity
from nndoctor.usercode import UserCodeError, definition_site, function_name

__all__ = [
    "Activation",
    "Derivative",
    "Pair",
    "KINDS",
    "identify_activation",
    "identify_derivative",
    "pair_helpers",
    "check_derivative",
    "check_module_helpers",
    "activation_value",
    "derivative_value",
    "sample_grid",
]

KINDS = ("identity", "relu", "leaky-relu", "sigmoid", "tanh", "softmax", "elu", "softplus", "swish")
ELEMENTWISE = tuple(k for k in KINDS if k != "softmax")
# kinds whose derivative jumps at z = 0: no test point closer than KINK_GAP, no step across 0
KINKED = frozenset({"relu", "leaky-relu", "elu"})
KINK_GAP = 1e-3


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


@dataclass(frozen=True)
class Pair:
    """A derivative helper and its forward twin, with how they were matched
    (``"name"``, ``"computation"``, or ``"flag"`` for ``nonlin(x, deriv=True)``)."""

    helper_name: str
    forward_name: str
    matched_by: str
    helper: Callable[..., Any]
    forward: Callable[..., Any]


# --------------------------------------------------------------------------------------------
# grids

def _build_sample_grid() -> np.ndarray:
    base = np.linspace(-6.0, 6.0, 89)
    base[44] = 0.0  # exactly zero
    extra = [-1e-3, 1e-3, -1e-6, 1e-6, -0.5, 0.5, -1.0, 1.0, -2.0, 2.0, 3.0]
    values = np.concatenate([base, extra])
    order = np.random.default_rng(20240917).permutation(values.size)
    return np.ascontiguousarray(values[order].reshape(4, 25))


def _build_test_grid() -> np.ndarray:
    # "nice" values, so a message can say "at z = 2.0"; 5 rows so that a cache tuple unpacked into
    # 2, 3 or 4 names never unpacks an array by accident
    nice = np.arange(-24, 25) / 4.0
    # all dyadic, so exact in float16 too: the steps below are powers of two
    extra = np.array([-0.125, 0.125, -2.0 ** -6, 2.0 ** -6, -2.0 ** -9, 2.0 ** -9, -8.0, 8.0, -10.0, 10.0, 0.0625])
    values = np.concatenate([nice, extra])
    order = np.random.default_rng(1729).permutation(values.size)
    return np.ascontiguousarray(values[order].reshape(5, 12))


_SAMPLE = _build_sample_grid()
_TEST = _build_test_grid()
_OBSERVED: tuple[int, ...] | None = None  # the shape the program called the function with


@contextlib.contextmanager
def inputs_shaped_like(shape: tuple[int, ...] | None) -> Any:
    """Within this block, functions are only called on inputs shaped like the ones the program gave
    them: the same number of dimensions and the same leading sizes (the last axis is lengthened
    when the program's arrays are too small to hold every test value)."""
    global _OBSERVED
    saved, _OBSERVED = _OBSERVED, (tuple(int(n) for n in shape) if shape is not None else None)
    try:
        yield
    finally:
        _OBSERVED = saved


def _shaped(base: np.ndarray) -> np.ndarray:
    shape = _OBSERVED
    if shape is None or len(shape) == 0:
        return base
    values = base.ravel()
    leading = shape[:-1]
    rows = int(np.prod(leading)) if leading else 1
    last = max(shape[-1], -(-values.size // max(rows, 1)))
    return np.ascontiguousarray(np.resize(values, rows * last).reshape(*leading, last))


def _sample() -> np.ndarray:
    return _shaped(_SAMPLE)


def _test() -> np.ndarray:
    return _shaped(_TEST)


def sample_grid() -> np.ndarray:
    """The (4, 25) float64 grid of pre-activations used to recognize activations (a copy)."""
    return _SAMPLE.copy()


# --------------------------------------------------------------------------------------------
# the known activations and their derivatives

def _sigmoid(z: np.ndarray) -> np.ndarray:
    out = np.empty_like(z, dtype=np.float64)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    e = np.exp(z[~pos])
    out[~pos] = e / (1.0 + e)
    return out


def _softmax(z: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def activation_value(kind: str, z: np.ndarray, alpha: float | None = None, axis: int | None = None) -> np.ndarray:
    """The reference value of activation ``kind`` at ``z`` (float64)."""
    z = np.asarray(z, dtype=np.float64)
    if kind == "identity":
        return z.copy()
    if kind == "relu":
        return np.maximum(z, 0.0)
    if kind == "leaky-relu":
        return np.where(z > 0, z, (0.01 if alpha is None else alpha) * z)
    if kind == "sigmoid":
        return _sigmoid(z)
    if kind == "tanh":
        return np.tanh(z)
    if kind == "elu":
        return np.where(z > 0, z, (1.0 if alpha is None else alpha) * np.expm1(np.minimum(z, 0.0)))
    if kind == "softplus":
        return np.logaddexp(0.0, z)
    if kind == "swish":
        return z * _sigmoid(z)
    if kind == "softmax":
        return _softmax(z, 0 if axis is None else axis)
    raise ValueError(f"unknown activation kind {kind!r}")


def derivative_value(kind: str, z: np.ndarray, alpha: float | None = None) -> np.ndarray:
    """The reference derivative of elementwise activation ``kind`` at ``z`` (1 at z > 0 for the kinked ones)."""
    z = np.asarray(z, dtype=np.float64)
    if kind == "identity":
        return np.ones_like(z)
    if kind == "relu":
        return (z > 0).astype(np.float64)
    if kind == "leaky-relu":
        return np.where(z > 0, 1.0, 0.01 if alpha is None else alpha)
    if kind == "sigmoid":
        s = _sigmoid(z)
        return s * (1.0 - s)
    if kind == "tanh":
        return 1.0 - np.tanh(z) ** 2
    if kind == "elu":
        return np.where(z > 0, 1.0, (1.0 if alpha is None else alpha) * np.exp(np.minimum(z, 0.0)))
    if kind == "softplus":
        return _sigmoid(z)
    if kind == "swish":
        s = _sigmoid(z)
        return s + z * s * (1.0 - s)
    raise ValueError(f"no elementwise derivative for {kind!r}")


# derivatives written in terms of the output a = f(z), where that is the usual way to write them
_A_FORMS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sigmoid": lambda a: a * (1.0 - a),
    "tanh": lambda a: 1.0 - a ** 2,
    "softplus": lambda a: -np.expm1(-a),
    "relu": lambda a: (a > 0).astype(np.float64),
    "identity": lambda a: np.ones_like(a),
}


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
            for kind, form in _A_FORMS.items():
                if kind in ("identity", "relu"):
                    continue
                if np.allclose(ratio[valid], form(x)[valid], rtol=1e-6, atol=1e-9):
                    fits.add(kind)
            for kind in ("sigmoid", "tanh"):
                if np.allclose(ratio[valid], derivative_value(kind, x)[valid], rtol=1e-6, atol=1e-9):
                    fits.add(kind)
    return next(iter(fits)) if len(fits) == 1 else None


# --------------------------------------------------------------------------------------------
# calling user code safely

_LINE_BUDGET = 200_000


class _OverBudget(BaseException):
    """Raised inside user code that runs far more lines than any activation needs."""


def _guarded_call(func: Callable[..., Any], *args: Any) -> tuple[bool, Any]:
    """``(True, result)`` or ``(False, exception)``. Output is swallowed, stdin is empty, warnings
    are silenced, numpy's and `random`'s global states are restored, and a line budget stops
    runaway loops. Only KeyboardInterrupt gets through."""
    np_state = np.random.get_state()
    py_state = random.getstate()
    count = 0

    def tracer(frame: Any, event: str, arg: Any) -> Any:
        nonlocal count
        count += 1
        if count > _LINE_BUDGET:
            raise _OverBudget("line budget exceeded")
        return tracer

    previous_trace = sys.gettrace()
    old_stdin = sys.stdin
    sink = io.StringIO()
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink), \
                warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            sys.stdin = io.StringIO("")
            sys.settrace(tracer)
            try:
                return True, func(*args)
            finally:
                sys.settrace(previous_trace)
                sys.stdin = old_stdin
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # noqa: BLE001 - user code may raise anything, even SystemExit
        return False, exc
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)


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


def _unwrap(func: Any) -> Any:
    while isinstance(func, functools.partial):
        func = func.func
    return func


_A_NAMES = {"a", "s", "sig", "sigma", "out", "output", "outputs", "activation", "activations", "act", "y",
            "h", "fx", "f", "t", "al", "a_out", "aout", "sigmoid", "tanh", "sigmoid_output", "activated"}
_STRONG_Z_NAMES = {"z", "zs", "z_", "preact", "pre_activation", "preactivation", "logits", "zl", "z_l"}
_ALPHA_NAMES = {"alpha", "alph", "leak", "leakage", "slope", "negative_slope", "neg_slope", "leaky_slope", "a"}
_GRAD_NAMES = {"da", "da_prev", "dout", "grad", "grads", "gradient", "delta", "upstream", "dy", "g", "dl_da",
               "d_a", "da_l", "dal", "grad_output", "dvalues", "dz", "error", "err"}
_CACHE_NAMES = {"cache", "z", "x", "activation_cache", "zs", "inputs", "input", "a", "s", "out", "output",
                "activation", "preact"}


@dataclass(frozen=True)
class _Signature:
    style: str  # "z", "dA,cache", "cache,dA"
    value_name: str | None  # the parameter that receives z (or a, or the cache)


def _signature(func: Any) -> _Signature | None:
    """How a function can be called with one array (``"z"``) or with ``(dA, cache)``."""
    if not callable(func) or inspect.isclass(func):
        return None
    try:
        params = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        return _Signature("z", None)  # builtins and ufuncs (np.tanh) take one array
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = [p for p in positional if p.default is p.empty]
    if any(p.kind == p.KEYWORD_ONLY and p.default is p.empty for p in params):
        return None
    var_positional = any(p.kind == p.VAR_POSITIONAL for p in params)
    if len(required) == 1 or (not required and (positional or var_positional)):
        name = (required or positional or [None])[0]
        return _Signature("z", name.name if name is not None else None)
    if len(required) == 2:
        first, second = (p.name.lower() for p in required)
        if second in _ALPHA_NAMES - {"a"} or (second == "a" and first not in _GRAD_NAMES):
            return None  # lrelu_der(z, alpha): no default for alpha, nothing to call it with
        if first in _CACHE_NAMES and second in _GRAD_NAMES:
            return _Signature("cache,dA", required[0].name)
        return _Signature("dA,cache", required[1].name)
    return None


def _input_hint(sig: _Signature) -> str:
    name = (sig.value_name or "").lower()
    return "a" if name in _A_NAMES or name.startswith("a_") else "z"


def _strong_z(sig: _Signature) -> bool:
    return (sig.value_name or "").lower() in _STRONG_Z_NAMES


# --------------------------------------------------------------------------------------------
# turning whatever a function returned into an array

_A_KEYS = ("A", "a", "out", "output", "activation", "act", "y", "h", "dZ", "dz")


def _as_array(x: Any, shape: tuple[int, ...], broadcast: bool) -> tuple[np.ndarray, np.dtype] | None:
    if x is None or isinstance(x, (str, bytes, Mapping)):
        return None
    try:
        arr = np.asarray(x)
    except Exception:  # noqa: BLE001
        return None
    if arr.dtype.kind == "b":
        arr = arr.astype(np.float64)
    if arr.dtype.kind not in "iuf":
        return None
    dtype = arr.dtype if arr.dtype.kind == "f" else np.dtype(np.float64)
    if arr.shape != shape:
        # `return 1` (the identity's derivative) is a constant; a numpy scalar is a reduction
        if not broadcast or type(x) not in (int, float):
            return None
        arr = np.broadcast_to(arr.reshape(()), shape)
    return np.array(arr, dtype=np.float64), dtype


_Picker = tuple  # ("array",) | ("index", i) | ("key", k) | ("whole",)


def _candidates(result: Any, shape: tuple[int, ...],
                broadcast: bool = False) -> list[tuple[np.ndarray, np.dtype, _Picker]]:
    found: list[tuple[np.ndarray, np.dtype, _Picker]] = []
    if isinstance(result, Mapping):
        keys = [k for k in _A_KEYS if k in result] + [k for k in result if k not in _A_KEYS]
        for k in keys:
            got = _as_array(result[k], shape, False)
            if got is not None:
                found.append((*got, ("key", k)))
        return found
    if isinstance(result, (tuple, list)):
        for i, item in enumerate(result):
            got = _as_array(item, shape, False)
            if got is not None:
                found.append((*got, ("index", i)))
        if found or isinstance(result, tuple):
            return found
        got = _as_array(result, shape, broadcast)  # a nested list that is the array itself
        return [(*got, ("whole",))] if got is not None else []
    got = _as_array(result, shape, broadcast)
    return [(*got, ("array",))] if got is not None else []


def _pick(result: Any, picker: _Picker, shape: tuple[int, ...],
          broadcast: bool = False) -> tuple[np.ndarray, np.dtype] | None:
    try:
        if picker[0] == "index":
            if not isinstance(result, (tuple, list)) or len(result) <= picker[1]:
                return None
            return _as_array(result[picker[1]], shape, False)
        if picker[0] == "key":
            if not isinstance(result, Mapping) or picker[1] not in result:
                return None
            return _as_array(result[picker[1]], shape, False)
        return _as_array(result, shape, broadcast)
    except Exception:  # noqa: BLE001
        return None


# --------------------------------------------------------------------------------------------
# recognizing an activation

def _eps(dtype: np.dtype | float) -> float:
    """Machine epsilon of a dtype; a float is taken as an epsilon already (a measured precision)."""
    if isinstance(dtype, float):
        return dtype
    try:
        return float(np.finfo(dtype).eps)
    except (TypeError, ValueError):
        return float(np.finfo(np.float64).eps)


def _tolerance(*dtypes: np.dtype | float) -> float:
    """Relative tolerance for "computes the same function": loose enough for float round-off and
    other correct formulas, far tighter than the difference between any two activations."""
    eps = max((_eps(d) for d in dtypes), default=_eps(np.dtype(np.float64)))
    if eps <= 1e-12:  # float64
        return 1e-6
    if eps <= 1e-5:  # float32
        return 1e-3
    return 3e-2  # float16


def _close(got: np.ndarray, want: np.ndarray, tol: float) -> bool:
    if got.size == 0:
        return True
    with np.errstate(all="ignore"):
        return bool(np.all(np.abs(got - want) <= tol * (1.0 + np.abs(want))))


_FLOAT64 = np.dtype(np.float64)


def _round(x: float, dtype: np.dtype = _FLOAT64) -> float:
    """``x`` to the significant digits its dtype carries: 0.01 stays 0.01 in float32 too."""
    digits = min(12, max(2, int(np.floor(-np.log10(_eps(dtype)))) - 1))
    return float(f"{x:.{digits}g}")


def _classify(A: np.ndarray, Z: np.ndarray, dtype: np.dtype,
              two_d: bool) -> tuple[str, float | None, int | None] | None:
    tol = _tolerance(dtype)
    if not np.all(np.isfinite(A)):
        return None
    pos, neg = Z > 0, Z < 0
    far_neg = Z <= -KINK_GAP
    if _close(A, Z, tol):
        return "identity", None, None
    if _close(A[pos], Z[pos], tol):
        if _close(A[neg], np.zeros(int(neg.sum())), tol):
            return "relu", None, None
        if far_neg.any():
            alpha = float(np.median(A[far_neg] / Z[far_neg]))
            if alpha > 0 and _close(A, activation_value("leaky-relu", Z, alpha), tol):
                return "leaky-relu", _round(alpha, dtype), None
            denom = np.expm1(Z[far_neg])
            alpha = float(np.median(A[far_neg] / denom))
            if alpha > 0 and _close(A, activation_value("elu", Z, alpha), tol):
                return "elu", _round(alpha, dtype), None
    for kind in ("sigmoid", "tanh", "softplus", "swish"):
        if _close(A, activation_value(kind, Z), tol):
            return kind, None, None
    if two_d:
        for axis in (0, 1):
            if _close(A, _softmax(Z, axis), tol):
                return "softmax", None, axis
    return None


@dataclass
class _Forward:
    """A user forward function made callable as z -> A (float64), with how A is picked."""

    func: Callable[..., Any]
    picker: _Picker
    flat: bool
    dtype: np.dtype
    activation: Activation | None
    error: BaseException | None = None

    def __call__(self, z: np.ndarray) -> np.ndarray | None:
        arg = z.ravel().copy() if self.flat else z.copy()
        ok, result = _guarded_call(self.func, arg)
        if not ok:
            self.error = self.error or result
            return None
        got = _pick(result, self.picker, arg.shape)
        if got is None:
            return None
        return got[0].reshape(z.shape)


def _probe_forward(func: Callable[..., Any]) -> _Forward | None:
    """Call ``func`` once on the sample grid (once more on its flat version if the 2-D call
    raises) and recognize it. Returns None when it cannot be called with one array."""
    sig = _signature(func)
    if sig is None or sig.style != "z":
        return None
    Z = _sample()
    ok, result = _guarded_call(func, Z.copy())
    flat = False
    first_error = None if ok else result
    if not ok and _OBSERVED is None:  # the program's own shape is the only one tried when known
        ok, result = _guarded_call(func, Z.ravel().copy())
        flat = True
        if not ok:
            return _Forward(func, ("array",), False, np.dtype(np.float64), None, first_error)
    zz = Z.ravel() if flat else Z
    cands = _candidates(result, zz.shape)
    if not cands:
        return None
    returns_cache = cands[0][2][0] in ("index", "key")
    chosen = None
    for arr, dtype, picker in cands:
        got = _classify(arr, zz, dtype, not flat)
        if got is None:
            continue
        if got[0] != "identity":
            chosen = (got, dtype, picker)
            break
        if chosen is None:  # (Z, Z): keep looking for a non-identity output
            chosen = (got, dtype, picker)
    if chosen is None:
        arr, dtype, picker = cands[0]
        return _Forward(func, picker, flat, dtype, None)
    (kind, alpha, axis), dtype, picker = chosen
    return _Forward(func, picker, flat, dtype, Activation(kind, alpha, axis, bool(returns_cache)))


def identify_activation(func: Callable[..., Any]) -> Activation | None:
    """What activation ``func`` computes, from its values on `sample_grid()`; None when it is not a
    recognizable activation (raises, wrong shape, other signature, another function).

    Accepts functions returning ``A``, ``(A, cache)`` or a dict holding A. Never raises, never
    prints, leaves numpy's global random state as it was; calls ``func`` once (twice when it
    only works on 1-D arrays).
    """
    try:
        probe = _probe_forward(func)
        return None if probe is None else probe.activation
    except Exception:  # noqa: BLE001 - a recognizer never crashes its caller
        return None


# --------------------------------------------------------------------------------------------
# recognizing a derivative helper

@dataclass
class _Helper:
    """A user derivative helper callable as (x, dA) -> array, remembering its exceptions."""

    func: Callable[..., Any]
    sig: _Signature
    flat: bool = False
    errors: list[BaseException] | None = None
    dtype: np.dtype = _FLOAT64

    def __call__(self, x: Any, dA: np.ndarray | None = None) -> np.ndarray | None:
        z_shape = (x[0] if isinstance(x, tuple) else x).shape
        shapes = (self.flat,) if self.flat else ((False,) if _OBSERVED is not None else (False, True))
        for flat in shapes:
            arg = _flat_arg(x) if flat else _copy_arg(x)
            shape = (int(np.prod(z_shape)),) if flat else z_shape
            if self.sig.style == "z":
                args: tuple[Any, ...] = (arg,)
            else:
                upstream = np.ones(z_shape) if dA is None else dA
                upstream = upstream.ravel().copy() if flat else upstream.copy()
                args = (upstream, arg) if self.sig.style == "dA,cache" else (arg, upstream)
            ok, result = _guarded_call(self.func, *args)
            if not ok:
                if self.errors is not None:
                    self.errors.append(result)
                continue
            cands = _candidates(result, shape, broadcast=True)
            if not cands:
                return None
            arr, dtype, _ = cands[0]
            self.flat = flat
            self.dtype = dtype
            return arr.reshape(z_shape)
        return None


def _match_z_derivative(g: np.ndarray, Z: np.ndarray, tol: float,
                        dtype: np.dtype = _FLOAT64) -> tuple[str, float | None] | None:
    """Which known derivative ``g`` (the helper's output at ``Z``) is, or None."""
    far = np.abs(Z) >= KINK_GAP
    pos, neg = Z >= KINK_GAP, Z <= -KINK_GAP
    if not np.all(np.isfinite(g[far])):
        return None
    if _close(g[far], np.ones(int(far.sum())), tol):
        return "identity", None
    if _close(g[pos], np.ones(int(pos.sum())), tol) and neg.any():
        if _close(g[neg], np.zeros(int(neg.sum())), tol):
            return "relu", None
        alpha = float(np.median(g[neg]))
        if alpha > 0 and _close(g[neg], np.full(int(neg.sum()), alpha), tol):
            return "leaky-relu", _round(alpha, dtype)
        alpha = float(np.median(g[neg] / np.exp(Z[neg])))
        if alpha > 0 and _close(g[neg], alpha * np.exp(Z[neg]), tol):
            return "elu", _round(alpha, dtype)
    if not np.all(np.isfinite(g)):
        return None
    for kind in ("sigmoid", "tanh", "softplus", "swish"):
        if _close(g, derivative_value(kind, Z), tol):
            return kind, None
    return None


def _match_a_form(g: np.ndarray, a: np.ndarray, tol: float, far: np.ndarray) -> str | None:
    """Which known derivative, written in terms of the output, ``g`` is as a function of ``a``."""
    for kind, form in _A_FORMS.items():
        mask = far if kind in ("relu", "identity") else np.ones_like(far)
        if np.all(np.isfinite(g[mask])) and _close(g[mask], form(a)[mask], tol):
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
    sig = _signature(func)
    if sig is None:
        return None
    Z = _test()
    helper = _Helper(func, sig)
    hint = _input_hint(sig)
    ran_as: str | None = None

    def tol() -> float:
        return _tolerance(helper.dtype)

    g = helper(Z)
    if g is not None:
        ran_as = "Z"
        match = _match_z_derivative(g, Z, tol(), helper.dtype)
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
        if np.all(np.isfinite(g[mask])) and _close(g[mask], derivative_value(kind, Z)[mask], tol()):
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
            if _close(outs[0], outs[1], tol()):
                match = _match_z_derivative(outs[0], Z, tol(), helper.dtype)
                if match is not None:
                    return Derivative(match[0], "z", sig.style, match[1], layout)
            else:
                reads_a.append(layout)
        for kind in ELEMENTWISE[1:]:
            a = activation_value(kind, Z)
            for layout in reads_a:
                g = helper(tupled(layout, a))
                match = None if g is None else _match_z_derivative(g, Z, tol(), helper.dtype)
                if match is not None and match[0] == kind:
                    return Derivative(kind, "a", sig.style, match[1], layout)
    if ran_as is None:
        return None
    if sig.style == "z":
        return Derivative(None, hint, "z", None, None)
    return Derivative(None, "a" if ran_as == "A" or (ran_as == "Z" and hint == "a") else "z", sig.style, None, ran_as)


# --------------------------------------------------------------------------------------------
# pairing helpers with their forward twins

_HELPER_SUFFIXES = ("backwards", "backward", "bwd", "derivatives", "derivative", "deriv", "der", "prime",
                    "gradient", "grad", "diff", "back")
_HELPER_PREFIXES = ("derivativeof", "derivative", "deriv", "backward", "gradient", "grad", "diff", "der", "d")
_STRONG_TOKENS = {"backward", "backwards", "bwd", "derivative", "derivatives", "deriv", "der", "prime", "grad",
                  "gradient"}
_FORWARD_SUFFIXES = ("forward", "fwd", "activation", "function", "func", "fn", "act")
_FORWARD_PREFIXES = ("forward", "activation", "act")
_ALIASES = {"lrelu": "leakyrelu", "leaky": "leakyrelu", "leakyrelu": "leakyrelu", "lrel": "leakyrelu",
            "sigm": "sigmoid", "sig": "sigmoid", "logistic": "sigmoid", "sigma": "sigmoid",
            "lin": "identity", "linear": "identity", "ident": "identity", "identity": "identity"}
_ACTIVATION_WORDS = ("relu", "sigm", "tanh", "softmax", "elu", "softplus", "swish", "silu", "gelu", "logistic",
                     "leaky", "activation", "activate", "nonlin", "linear", "identity", "sig", "act")
_DENY_TOKENS = {"model", "train", "training", "fit", "main", "load", "save", "plot", "predict", "initialize",
                "init", "update", "cost", "loss", "propagation", "propagate", "check", "test", "run", "download",
                "read", "write", "show", "print", "dataset", "data", "optimize", "evaluate", "accuracy", "epoch",
                "batch", "batches", "step", "layer", "layers", "network", "net"}
_FLAG_NAMES = ("deriv", "derivative", "derive", "backward", "grad", "prime", "d", "diff", "dx", "derivate")


def _tokens(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return [t for t in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if t]


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _canon(base: str) -> str:
    return _ALIASES.get(base, base)


def _helper_bases(name: str) -> list[tuple[str, bool]]:
    """Candidate forward names hidden in a helper's name, each with whether the marker is strong."""
    norm, toks = _norm(name), _tokens(name)
    bases: list[tuple[str, bool]] = []
    if len(toks) >= 2:
        if toks[-1] in _STRONG_TOKENS or toks[-1] in ("d", "dz", "back", "diff"):
            bases.append(("".join(toks[:-1]), toks[-1] in _STRONG_TOKENS))
        if toks[0] in _STRONG_TOKENS or toks[0] in ("d", "diff"):
            rest = toks[1:]
            if rest and rest[0] == "of":
                rest = rest[1:]
            if rest:
                bases.append(("".join(rest), toks[0] in _STRONG_TOKENS))
    for suffix in _HELPER_SUFFIXES:
        if norm.endswith(suffix) and len(norm) > len(suffix) + 1:
            bases.append((norm[: -len(suffix)], False))
    for prefix in _HELPER_PREFIXES:
        if norm.startswith(prefix) and len(norm) > len(prefix) + 1:
            bases.append((norm[len(prefix):], False))
    seen: dict[str, bool] = {}
    for base, strong in bases:
        seen[base] = seen.get(base, False) or strong
    return list(seen.items())


def _forward_keys(name: str) -> list[str]:
    norm = _norm(name)
    keys = [norm]
    for suffix in _FORWARD_SUFFIXES:
        if norm.endswith(suffix) and len(norm) > len(suffix) + 1:
            keys.append(norm[: -len(suffix)])
    for prefix in _FORWARD_PREFIXES:
        if norm.startswith(prefix) and len(norm) > len(prefix) + 1:
            keys.append(norm[len(prefix):])
    return keys


def _denied(name: str) -> bool:
    return any(t in _DENY_TOKENS for t in _tokens(name))


def _looks_like_activation(name: str) -> bool:
    norm = _norm(name)
    return any(word in norm for word in _ACTIVATION_WORDS) or "act" in _tokens(name)


def _flag_parameter(func: Any) -> str | None:
    try:
        params = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return None
    for p in params:
        if p.name.lower() in _FLAG_NAMES and p.default is False:
            return p.name
    return None


def pair_helpers(functions: Mapping[str, Callable[..., Any]],
                 shapes: Mapping[str, tuple[int, ...]] | None = None) -> list[Pair]:
    """The derivative helpers among a module's functions, each with its forward twin.

    By name first (``sigmoid_backward``/``sigmoid``, ``lreluDer``/``lrelu``, ``dtanh``/``tanh``,
    ``tanh_prime``/``tanh_forward``, ``leaky_relu_der``/``lrelu``), case-insensitive; then, for
    helpers left without a twin, by what they compute (a helper that is the derivative of exactly
    one recognized forward). A function with a ``deriv=False`` flag (``nonlin(x, deriv=True)``) is
    its own twin. Functions whose names say they train, load, plot... are never called.
    """
    try:
        return _pair_helpers(functions, shapes or {})
    except Exception:  # noqa: BLE001
        return []


def _pair_helpers(functions: Mapping[str, Callable[..., Any]], shapes: Mapping[str, tuple[int, ...]]) -> list[Pair]:
    funcs = {name: f for name, f in functions.items()
             if isinstance(name, str) and callable(f) and not inspect.isclass(f) and not _denied(name)}
    by_key: dict[str, list[str]] = {}
    for name in funcs:
        for key in _forward_keys(name):
            for k in dict.fromkeys((key, _canon(key))):
                if name not in by_key.setdefault(k, []):
                    by_key[k].append(name)
    pairs: list[Pair] = []
    helpers: set[str] = set()
    unpaired: list[tuple[str, bool]] = []
    for name, func in funcs.items():
        bases = _helper_bases(name)
        if not bases:
            continue
        sig = _signature(func)
        if sig is None:
            continue
        twin = None
        named_elsewhere = False  # linear_backward next to linear_forward(A, W, b): not an activation pair
        for base, _strong in bases:
            for key in (base, _canon(base)):
                for other in by_key.get(key, []):
                    named_elsewhere = named_elsewhere or other != name
                    other_sig = _signature(funcs[other])
                    if other != name and other_sig is not None and other_sig.style == "z" \
                            and not _is_helper_name(other, by_key):
                        twin = other
                        break
                if twin:
                    break
            if twin:
                break
        if twin is not None:
            pairs.append(Pair(name, twin, "name", func, funcs[twin]))
            helpers.add(name)
        elif not named_elsewhere:
            strong = any(s for _, s in bases) or any(_looks_like_activation(b) for b, _ in bases)
            unpaired.append((name, strong))
    # nonlin(x, deriv=False): one function, two jobs
    for name, func in funcs.items():
        if name in helpers:
            continue
        flag = _flag_parameter(func)
        if flag is not None and _signature(func) is not None and _signature(func).style == "z":
            helper = functools.partial(func, **{flag: True})
            pairs.append(Pair(f"{name}({flag}=True)", name, "flag", helper, func))
            helpers.add(name)
    # by computation, for named helpers without a twin
    todo = [name for name, strong in unpaired if strong and name not in helpers]
    if todo:
        forwards: dict[str, Activation] = {}
        for name, func in funcs.items():
            if name in helpers or name in todo:
                continue
            if not _looks_like_activation(name):
                continue
            with inputs_shaped_like(shapes.get(name)):
                act = identify_activation(func)
            if act is not None and act.kind != "softmax":
                forwards[name] = act
        for name in todo:
            with inputs_shaped_like(shapes.get(name)):
                d = identify_derivative(funcs[name])
            if d is None or d.of is None:
                continue
            matches = [f for f, act in forwards.items()
                       if act.kind == d.of
                       and (d.alpha is None or act.alpha is None or abs(act.alpha - d.alpha) <= 1e-9)]
            if not matches:
                continue
            best = max(matches, key=lambda f: difflib.SequenceMatcher(None, _norm(f), _norm(name)).ratio())
            pairs.append(Pair(name, best, "computation", funcs[name], funcs[best]))
    order = {name: i for i, name in enumerate(functions)}
    pairs.sort(key=lambda p: order.get(p.helper_name.split("(")[0], len(order)))
    return pairs


def _is_helper_name(name: str, by_key: Mapping[str, list[str]]) -> bool:
    """True when ``name`` is itself a helper of another function (``dsigmoid`` next to ``sigmoid``)."""
    for base, _ in _helper_bases(name):
        if any(other != name for key in (base, _canon(base)) for other in by_key.get(key, [])):
            return True
    return False


# --------------------------------------------------------------------------------------------
# checking a helper against its forward twin

def _step(dtype: np.dtype | float) -> float:
    """Powers of two: z +- h is then exact for the grid's multiples of 1/4, even when the user's
    function rounds its input to float32 or float16."""
    eps = _eps(dtype)
    if eps <= 1e-12:
        return 2.0 ** -10
    if eps <= 1e-5:
        return 2.0 ** -7
    return 2.0 ** -4


@dataclass
class _Numeric:
    value: np.ndarray  # Richardson-extrapolated central difference
    bound: np.ndarray  # its error bound, per point
    valid: np.ndarray  # points where the comparison means something


def _numeric_derivative(forward: _Forward, Z: np.ndarray, kinked: bool, dtype: np.dtype | float) -> _Numeric | None:
    """Central differences of ``forward`` at two steps (sized for ``dtype``, the coarsest dtype
    seen), Richardson-extrapolated, with a per-point error bound and the points that are usable."""
    h0 = _step(dtype)
    absz = np.abs(Z)
    with np.errstate(divide="ignore"):
        half = np.exp2(np.floor(np.log2(absz / 2.0)))
    h = np.where(absz > 0, np.minimum(h0, half), h0)  # a step never crosses z = 0
    values = [forward(Z + s * h) for s in (0.0, 1.0, -1.0, 0.5, -0.5)]
    if any(v is None for v in values):
        return None
    f0, fp, fm, fp2, fm2 = values
    with np.errstate(all="ignore"):
        d1 = (fp - fm) / (2 * h)
        d2 = (fp2 - fm2) / h
        value = d2 + (d2 - d1) / 3.0
        magnitude = np.abs(f0) + np.abs(fp) + np.abs(fm)
        eps = _eps(dtype)
        # |d2 - d1| estimates the truncation error of d2; twice that also covers the extrapolated
        # value when the two differ by noise (an input rounded to a coarser dtype than its output)
        bound = 2 * np.abs(d2 - d1) + 8 * eps * magnitude / h
        # a kink inside the step: the second difference halves with the step instead of quartering
        j1, j2 = fp - 2 * f0 + fm, fp2 - 2 * f0 + fm2
        kink = (np.abs(j1) > 1e3 * eps * (magnitude + 1e-300)) & (np.abs(j2) > 0.375 * np.abs(j1))
    valid = np.isfinite(value) & np.isfinite(bound) & ~kink
    if kinked:
        valid &= absz >= KINK_GAP
    return _Numeric(value, bound, valid)


@dataclass
class _Comparison:
    mode: str
    got: np.ndarray
    excess: float  # largest disagreement beyond the numeric error bound, relative to the scale
    max_relative_error: float
    fails: bool


def _compare(got: np.ndarray, want: _Numeric, tol: float, mode: str) -> _Comparison:
    v = want.valid
    scale = float(np.max(np.abs(want.value[v]))) if v.any() else 1.0
    scale = scale if scale > 0 else 1.0
    with np.errstate(all="ignore"):
        diff = np.abs(got - want.value)
        diff = np.where(np.isnan(diff), np.inf, diff)
        excess = float(np.max(np.maximum(diff[v] - want.bound[v], 0.0))) / scale if v.any() else 0.0
        rel = float(np.max(diff[v])) / scale if v.any() else 0.0
    return _Comparison(mode, got, excess, rel, excess > tol)


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


def _formula_line(func: Any, flag: str | None = None) -> int | None:
    """The line of the formula: the value returned, or the assignment of the name returned."""
    target = _unwrap(func)
    target = getattr(inspect.unwrap(target), "__func__", target)
    try:
        lines, start = inspect.getsourcelines(target)
        tree = ast.parse(textwrap.dedent("".join(lines)))
    except (TypeError, OSError, SyntaxError, ValueError, IndentationError):
        return None
    fn = next((n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))), None)
    if fn is None or isinstance(fn, ast.Lambda):
        return None
    body_nodes = list(ast.walk(fn))
    if flag is not None:
        for node in body_nodes:
            if isinstance(node, ast.If) and any(isinstance(n, ast.Name) and n.id == flag for n in ast.walk(node.test)):
                ret = next((n for b in node.body for n in ast.walk(b) if isinstance(n, ast.Return)), None)
                if ret is not None:
                    return start + ret.lineno - 1
    returns = [n for n in body_nodes if isinstance(n, ast.Return) and n.value is not None]
    if not returns:
        return None
    ret = max(returns, key=lambda n: n.lineno)
    value = ret.value
    if isinstance(value, ast.Tuple) and value.elts:
        value = value.elts[0]
    if isinstance(value, ast.Name):
        assigns = [n for n in body_nodes if isinstance(n, (ast.Assign, ast.AugAssign, ast.AnnAssign))
                   and n.lineno < ret.lineno and _assigns_name(n, value.id)]
        if assigns:
            return start + max(assigns, key=lambda n: n.lineno).lineno - 1
    return start + ret.lineno - 1


def _assigns_name(node: ast.AST, name: str) -> bool:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]  # type: ignore[attr-defined]
    for t in targets:
        for n in ast.walk(t):
            if isinstance(n, ast.Name) and n.id == name:
                return True
    return False


def _location(helper: Any, name: str, flag: str | None = None) -> Location:
    target = _unwrap(helper)
    if flag is not None:  # nonlin(x, deriv=True): the function is nonlin
        name = function_name(target)
    try:
        file, def_line = definition_site(target)
    except Exception:  # noqa: BLE001
        file, def_line = None, None
    line = _formula_line(target, flag) if def_line is not None else None
    return Location(function=name, file=file, line=line or def_line)


_CODE_ERRORS = (NameError, AttributeError)


@dataclass
class _Outcome:
    finding: Finding | None = None
    error: UserCodeError | None = None
    error_function: str | None = None


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
    hname = helper_name or function_name(_unwrap(helper))
    fname = forward_name or function_name(_unwrap(forward))
    fwd = _probe_forward(forward)
    if fwd is None:
        return _Outcome()
    if fwd.activation is None and fwd.error is not None:
        return _code_error(fwd.error, fname)
    sig = _signature(helper)
    if sig is None:
        return _Outcome()
    Z = _test()
    A0 = fwd(Z)
    if A0 is None or not np.all(np.isfinite(A0)):
        return _Outcome()
    act = fwd.activation
    errors: list[BaseException] = []
    h = _Helper(helper, sig, errors=errors)
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
    coarsest: np.dtype | float = max(dtypes, key=_eps)
    if act is not None:
        ref = activation_value(act.kind, Z, _raw_alpha(act, A0, Z), act.axis)
        residual = float(np.max(np.abs(A0 - ref))) / max(float(np.max(np.abs(ref))), 1e-300)
        coarsest = max(_eps(coarsest), residual)
    numeric = _numeric_derivative(fwd, Z, kinked, coarsest)
    if numeric is None or numeric.valid.sum() < 5:
        return _Outcome()
    tol = _tolerance(coarsest)
    results = [_compare(got, numeric, tol, mode) for mode, got in outputs]
    passing = [r for r in results if not r.fails]
    location = _location(helper, hname, flag)
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
                and _strong_z(sig) and act is not None and act.kind in ("sigmoid", "tanh", "softplus", "elu"):
            return _Outcome(_expects_output_finding(hname, fname, act, sig, base_evidence, location, numeric, best))
        if sig.style != "z":
            return _Outcome(_check_upstream(h, best, numeric, Z, A0, tol, act, hname, fname, base_evidence, location))
        return _Outcome()
    # wrong: report the interpretation the parameter names suggest
    hint = _input_hint(sig)
    preferred = ("A",) if hint == "a" else ("Z",)
    chosen = next((r for r in results if r.mode in preferred), None) \
        or next((r for r in results if r.mode in ("Z", "A")), None) \
        or min(results, key=lambda r: r.excess)
    return _Outcome(_wrong_finding(chosen, numeric, Z, A0, act, sig, hname, fname, base_evidence, location, tol,
                                   coarsest))


def _raw_alpha(act: Activation, A0: np.ndarray, Z: np.ndarray) -> float | None:
    """The alpha of a leaky ReLU or ELU as computed, before rounding for display."""
    neg = Z <= -KINK_GAP
    if act.kind == "leaky-relu":
        return float(np.median(A0[neg] / Z[neg]))
    if act.kind == "elu":
        return float(np.median(A0[neg] / np.expm1(Z[neg])))
    return act.alpha


def _elementwise(fwd: _Forward, Z: np.ndarray, A0: np.ndarray) -> bool:
    """An activation we do not know can still be checked numerically if it is a non-constant
    elementwise function: each output depends on its own input only, not on its position."""
    tol = _tolerance(fwd.dtype)
    if not np.ptp(A0) > 0:
        return False
    order = np.random.default_rng(5).permutation(Z.size)
    shuffled = fwd(Z.ravel()[order].reshape(Z.shape))
    if shuffled is None or not _close(shuffled.ravel(), A0.ravel()[order], tol):
        return False
    changed = Z.copy()
    changed[:, ::2] += 0.75
    moved = fwd(changed)
    return moved is not None and _close(moved[:, 1::2], A0[:, 1::2], tol)


def _code_error(exc: BaseException, function: str) -> _Outcome:
    if not isinstance(exc, _CODE_ERRORS):
        return _Outcome()
    err = UserCodeError.wrap(function, exc, exc.__traceback__)
    return _Outcome(error=err, error_function=function)


def _severity(rel: float) -> Severity:
    return Severity.ERROR if rel >= 1e-3 else Severity.WARNING


def _wrong_finding(r: _Comparison, numeric: _Numeric, Z: np.ndarray, A0: np.ndarray, act: Activation | None,
                   sig: _Signature, hname: str, fname: str, evidence: dict[str, Any], location: Location,
                   tol: float, dtype: np.dtype) -> Finding:
    input_ = "a" if r.mode == "A" else "z"
    points = _worst_points(Z, r.got, numeric.value, numeric.valid, bound=numeric.bound, tol=tol)
    worst = points[0]
    evidence = dict(evidence)
    evidence.update(problem="wrong-derivative", input=input_, max_relative_error=r.max_relative_error,
                    tolerance=tol, worst_points=points)
    if sig.style != "z":
        evidence["cache"] = r.mode
    # does it compute another known derivative?
    recognized: tuple[str, float | None] | None = None
    if r.mode == "A":
        far = np.abs(Z) >= KINK_GAP
        kind = _match_a_form(r.got, A0, tol, far)
        if kind is not None:
            recognized = (kind, None)
    else:
        recognized = _match_z_derivative(r.got, Z, tol, dtype)
    if recognized is not None and act is not None and (recognized[0], recognized[1]) == (act.kind, act.alpha):
        recognized = None
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


def _fix_text(act: Activation | None, sig: _Signature, input_: str, hname: str, fname: str) -> str:
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


def _expects_output_finding(hname: str, fname: str, act: Activation | None, sig: _Signature,
                            evidence: dict[str, Any], location: Location, numeric: _Numeric,
                            best: _Comparison) -> Finding:
    evidence = dict(evidence)
    evidence.update(problem="expects-activation-output", input="a", max_relative_error=best.max_relative_error)
    param = sig.value_name or "z"
    message = (f"{hname} is the derivative of {fname} only when given the activation's output a = {fname}(z): "
               f"it is written in terms of a, but its parameter is named {param}. Called with z it is wrong.")
    code_z = _code(act.kind if act else None, act.alpha if act else None, "z", "z")
    fix = (f"Call {hname}(A) with the output of {fname}, and rename the parameter to a; or write it in terms of "
           f"z{': `' + code_z + '`' if code_z else ''}.")
    return Finding("activation-derivative", message, Severity.WARNING, location, evidence, fix)


def _check_upstream(h: _Helper, best: _Comparison, numeric: _Numeric, Z: np.ndarray, A0: np.ndarray, tol: float,
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
    ignores = _close(got[v], best.got[v], tol)
    points = _worst_points(Z, got, expected, v, extra={"dA": dA}, tol=tol, round_first=True)
    worst = points[0]
    evidence = dict(evidence)
    evidence.update(problem="ignores-dA" if ignores else "misuses-dA", input="a" if best.mode == "A" else "z",
                    cache=best.mode, max_relative_error=rel, tolerance=tol, worst_points=points)
    kind = act.kind if act else None
    code = _code(kind, act.alpha if act else None, "dA,cache", "a" if best.mode == "A" else "z")
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


def _check_softmax(h: _Helper, A0: np.ndarray, act: Activation, hname: str, fname: str, helper: Any,
                   flag: str | None) -> _Outcome:
    """A softmax backward takes (dA, cache) and returns the vector-Jacobian product."""
    if h.sig.style == "z":
        return _Outcome()  # a one-argument softmax "derivative" cannot be judged elementwise
    Z = _test()
    axis = act.axis or 0
    rng = np.random.default_rng(12345)
    dA = rng.uniform(-1.0, 1.0, Z.shape)
    expected = A0 * (dA - np.sum(dA * A0, axis=axis, keepdims=True))
    tol = _tolerance(h.dtype)
    tried = []
    for mode, x in (("Z", Z), ("A", A0), ("(Z, A)", (Z, A0)), ("(A, Z)", (A0, Z))):
        got = h(x, dA)
        if got is None:
            continue
        if _close(got, expected, tol) or _close(got, dA, tol):
            return _Outcome()  # right, or a pass-through meant to be combined with cross-entropy
        tried.append((mode, got))
    if not tried:
        return _Outcome()
    mode, got = tried[0]
    valid = np.ones(Z.shape, dtype=bool)
    points = _worst_points(Z, got, expected, valid, extra={"dA": dA})
    scale = max(float(np.max(np.abs(expected))), 1e-300)
    rel = float(np.max(np.abs(got - expected))) / scale
    worst = points[0]
    message = (f"{hname} is not the backward of {fname}: for a random dA, at z = {_fmt_z(worst['z'])} it returns "
               f"{_fmt(worst['helper'])}, the vector-Jacobian product of softmax is {_fmt(worst['numeric'])}.")
    evidence = {"function": hname, "forward": fname, "forward_kind": "softmax", "signature": h.sig.style,
                "axis": axis, "problem": "wrong-derivative", "cache": mode, "max_relative_error": rel,
                "tolerance": tol, "worst_points": points}
    fix = (f"Softmax mixes the entries of each example: dZ = A * (dA - np.sum(dA * A, axis={axis}, keepdims=True)) "
           f"with A = {fname}(Z). With cross-entropy, dZ = A - Y directly.")
    return _Outcome(Finding("activation-derivative", message, _severity(rel), _location(helper, hname, flag),
                            evidence, fix))


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
            findings.append(_user_code_finding(outcome.error))
    return findings


def _user_code_finding(err: UserCodeError) -> Finding:
    exc = err.exception
    first_line = (str(exc).splitlines() or [""])[0]
    return Finding(
        "user-code-error",
        f"{err.function} raised {type(exc).__name__}: {first_line}",
        Severity.ERROR,
        Location(function=err.function, file=err.file, line=err.line),
        {"exception": type(exc).__name__, "exception_message": str(exc), "function": err.function,
         "file": err.file, "line": err.line, "traceback": err.traceback_text},
        f"Fix the exception first: {err.function} could not be checked against its twin.",
    )
