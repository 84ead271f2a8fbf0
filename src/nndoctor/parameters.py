"""Where a network keeps its parameters and its gradients, whatever the style, by data flow.

Parameters live in a dict (``parameters["W1"]``, ``param["w1"]``), on the network object
(``self.W1``, ``self.w_hidden``), in lists (``self.weights[l]``, ``self.W[l]``), on layer objects
(``self.layers[2].weights``), or in one flat vector (``theta``). Each is named by the path the
learner's own code uses (``W1``, ``weights[0]``, ``layers[2].weights``), and is the learner's own
array object, so that the gradient check can perturb it in place and the forward sees it.

Gradients come back as a dict under any key convention (``dW1``, ``W1``, ``grad_W1``), as lists or
tuples aligned with the parameters (``nabla_w, nabla_b``), as attributes stored on the network or
its layers (``self.grads``, ``layer.dweights``), or as one flat vector. `match_gradients` pairs each
parameter with the array of its shape whose name (or position) says it is that parameter's gradient.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from nndoctor.keys import (
    GRAD_MARK,
    PARAM_NAME,
    gradient_entries,
    has_gradient_mark,
    is_bias_key,
    is_float_array,
    is_parameter_dict,
    weight_keys,
)

MAX_DEPTH = 3
_NOT_PARAMETERS = re.compile(r"(grad|delta|nabla|velocity|moment|cache|^v_|^s_|^m_|_v$|_s$|_m$)", re.I)


def _is_object(value: Any) -> bool:
    return (hasattr(value, "__dict__") and not isinstance(value, (type, np.ndarray, Mapping, list, tuple, str))
            and not callable(value) and type(value).__module__ not in ("builtins", "numpy"))


def parameters_of_object(obj: Any, depth: int = 2) -> dict[str, np.ndarray] | None:
    """The parameters a network object keeps on itself, named by their attribute paths: a parameter
    dict attribute (``self.params``), weight/bias array attributes (``self.W1``, ``self.w_hidden``),
    lists of them (``self.weights[0]``), and layer objects holding them (``self.layers[2].weights``).
    None when it holds no weight matrix."""
    if not _is_object(obj):
        return None
    found: dict[str, np.ndarray] = {}
    _collect(obj, "", depth, found, set())
    return found if any(v.ndim == 2 for v in found.values()) else None


def _collect(obj: Any, prefix: str, depth: int, found: dict[str, np.ndarray], seen: set[int]) -> None:
    if id(obj) in seen:
        return
    seen.add(id(obj))
    attrs = vars(obj)
    for value in attrs.values():
        if is_parameter_dict(value):  # self.params = {"W1": ..., "b1": ...}
            for key, array in value.items():
                found[f"{prefix}{key}"] = array
            return
    for name, value in attrs.items():
        if name.startswith("_") or _NOT_PARAMETERS.search(name):
            continue
        path = f"{prefix}{name}"
        if is_float_array(value) and PARAM_NAME.match(name):
            found[path] = value
        elif isinstance(value, (list, tuple)) and value:
            if all(is_float_array(v) for v in value) and PARAM_NAME.match(name):
                for i, v in enumerate(value):
                    found[f"{path}[{i}]"] = v
            elif depth > 0 and any(_is_object(v) for v in value):
                for i, v in enumerate(value):
                    if _is_object(v):
                        _collect(v, f"{path}[{i}].", depth - 1, found, seen)
        elif depth > 0 and _is_object(value):
            _collect(value, f"{path}.", depth - 1, found, seen)


def holders_of(obj: Any, depth: int = 2) -> dict[str, Any]:
    """The object and the layer objects inside it that hold parameters: path prefix -> object."""
    out: dict[str, Any] = {}
    if not _is_object(obj):
        return out
    out[""] = obj
    for name, value in vars(obj).items():
        if name.startswith("_"):
            continue
        if isinstance(value, (list, tuple)):
            for i, v in enumerate(value):
                if _is_object(v):
                    out[f"{name}[{i}]."] = v
        elif _is_object(value) and depth > 0:
            out[f"{name}."] = value
    return out


# ----------------------------------------------------------------------------- gradients
def _base(name: str) -> tuple[str, str, tuple[int, ...]]:
    """("layers[0].", "weights", ()) for "layers[0].dweights"; ("", "w", (1,)) for "nabla_w[1]"."""
    prefix, _, last = name.rpartition(".")
    prefix = f"{prefix}." if prefix else ""
    indices = tuple(int(i) for i in re.findall(r"\[(\d+)\]", last))
    stem = re.sub(r"\[\d+\]", "", last)
    stem = GRAD_MARK.sub("", stem)
    if stem.lower().startswith("d") and len(stem) > 1 and (stem[1].isupper() or stem[1:2] in ("w", "b")):
        stem = stem[1:]  # dW1, dw1, db
    return prefix, stem.lower(), indices


def _walk(value: Any, path: str, depth: int, out: list[tuple[str, np.ndarray]], seen: set[int]) -> None:
    if is_float_array(value):
        out.append((path, value))
        return
    if depth == 0 or id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, Mapping):
        for k, v in value.items():
            _walk(v, f"{path}{k}" if not path else f"{path}.{k}", depth - 1, out, seen)
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _walk(v, f"{path}[{i}]", depth - 1, out, seen)


def gradient_candidates(result: Any, holders: Mapping[str, Any] | None = None) -> list[tuple[str, np.ndarray]]:
    """Float arrays in a backward's result (with their paths), then gradient-named arrays stored on
    the network and its layers (``self.grads``, ``layer.dweights``)."""
    found: list[tuple[str, np.ndarray]] = []
    _walk(result, "", MAX_DEPTH, found, set())
    for prefix, obj in (holders or {}).items():
        for name, value in vars(obj).items():
            if not GRAD_MARK.search(name) and not (name.startswith("d") and len(name) > 1):
                continue
            sub: list[tuple[str, np.ndarray]] = []
            _walk(value, f"{prefix}{name}", 2, sub, set())
            found += sub
    return found


def match_gradients(params: Mapping[str, np.ndarray], result: Any,
                    holders: Mapping[str, Any] | None = None, plain_names: bool = False) -> dict[str, np.ndarray]:
    """{parameter name: its gradient} from what a backward returned (and stored). Only arrays of the
    parameter's shape qualify; names decide (``dW1``/``W1``/``grad_W1`` for ``W1``, ``dweights`` on
    the same layer object, ``nabla_w[1]`` for ``weights[1]``), else the order among arrays of that
    shape. Arrays that are parameters themselves never count, nor (unless ``plain_names``) arrays
    named exactly like a parameter: a dict of fresh parameters from an init is not a gradient dict."""
    course = gradient_entries(result if isinstance(result, Mapping) else None, params)
    if course and len(course) == len(params):
        return course
    aligned = _aligned(params, result)
    if aligned is not None:
        return aligned
    own = {id(v) for v in params.values()}
    # a named array counts only where its name (or its container's) says gradient: a dict of fresh
    # parameters ({"W1": ...} from an init or an update) is not a gradient dict
    candidates = [(p, a) for p, a in gradient_candidates(result, holders)
                  if id(a) not in own and (plain_names or has_gradient_mark(p) or not re.search(r"[A-Za-z]", p))]
    if not candidates:
        return course
    flat = _flat_match(params, candidates)
    if flat is not None:
        return flat
    by_shape: dict[tuple[int, ...], list[int]] = {}
    for i, (_, a) in enumerate(candidates):
        by_shape.setdefault(a.shape, []).append(i)
    param_rank: dict[str, int] = {}
    counts: dict[tuple[int, ...], int] = {}
    for name, p in params.items():
        param_rank[name] = counts.get(p.shape, 0)
        counts[p.shape] = param_rank[name] + 1
    scored: list[tuple[float, int, str, int]] = []
    for order, (name, p) in enumerate(params.items()):
        pp, pb, pi = _base(str(name))
        for rank, ci in enumerate(by_shape.get(p.shape, [])):
            cp, cb, ci_idx = _base(candidates[ci][0])
            score = 0.0
            if pb and cb:
                if pb == cb:
                    score += 3
                elif pb[0] == cb[0]:
                    score += 1
                elif not (pb.startswith(cb) or cb.startswith(pb)):
                    score -= 2
            if pp and pp == cp:
                score += 2
            if pi and ci_idx and pi[-1] == ci_idx[-1]:
                score += 2
            if rank == param_rank[name]:
                score += 1
            scored.append((score, order, str(name), ci))
    scored.sort(key=lambda t: (-t[0], t[1], t[3]))
    matched: dict[str, np.ndarray] = dict(course)
    used: set[int] = set()
    for score, _, name, ci in scored:
        if name in matched or ci in used or score < 1:
            continue
        matched[name] = candidates[ci][1]
        used.add(ci)
    return {name: matched[name] for name in params if name in matched}


def _aligned(params: Mapping[str, np.ndarray], result: Any) -> dict[str, np.ndarray] | None:
    """``return dW1, db1, dW2, db2`` for parameters W1, b1, W2, b2: a tuple of one entry per parameter,
    in their order, whose weight matrices have their shapes. Every entry is kept, a bias gradient summed
    to one number (``np.sum(dZ)`` without an axis) too, so that the check can say its shape is wrong."""
    if not isinstance(result, (tuple, list)) or len(result) != len(params) or len(params) < 2:
        return None
    if not all(is_float_array(r) or (isinstance(r, (float, np.floating)) and not isinstance(r, bool)) for r in result):
        return None
    names = list(params)
    weights = set(weight_keys(params))
    if not weights or any(np.shape(r) != params[n].shape for n, r in zip(names, result) if n in weights):
        return None
    if any(id(r) == id(p) for r, p in zip(result, params.values())):
        return None  # the parameters themselves (an update's result), not their gradients
    return {n: (r if isinstance(r, np.ndarray) else np.asarray(r, dtype=np.float64)) for n, r in zip(names, result)}


def _flat_match(params: Mapping[str, np.ndarray], candidates: list[tuple[str, np.ndarray]]) -> dict[str, np.ndarray] | None:
    """One flat parameter vector (``theta``) and a gradient of its size."""
    if len(params) != 1:
        return None
    (name, p), = params.items()
    for _, a in candidates:
        if a.size == p.size and a.ndim <= 2 and (a.shape == p.shape or 1 in a.shape or a.ndim == 1):
            return {name: a.reshape(p.shape)}
    return None


def weight_names(params: Mapping[str, np.ndarray]) -> list[str]:
    """The weight matrices among the parameters, in the order the learner's structure holds them."""
    return [k for k, v in params.items() if np.ndim(v) == 2 and not is_bias_key(k, v)]


def fingerprint(params: Mapping[str, np.ndarray] | None) -> tuple[float, ...] | None:
    """Sums of the parameter arrays: changes when an update moves them, in place or not."""
    if not params:
        return None
    with np.errstate(all="ignore"):
        return tuple(float(np.sum(v, dtype=np.float64)) for v in params.values())


def arrays_in(values: Iterable[Any]) -> list[np.ndarray]:
    return [v for v in values if isinstance(v, np.ndarray)]
