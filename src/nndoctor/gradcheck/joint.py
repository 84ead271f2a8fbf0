"""The joint test: every block at once, from two combined directions.

Each direction moves every block at once, block b by ``s * w[b] * u_b`` (point.py), so the slope
of the cost along it is sum_b w[b] <g_b, u_b>, and what a wrong gradient adds to the analytic side
is sum_b w[b] <e_b, u_b>, e_b = g_a,b - g_b. For entries uniform on [-√3, √3] that sum has a
density at most 1 / (√6 w[b] ||e_b||) for each b (directions.py): the other blocks' terms, being
independent, can only spread it. So whatever the other blocks do, a block with ||e_b|| >= r ref[b]
passes one direction with probability at most √(2/3) τ / r, where τ is the largest discrepancy a
pass could hide (`numeric.threshold`), and two independent directions at most (√(2/3) τ / r)².

A direction is first looked at with one forward difference from the known cost at the point (1
evaluation), then, if that does not pass, one central difference (1 more). Only a look that does
not pass is measured fully (2 more, for the error bound) before anything is concluded:

- a disagreement that stays the same at an 8 times smaller step is real: the blocks carrying it
  are then found by search.py;
- one that changes with the step, or a bound dominated by a kink, comes from ReLU kinks crossed
  by the steps: the direction is tried again with the blocks' signs redrawn (the kinks a direction
  crosses move with it; round-off does not), at a step halved once;
- the first measurement that is neither clean nor a steady disagreement also checks that the
  cost is the same at the same point (a random cost that was not replayed) and measures the
  cost's round-off, which raises the tolerance when the cost is noisier than its dtype (computed
  in float32 inside, log(1 - A) with A near 1).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from nndoctor.gradcheck.directions import ANTI_CONCENTRATION
from nndoctor.gradcheck.evaluator import Combined
from nndoctor.gradcheck.numeric import (
    SIGNIFICANCE,
    Line,
    Probe,
    Tolerance,
    glance,
    look,
    probe,
    threshold,
    verdict,
)
from nndoctor.gradcheck.point import Point

RISK = 1e-3  # the probability the stated guarantee allows for missing an error of its size
MAX_DIRECTIONS = 4  # combined directions are numbered 1..4; blocks measured alone draw their own
MAX_ATTEMPTS = 4  # measurements per direction (sign patterns, smaller steps) before giving up
STEADY_SHRINK = 8.0  # a real disagreement is the same at an 8 times smaller step
STEADY_SLACK = 0.1  # ...within its bounds plus 10 % of itself
# Of the first step: below a quarter of it, round-off (4 times the model's at the first step) is
# above the floor, and no measurement can vouch any more; trying smaller steps is pointless.
SMALLEST_STEP = 0.25


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
    attempts: int = 1  # directions (sign patterns, steps) tried: a pass among that many is that much likelier
    confirmed: bool = False  # a disagreement seen to hold at other steps
    probe: Probe | None = field(default=None, repr=False)

    def hides(self, bound: float, tol: Tolerance) -> float:
        """What a pass with this bound lets through, for the guarantee: the largest discrepancy it
        could hide, times the tries it took (a pass among m tries is at most m times likelier)."""
        return threshold(bound, 1.0, tol) * self.attempts


class Joint:
    def __init__(self, point: Point, fetch: Callable[[list[int]], None]) -> None:
        self.point = point
        self.fetch = fetch  # fetch(blocks): the analytic gradients into point.grads (a new call)
        self.blocks: list[int] = []
        self.step = point.first_step
        self.inspected = False
        self.confirmed = False  # a disagreement was confirmed steady: a real one
        self.units = 0  # counts changes of the blocks' units (a measured noise level raises them once)
        self.signs: dict[int, dict[int, float]] = {}  # the signs direction k's parts carry now
        self.drawn: set[int] = set()  # direction numbers used so far (a new one is max + 1)
        self.vectors: dict[int, Combined] = {}  # the combined directions, parts weighted and signed

    def prepare(self, blocks: list[int], count: int) -> None:
        """Draw ``count`` directions and record the gradient's slope along each (needs the gradients)."""
        self.blocks = list(blocks)
        for k in range(1, count + 1):
            self.add(k, blocks)

    def _new_units(self) -> None:
        """The weights changed (a measured noise level): every direction is weighted and projected
        again, which needs the gradients once more."""
        self.units += 1
        self.step = self.point.first_step
        self.fetch(self.blocks)
        for k in list(self.vectors):
            self.add(k, self.blocks)
        self.point.release_for_moves()

    def add(self, k: int, blocks: list[int]) -> None:
        self.drawn.add(k)
        self.vectors[k] = self.point.project(k, blocks)
        self.signs[k] = {b: 1.0 for b in blocks}

    def release(self) -> None:
        self.vectors, self.signs = {}, {}

    def line(self, d: Direction, blocks: list[int]) -> Line:
        self._sign(d.k, d.signs)
        return self.point.joint_line(d.k, self.vectors[d.k], d.signs, blocks)

    def redraw(self, d: Direction, blocks: list[int]) -> None:
        """Direction d's parts for ``blocks`` again (after a release), with d's signs."""
        vector = Combined(self.point.ev.sizes, blocks)
        self.point.directions.blocks(d.k, blocks, into=vector, weights=self.point.w)
        self.vectors[d.k], self.signs[d.k] = vector, {b: 1.0 for b in blocks}
        self._sign(d.k, d.signs)

    def _sign(self, k: int, signs: dict[int, float]) -> None:
        """Flip the parts of direction k whose sign differs from ``signs`` (exact in float32)."""
        vector, current = self.vectors[k], self.signs[k]
        flips = [b for b in vector.blocks if signs.get(b, 1.0) != current[b]]
        for b in flips:
            vector.part(b)[:] *= np.float32(-1.0)
            current[b] = -current[b]
        if flips:
            vector.version += 1

    def measure(self, k: int, blocks: list[int], wide: bool = False) -> Direction:
        """Measure combined direction k over ``blocks``: pass, real disagreement, or undecided.
        ``wide`` (the measurement of all blocks, not of parts of them): when every try stays
        undecided, measure the cost's noise at the classic step (once per point); and once a
        direction's disagreement was confirmed, take the next directions' looks as measurements."""
        p = self.point
        signs = {b: 1.0 for b in blocks}
        step, reason = self.step, "kink"
        attempts = tries = 0
        while True:
            if attempts == MAX_ATTEMPTS:
                # kinks at every try, or noise the small steps could not show: look at the classic step
                if not wide or p.noise_measured_wide or not self._inspect_wide(self.line(Direction(k, signs, step, ""), blocks)):
                    break
                step, attempts = p.first_step, 0
            attempts += 1
            tries += 1
            d = Direction(k, signs, step, "undecided", attempts=tries)
            line = self.line(d, blocks)
            for quick in (glance, look):  # one evaluation, then two, before measuring properly
                seen = quick(line, step, p.precision.eps)
                if seen.finite and verdict(seen.discrepancy, seen.noise, 1.0, p.precision.tol) == "match":
                    self.step = step
                    return _decided(d, "match", seen.discrepancy, seen.noise)
            if wide and self.confirmed and seen.finite and quick is look:
                # the gradient is known wrong: this direction's disagreement is a measurement to
                # take shares from, not a doubt to settle (a kink in it only sends the search on)
                return _decided(d, "mismatch", seen.discrepancy, seen.noise)
            if self.confirmed and not wide and attempts < MAX_ATTEMPTS:
                # some blocks only, the gradient known wrong elsewhere: a look that does not pass
                # most often crossed a kink, and the next signs and step are tried without probing
                # it (2 evaluations a try spared); the last try is probed, to tell a real
                # disagreement of these blocks from kinks
                signs = {b: float(s) for b, s in zip(blocks, p.rng.choice([-1.0, 1.0], size=len(blocks)))}
                if step / 2.0 >= SMALLEST_STEP * p.first_step:
                    step /= 2.0
                continue
            pr = probe(line, step, p.precision.eps)
            outcome = pr.verdict(1.0, p.precision.tol)
            real = outcome == "mismatch" and (self.confirmed or self._steady(line, pr))
            coarse = quantized(line)
            if not self.inspected and (not real or coarse) and (wide or not self.confirmed or coarse):
                # A disagreement steady over three steps is neither float64 round-off nor an
                # unreplayed random cost (both move with the step), unless the cost moves in coarse
                # steps: flat over the small steps, it stays off by the whole slope at each of them.
                # Once one is confirmed, measurements of some blocks only (the others' share,
                # halves) are not inspected unless the cost moves in coarse steps: an undecided one
                # is then most often a kink, which the next signs avoid, while the grid, where kinks
                # are dense (a deep ReLU network), would read them as noise and widen every bound.
                self.inspected = True
                if self._inspect(line, pr):  # the cost is noisier than assumed: start again in its units
                    step, attempts = p.first_step, 0
                    continue
            if real:
                # one direction's disagreement seen to hold at other steps: the gradient is wrong
                # somewhere, and the next directions' disagreements are measurements, not doubts
                d.confirmed = not self.confirmed
                self.confirmed = True
                return _decided(d, "mismatch", pr.discrepancy, pr.bound, pr)
            if outcome == "match":
                self.step = step
                return _decided(d, "match", pr.discrepancy, pr.bound, pr)
            reason = "non-finite" if not pr.finite else ("kink" if outcome == "mismatch" else pr.dominant_error)
            # the kinks a direction crosses move with it; round-off does not
            signs = {b: float(s) for b, s in zip(blocks, p.rng.choice([-1.0, 1.0], size=len(blocks)))}
            if reason != "roundoff" and step / 2.0 >= SMALLEST_STEP * p.first_step:
                step /= 2.0
        return Direction(k, signs, step, "undecided", reason=reason, attempts=tries)

    def _steady(self, line: Line, pr: Probe) -> bool:
        return steady(line, pr, self.point.precision.eps, self.point.natural)

    def _inspect_wide(self, line: Line) -> bool:
        """The cost's round-off measured at the classic step, eps^(1/3) of the parameters, on 17 points
        (16 evaluations, once): at the far smaller steps used otherwise, a term that loses precision (log(1 - A), A
        within 1e-9 of 1) may move by a few units in its last place only, a staircase that looks
        like kinks, not noise. Only asked when a direction stayed undecided at every try, since at
        the classic step the kinks of a deep ReLU network can pass for noise themselves."""
        if not self.point.measure_noise_wide(line, self.point.natural):
            return False
        self._new_units()
        return True

    def _inspect(self, line: Line, pr: Probe) -> bool:
        """The first measurement that is not clean: is the cost random, is it noisier than its dtype?

        Raises RandomCost when the cost changed at the same point (1 evaluation). Returns True when
        the round-off measured around ``pr`` (4 evaluations, 8 or 16 more to tell kinks from it)
        raised the precision's noise level (units and steps were recomputed).
        """
        p = self.point
        again = p.ev.cost()
        if again != p.cost0 and not (np.isnan(again) and np.isnan(p.cost0)):
            raise RandomCost(p.cost0, again)
        if not pr.finite or not p.adopt_noise(p.noise(line, pr.step, points=9)):
            return False
        self._new_units()
        return True


