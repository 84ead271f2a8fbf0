"""Parameter structures: naming the arrays of a (nested) dict or list, and pairing gradients.

Users keep parameters in many shapes: ``{"W1": ..., "b1": ...}``, ``{"layers": [{"weight": ...}]}``,
``[W1, b1, W2, b2]``. Internally a structure is a list of named leaves; the name is the user's own
key, verbatim for a flat dict, dot-joined for nested containers (``layers.0.weight``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from nndoctor.errors import InvalidInputError

Path = tuple[Any, ...]


@dataclass(frozen=True)
class Leaf:
    name: str
    path: Path
    array: np.ndarray


def path_name(path: Path) -> str:
    if len(path) == 1 and type(path[0]) is str:  # a flat dict's key: the common case
        return path[0]
    return ".".join(str(p) for p in path)


def flatten(params: Any, what: str = "params") -> list[Leaf]:
    """Named leaves of a dict/list/tuple structure of arrays, in a stable order.

    Raises InvalidInputError for anything that cannot be checked numerically: no arrays at all,
    integer or non-numeric arrays (they cannot be perturbed by a small step).
    """
    leaves: list[Leaf] = []

    def walk(node: Any, path: Path) -> None:
        if isinstance(node, Mapping):
            for key, value in node.items():
                walk(value, path + (key,))
        elif isinstance(node, (list, tuple)):
            for i, value in enumerate(node):
                walk(value, path + (i,))
        elif isinstance(node, np.ndarray):
            leaves.append(Leaf(path_name(path) or "<array>", path, node))
        else:
            where = path_name(path) or what
            raise InvalidInputError(
                f"{what}[{where!r}] is a {type(node).__name__}, not a numpy array; "
                f"pass every parameter as a float array (np.asarray(x, dtype=float))."
            )

    if isinstance(params, np.ndarray):
        leaves.append(Leaf("<array>", (), params))
    else:
        walk(params, ())
    if not leaves:
        raise InvalidInputError(f"{what} is empty: there is no parameter array to check.")
    for leaf in leaves:
        if not np.issubdtype(leaf.array.dtype, np.floating):
            raise InvalidInputError(
                f"parameter {leaf.name!r} has dtype {leaf.array.dtype}; a gradient check perturbs "
                f"parameters by tiny steps, which an integer array cannot hold. "
                f"Initialize it as floats (e.g. np.zeros(shape) or .astype(np.float64))."
            )
    return leaves


@dataclass(frozen=True)
class NotCheckable:
    """Something in the parameters that a gradient check cannot perturb, and why (for the learner)."""

    name: str
    path: Path
    reason: str
    is_array: bool  # an array (likely meant as a parameter), not a stray value such as a float or None


def checkable(params: Any, what: str = "params") -> tuple[list[Leaf], list[NotCheckable]]:
    """The float arrays a gradient check can perturb, and everything else with the reason it cannot.

    Never raises for a part it cannot use; raises InvalidInputError only when nothing at all can
    be checked (the message gives the first reason). Names are the user's keys, dot-joined for
    nested containers; a name two entries share (``{"a.b": x, "a": {"b": y}}``) is checked under
    the first and reported as not checkable for the others, since findings could not tell them apart.
    """
    leaves: list[Leaf] = []
    skipped: list[NotCheckable] = []
    seen: dict[str, Leaf] = {}
    by_buffer: dict[int, list[Leaf]] = {}  # leaves grouped by the buffer their memory belongs to
    for path, node in _walk(params):
        name = path_name(path) or ("<array>" if isinstance(node, np.ndarray) else what)
        reason = _reason(name, node, what)
        if reason is None and name in seen:
            reason = (f"parameter {name!r} has the same name as another parameter (keys {path!r} and "
                      f"{seen[name].path!r}), so their results could not be told apart")
        buffer = _buffer(node) if reason is None else 0
        if reason is None:
            twin = next((leaf for leaf in by_buffer.get(buffer, []) if _overlap(leaf.array, node)), None)
            if twin is not None:
                same = twin.array is node
                reason = (f"parameter {name!r} is {'the same array as' if same else 'a view sharing memory with'} "
                          f"{twin.name!r}, which is checked in its place")
        if reason is not None:
            skipped.append(NotCheckable(name, path, reason, isinstance(node, np.ndarray)))
            continue
        leaf = Leaf(name, path, node)
        leaves.append(leaf)
        seen[name] = leaf
        by_buffer.setdefault(buffer, []).append(leaf)
    if not leaves:
        if not skipped:
            raise InvalidInputError(f"{what} is empty: there is no parameter array to check.")
        raise InvalidInputError(skipped[0].reason + ".")
    return leaves, skipped


def _walk(params: Any) -> list[tuple[Path, Any]]:
    """(path, value) of every leaf: arrays and anything that is not a dict, list or tuple."""
    if isinstance(params, np.ndarray):
        return [((), params)]
    found: list[tuple[Path, Any]] = []
    stack: list[tuple[Path, Any]] = [((), params)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, Mapping):
            stack.extend((path + (k,), v) for k, v in reversed(list(node.items())))
        elif isinstance(node, (list, tuple)):
            stack.extend((path + (i,), v) for i, v in reversed(list(enumerate(node))))
        else:
            found.append((path, node))
    return found


def _reason(name: str, node: Any, what: str) -> str | None:
    """Why ``node`` cannot be checked, in words for the learner; None when it can."""
    if not isinstance(node, np.ndarray):
        kind = "None" if node is None else f"a {type(node).__name__}"
        return (f"{what}[{name!r}] is {kind}, not a numpy array; pass every parameter as a float array "
                f"(np.asarray(x, dtype=float))")
    dtype = node.dtype
    if dtype.kind == "f":  # the common case, without numpy's slower subtype tests below
        return None if node.size else f"parameter {name!r} has no entries (shape {node.shape})"
    if dtype == np.bool_:
        return (f"parameter {name!r} is a boolean array (True/False values), which no small step can move; "
                f"a mask or a flag is not a parameter")
    if np.issubdtype(dtype, np.complexfloating):
        return (f"parameter {name!r} is complex ({dtype}); a gradient check compares real derivatives: "
                f"keep the real and imaginary parts as two float arrays")
    if np.issubdtype(dtype, np.integer):
        return (f"parameter {name!r} has dtype {dtype}; a gradient check perturbs parameters by tiny steps, "
                f"which an integer array cannot hold (nor can training update it by fractions). "
                f"Initialize it as floats (e.g. np.zeros(shape) or .astype(np.float64))")
    if not np.issubdtype(dtype, np.floating):
        return f"parameter {name!r} has dtype {dtype}, which is not a number type"
    if node.size == 0:
        return f"parameter {name!r} has no entries (shape {node.shape})"
    return None


def _buffer(node: np.ndarray) -> int:
    """Which allocation an array's memory belongs to: only arrays of the same one can overlap."""
    while isinstance(node.base, np.ndarray):
        node = node.base
    return id(node if node.base is None else node.base)


