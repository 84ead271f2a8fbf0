"""Finding the worst entries of a wrong gradient with few cost evaluations.

When the classification predicts the error vector (scale, transpose, missing term), its largest
entries are known and only need a coordinate-wise confirmation. Otherwise the error is hunted by
bisection: with one fixed random sign vector v, the discrepancy along v restricted to a range is
additive over sub-ranges, so one measurement per level picks the half that carries more of the
error (the other half's value is the parent minus the measured half). A block of n entries costs
about log2(n) evaluations (forward differences) instead of the textbook's 2 * n.

Nothing here makes a full-size temporary: the largest predicted errors are picked chunk by chunk,
the sign vector is float32, and a range's analytic slope is a chunked dot product.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from nndoctor.gradcheck.classify import Diagnosis
from nndoctor.gradcheck.directions import CHUNK, dot
from nndoctor.gradcheck.evaluator import Move
from nndoctor.gradcheck.numeric import ROUNDOFF_FACTOR, SIGNIFICANCE
from nndoctor.gradcheck.point import Point
from nndoctor.gradcheck.result import WorstEntry

LEAF_SIZE = 4
# A coordinate counts as wrong when analytic and numeric differ by more than this, relatively.
ENTRY_RTOL = 1e-3
# The hypothesis must predict each checked entry's *error*, not just its value, to 5 %.
PREDICTION_RTOL = 0.05


def coordinate(point: Point, b: int, g: np.ndarray, index: int, t: float) -> tuple[float, float]:
    """(analytic, numeric) derivative with respect to one entry: 2 evaluations.

    The numeric side divides by the step that really happened once theta +- t is rounded to the
    dtype the parameters are evaluated in."""
    dtype = point.ev.dtypes[b].type
    base = point.ev.bases[b][index]
    applied = float(dtype(base + t)) - float(dtype(base - t))
    moves = [Move(b, 1.0, start=index, stop=index + 1)]
    plus, minus = point.ev.cost(moves, t), point.ev.cost(moves, -t)
    return float(g[index]), (plus - minus) / applied if applied else float("nan")


def noise(cost0: float, eps: float, t: float) -> float:
    """Round-off of one coordinate's central difference at step t."""
    return ROUNDOFF_FACTOR * eps * max(abs(cost0), 1e-300) / t


def differ(analytic: float, numeric: float, noise: float, rtol: float) -> bool:
    """The two values disagree beyond the noise and beyond ``rtol`` of their size."""
    gap = abs(analytic - numeric)
    return bool(gap > SIGNIFICANCE * noise and gap > rtol * (abs(analytic) + abs(numeric)))


def predicted(diag: Diagnosis, g: np.ndarray, theta: np.ndarray, shape: tuple[int, ...]) -> Callable[[int, int], np.ndarray]:
    """The error g_a - g the hypothesis predicts, on a flat range [lo, hi)."""
    if diag.kind in ("scale", "sign"):
        c = diag.factor if diag.factor else 1.0
        return lambda lo, hi: g[lo:hi] * (1.0 - 1.0 / c)
    if diag.kind == "missing-term":
        lam = diag.coefficient or 0.0
        return lambda lo, hi: -lam * theta[lo:hi].astype(np.float64)
    if diag.kind == "transpose":
        flipped = np.ascontiguousarray(g.reshape(shape).T).reshape(-1)
        return lambda lo, hi: g[lo:hi] - flipped[lo:hi]
    return lambda lo, hi: g[lo:hi].copy()  # the cost ignores the parameter: all of g_a is error


def top(values: Callable[[int, int], np.ndarray], n: int, k: int) -> list[int]:
    """Indices of the k largest |values|, chunk by chunk (ties keep the lower index)."""
    if k <= 0:
        return []
    best: list[tuple[float, int]] = []
    for lo in range(0, n, CHUNK):
        hi = min(n, lo + CHUNK)
        mag = np.abs(values(lo, hi))
        keep = np.argpartition(-mag, k - 1)[:k] if k < mag.size else np.arange(mag.size)
        best += [(-float(mag[i]), lo + int(i)) for i in keep]
        best = sorted(best)[:k]
    return [i for _, i in best]


def confirm_predicted(point: Point, b: int, g: np.ndarray, error: Callable[[int, int], np.ndarray],
                      shape: tuple[int, ...], t: float, k: int, rtol: float) -> tuple[list[WorstEntry], bool]:
    """Check the k entries the hypothesis says are worst; second value: did they agree with it.

    Only entries that really disagree are returned (beyond the round-off and ``rtol``): a worst
    entry whose analytic and numeric values agree is no evidence of anything.
    """
    entry_noise = noise(point.cost0, point.precision.eps, t)
    entries, agree = [], True
    for flat in top(error, g.size, k):
        analytic, numeric = coordinate(point, b, g, flat, t)
        e = float(error(flat, flat + 1)[0])
        expected = analytic - e
        tolerance = PREDICTION_RTOL * abs(e) + 1e-6 * abs(analytic) + SIGNIFICANCE * entry_noise + 1e-300
        if abs(numeric - expected) > tolerance:
            agree = False
        if differ(analytic, numeric, entry_noise, rtol):
            entries.append(WorstEntry(_index(flat, shape), analytic, numeric))
    return entries, agree


def bisect(point: Point, b: int, g: np.ndarray, shape: tuple[int, ...], t_range: float, t_entry: float,
           k: int, tries: int = 2) -> list[WorstEntry]:
    """Entries with a large error, found by bisection; [] when none could be pinned down."""
    n = g.size
    entry_noise = noise(point.cost0, point.precision.eps, t_entry)
    for _ in range(tries):
        v = point.rng.choice(np.array([-1.0, 1.0], dtype=np.float32), size=n)
        lo, hi = 0, n
        parent = _range_discrepancy(point, b, g, v, lo, hi, t_range)
        while hi - lo > LEAF_SIZE:
            mid = (lo + hi) // 2
            left = _range_discrepancy(point, b, g, v, lo, mid, t_range)
            right = parent - left
            if abs(left) >= abs(right):
                hi, parent = mid, left
            else:
                lo, parent = mid, right
        found = []
        for flat in range(lo, hi):
            a_i, n_i = coordinate(point, b, g, flat, t_entry)
            if differ(a_i, n_i, entry_noise, ENTRY_RTOL):
                found.append(WorstEntry(_index(flat, shape), a_i, n_i))
        if found:
            return sorted(found, key=lambda w: -w.error)[:k]
    return []


def _range_discrepancy(point: Point, b: int, g: np.ndarray, v: np.ndarray, lo: int, hi: int, t: float) -> float:
    """analytic - numeric slope along v restricted to [lo, hi): one forward difference from the cost
    at the point (1 evaluation; at the block's small step its truncation is far below the error
    being followed, which is large enough to have been seen in the whole block)."""
    moves = [Move(b, v[lo:hi], start=lo, stop=hi)]
    return dot(g[lo:hi], v[lo:hi]) - (point.ev.cost(moves, t) - point.cost0) / t


def _index(flat: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(int(i) for i in np.unravel_index(flat, shape)) if shape else ()
