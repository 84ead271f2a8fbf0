"""Finding the worst entries of a wrong gradient with few cost evaluations.

When the classification predicts the error vector (scale, transpose, missing term), its largest
entries are known and only need a coordinate-wise confirmation. Otherwise the error is hunted by
bisection: with one fixed random sign vector v, the discrepancy along v restricted to a range is
additive over sub-ranges, so one measurement per level picks the half that carries more of the
error (the other half's value is the parent minus the measured half). A block of n entries costs
about log2(n) evaluations (forward differences) instead of the textbook's 2 * n; an error in one
entry is zoomed in on first, by where a ramp puts it (`_zoom`), in a few evaluations.

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
# Up to this many largest entries are picked by repeated argmax, more by a partition (`top`).
FEW = 16
# How far a float32 ramp value can be from (i + 1/2) / size, as a fraction of the range.
RAMP_RESOLUTION = 2.0 ** -22
# A zoomed-in range must carry the whole discrepancy but this fraction of it (`_zoom`).
ZOOM_SHARE = 0.01


def coordinate(point: Point, b: int, g: np.ndarray, index: int, t: float) -> tuple[float, float]:
    """(analytic, numeric) derivative with respect to one entry: 2 evaluations.

    The numeric side divides by the step that really happened once theta +- t is rounded to the
    dtype the parameters are evaluated in."""
    plus = forward(point, b, index, t)[1]
    return float(g[index]), central(point, b, index, t, plus)


def forward(point: Point, b: int, index: int, t: float) -> tuple[float, float]:
    """(forward difference, the cost at theta + t) for one entry: 1 evaluation, from the known
    cost at the point. Its truncation, H_ii t / 2, is about eps^(1/3) of the derivative's scale at
    the block's classic step: far below what a confirmation asks of it (`confirm_predicted`)."""
    dtype = point.ev.dtypes[b].type
    base = point.ev.bases[b][index]
    applied = float(dtype(base + t)) - float(base)
    plus = point.ev.cost([Move(b, 1.0, start=index, stop=index + 1)], t)
    return ((plus - point.cost0) / applied if applied else float("nan")), plus


def central(point: Point, b: int, index: int, t: float, plus: float) -> float:
    """The central difference for one entry, given the cost at theta + t: 1 more evaluation."""
    dtype = point.ev.dtypes[b].type
    base = point.ev.bases[b][index]
    applied = float(dtype(base + t)) - float(dtype(base - t))
    minus = point.ev.cost([Move(b, 1.0, start=index, stop=index + 1)], -t)
    return (plus - minus) / applied if applied else float("nan")


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
        if k >= mag.size:
            best += [(-float(m), lo + i) for i, m in enumerate(mag)]
        elif k <= FEW:  # k passes of argmax: ten times faster than a partition of the chunk
            for _ in range(k):
                i = int(np.argmax(mag))  # the first of equal values: ties keep the lower index
                best.append((-float(mag[i]), lo + i))
                mag[i] = -1.0
        else:
            keep = np.argpartition(-mag, k - 1)[:k]
            best += [(-float(mag[i]), lo + int(i)) for i in keep]
        best = sorted(best)[:k]
    return [i for _, i in best]


def confirm_predicted(point: Point, b: int, g: np.ndarray, error: Callable[[int, int], np.ndarray],
                      shape: tuple[int, ...], t: float, k: int, rtol: float, central_first: bool = False
                      ) -> tuple[list[WorstEntry], bool, WorstEntry | None]:
    """Check the k entries the hypothesis says are worst; second value: did they agree with it.

    Only entries that really disagree are returned (beyond the round-off and ``rtol``): a worst
    entry whose analytic and numeric values agree is no evidence of anything. ``central_first``:
    the first entry (the largest predicted error) is always measured by a central difference,
    for a fit sharper than a forward difference allows (`diagnose._refine_factor`); it comes back
    as the third value, whether it disagrees or not.
    """
    entries, agree, first = [], True, None
    for n, flat in enumerate(top(error, g.size, k)):
        analytic = float(g[flat])
        e = float(error(flat, flat + 1)[0])
        expected = analytic - e
        # a forward difference first (1 evaluation); the central one only when that one does not
        # confirm (a kink or curvature it cannot tell apart), the check of record
        numeric, plus = forward(point, b, flat, t)
        entry_noise = 2.0 * noise(point.cost0, point.precision.eps, t)
        if not abs(numeric - expected) <= _tolerance(e, analytic, entry_noise) or (central_first and n == 0):
            numeric, entry_noise = central(point, b, flat, t, plus), noise(point.cost0, point.precision.eps, t)
            if n == 0:
                first = WorstEntry(_index(flat, shape), analytic, numeric)
        if abs(numeric - expected) > _tolerance(e, analytic, entry_noise):
            agree = False
        if differ(analytic, numeric, entry_noise, rtol):
            entries.append(WorstEntry(_index(flat, shape), analytic, numeric))
    return entries, agree, first


