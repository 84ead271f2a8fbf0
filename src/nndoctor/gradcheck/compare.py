"""The course's relative difference between two gradients, for learners' own loops."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from nndoctor.params import flatten, match_gradients


def relative_difference(grad: Any, gradapprox: Any) -> float:
    """The course's relative difference ||grad - gradapprox||_2 / (||grad||_2 + ||gradapprox||_2).

    Accepts arrays or matching structures of arrays (compared as one long vector). Two dicts are
    matched by key, whatever their order, also when one is keyed like the parameters and the other
    course-style (``W1`` against ``dW1``; extra entries such as ``dA1`` are ignored). Returns 0.0
    when both are zero. Below 1e-7 is right, around 1e-5 suspicious, above 1e-3 a bug (float64).
    """
    a, b = _aligned(grad, gradapprox)
    if a.shape != b.shape:
        from nndoctor.errors import InvalidInputError

        raise InvalidInputError(f"grad has {a.size} entries but gradapprox has {b.size}; they must match.")
    denominator = np.linalg.norm(a) + np.linalg.norm(b)
    if denominator == 0:
        return 0.0
    return float(np.linalg.norm(a - b) / denominator)


def _aligned(grad: Any, gradapprox: Any) -> tuple[np.ndarray, np.ndarray]:
    """Both sides as vectors, entry for entry: dicts paired by key, anything else in its order.
    (The formula is symmetric, so which side is returned first does not matter.)"""
    from nndoctor.errors import InvalidInputError

    if not (isinstance(grad, Mapping) and isinstance(gradapprox, Mapping)):
        return _as_vector(grad), _as_vector(gradapprox)
    for reference, other in ((gradapprox, grad), (grad, gradapprox)):
        leaves = flatten(reference)
        pairs = match_gradients(leaves, other)
        if any(pairs[leaf.name] is None for leaf in leaves):
            continue
        theirs = [np.asarray(pairs[leaf.name][1]) for leaf in leaves]
        for leaf, value in zip(leaves, theirs):
            if leaf.array.size != value.size:
                raise InvalidInputError(f"{leaf.name!r} has {leaf.array.size} entries on one side and "
                                        f"{value.size} on the other; they must match.")
        return _concatenated([leaf.array for leaf in leaves]), _concatenated(theirs)
    raise InvalidInputError(
        f"grad and gradapprox do not have the same keys (grad: {', '.join(map(str, list(grad)[:8]))}; "
        f"gradapprox: {', '.join(map(str, list(gradapprox)[:8]))}), so they cannot be compared entry for entry."
    )


def _concatenated(arrays: list[Any]) -> np.ndarray:
    return np.concatenate([np.asarray(x, dtype=np.float64).ravel() for x in arrays])


def _as_vector(x: Any) -> np.ndarray:
    if isinstance(x, np.ndarray) or np.isscalar(x):
        return np.asarray(x, dtype=np.float64).ravel()
    return _concatenated([leaf.array for leaf in flatten(x)])
