"""What names and shapes say about an array: a parameter dict or a gradient dict, a bias or a
weight, which layer, whether a path names a gradient. The plain predicates that `roles` (what a
call does) and `parameters` (where a network keeps its arrays) both build on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

_LAYER_NUMBER = re.compile(r"(\d+)(?!.*\d)")
PARAM_NAME = re.compile(
    r"^([WwBb](\d+|_[A-Za-z0-9_]+)?|(weights?|bias(es)?|theta|thetas|kernels?|coefs?|intercepts?)(_?[A-Za-z0-9_]*)?)$",
    re.I)
GRAD_MARK = re.compile(r"^(d_?|grads?_?|gradients?_?|nabla_?|delta_?|dl_?d_?|dj_?d_?|g_)|(_?grads?|_?gradients?|_?deltas?)$",
                        re.I)

def is_float_array(value: Any) -> bool:
    return isinstance(value, np.ndarray) and value.dtype.kind == "f"


def is_parameter_dict(value: Any) -> bool:
    """A dict of float arrays with at least one matrix that is not itself a gradient dict."""
    if not isinstance(value, Mapping) or len(value) < 1:
        return False
    arrays = [v for v in value.values() if is_float_array(v)]
    if len(arrays) != len(value) or not any(a.ndim == 2 for a in arrays):
        return False
    keys = [str(k) for k in value]
    return not is_gradient_keyed(keys)


def is_gradient_keyed(keys: Iterable[str]) -> bool:
    """Keys like dW1/db1/dw1 (every key a 'd' + something): a gradient dict, not parameters."""
    keys = list(keys)
    return bool(keys) and all(k.startswith("d") and len(k) > 1 for k in keys)


def gradient_entries(value: Any, params: Mapping[str, np.ndarray] | None) -> dict[str, np.ndarray]:
    """The parameter gradients inside a dict returned by a backward: {param key: array}.

    Course dicts also hold dA1/dZ2; only entries named ``d`` + a parameter key with the
    parameter's shape count. Without known parameters, ``d`` + letters + layer number counts.
    """
    if not isinstance(value, Mapping):
        return {}
    found: dict[str, np.ndarray] = {}
    if params:
        for key, p in params.items():
            g = value.get(f"d{key}")
            if is_float_array(g) and np.shape(g) == np.shape(p):
                found[str(key)] = g
        return found
    for key, g in value.items():
        k = str(key)
        if k.startswith("d") and re.fullmatch(r"d[A-Za-z_]+\d+", k) and is_float_array(g):
            if k[1].lower() in ("w", "b"):
                found[k[1:]] = g
    return found


def layer_of(key: str) -> int | None:
    """The layer number in a parameter key: W2 -> 2, weights[0] -> 1 (a list index counts from 0),
    or None when the key does not say (layers[2].weights: the third object may be an activation)."""
    if "." in key and "[" in key:
        return None
    listed = re.fullmatch(r"[A-Za-z_]\w*\[(\d+)\]", key)
    if listed:
        return int(listed.group(1)) + 1
    match = _LAYER_NUMBER.search(key)
    return int(match.group(1)) if match else None


def is_bias_key(key: str, value: Any) -> bool:
    """Course biases are (n, 1) columns: tell them from weight matrices by name and shape."""
    name = str(key).split(".")[-1].lower()
    return (name.startswith("b") or "bias" in name) and (np.ndim(value) < 2 or 1 in np.shape(value))


def weight_keys(params: Mapping[str, np.ndarray]) -> list[str]:
    """The weight matrices among the parameters, in layer order."""
    keys = [k for k, v in params.items() if np.ndim(v) == 2 and not is_bias_key(k, v)]
    order = {k: i for i, k in enumerate(keys)}  # keys that carry no number keep the learner's order
    return sorted(keys, key=lambda k: (layer_of(k) if layer_of(k) is not None else 10**6, order[k]))


def has_gradient_mark(path: str) -> bool:
    for part in re.split(r"[.\[\]]", path):
        if not part or part.isdigit():
            continue
        if GRAD_MARK.search(part) or (part[:1] == "d" and len(part) > 1 and (part[1].isupper() or part[1] in "wb_")):
            return True
    return False
