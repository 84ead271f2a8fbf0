"""Directional derivatives of the cost, with an honest error bound.

Along a direction ``v`` the cost is a function of one variable, phi(s) = J(theta + s v) (a
`Line`). We compare phi'(0) with what the gradient predicts, <g_a, v>, known exactly.

- A central difference at one step, (phi(t) - phi(-t)) / 2t, is the cheap look (2 evaluations).
  Its error is round-off, eps |J| / t, plus truncation and ReLU kinks, which at the small steps used
  here are negligible unless a kink is crossed; a crossed kink only makes the look fail, and a
  failed look is measured properly before anything is concluded from it.
- A probe adds s = +-2t (4 evaluations) and gives a Richardson-extrapolated discrepancy
  d = (4 d_t - d_2t) / 3 with a bound on its error: truncation |d_t - d_2t|; kinks: for smooth phi
  the second differences obey S_2t = 4 S_t up to O(t^4), and a ReLU or max crossed inside
  [-2t, 2t] breaks that by about the jump in slope, so |S_2t - 4 S_t| / t is large exactly when the
  central difference is untrustworthy; round-off, ROUNDOFF_FACTOR eps |J| / t, with eps the
  coarsest dtype involved or the cost's own measured round-off (`measured_noise`); and the
  rounding of the step itself on the analytic side. The two smoothness signals carry round-off
  themselves, so only their excess over it counts.

Verdicts are taken in a unit the caller chooses (the ``scale``): a block's gradient norm, or 1 for
the combined directions (joint.py), whose blocks each weigh 1.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

# How many bounds a discrepancy must exceed to count: a margin for the bound's own uncertainty.
SIGNIFICANCE = 4.0
# Round-off in the difference of two cost evaluations, in units of eps * |J|: the cost is a sum
# of many rounded terms, so allow a generous constant.
ROUNDOFF_FACTOR = 8.0
# The median of `measured_noise`'s statistic for independent unit-variance noise, by grid size
# (simulated, 100,000 draws each): dividing by it gives the noise of one evaluation. With 9 points,
# 5 % of the draws fall below 0.56 (a factor 3.3 low); with 17, below 1.61 (a factor 1.8).
NOISE_SPREAD = {9: 1.87, 17: 2.93}
# How closely a (q, -2q, q) pattern must hold to be read as a jump in value (`value_jump`).
JUMP_MATCH = 0.05
# A measurement vouches only when the most a hidden error could be, max(4 bounds, floor) + bound,
# is within this many floors (the floor is the tolerance's "passes below" level).
VOUCH_LIMIT = 4.0


TINY = float(np.finfo(np.float64).tiny)
_EPS: dict[np.dtype, float] = {}


def eps_of(dtype: np.dtype) -> float:
    """The machine epsilon of a float dtype (np.finfo is slow enough to matter per block and call)."""
    dtype = np.dtype(dtype)
    if dtype not in _EPS:
        _EPS[dtype] = float(np.finfo(dtype).eps)
    return _EPS[dtype]


@dataclass(frozen=True)
class Tolerance:
    """Relative disagreement accepted as numerical noise, and the level that makes it an error."""

    passes_below: float
    error_above: float
    label: str


# (eps, passes below, error at or above, label) for each dtype
_ROWS = (
    (float(np.finfo(np.float64).eps), 1e-6, 1e-4, "float64"),
    (float(np.finfo(np.float32).eps), 5e-3, 3e-2, "float32"),
    (float(np.finfo(np.float16).eps), 5e-2, 2e-1, "float16"),
)


def tolerance_for(eps: float) -> Tolerance:
    """The tolerance for a relative noise level: a dtype's eps gets that dtype's row.

    A measured noise level (`measured_noise`) can fall between two dtypes: up to the round-off
    model's own allowance (ROUNDOFF_FACTOR eps) it keeps the finer row; beyond, the tolerance moves
    towards the coarser row log-linearly, and takes that row's label once past halfway.
    """
    for fine, coarse in zip(_ROWS, _ROWS[1:]):
        low = ROUNDOFF_FACTOR * fine[0]
        if eps <= low:
            return Tolerance(*fine[1:])
        if eps <= coarse[0]:
            f = float(np.log(eps / low) / np.log(coarse[0] / low))
            passes = fine[1] * (coarse[1] / fine[1]) ** f
            error = fine[2] * (coarse[2] / fine[2]) ** f
            return Tolerance(float(passes), float(error), fine[3] if f < 0.5 else coarse[3])
    return Tolerance(*_ROWS[-1][1:])


def median(values: list[float]) -> float:
    """np.median of a short list of floats, the same number without numpy's per-call set-up."""
    ordered = sorted(values)
    if any(v != v for v in ordered):
        return float("nan")
    n = len(ordered)
    return float(ordered[n // 2]) if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2.0


def natural_step(eps: float) -> float:
    """The classic relative step of a central difference, eps^(1/3): truncation against round-off."""
    return float(np.cbrt(eps))


class Line:
    """The cost along one direction, phi(s), with the slope the gradient predicts (per unit s).

    ``rounding``: the analytic side's uncertainty times the step (the parameters moved by s v are
    rounded to their dtype, so the step that really happened differs slightly from s v).
    Evaluations are cached by step, so a probe reuses a look's two evaluations.
    """

    def __init__(self, evaluate: Callable[[float], float], analytic: float, cost0: float, rounding: float = 0.0) -> None:
        self._evaluate = evaluate
        self.analytic = analytic
        self.cost0 = cost0
        self.rounding = rounding
        self.values: dict[float, float] = {0.0: cost0}

    def at(self, s: float) -> float:
        if s not in self.values:
            self.values[s] = self._evaluate(s)
        return self.values[s]


@dataclass(frozen=True)
class Look:
    """One central difference: the discrepancy (analytic - numeric) and its round-off noise."""

    analytic: float
    numeric: float
    noise: float
    step: float

    @property
    def discrepancy(self) -> float:
        return self.analytic - self.numeric

    @property
    def finite(self) -> bool:
        return bool(np.isfinite(self.numeric))


def look(line: Line, t: float, eps: float) -> Look:
    """A central difference at step t (2 evaluations)."""
    plus, minus = line.at(t), line.at(-t)
    magnitude = max(abs(line.cost0), abs(plus), abs(minus), TINY)
    noise = (ROUNDOFF_FACTOR * eps * magnitude + line.rounding) / t
    return Look(line.analytic, (plus - minus) / (2.0 * t), noise, t)


def glance(line: Line, t: float, eps: float) -> Look:
    """A forward difference at step t from the known cost at 0 (1 evaluation).

    Its truncation, phi''(0) t / 2, is left out of the noise on purpose: it can only make a
    glance fail (then the line is measured properly), or hide an error by cancelling it, which a
    quadratic term in the direction does with no more than the chance any fixed number has (it is
    uncorrelated with the error's projection, a linear one). At these steps it is far below the floor.
    """
    plus = line.at(t)
    magnitude = max(abs(line.cost0), abs(plus), TINY)
    noise = (ROUNDOFF_FACTOR * eps * magnitude + line.rounding) / t
    return Look(line.analytic, (plus - line.cost0) / t, noise, t)


@dataclass(frozen=True)
class Samples:
    """What one probe measured, kept for the search (search.py reads the direction's curvature off it)."""

    cost0: float
    costs: tuple[float, float, float, float]  # phi(-2t), phi(-t), phi(t), phi(2t)
    analytic: float
    rounding: float


@dataclass
class Probe:
    """One directional comparison with its error bound. Derivative units: per unit of s along ``v``."""

    analytic: float
    numeric: float
    bound: float
    step: float
    truncation: float
    kink: float
    roundoff: float
    samples: Samples | None = field(default=None, repr=False)
    one_sided: bool = False  # the estimate of one side of the point (`score`)

    @property
    def discrepancy(self) -> float:
        return self.analytic - self.numeric

    @property
    def dominant_error(self) -> str:
        parts = {"truncation": self.truncation, "kink": self.kink, "roundoff": self.roundoff}
        return max(parts, key=parts.__getitem__)

    @property
    def finite(self) -> bool:
        return bool(np.isfinite(self.numeric))

    def verdict(self, scale: float, tol: Tolerance) -> str:
        outcome = verdict(self.discrepancy, self.bound, scale, tol)
        # one side may pass a probe a kink spoiled, never condemn a gradient: a kink just past 0
        # bends that side by its jump while its second difference hardly shows it
        return "inconclusive" if outcome == "mismatch" and self.one_sided else outcome


def verdict(gap: float, bound: float, scale: float, tol: Tolerance) -> str:
    """'match', 'mismatch' or 'inconclusive' for a discrepancy and its bound, in units of ``scale``.

    mismatch: beyond SIGNIFICANCE bounds and beyond the floor (tol.passes_below * scale).
    match: not a mismatch, and what a hidden error could be (`threshold`) is within VOUCH_LIMIT floors.
    """
    floor = tol.passes_below * scale
    if not np.isfinite(gap) or not np.isfinite(bound):
        return "inconclusive"
    if abs(gap) > SIGNIFICANCE * bound and abs(gap) > floor:
        return "mismatch"
    return "match" if threshold(bound, scale, tol) <= VOUCH_LIMIT * floor else "inconclusive"


def threshold(bound: float, scale: float, tol: Tolerance) -> float:
    """The largest true discrepancy a passing measurement could hide: max(4 bounds, floor) + bound."""
    return max(SIGNIFICANCE * bound, tol.passes_below * scale) + bound


def probe(line: Line, t: float, eps: float) -> Probe:
    """Compare the gradient's slope with the cost's along the line: 4 evaluations (or 2 after a look)."""
    costs = (line.at(-2.0 * t), line.at(-t), line.at(t), line.at(2.0 * t))
    return score(Samples(line.cost0, costs, line.analytic, line.rounding), t, eps)


def score(samples: Samples, t: float, eps: float) -> Probe:
    """Discrepancy, its error bound and the bound's parts, from a probe's evaluations.

    Three estimates are weighed and the one with the smallest bound is kept: the extrapolated
    central difference (bound: truncation + kink + round-off, above), and the two one-sided
    differences at step t, forward (phi(t) - phi(0)) / t and backward. A one-sided difference only
    sees its own side, and its side's second difference, |phi(2t) - 2 phi(t) + phi(0)| on the
    right, bounds both its truncation (phi'' t / 2) and what a kink on that side could do to it.
    So a single kink crossed between t and 2t on one side leaves that side's first step and the
    other side clean, where the central one is lost: the probe still decides. One-sided estimates
    are used only when the two agree within their bounds: a kink between 0 and t would bend one
    of them by its full jump while hardly showing in its side's second difference. Even then, a
    one-sided estimate is only taken when it agrees with the gradient: it may pass the probe, not
    fail it (with kinks crowded on both sides both sides can agree, and both be off); a side
    that disagrees leaves the verdict to the central estimate.
    """
    with np.errstate(all="ignore"):  # a cost that turned inf or NaN is judged below, not warned about
        return _score(samples, t, eps)


def _score(samples: Samples, t: float, eps: float) -> Probe:
    m2, m1, p1, p2 = samples.costs
    cost0 = samples.cost0
    analytic = samples.analytic
    diffs = [analytic - (p1 - m1) / (2.0 * t), analytic - (p2 - m2) / (4.0 * t)]
    seconds = [p1 - 2.0 * cost0 + m1, p2 - 2.0 * cost0 + m2]
    magnitude = max(abs(cost0), *(abs(c) for c in samples.costs))
    d = (4.0 * diffs[0] - diffs[1]) / 3.0
    # Expected noise of one cost evaluation; each smoothness signal only counts beyond the noise
    # it carries itself (d_t - d_2t carries ~0.75, S_2t - 4 S_t ~8.4 evaluations' worth, over t).
    noise = ROUNDOFF_FACTOR * eps * max(magnitude, TINY)
    roundoff = (noise + samples.rounding) / t
    truncation = max(0.0, abs(diffs[0] - diffs[1]) - 1.0 * roundoff)
    kink = max(0.0, abs(seconds[1] - 4.0 * seconds[0]) / t - 9.0 * roundoff)
    if not all(np.isfinite([d, truncation, kink])):
        return Probe(analytic, float("nan"), float("inf"), t, float("inf"), float("inf"), roundoff, samples)
    best = Probe(analytic, analytic - d, truncation + kink + roundoff, t, truncation, kink, roundoff, samples)
    # one-sided: twice the round-off of the central difference (the same noise over t, not 2t)
    sides = [((p1 - cost0) / t, abs(p2 - 2.0 * p1 + cost0) / t + 2.0 * roundoff),
             ((cost0 - m1) / t, abs(m2 - 2.0 * m1 + cost0) / t + 2.0 * roundoff)]
    (forward, bound_f), (backward, bound_b) = sides
    if abs(forward - backward) <= bound_f + bound_b:  # else a kink sits right at 0: neither side is clean
        for slope, bound in sides:
            # only to pass: a side that disagrees leaves the verdict to the central estimate
            if bound < best.bound and abs(analytic - slope) <= SIGNIFICANCE * bound:
                best = Probe(analytic, slope, bound, t, 0.0, bound - 2.0 * roundoff, 2.0 * roundoff, samples,
                             one_sided=True)
    return best


def measured_noise(line: Line, first: Probe, points: int = 9) -> float:
    """The cost's round-off relative to its size, measured along the line around a probe.

    The round-off model above assumes a cost computed in the dtype it is given. A cost computed in
    float32 internally, or one dominated by log(1 - A) with A within 1e-9 of 1, is far noisier, and
    the model then reads its noise as kinks or as a wrong gradient. Here phi is evaluated on a grid
    of ``points`` (9 or 17) over the probe's own [-2t, 2t] (its four evaluations plus 4 or 12 new
    ones). The third differences of a smooth phi are all but 0 at these steps; noise shows in
    every one of them, while a kink, even one where the curvature changes too, shows in at most
    three neighbouring ones. So the three largest are left out, and the size of the others
    estimates the noise. (No median is taken off: with two kinks in the grid it would be one of them.)
    """
    if first.samples is None:
        return 0.0
    half = (points - 1) // 2
    grid = np.array([line.at(2.0 * first.step * i / half) for i in range(-half, half + 1)])
    if not np.all(np.isfinite(grid)):
        return 0.0
    third = np.diff(grid, 3)
    rest = np.sort(np.abs(third))[:-3]
    sigma = float(np.sqrt(np.mean(rest ** 2))) / NOISE_SPREAD[points]
    magnitude = max(float(np.max(np.abs(grid))), TINY)
    return max(sigma, _quantum(grid, abs(first.analytic) * 4.0 * first.step)) / magnitude


def value_jump(line: Line, first: Probe, points: int = 17) -> float:
    """The size of the jumps in value the cost makes along the grid of `measured_noise` (already
    evaluated), relative to its size; 0.0 when there is none.

    A term computed with few significant digits (log(1 - A), A within 1e-9 of 1) moves in jumps of
    one unit in its last place. A jump shows in the third differences as a (q, -2q, q) pattern, its
    outer values equal to 5 %; a kink, a jump in slope, shows as (1 - f, 2f - 1, -f) times the
    jump, outer values of opposite signs. So a jump read this way is round-off, whatever the scale
    it was seen at, and its size is the round-off's: uniform within a step q, q / sqrt(12).
    """
    half = (points - 1) // 2
    grid = np.array([line.at(2.0 * first.step * i / half) for i in range(-half, half + 1)])
    third = np.diff(grid, 3)
    magnitude = float(np.max(np.abs(grid)))
    floor = ROUNDOFF_FACTOR * eps_of(np.float64) * magnitude
    jumps = [abs(a) for a, b, c in zip(third, third[1:], third[2:])
             if abs(a) > floor and abs(c - a) <= JUMP_MATCH * abs(a) and abs(b + 2.0 * a) <= 2.0 * JUMP_MATCH * abs(a)]
    return float(np.median(jumps)) / np.sqrt(12.0) / max(magnitude, TINY) if jumps else 0.0


def _quantum(values: np.ndarray, predicted: float) -> float:
    """Rounding noise of a cost that comes back in a narrower dtype than float64 (a float32 cost
    returned as a Python float), 0.0 when there is no sign of one.

    Its values all lie on that dtype's grid, which a float64 computation gives by chance once in
    2**29 per value; the pull statistic can miss it, as costs a unit or two apart in the last place
    give second differences that are mostly exactly 0. A cost that did not move at all is taken as
    float32 when it is a float32 value and the change the gradient predicts over the span
    (``predicted``) is within a few steps of float32: the parameters moved, but every intermediate
    value was rounded to float32 too, and the cost could not show it. (Otherwise a cost that does
    not move is a parameter the cost does not use.)
    """
    moved = np.ptp(values) > 0
    for dtype in (np.float16, np.float32) if moved else (np.float32,):
        narrow = values.astype(dtype)
        if not (np.all(np.isfinite(narrow)) and np.array_equal(narrow.astype(np.float64), values)):
            continue
        spacing = float(np.spacing(np.max(np.abs(narrow))))
        if moved or predicted <= 4.0 * spacing:
            return spacing / np.sqrt(12.0)  # uniform rounding to the spacing u: standard deviation u / sqrt(12)
    return 0.0