def steady(line: Line, pr: Probe, eps: float, classic: float) -> bool:
    """Is a disagreement real? It must be the same at an 8 times smaller step (2 if at 8 it would
    drown in round-off; none if at 2 already), and at a larger one,
    the classic step eps^(1/3) of the parameters or 8 times the step, within that measurement's
    own bound (2 + 2 evaluations, 2 more when the look at the larger step disagrees, for a
    disagreement about to be believed).

    A wrong gradient gives the same discrepancy at any step. Noise and kinks crowded near 0 give
    one that moves with the step, and a smaller step shows it. A term that loses precision (log(1 -
    A), A within 1e-9 of 1) can stay flat over tiny steps, hiding its slope at all of them alike;
    at the classic step it moves and the disagreement is gone. There a deep ReLU network crosses
    kinks, but those widen that probe's bound, which then does not contradict the disagreement.
    """
    for shrink in (STEADY_SHRINK, 2.0):
        # closer, but not so close that the disagreement drowns in round-off: agreeing with a look
        # that cannot tell it from 0 would be no evidence at all
        small = look(line, pr.step / shrink, eps)
        if small.finite and SIGNIFICANCE * small.noise < abs(pr.discrepancy) / 2.0:
            break
    else:
        return False  # too close to the round-off to be confirmed at any smaller step
    if not _agree(pr.discrepancy, pr.bound, small.discrepancy, SIGNIFICANCE * small.noise):
        return False
    if small.discrepancy * pr.discrepancy <= 0 or abs(small.discrepancy) <= SIGNIFICANCE * small.noise:
        return False  # closer, it is no disagreement of its own: the probe's was a kink it crossed
    if _kink_at_zero(line, pr.step, small.step, small.noise):
        return False
    far = max(classic, STEADY_SHRINK * pr.step)
    glimpse = look(line, far, eps)  # a look first: agreeing within its round-off, it confirms as a probe would
    if glimpse.finite and _agree(pr.discrepancy, pr.bound, glimpse.discrepancy, SIGNIFICANCE * glimpse.noise):
        return True
    wide = probe(line, far, eps)
    return not wide.finite or _agree(pr.discrepancy, pr.bound, wide.discrepancy, wide.bound)


