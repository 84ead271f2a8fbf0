"""The joint test: every block at once, from two combined directions.

Each direction moves every block at once, block b by ``s * w[b] * u_b`` (point.py), so the slope
of the cost along it is sum_b w[b] <g_b, u_b>, and what a wrong gradient adds to the analytic side
is sum_b w[b] <e_b, u_b>, e_b = g_a,b - g_b. For entries uniform on [-√3, √3] that sum has a
density at most 1 / (√6 w[b] ||e_b||) for each b (directions.py): the other blocks' terms, being
independent, can only spread it. So whatever the other blocks do, a block with ||e_b|| >= r ref[b]
passes one direction with probability at most √(2/3) τ / r, where τ is the largest discrepancy a
pass could hide (`numeric.threshold`), and two independent directions at most (√(2/3) τ / r)².

A direction is first looked at with one central difference (2 evaluations). Only a look that does
not pass is measured fully (2 more, for the error bound) before anything is concluded:

- a disagreement that stays the same at an 8 times smaller step is real: the blocks carrying it
  are then found by search.py;
- one that changes with the step, or a bound dominated by a kink, comes from ReLU kinks crossed
  by the steps: the direction is tried again with the blocks' signs redrawn (the kinks a direction
  crosses move with it; round-off does not), at a step halved once;
- the first measurement that is not clean also checks that the cost is the same at the same point
  (a random cost that was not replayed) and measures the cost's round-off, which raises the
  tolerance when the cost is noisier than its dtype (computed in float32 inside, log(1 - A) with A
  near 1).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from nndoctor.gradcheck.directions import ANTI_CONCENTRATION
from nndoctor.gradcheck.numeric import SIGNIFICANCE, Line, Probe, look, measured_noise, probe, threshold, verdict
from nndoctor.gradcheck.point import Point

DIRECTIONS = (1, 2)  # the two combined directions; blocks checked on their own use 3, 4, ...
RISK = 1e-3  # the probability the stated guarantee allows for missing an error of its size
MAX_ATTEMPTS = 4  # measurements per direction (sign patterns, smaller steps) before giving up
STEADY_SHRINK = 8.0  # a real disagreement is the same at an 8 times smaller step
STEADY_SLACK = 0.1  # ...within its bounds plus 10 % of itself
SMALLEST_STEP = 1.0 / 512.0  # of the first step: below, round-off swamps any disagreement worth finding


class RandomCost(Exception):
    """The cost gave another value at the same point: randomness the check could not replay."""

    def __init__(self, first: float, second: float) -> None:
        super().__init__(f"{first!r} then {second!r}")
        self.first, self.second = first, second


@dataclass
class Direction:
    """One combined direction as measured: the outcome and the numbers it rests on (units: 1 per block)."""

    k: int
    signs: dict[int, float]
    step: float
    outcome: str  # "match" | "mismatch" | "undecided"
    discrepancy: float = float("nan")
    bound: float = float("inf")
    reason: str = ""  # why undecided: "kink", "roundoff", "truncation", "non-finite"
    attempts: int = 0
    probe: Probe | None = field(default=None, repr=False)


class Joint:
    def __init__(self, point: Point) -> None:
        self.point = point
        self.step = point.first_step
        self.inspected = False
        self.parts: dict[int, dict[int, np.ndarray]] = {}

    def prepare(self, blocks: list[int]) -> None:
        """Draw both directions and record the gradient's slope along each (needs the gradients)."""
        for k in DIRECTIONS:
            self.parts[k] = self.point.project(k, blocks)

    def release(self) -> None:
        self.parts = {}

    def line(self, d: Direction, blocks: list[int]) -> Line:
        return self.point.joint_line(d.k, self.parts[d.k], d.signs, blocks)

    def measure(self, k: int, blocks: list[int]) -> Direction:
        p = self.point
        signs = {b: 1.0 for b in blocks}
        step, reason = self.step, "kink"
        attempts = 0
        while attempts < MAX_ATTEMPTS:
            attempts += 1
            d = Direction(k, signs, step, "undecided", attempts=attempts)
            line = self.line(d, blocks)
            first = look(line, step, p.precision.eps)
            if first.finite and verdict(first.discrepancy, first.noise, 1.0, p.precision.tol) == "match":
                self.step = step
                return _decided(d, "match", first.discrepancy, first.noise)
            pr = probe(line, step, p.precision.eps)
            if not self.inspected:
                self.inspected = True
                if self._inspect(line, pr):  # the cost is noisier than assumed: start again in its units
                    step, attempts = p.first_step, 0
                    continue
            outcome = pr.verdict(1.0, p.precision.tol)
            if outcome == "mismatch" and self._steady(line, pr):
                return _decided(d, "mismatch", pr.discrepancy, pr.bound, pr)
            if outcome == "match":
                self.step = step
                return _decided(d, "match", pr.discrepancy, pr.bound, pr)
            reason = "non-finite" if not pr.finite else ("kink" if outcome == "mismatch" else pr.dominant_error)
            # the kinks a direction crosses move with it; round-off does not
            signs = {b: float(s) for b, s in zip(blocks, p.rng.choice([-1.0, 1.0], size=len(blocks)))}
            if reason != "roundoff" and step / 2.0 >= SMALLEST_STEP * p.first_step:
                step /= 2.0
        return Direction(k, signs, step, "undecided", reason=reason, attempts=attempts)

    def _steady(self, line: Line, pr: Probe) -> bool:
        """Is a disagreement the same at an 8 times smaller step? A wrong gradient gives the same
        discrepancy at any step; kinks crowded near 0 and noise give one that moves with it."""
        small = look(line, pr.step / STEADY_SHRINK, self.point.precision.eps)
        if not small.finite:
            return False
        gap = abs(small.discrepancy - pr.discrepancy)
        return bool(gap <= SIGNIFICANCE * (pr.bound + small.noise) + STEADY_SLACK * abs(pr.discrepancy))

    def _inspect(self, line: Line, pr: Probe) -> bool:
        """The first measurement that is not clean: is the cost random, is it noisier than its dtype?

        Raises RandomCost when the cost changed at the same point. Returns True when the measured
        round-off raised the precision's noise level (units and steps were recomputed).
        """
        p = self.point
        again = p.ev.cost()
        if again != p.cost0 and not (np.isnan(again) and np.isnan(p.cost0)):
            raise RandomCost(p.cost0, again)
        if not pr.finite:
            return False
        if p.precision.raise_to(measured_noise(line, pr)):
            p.configure()
            self.step = p.first_step
            return True
        return False


def _decided(d: Direction, outcome: str, discrepancy: float, bound: float, pr: Probe | None = None) -> Direction:
    d.outcome, d.discrepancy, d.bound, d.probe = outcome, discrepancy, bound, pr
    return d


def ruled_out(thresholds: list[float]) -> float:
    """The relative error r (in units of the block's reference norm) that passing directions with
    these thresholds rule out with probability 1 - RISK: (√(2/3) τ_1 / r) ... (√(2/3) τ_K / r) = RISK."""
    if not thresholds:
        return float("inf")
    k = len(thresholds)
    geometric = float(np.exp(np.mean(np.log(thresholds))))
    return ANTI_CONCENTRATION * geometric / RISK ** (1.0 / k)


def course_relative(r: float, reference: float, norm: float) -> float | None:
    """The course's ||g_a - g|| / (||g_a|| + ||g||) that an error of r reference norms can reach,
    relative to the block's own gradient; None when that is no bound at all (r * ref >= ||g_a||)."""
    if norm <= 0:
        return None
    own = r * reference / norm
    return own / (2.0 - own) if own < 1.0 else None


__all__ = ["DIRECTIONS", "Direction", "Joint", "RISK", "RandomCost", "course_relative", "ruled_out", "threshold"]
