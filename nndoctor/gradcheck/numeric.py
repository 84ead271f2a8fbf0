"""Directional derivatives of the cost with an honest error bound.

Along a direction ``v`` the cost is a function of one variable, phi(s) = J(theta + s v). We compare
phi'(0) with the analytic <g, v>. Central differences at two steps, s = t and s = 2t, give:

- a Richardson-extrapolated discrepancy d = (4 d_t - d_2t) / 3, accurate to O(t^4);
- a truncation estimate |d_t - d_2t| (it is ~3x the O(t^2) error of d_t, so it over-covers d);
- a kink detector: for smooth phi the second differences obey S_2t = 4 S_t up to O(t^4); a ReLU
  or max crossed inside [-2t, 2t] breaks that by about the jump in slope, so |S_2t - 4 S_t| / t
  is large exactly when the central difference is untrustworthy;
- a round-off model, eps * |J| / t, with eps the coarsest dtype seen (parameters, cost, gradient).

The two smoothness signals carry round-off themselves, so only their excess over it counts. The
bound is the sum of the three. A discrepancy counts only when it is several times the bound and
above the dtype's relative floor; a bound too wide to decide is retried with a new direction and a
better step, never reported as a bug.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nndoctor.gradcheck.oracle import Oracle

# How many bounds a discrepancy must exceed to count: a margin for the bound's own uncertainty.
SIGNIFICANCE = 4.0
# Round-off in the difference of two cost evaluations, in units of eps * |J|: the cost is a sum
# of many rounded terms, so allow a generous constant.
ROUNDOFF_FACTOR = 8.0


@dataclass(frozen=True)
class Tolerance:
    """Relative disagreement accepted as numerical noise, and the level that makes it an error."""

    passes_below: float
    error_above: float
    label: str


def tolerance_for(eps: float) -> Tolerance:
    if eps <= np.finfo(np.float64).eps:
        return Tolerance(1e-6, 1e-4, "float64")
    if eps <= np.finfo(np.float32).eps:
        return Tolerance(5e-3, 3e-2, "float32")
    return Tolerance(5e-2, 2e-1, "float16")


def initial_step(eps: float, theta: np.ndarray) -> float:
    """Per-entry step: eps^(1/3) (the central-difference optimum) times the parameter's scale."""
    scale = float(np.sqrt(np.mean(np.square(theta.astype(np.float64))))) if theta.size else 0.0
    if not np.isfinite(scale) or scale == 0.0:
        scale = 1.0
    return float(np.cbrt(eps)) * scale


@dataclass
class Probe:
    """One directional comparison. Derivative units: per unit of s along ``v``."""

    analytic: float
    numeric: float
    bound: float
    step: float
    truncation: float
    kink: float
    roundoff: float
    evaluations: int

    @property
    def discrepancy(self) -> float:
        return self.analytic - self.numeric

    @property
    def dominant_error(self) -> str:
        parts = {"truncation": self.truncation, "kink": self.kink, "roundoff": self.roundoff}
        return max(parts, key=parts.__getitem__)

    def verdict(self, scale: float, tol: Tolerance) -> str:
        """'match', 'mismatch' or 'inconclusive' against a block scale (|g| in these units)."""
        floor = tol.passes_below * scale
        gap = abs(self.discrepancy)
        if gap > SIGNIFICANCE * self.bound and gap > floor:
            return "mismatch"
        if scale <= SIGNIFICANCE * self.bound and self.dominant_error == "roundoff":
            return "match"  # a gradient at round-off level, e.g. exactly 0 behind dead units: both agree it is ~0
        if self.bound > floor:
            return "inconclusive"
        return "match"


def probe(oracle: Oracle, block: int, grad: np.ndarray, v: np.ndarray, t: float, cost0: float, eps: float) -> Probe:
    """Compare <grad, v> with the cost's derivative along ``v`` on parameter ``block``."""
    diffs: list[float] = []
    seconds: list[float] = []
    analytic_at: list[float] = []
    magnitude = abs(cost0)
    for s in (t, 2.0 * t):
        plus = oracle.cost(block, s * v)
        minus = oracle.cost(block, -s * v)
        moved = plus.plus_delta - minus.plus_delta  # what really moved, after rounding
        numeric = (plus.cost - minus.cost) / (2.0 * s)
        analytic = float(np.dot(grad, moved)) / (2.0 * s)
        diffs.append(analytic - numeric)
        analytic_at.append(analytic)
        seconds.append(plus.cost - 2.0 * cost0 + minus.cost)
        magnitude = max(magnitude, abs(plus.cost), abs(minus.cost))
    d = (4.0 * diffs[0] - diffs[1]) / 3.0
    # Expected noise of one cost evaluation; each smoothness signal only counts beyond the noise
    # it carries itself (d_t - d_2t carries ~0.75, S_2t - 4 S_t ~8.4 evaluations' worth, over t).
    noise = ROUNDOFF_FACTOR * eps * max(magnitude, np.finfo(np.float64).tiny)
    roundoff = noise / t
    truncation = max(0.0, abs(diffs[0] - diffs[1]) - 1.0 * roundoff)
    kink = max(0.0, abs(seconds[1] - 4.0 * seconds[0]) / t - 9.0 * roundoff)
    analytic = analytic_at[0]
    if not all(np.isfinite([d, truncation, kink])):
        return Probe(analytic, float("nan"), float("inf"), t, float("inf"), float("inf"), roundoff, 4)
    return Probe(
        analytic=analytic,
        numeric=analytic - d,
        bound=truncation + kink + roundoff,
        step=t,
        truncation=truncation,
        kink=kink,
        roundoff=roundoff,
        evaluations=4,
    )


def central_difference(oracle: Oracle, block: int, grad: np.ndarray, v: np.ndarray, t: float) -> tuple[float, float]:
    """(analytic, numeric) along ``v`` from one central difference: 2 evaluations, for localization."""
    plus = oracle.cost(block, t * v)
    minus = oracle.cost(block, -t * v)
    moved = plus.plus_delta - minus.plus_delta
    return float(np.dot(grad, moved)) / (2.0 * t), (plus.cost - minus.cost) / (2.0 * t)
