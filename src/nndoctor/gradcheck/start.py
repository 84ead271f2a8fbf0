"""The starting point: the cost and gradients at the user's parameters, randomness, precision.

The cost is evaluated once. Only if it drew from a random source (numpy's global state, Python's
``random``, a generator the functions reach) is it evaluated again with fresh draws, to tell a
random cost (dropout) from one that draws and ignores the draw; and then once more with the draws
replayed, to make sure replaying makes it repeatable. A deterministic cost costs one evaluation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from nndoctor.findings import Finding
from nndoctor.gradcheck import messages
from nndoctor.gradcheck.evaluator import Evaluator
from nndoctor.gradcheck.numeric import eps_of
from nndoctor.gradcheck.point import Precision

WIDER_NOTE = "float32 parameters evaluated in float64"


@dataclass
class Start:
    cost0: float
    grads: Any
    precision: Precision
    findings: list[Finding]
    stopped: bool = False  # nothing can be compared (the cost is not finite, or random beyond replay)
    stochastic: bool = False


def precision_of(ev: Evaluator, gradients: list[np.ndarray] = ()) -> Precision:
    """The coarsest dtype involved: the parameters as evaluated, the cost, the gradients."""
    work = max(eps_of(d) for d in set(ev.dtypes))
    eps = max(work, eps_of(ev.cost_dtype))
    for dtype in {g.dtype for g in gradients if isinstance(g, np.ndarray)}:
        if np.issubdtype(dtype, np.floating):
            eps = max(eps, eps_of(dtype))
    return Precision(eps, work, WIDER_NOTE if ev.work_dtype is not None else "")


def begin(ev: Evaluator, paired: Callable[[Any], list[np.ndarray]]) -> Start:
    """``paired(grads)``: the gradient arrays that belong to parameters (others are ignored)."""
    cost0 = ev.cost()
    if not np.isfinite(cost0):
        return Start(cost0, None, precision_of(ev), [messages.non_finite_cost(cost0, ev.cost_name)], stopped=True)
    findings = []
    stochastic = False
    if ev.random.note_draws():
        ev.random.replaying = False  # one evaluation with fresh random numbers
        second = ev.cost()
        ev.random.replaying = True
        if second != cost0:
            stochastic = True
            replayed = ev.cost() == cost0
            findings.append(messages.stochastic_finding(cost0, second, replayed, ev.cost_name, ev.random.names))
            if not replayed:
                return Start(cost0, None, precision_of(ev), findings, stopped=True, stochastic=True)
    grads = ev.gradients()
    ev.random.note_draws()
    if ev.work_dtype is not None and not _all_wide(paired(grads)):
        # the user's code narrows to float32 internally: check in the user's own dtype
        ev.use_native_dtype()
        cost0 = ev.cost()
        grads = ev.gradients()
    return Start(cost0, grads, precision_of(ev, paired(grads)), findings, stochastic=stochastic)


def _all_wide(arrays: list[np.ndarray]) -> bool:
    return all(isinstance(a, np.ndarray) and np.issubdtype(a.dtype, np.floating)
               and eps_of(a.dtype) <= eps_of(np.float64) for a in arrays)
