"""`check_gradients`: is the user's backprop the gradient of the user's cost?

The arguments are checked here; run.py runs the check. Every block is vouched for at once by two
combined directions (joint.py), whatever the number of blocks; only blocks that disagree, or that
the combined directions cannot vouch for, are measured on their own, classified and localized.
The textbook per-coordinate loop is available as ``method="full"``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from nndoctor.gradcheck.evaluator import detect_style
from nndoctor.gradcheck.result import GradientCheck
from nndoctor.gradcheck.run import WORST_ENTRIES, Run
from nndoctor.params import Leaf, NotCheckable, checkable


def check_gradients(
    cost_fn: Callable[..., Any],
    grad_fn: Callable[..., Any],
    params: Any,
    *,
    eps: float | None = None,
    seed: int | None = None,
    method: str = "directional",
    style: str = "auto",
    precision: str = "auto",
    n_examples: int | None = None,
    n_classes: int | None = None,
    worst_entries: int = WORST_ENTRIES,
) -> GradientCheck:
    """Check ``grad_fn`` against numerical derivatives of ``cost_fn`` at ``params``.

    Args:
        cost_fn: ``cost_fn(params) -> float`` (pure), or ``cost_fn() -> float`` reading arrays that
            the check perturbs in place (stateful, for class-based networks). ``(cost, cache)``
            tuples are accepted.
        grad_fn: ``grad_fn(params) -> grads`` or ``grad_fn() -> grads``. ``grads`` has the structure
            of ``params`` or is a course-style dict keyed ``d`` + name (``dW1``); extra entries such
            as ``dA1``/``dZ2`` are ignored.
        params: a dict (possibly nested), list or tuple of float arrays, never modified (stateful
            style: perturbed in place and restored bitwise). Anything in it that cannot be checked
            (an integer, boolean or complex array, a float, None, an array listed twice) is listed
            as not checked, with the reason.
        eps: per-entry step of the finite differences. Default: chosen per block from the dtype,
            the cost's size and the gradient (docs/gradient-check.md), refined automatically.
        seed: seed of the random directions (a private generator; numpy's global state is untouched).
        method: ``"directional"`` (default; cost independent of the parameter count) or ``"full"``
            (the textbook loop, two evaluations per entry).
        style: ``"auto"`` (from cost_fn's signature), ``"pure"`` or ``"stateful"``.
        precision: ``"auto"`` evaluates float32 parameters in float64 when the user's functions
            allow it (pure style); ``"native"`` keeps the user's dtype (a weaker guarantee).
        n_examples, n_classes: let the report name a wrong factor ("off by m = 209").
        worst_entries: how many worst entries to report per failing parameter (0 or more).

    Returns:
        GradientCheck: ``.ok``, ``.parameters[name]``, ``.findings``, ``.evaluations``.

    Raises:
        InvalidInputError: ``params`` holds nothing that can be checked, or an argument is invalid.
    """
    from nndoctor.errors import InvalidInputError

    if method not in ("directional", "full"):
        raise InvalidInputError(f"method must be 'directional' or 'full', not {method!r}.")
    if precision not in ("auto", "native"):
        raise InvalidInputError(f"precision must be 'auto' or 'native', not {precision!r}.")
    if eps is not None and not (_is_number(eps) and np.isfinite(eps) and eps > 0):
        raise InvalidInputError(f"eps must be a positive finite step, not {eps!r}.")
    if isinstance(worst_entries, bool) or not isinstance(worst_entries, (int, np.integer)) or worst_entries < 0:
        raise InvalidInputError(f"worst_entries must be a whole number, 0 or more (how many wrong entries to list "
                                f"per parameter), not {worst_entries!r}.")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
        raise InvalidInputError(f"seed must be a whole number, 0 or more, not {seed!r}.")
    for fn, label in ((cost_fn, "cost_fn"), (grad_fn, "grad_fn")):
        if not callable(fn):
            raise InvalidInputError(f"{label} must be a function, not {type(fn).__name__}.")
    if style == "auto":
        style = detect_style(cost_fn)
    if style not in ("pure", "stateful"):
        raise InvalidInputError(f"style must be 'auto', 'pure' or 'stateful', not {style!r}.")
    leaves, skipped = checkable(params)  # raises only when nothing at all can be checked
    if style == "stateful":
        leaves, skipped = _writable(leaves, skipped)
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % (2**63))  # fresh entropy, global state untouched
    return Run(cost_fn, grad_fn, params, leaves, skipped, style=style, wider=precision == "auto", eps=eps,
               seed=int(seed), method=method, n_examples=n_examples, n_classes=n_classes,
               worst=int(worst_entries)).execute()


def _writable(leaves: list[Leaf], skipped: list[NotCheckable]) -> tuple[list[Leaf], list[NotCheckable]]:
    """The stateful style writes the steps into the user's arrays: a read-only one cannot be checked."""
    from nndoctor.errors import InvalidInputError

    frozen = [leaf for leaf in leaves if not leaf.array.flags.writeable]
    skipped = skipped + [NotCheckable(leaf.name, leaf.path, f"parameter {leaf.name!r} is a read-only array, and the "
                                      f"stateful check writes its steps into your arrays", True) for leaf in frozen]
    leaves = [leaf for leaf in leaves if leaf.array.flags.writeable]
    if not leaves:
        raise InvalidInputError(skipped[-1].reason + ".")
    return leaves, skipped


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool)


