"""One block on its own: probes along its own directions, judged in the block's unit.

Used for the blocks the joint test points at (along the joint directions' parts for the block, at
the same step, so that their share can be taken out of the combined measurement), for blocks the
joint test could not vouch for, and for a gradient's candidate values (shapes). A block is

- 'mismatch' when a probe disagrees beyond its bound and the floor, and the disagreement is the
  same at an 8 times smaller step (kinks crowded near 0 give one that moves with the step);
- 'ok' when enough directions agree that the error the block could hide is ruled out
  (joint.ruled_out) below the tolerance's error level, at the stated risk;
- 'inconclusive' when the measurements could not decide (the reason: the last bound's dominant
  error, or 'non-finite' when the cost stopped being a number under the steps).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from nndoctor.gradcheck.directions import dot, dot_transposed
from nndoctor.gradcheck.joint import ruled_out, steady
from nndoctor.gradcheck.numeric import SIGNIFICANCE, Line, Probe, look, probe, threshold
from nndoctor.gradcheck.point import Point

MAX_ATTEMPTS = 6  # directions and steps tried per block
LARGEST_GROWTH = 1e-2  # a block alone, against round-off, is moved by at most this fraction of its scale
FRESH = 10  # the first direction number a block draws for itself (the combined ones are 1..4)


@dataclass(frozen=True)
class Planned:
    """A direction to measure block b along: direction number, sign, per-entry step, recorded slope."""

    k: int
    sign: float
    step: float
    analytic: float | None = None


@dataclass(frozen=True)
class Expected:
    """What a combined measurement says block b carries along one direction, with its bound."""

    discrepancy: float
    bound: float


@dataclass
class Measurement:
    k: int
    sign: float
    probe: Probe
    verdict: str
    # a disagreement's direction projected on theta and on g_a.T (a square matrix), taken while the
    # direction is at hand for classify.py, which would otherwise draw it again
    theta: float | None = None
    transposed: float | None = None


@dataclass
class BlockResult:
    status: str  # "ok" | "mismatch" | "inconclusive"
    measurements: list[Measurement] = field(default_factory=list)
    ruled_out: float = float("inf")  # in units of the block's reference norm
    reason: str = ""
    evaluations: int = 0
    step: float | None = None

    @property
    def mismatches(self) -> list[Measurement]:
        return [m for m in self.measurements if m.verdict == "mismatch"]

    @property
    def matches(self) -> list[Measurement]:
        return [m for m in self.measurements if m.verdict == "match"]

    def along(self, k: int) -> Measurement | None:
        return next((m for m in self.measurements if m.k == k), None)


def check_block(point: Point, b: int, plan: list[Planned], wanted: float, more: bool = True,
                expected: dict[int, Expected] | None = None) -> BlockResult:
    """Measure block b along ``plan``, then along fresh directions (``more``) until it is decided.

    ``wanted``: the relative error (in reference norms) a pass must rule out. ``expected``: per
    direction, the discrepancy the combined measurement says this block carries (a disagreement
    confirmed steady there): a disagreement of the block alone that matches it needs no steadiness
    check of its own, and when that measurement was clean, a look that matches it is measurement
    enough (`_confirmed_look`).
    """
    before = point.ev.evaluations
    result = BlockResult("inconclusive")
    queue = list(plan)
    fresh = FRESH
    steady_confirmed = False
    last_step = plan[0].step if plan else point.block_step(b, point.first_step)
    classic = point.eps_step if point.eps_step is not None else point.caps[b]
    for _ in range(MAX_ATTEMPTS):
        if not queue:
            if not more or point.grads.get(b) is None:
                break
            queue.append(Planned(fresh, 1.0, last_step))
            fresh += 1
        planned = queue.pop(0)
        u = point.directions.block(planned.k, b)
        analytic = planned.analytic if planned.analytic is not None else point.projection_of(b, u)
        line = point.block_line(b, u, planned.sign, analytic)
        known = (expected or {}).get(planned.k)
        scale = point.ref[b]
        pr = _confirmed_look(line, planned.step, point.precision.eps, known) if known is not None else None
        if pr is None or pr.verdict(scale, point.precision.tol) != "mismatch":
            pr = probe(line, planned.step, point.precision.eps)  # reuses the look's two evaluations
        outcome = pr.verdict(scale, point.precision.tol)
        if outcome == "mismatch" and not steady_confirmed and _carries(pr, known):
            steady_confirmed = True  # it is the combined disagreement, already confirmed steady
        if outcome == "mismatch" and not steady_confirmed:
            if steady(line, pr, point.precision.eps, classic):
                steady_confirmed = True  # one disagreement seen to hold at other steps: the block is wrong
            else:
                outcome = "inconclusive"  # it moves with the step: kinks crowded near 0, or noise
                result.reason = "kink"
        last_step = planned.step
        if outcome == "inconclusive":
            result.reason = result.reason if result.reason == "kink" else ("non-finite" if not pr.finite else pr.dominant_error)
            if point.eps_step is None:
                if pr.dominant_error == "roundoff" and pr.finite:
                    largest = max(classic, LARGEST_GROWTH * point.scales[b])
                    if planned.step >= largest:
                        break  # round-off even at the largest step: the gradient is too small to measure
                    last_step = min(planned.step * 4.0, largest)
                else:
                    last_step = planned.step * 0.25
            continue
        measurement = Measurement(planned.k, planned.sign, pr, outcome)
        if outcome == "mismatch":
            _project(point, b, u, measurement)
        result.measurements.append(measurement)
        if outcome == "mismatch" and len(result.mismatches) >= 2:
            break
        if outcome == "match" and result.mismatches:
            break  # one direction disagreed, this one agrees: a real but direction-dependent error
        if not result.mismatches and _vouched(point, b, result) <= wanted and not queue:
            break
    result.evaluations = point.ev.evaluations - before
    result.step = last_step
    if result.mismatches:
        result.status = "mismatch"
    elif result.matches:
        result.ruled_out = _vouched(point, b, result)
        result.status = "ok" if result.ruled_out <= wanted else "inconclusive"
        if result.status == "inconclusive" and not result.reason:
            result.reason = result.matches[-1].probe.dominant_error
    return result


def _project(point: Point, b: int, u: np.ndarray, m: Measurement) -> None:
    """<theta, v> and, for a square matrix, <g_a.T, v>, v the signed direction (u, turned in place
    by block_line)."""
    m.theta = dot(point.ev.bases[b], u)
    shape = tuple(point.ev.shapes[b])
    if len(shape) == 2 and shape[0] == shape[1] > 1 and b in point.grads:
        m.transposed = dot_transposed(point.grads[b], shape, u)


def _carries(pr: Probe, expected: Expected | None) -> bool:
    """The block's own discrepancy is the combined one's (to its bound plus 10 %)."""
    if expected is None:
        return False
    return abs(pr.discrepancy - expected.discrepancy) <= 4.0 * pr.bound + 0.1 * abs(expected.discrepancy)


def _confirmed_look(line: Line, t: float, eps: float, expected: Expected) -> Probe | None:
    """A look (2 evaluations) standing in for a probe (4), or None.

    The combined probe that found the disagreement bounded its kinks and truncation; when that
    bound is within the look's own round-off and the look gives the same discrepancy, the look has
    crossed no kink either (a kink would move it off by its jump), and the two measurements
    together bound it: its round-off, the combined bound and the gap between them. Only a
    disagreement stands in for the probe (the caller probes otherwise)."""
    seen = look(line, t, eps)
    if not seen.finite or expected.bound > SIGNIFICANCE * seen.noise:
        return None
    gap = abs(seen.discrepancy - expected.discrepancy)
    if gap > SIGNIFICANCE * seen.noise + expected.bound:
        return None
    # the combined bound and the gap are what the look may be off by beyond its round-off: a
    # truncation-like allowance, not a kink seen (a kink would send the block to be measured off it)
    return Probe(seen.analytic, seen.numeric, seen.noise + expected.bound + gap, t, expected.bound + gap, 0.0, seen.noise)


def _vouched(point: Point, b: int, result: BlockResult) -> float:
    scale = point.ref[b]
    return ruled_out([threshold(m.probe.bound, scale, point.precision.tol) / scale for m in result.matches])


__all__ = ["BlockResult", "Expected", "Measurement", "Planned", "check_block"]
