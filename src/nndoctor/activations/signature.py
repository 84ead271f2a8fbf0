"""How a user's activation or derivative helper can be called, read from its parameters and their
names: ``f(z)``, ``f(a)``, ``helper(dA, cache)`` or ``helper(cache, dA)``."""

from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass
from typing import Any


def unwrap(func: Any) -> Any:
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
class Signature:
    style: str  # "z", "dA,cache", "cache,dA"
    value_name: str | None  # the parameter that receives z (or a, or the cache)


def call_signature(func: Any) -> Signature | None:
    """How a function can be called with one array (``"z"``) or with ``(dA, cache)``."""
    if not callable(func) or inspect.isclass(func):
        return None
    try:
        params = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        return Signature("z", None)  # builtins and ufuncs (np.tanh) take one array
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = [p for p in positional if p.default is p.empty]
    if any(p.kind == p.KEYWORD_ONLY and p.default is p.empty for p in params):
        return None
    var_positional = any(p.kind == p.VAR_POSITIONAL for p in params)
    if len(required) == 1 or (not required and (positional or var_positional)):
        name = (required or positional or [None])[0]
        return Signature("z", name.name if name is not None else None)
    if len(required) == 2:
        first, second = (p.name.lower() for p in required)
        if second in _ALPHA_NAMES - {"a"} or (second == "a" and first not in _GRAD_NAMES):
            return None  # lrelu_der(z, alpha): no default for alpha, nothing to call it with
        if first in _CACHE_NAMES and second in _GRAD_NAMES:
            return Signature("cache,dA", required[0].name)
        return Signature("dA,cache", required[1].name)
    return None


def input_hint(sig: Signature) -> str:
    name = (sig.value_name or "").lower()
    return "a" if name in _A_NAMES or name.startswith("a_") else "z"


def strong_z(sig: Signature) -> bool:
    return (sig.value_name or "").lower() in _STRONG_Z_NAMES
