"""Blocks left undecided by ReLU kinks at the user's exact parameters, checked a little way off.

At parameters where pre-activations sit exactly on a kink (zero weights, zero biases with
all-zero inputs), or within a hair of one, every step crosses it: the cost has no derivative
there, and the backward pass's convention (relu'(0) = 0) need not match any finite difference.
Smaller steps and other directions cannot help. Every parameter is then moved by a relative 1e-3
(seeded), the gradient is computed there, and the undecided blocks are examined again: a real bug
survives the move and is reported as found there; a block that agrees there is a note (the
gradient is right next to the kink), not a finding against the backward pass.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from nndoctor.gradcheck.directions import CHUNK, weighted_squares
from nndoctor.gradcheck.numeric import median
from nndoctor.gradcheck.pipeline import Outcome, examine
from nndoctor.gradcheck.point import Point, Precision

SHIFT = 1e-3  # the move, relative to each block's RMS (the median RMS for an all-zero block)


def off_kinks(point: Point, blocks: list[int], gradients: Callable[[list[int]], dict[int, np.ndarray]],
              shapes: dict[int, tuple[int, ...]], worst: int) -> dict[int, Outcome]:
    """Outcomes of ``blocks`` at the moved point; ``gradients(blocks)``: the analytic gradients at the
    evaluator's current base point, flat."""
    ev = point.ev
    original = list(ev.bases)
    ev.rebase(_moved(original, point.seed + 1))
    try:
        cost = ev.cost()
        if not np.isfinite(cost):
            return {}
        # the noise is measured afresh there: what passed for noise here may have been the kinks
        precision = Precision(point.precision.dtype_eps, point.precision.work_eps, point.precision.note)
        moved = Point(ev, cost, precision, point.seed + 1, gradients(blocks), point.eps_step)

        def fetch(wanted: list[int]) -> None:
            moved.grads.update(gradients(wanted))

        outcomes = examine(moved, blocks, fetch, shapes, worst)
    finally:
        ev.rebase(original)
    for outcome in outcomes.values():
        if outcome.status == "ok":
            outcome.status, outcome.reason, outcome.ruled_out = "inconclusive", "exact-kink", None
        elif outcome.status == "inconclusive":
            outcome.reason = "kink"
    return outcomes


def _moved(bases: list[np.ndarray], seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out = []
    scales = [float(np.sqrt(weighted_squares(base) / base.size)) if base.size else 0.0 for base in bases]
    known = [v for v in scales if v > 0]
    typical = median(known) if known else 1.0  # for an all-zero block, as point.py does
    for base, rms in zip(bases, scales):
        step = SHIFT * (rms if rms > 0 else typical)
        moved = np.empty_like(base)
        for lo in range(0, base.size, CHUNK):
            hi = min(base.size, lo + CHUNK)
            moved[lo:hi] = base[lo:hi] + step * rng.standard_normal(hi - lo)
        out.append(moved)
    return out