def quantized(line: Line) -> bool:
    """Does the cost move in steps coarser than float64's along the line: the same value at two
    different steps (a flat stretch), or every value a float32 number? A smooth float64 cost
    does neither but by a chance of about 2**-29 per value."""
    values = np.fromiter(line.values.values(), dtype=np.float64)
    if np.unique(values).size < values.size:
        return True
    return bool(np.all(np.isfinite(values)) and np.array_equal(values.astype(np.float32).astype(np.float64), values))


def _kink_at_zero(line: Line, t: float, closer: float, noise: float) -> bool:
    """A kink exactly at the point (a pre-activation exactly 0: a zero bias and an example whose
    inputs to the layer are all 0): the cost's bend (phi(h) + phi(-h) - 2 phi(0)) / h keeps its
    size as h shrinks, where a smooth cost's shrinks with h. There the central difference is the
    average of the two one-sided slopes at every step: steady, and off by up to the kinks' jumps,
    while the bend, a sum of jumps of either sign, may nearly cancel and bound nothing."""
    def bend(h: float) -> float:
        return (line.at(h) + line.at(-h) - 2.0 * line.cost0) / h

    far, near = bend(t), bend(closer)
    return abs(near) > 2.0 * SIGNIFICANCE * noise and abs(near - far) <= 0.5 * abs(far)


