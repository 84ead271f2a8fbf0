"""Finding the worst entries of a wrong gradient with few cost evaluations.

When the classification predicts the error vector (scale, transpose, missing term), its largest
entries are known and only need a coordinate-wise confirmation. Otherwise the error is hunted by
bisection: with one fixed random sign vector v, the discrepancy along v restricted to a range is
additive over sub-ranges, so one measurement per level picks the half that carries more of the
error (the other half's value is the parent minus the measured half). A block of n entries costs
about 2 * log2(n) evaluations instead of the textbook's 2 * n.
"""

from __future__ import annotations

import numpy as np

from nndoctor.gradcheck.numeric import ROUNDOFF_FACTOR, SIGNIFICANCE, central_difference
from nndoctor.gradcheck.oracle import Oracle
from nndoctor.gradcheck.result import WorstEntry

LEAF_SIZE = 4
# A coordinate counts as wrong when analytic and numeric differ by more than this, relatively.
ENTRY_RTOL = 1e-3


def coordinate(oracle: Oracle, block: int, g_a: np.ndarray, index: int, t: float) -> tuple[float, float]:
    e = np.zeros_like(g_a)
    e[index] = 1.0
    return central_difference(oracle, block, g_a, e, t)


def noise(oracle_cost: float, eps: float, t: float) -> float:
    """Round-off of one coordinate's central difference at step t."""
    return ROUNDOFF_FACTOR * eps * max(abs(oracle_cost), 1e-300) / t


def differ(analytic: float, numeric: float, noise: float, rtol: float) -> bool:
    """The two values disagree beyond the noise and beyond ``rtol`` of their size."""
    gap = abs(analytic - numeric)
    return gap > SIGNIFICANCE * noise and gap > rtol * (abs(analytic) + abs(numeric))


def is_wrong(analytic: float, numeric: float, noise: float) -> bool:
    return differ(analytic, numeric, noise, ENTRY_RTOL)


def confirm_predicted(
    oracle: Oracle, block: int, g_a: np.ndarray, predicted_error: np.ndarray, shape: tuple[int, ...],
    t: float, k: int, entry_noise: float, rtol: float,
) -> tuple[list[WorstEntry], bool]:
    """Check the k entries the hypothesis says are worst; second value: did they agree with it.

    Only entries that really disagree are returned (beyond ``entry_noise`` and ``rtol``): a worst
    entry whose analytic and numeric values agree is no evidence of anything.
    """
    order = np.argsort(-np.abs(predicted_error), kind="stable")[:k]
    entries, agree = [], True
    for flat in order:
        analytic, numeric = coordinate(oracle, block, g_a, int(flat), t)
        expected = g_a[flat] - predicted_error[flat]
        # the hypothesis must predict the entry's *error*, not just its value, to 5%
        tolerance = 0.05 * abs(predicted_error[flat]) + 1e-6 * abs(g_a[flat]) + 1e-12
        if abs(numeric - expected) > tolerance:
            agree = False
        if differ(analytic, numeric, entry_noise, rtol):
            entries.append(WorstEntry(tuple(int(i) for i in np.unravel_index(flat, shape)), analytic, numeric))
    return entries, agree


def bisect(
    oracle: Oracle, block: int, g_a: np.ndarray, shape: tuple[int, ...], t: float,
    rng: np.random.Generator, cost0: float, eps: float, k: int, tries: int = 2,
) -> list[WorstEntry]:
    """Entries with a large error, found by bisection; [] when none could be pinned down."""
    n = g_a.size
    entry_noise = noise(cost0, eps, t)
    best: list[WorstEntry] = []
    for _ in range(tries):
        v = rng.choice(np.array([-1.0, 1.0]), size=n)
        lo, hi = 0, n
        analytic, numeric = central_difference(oracle, block, g_a, v, t)
        parent = analytic - numeric
        while hi - lo > LEAF_SIZE:
            mid = (lo + hi) // 2
            half = np.zeros(n)
            half[lo:mid] = v[lo:mid]
            a1, n1 = central_difference(oracle, block, g_a, half, t)
            left = a1 - n1
            right = parent - left
            if abs(left) >= abs(right):
                hi, parent = mid, left
            else:
                lo, parent = mid, right
        found = []
        for flat in range(lo, hi):
            a_i, n_i = coordinate(oracle, block, g_a, flat, t)
            if is_wrong(a_i, n_i, entry_noise):
                found.append(WorstEntry(tuple(int(i) for i in np.unravel_index(flat, shape)), a_i, n_i))
        if found:
            return sorted(found, key=lambda w: -w.error)[:k]
        best = best or found
    return best
