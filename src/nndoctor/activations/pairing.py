"""Pairing a module's derivative helpers with their forward twins: by name (``sigmoid_backward`` /
``sigmoid``, ``lreluDer`` / ``lrelu``, ``dtanh`` / ``tanh``), by a ``deriv=False`` flag
(``nonlin(x, deriv=True)`` is its own twin), and otherwise by what they compute."""

from __future__ import annotations

import difflib
import functools
import inspect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from nndoctor.activations.grid import inputs_shaped_like
from nndoctor.activations.identify import Activation, identify_activation, identify_derivative
from nndoctor.activations.signature import call_signature


@dataclass(frozen=True)
class Pair:
    """A derivative helper and its forward twin, with how they were matched
    (``"name"``, ``"computation"``, or ``"flag"`` for ``nonlin(x, deriv=True)``)."""

    helper_name: str
    forward_name: str
    matched_by: str
    helper: Callable[..., Any]
    forward: Callable[..., Any]


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
        sig = call_signature(func)
        if sig is None:
            continue
        twin = None
        named_elsewhere = False  # linear_backward next to linear_forward(A, W, b): not an activation pair
        for base, _strong in bases:
            for key in (base, _canon(base)):
                for other in by_key.get(key, []):
                    named_elsewhere = named_elsewhere or other != name
                    other_sig = call_signature(funcs[other])
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
        if flag is not None and call_signature(func) is not None and call_signature(func).style == "z":
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
