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


def rebuild(params: Any, replace: Callable[[Leaf], np.ndarray]) -> Any:
    """A new structure shaped like ``params`` whose arrays are ``replace(leaf)``; containers copied."""
    by_path = {leaf.path: leaf for leaf in flatten(params)}

    def walk(node: Any, path: Path) -> Any:
        if isinstance(node, Mapping):
            # keep the user's mapping type where it can be built from pairs (dict, OrderedDict)
            items = [(k, walk(v, path + (k,))) for k, v in node.items()]
            try:
                return type(node)(items)
            except TypeError:
                return dict(items)
        if isinstance(node, (list, tuple)):
            items = [walk(v, path + (i,)) for i, v in enumerate(node)]
            return type(node)(items) if not hasattr(node, "_fields") else type(node)(*items)
        return replace(by_path[path])

    if isinstance(params, np.ndarray):
        return replace(by_path[()])
    return walk(params, ())


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


def same_values(a: Any, b: Any) -> bool:
    """Bitwise equality of two structures of arrays (NaNs compare equal to themselves)."""
    la, lb = flatten(a), flatten(b)
    if [leaf.name for leaf in la] != [leaf.name for leaf in lb]:
        return False
    for x, y in zip(la, lb):
        if x.array.shape != y.array.shape or x.array.dtype != y.array.dtype:
            return False
        if x.array.tobytes() != y.array.tobytes():
            return False
    return True