def _agree(d: float, bound: float, other: float, other_error: float) -> bool:
    """Two measurements of one disagreement agree: within what each can be off (a probe's bound,
    which already is a worst case, counted once), plus STEADY_SLACK of it."""
    return abs(other - d) <= bound + other_error + STEADY_SLACK * abs(d)


def _decided(d: Direction, outcome: str, discrepancy: float, bound: float, pr: Probe | None = None) -> Direction:
    d.outcome, d.discrepancy, d.bound, d.probe = outcome, discrepancy, bound, pr
    return d


def target(tol: Tolerance) -> float:
    """The relative error (in reference norms) a pass must rule out: the tolerance's error level in
    the course's measure, ||e|| / (||g_a|| + ||g||) = level, i.e. ||e|| / ||g_a|| = 2 level / (1 - level)."""
    return 2.0 * tol.error_above / (1.0 - tol.error_above)


def directions_needed(tol: Tolerance) -> int:
    """How many directions must pass for the target at RISK, when each is measured at its usual
    precision (round-off a quarter of the floor): 2 in float64, 3 at float32's tolerances."""
    typical = ANTI_CONCENTRATION * 1.25 * tol.passes_below / target(tol)
    needed = int(np.ceil(np.log(RISK) / np.log(typical))) if typical < 1 else MAX_DIRECTIONS
    return min(max(needed, 2), MAX_DIRECTIONS)


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


__all__ = ["Direction", "Joint", "RISK", "RandomCost", "course_relative", "directions_needed", "ruled_out", "target",
           "threshold"]