def _tolerance(error: float, analytic: float, entry_noise: float) -> float:
    """How closely a measured entry must match the value a hypothesis predicts for it."""
    return PREDICTION_RTOL * abs(error) + 1e-6 * abs(analytic) + SIGNIFICANCE * entry_noise + 1e-300


def bisect(point: Point, b: int, g: np.ndarray, shape: tuple[int, ...], t_range: float, t_entry: float,
           k: int, tries: int = 2) -> list[WorstEntry]:
    """Entries with a large error, found by bisection (after a zoom, `_zoom`, when the error sits
    in one entry); [] when none could be pinned down."""
    n = g.size
    entry_noise = noise(point.cost0, point.precision.eps, t_entry)
    for _ in range(tries):
        v = point.rng.choice(np.array([-1.0, 1.0], dtype=np.float32), size=n)
        lo, hi = 0, n
        parent = _range_discrepancy(point, b, g, v, lo, hi, t_range)
        lo, hi, parent = _zoom(point, b, g, v, lo, hi, parent, t_range)
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
            # a forward difference sorts the entries (1 evaluation); one that differs is measured
            # again by a central difference (1 more), whose value is the one reported
            n_i, plus = forward(point, b, flat, t_entry)
            a_i = float(g[flat])
            if not differ(a_i, n_i, 2.0 * entry_noise, ENTRY_RTOL):
                continue
            n_i = central(point, b, flat, t_entry, plus)
            if differ(a_i, n_i, entry_noise, ENTRY_RTOL):
                found.append(WorstEntry(_index(flat, shape), a_i, n_i))
        if found:
            return sorted(found, key=lambda w: -w.error)[:k]
    return []


def _zoom(point: Point, b: int, g: np.ndarray, v: np.ndarray, lo: int, hi: int, parent: float, t: float
          ) -> tuple[int, int, float]:
    """Narrow [lo, hi) to the one entry that carries ``parent``, when one does: 2 evaluations a round.

    Along v weighted by a ramp r_i = (i - lo + 1/2) / (hi - lo), the discrepancy of a single wrong
    entry i is its discrepancy along v times r_i: the ratio of the two says where it is, to within
    the measurements' round-off over the discrepancy. The range around that place is measured
    along v; when it carries all of ``parent``, it is the new range, and the next round narrows it
    further. A few hundred thousand entries take one or two rounds instead of 17 halvings. An error
    spread over several entries gives a ratio that points nowhere in particular: the check fails
    and the bisection goes on from the range it was given (2 evaluations lost).
    """
    sigma = (ROUNDOFF_FACTOR * point.precision.eps * max(abs(point.cost0), 1e-300) + point.rounding([b])) / t
    while hi - lo > LEAF_SIZE and abs(parent) > 2.0 * SIGNIFICANCE * sigma:
        size = hi - lo
        ramp = (np.arange(size, dtype=np.float32) + np.float32(0.5)) / np.float32(size)
        ramp *= v[lo:hi]
        place = _range_discrepancy(point, b, g, ramp, lo, hi, t, offset=lo) / parent
        # the ramp is float32: above 2**23 entries its values are a few entries apart
        spread = SIGNIFICANCE * sigma * (1.0 + abs(place)) / abs(parent) + RAMP_RESOLUTION
        if not -spread <= place <= 1.0 + spread:
            break  # not one entry's ratio
        # entry i has place (i - lo + 1/2) / size: the range holds floor(place * size) whatever the spread
        start = max(lo, lo + int(np.floor((place - spread) * size)))
        stop = min(hi, lo + max(int(np.ceil((place + spread) * size)), start - lo + 1))
        if 2 * (stop - start) > size:
            break  # no narrower than a halving: the bisection does as well
        within = _range_discrepancy(point, b, g, v, start, stop, t)
        if abs(within - parent) > 2.0 * SIGNIFICANCE * sigma + ZOOM_SHARE * abs(parent):
            break  # the range does not carry it all: more than one entry is wrong
        lo, hi, parent = start, stop, within
    return lo, hi, parent


def _range_discrepancy(point: Point, b: int, g: np.ndarray, v: np.ndarray, lo: int, hi: int, t: float,
                       offset: int = 0) -> float:
    """analytic - numeric slope along v restricted to [lo, hi) (``v`` holds the entries from
    ``offset`` on): one forward difference from the cost at the point (1 evaluation; at the
    block's small step its truncation is far below the error being followed, which is large
    enough to have been seen in the whole block)."""
    part = v[lo - offset:hi - offset]
    moves = [Move(b, part, start=lo, stop=hi)]
    return dot(g[lo:hi], part) - (point.ev.cost(moves, t) - point.cost0) / t


def _index(flat: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(int(i) for i in np.unravel_index(flat, shape)) if shape else ()