def _overlap(a: np.ndarray, b: np.ndarray) -> bool:
    if a is b:
        return True
    if not np.may_share_memory(a, b):
        return False
    try:
        return bool(np.shares_memory(a, b, max_work=10_000))
    except np.exceptions.TooHardError:  # interleaved strides too costly to tell apart: assume they meet
        return True


def rebuild(params: Any, replace: Callable[[Leaf], Any], keep: Callable[[Path, Any], Any] | None = None) -> Any:
    """A new structure shaped like ``params`` whose arrays are ``replace(leaf)``; containers copied.

    ``keep(path, value)`` gives what to put where ``params`` holds something that is not an array
    (default: the value itself). Written without a recursive closure: a nested function that calls
    itself is a reference cycle, which kept every structure built here (and the arrays in it) alive
    until the cyclic garbage collector ran.
    """
    if isinstance(params, np.ndarray):
        return replace(Leaf("<array>", (), params))
    return _rebuilt(params, (), replace, keep)


def _rebuilt(node: Any, path: Path, replace: Callable[[Leaf], Any], keep: Callable[[Path, Any], Any] | None) -> Any:
    if isinstance(node, Mapping):
        # keep the user's mapping type where it can be built from pairs (dict, OrderedDict)
        items = [(k, _rebuilt(v, path + (k,), replace, keep)) for k, v in node.items()]
        try:
            return type(node)(items)
        except TypeError:
            return dict(items)
    if isinstance(node, (list, tuple)):
        items = [_rebuilt(v, path + (i,), replace, keep) for i, v in enumerate(node)]
        return type(node)(items) if not hasattr(node, "_fields") else type(node)(*items)
    if isinstance(node, np.ndarray):
        return replace(Leaf(path_name(path) or "<array>", path, node))
    return keep(path, node) if keep is not None else node


# --- pairing gradients with parameters -------------------------------------------------------

def _lookup(node: Any, path: Path) -> tuple[bool, Any]:
    for key in path:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return False, None
    return True, node


def gradient_keys(name: str) -> list[str]:
    """Keys under which the gradient of parameter ``name`` is commonly stored."""
    return [f"d{name}", name, f"grad_{name}", f"d_{name}", f"{name}_grad"]


def match_gradients(leaves: Sequence[Leaf], grads: Any) -> dict[str, tuple[str, Any] | None]:
    """For each parameter name: (the key it was found under, the gradient value) or None.

    Accepts the same structure as the parameters, or a flat dict keyed ``d`` + name (``dW1``,
    ``dw1``, ``dlayers.0.weight``) that may hold non-parameter entries (``dA1``, ``dZ2``), which
    are ignored. A bare array is accepted when there is a single parameter.
    """
    found: dict[str, tuple[str, Any] | None] = {}
    if isinstance(grads, np.ndarray) and len(leaves) == 1:
        return {leaves[0].name: ("<array>", grads)}
    for leaf in leaves:
        hit: tuple[str, Any] | None = None
        if isinstance(grads, Mapping):
            for key in gradient_keys(leaf.name):
                if key in grads:
                    hit = (key, grads[key])
                    break
        if hit is None and len(leaf.path) > 0:
            ok, value = _lookup(grads, leaf.path)
            if ok:
                hit = (leaf.name, value)
            elif len(leaf.path) > 1:
                # nested structure with course-style leaf keys: layers.0.dweight
                ok, value = _lookup(grads, leaf.path[:-1] + (f"d{leaf.path[-1]}",))
                if ok:
                    hit = (path_name(leaf.path[:-1] + (f"d{leaf.path[-1]}",)), value)
        found[leaf.name] = hit
    return found
