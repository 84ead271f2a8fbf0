"""What every stage of a check shares at one point: the evaluator, the precision, each block's size
and unit, the directions and what the gradient predicts along them.

**Units.** A block's unit is its reference norm ``ref[b]``: the norm of its gradient, or, for a
block whose gradient is (nearly) zero, a thousandth of the blocks' median gradient norm; weights
``w[b] = 1 / ref[b]``. In a combined
direction every block then contributes a term of standard deviation about 1 to the slope, so
every block weighs the same, and a relative error r of block b moves the slope by about r.
Except where that weight would move a block by more than its ``cap`` per entry at the first step
(a gradient far smaller than the others', as in a deep network whose first layers barely get
any): such a block is weighed less, ``heft[b] = w[b] ref[b] < 1``, rather than moved out of the
region where its cost is linear, and what the combined directions say of it is that much weaker.

**Steps.** A combined direction moves block b by ``s * w[b] * u_b`` (u with unit-variance
entries), ``s`` in units of the cost: the first-order change of the cost per block. The first
step makes the round-off of a central difference a quarter of the tolerance floor. That is a
relative move of the parameters around 1e-7 in float64, 50 times smaller than the classic
eps^(1/3) (a block's ``cap``, eps^(1/3) of its RMS, is kept for steps of a block on its own):
ReLU kinks are crossed that much more rarely, and round-off stays below the floor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from nndoctor.gradcheck.directions import CHUNK, Directions, dot, dots, weighted_squares
from nndoctor.gradcheck.evaluator import MAX_INCREMENTS, Combined, Evaluator
from nndoctor.gradcheck.numeric import (
    ROUNDOFF_FACTOR,
    TINY,
    Line,
    Tolerance,
    measured_noise,
    median,
    natural_step,
    probe,
    tolerance_for,
    value_jump,
)

# Up to this many parameter entries (4 MB in float64) the analytic gradients are kept through the
# joint test (`Point.release_for_moves`): a few MB at most, one gradient call less on a failure.
HOLD_GRADIENTS = 500_000
# The round-off of the first look, as a fraction of the tolerance floor (sets the first step).
START_NOISE = 0.25
# The first step never moves a typical block by more than its natural step, nor by less than this
# fraction of it (a cost of exactly 0 would otherwise ask for no step at all).
MIN_STEP_FRACTION = 1e-4
# How much closer the noise is measured again, to tell crowded kinks from round-off, and how often.
CLOSER = 16.0
CLOSER_TIMES = 3
# Noise measured closer counts as kinks (looked at closer still) when it shrank at least this much.
SHRUNK = 2.0
# A block's reference norm is at least this fraction of the blocks' median gradient norm: a block
# whose gradient is (nearly) zero is weighed against what a typical block's gradient is.
REFERENCE_FLOOR = 1e-3
# A block's scale is at least this fraction of the blocks' median RMS (`_scale_zero_blocks`).
SCALE_FLOOR = 0.1
# The first step moves no entry of a block by more than this fraction of the block's RMS.
LARGEST_MOVE = 1e-3
# Rounding of a moved parameter to its dtype, as seen by the analytic side: four standard
# deviations of sum g_i (r+_i - r-_i) / 2, with r uniform within half a unit in the last place.
ROUNDING_SPREAD = 4.0 / (2.0 * np.sqrt(6.0))


@dataclass
class Precision:
    """The relative noise of one cost evaluation and the tolerance row it selects."""

    dtype_eps: float  # the coarsest dtype involved (parameters as evaluated, cost, gradients)
    work_eps: float  # the dtype the moved parameters are rounded to
    note: str = ""  # e.g. "float32 parameters evaluated in float64"
    eps: float = 0.0  # dtype_eps, or the cost's measured round-off where larger
    tol: Tolerance = field(init=False)

    def __post_init__(self) -> None:
        self.eps = max(self.eps, self.dtype_eps)
        self.tol = tolerance_for(self.eps)

    def raise_to(self, measured: float) -> bool:
        """Adopt a measured noise level above the current one; True when it changed anything."""
        if not measured > self.eps:
            return False
        self.eps = measured
        self.tol = tolerance_for(measured)
        return True

    @property
    def noisy(self) -> bool:
        """The cost was measured noisier than its dtype's round-off model allows."""
        return self.eps > ROUNDOFF_FACTOR * self.dtype_eps

    @property
    def label(self) -> str:
        notes = [self.note] if self.note else []
        own = tolerance_for(self.dtype_eps).label
        if self.tol.label != own:
            notes.append(f"the cost's own round-off, measured at {self.eps:.1g} of its value, is above {own}'s")
        return self.tol.label + (f" ({'; '.join(notes)})" if notes else "")


class Point:
    def __init__(self, ev: Evaluator, cost0: float, precision: Precision, seed: int,
                 grads: dict[int, np.ndarray], eps_step: float | None, squares: dict[int, float] | None = None) -> None:
        """``squares``: each gradient's g @ g where already computed."""
        self.ev = ev
        self.cost0 = cost0
        self.precision = precision
        self.seed = seed
        self._rng: np.random.Generator | None = None  # built when first drawn from (most checks never do)
        self.eps_step = eps_step  # the user's own per-entry step (eps=), if given
        self.directions = Directions(seed, ev.sizes)
        self.grads = grads  # flat float64 analytic gradients of the blocks still needed
        self.blocks = sorted(grads)
        self.norms, self.g2, self.scales = {}, {}, {}  # ||g_a||, sum (g_a theta)^2, RMS(theta)
        for b, g in grads.items():
            self.norms[b], self.g2[b], self.scales[b] = _stats(g, ev.bases[b], squares.get(b) if squares else None)
        self._scale_zero_blocks()
        self.weighted: dict[tuple[int, int], float] = {}  # (direction, block) -> <g_a, w u> as stored
        self.noise_measured_wide = False
        self.configure()

    @property
    def rng(self) -> np.random.Generator:
        """The check's own generator for sign patterns and bisection vectors, seeded with ``seed``."""
        if self._rng is None:
            self._rng = np.random.default_rng(self.seed)
        return self._rng

    def _scale_zero_blocks(self) -> None:
        """A block's scale is its RMS, but at least a tenth of the blocks' median RMS, and that
        median for an all-zero block (1 if every block is zero). A bias initialized at 0, or one
        that happens to be small, says nothing about the size of what it shifts; and in a deep
        network with small weights, the pre-activations are of the order of the weights'
        products, not of 1: a bias moved by 1e-6 can cross every ReLU kink of a layer."""
        known = [v for v in self.scales.values() if v > 0]
        typical = median(known) if known else 1.0
        for b, v in self.scales.items():
            self.scales[b] = typical if v <= 0 else max(v, SCALE_FLOOR * typical)

    # --- units and steps ---------------------------------------------------------------------
    def configure(self) -> None:
        """Caps, the first step and the reference norms, for the current precision."""
        rel = natural_step(self.precision.eps)
        self.caps = {b: rel * self.scales[b] for b in self.blocks}
        natural = [self.caps[b] * self.norms[b] for b in self.blocks if self.norms[b] > 0]
        typical = median(natural) if natural else 0.0
        target = (ROUNDOFF_FACTOR * self.precision.eps * max(abs(self.cost0), TINY)
                  / (START_NOISE * self.precision.tol.passes_below))
        if typical > 0:
            target = max(target, MIN_STEP_FRACTION * typical)
        self.first_step = target
        self.natural = typical if typical > 0 else target  # the classic step, for measuring the cost's noise
        norms = [self.norms[b] for b in self.blocks if self.norms[b] > 0]
        least = REFERENCE_FLOOR * median(norms) if norms else 1.0
        self.ref = {b: max(self.norms[b], least) for b in self.blocks}
        self.w = {b: self._weight(b) for b in self.blocks}
        self.heft = {b: self.w[b] * self.ref[b] for b in self.blocks}

    def _weight(self, b: int) -> float:
        """1 / ref[b], unless that moves block b by more than its cap per entry at the first step."""
        return min(1.0 / self.ref[b], LARGEST_MOVE * self.scales[b] / self.first_step)

    def measure_noise_wide(self, line: Line, step: float) -> bool:
        """The cost's round-off measured around the classic step on 17 points (`noise`), once per
        point: True when it raised the noise level (units recomputed)."""
        self.noise_measured_wide = True
        return self.adopt_noise(self.noise(line, step, points=17))

    def adopt_noise(self, noise: float) -> bool:
        if not self.precision.raise_to(noise):
            return False
        self.configure()
        return True

    def noise(self, line: Line, step: float, points: int) -> float:
        """The cost's round-off relative to its size, measured on ``points`` over [-2 step, 2 step]
        of ``line`` and, while that shows more than assumed, again 16 times closer, twice at most
        (points - 1 evaluations per scale, the probe's four included).

        Kinks are told from noise by the scale: crowded kinks look like noise at one scale, but 16
        times closer they are 16 times fewer, while round-off keeps its size. So the closer
        measurement is adopted while it is far smaller, unless the cost was seen to jump in value
        (`numeric.value_jump`), which a kink never does: a term losing precision moves in such
        jumps, and closer in it may not move at all. The jumps' size is a measure of that noise of
        its own, the better one when the statistic caught too few of them.
        """
        at = probe(line, step, self.precision.eps)
        if not at.finite:
            return 0.0
        noise = measured_noise(line, at, points)
        jump = value_jump(line, at, points)
        for _ in range(CLOSER_TIMES):
            if noise <= self.precision.eps or jump:
                break
            step /= CLOSER
            close = probe(line, step, self.precision.eps)
            if not close.finite:
                break
            closer = measured_noise(line, close, points)
            jump = value_jump(line, close, points)
            if closer >= noise / SHRUNK or jump:
                break  # it kept its size, or the cost jumps in value: round-off
            noise = closer  # it shrank with the scale: kinks, not noise; look closer still
        return max(noise, jump)

    def block_step(self, b: int, s: float) -> float:
        """The per-entry step of block b on its own that moves it as a combined step s does."""
        if self.eps_step is not None:
            return self.eps_step
        return s * self.w[b]

    # --- directions ----------------------------------------------------------------------------
    def project(self, k: int, blocks: list[int]) -> Combined:
        """Combined direction k over ``blocks``, each part weighted by w[b] (needs the gradients).

        Records, per block, the gradient's slope along the weighted part as stored in float32: exact
        for the numbers the parameters really move by."""
        vector = Combined(self.ev.sizes, blocks)
        self.directions.blocks(k, blocks, into=vector, weights=self.w)
        for b, slope in dots(self.grads, vector, blocks).items():
            self.weighted[(k, b)] = slope
        return vector

    def rounding(self, blocks: list[int], passes: float = 1.0) -> float:
        """The analytic side's rounding uncertainty (times the step) when ``blocks`` move together;
        ``passes``: how many roundings each moved entry may carry."""
        return ROUNDING_SPREAD * np.sqrt(passes) * self.precision.work_eps * float(np.sqrt(sum(self.g2[b] for b in blocks)))

    def joint_line(self, k: int, vector: Combined, signs: dict[int, float], blocks: list[int]) -> Line:
        """The cost along combined direction k restricted to ``blocks`` (signs already in ``vector``)."""
        analytic = sum(signs[b] * self.weighted[(k, b)] for b in blocks)
        sweep = (vector, blocks)
        return Line(lambda s: self.ev.cost(step=s, sweep=sweep), analytic, self.cost0,
                    self.rounding(blocks, passes=MAX_INCREMENTS + 1))

    def block_line(self, b: int, u: np.ndarray, sign: float = 1.0, analytic: float | None = None) -> Line:
        """The cost along ``sign * u`` moving block b alone (per unit of its own step), ``u`` turned
        in place. ``analytic``: the gradient's slope along ``u`` when already known."""
        slope = sign * (self.projection_of(b, u) if analytic is None else analytic)
        if sign != 1.0:
            u *= np.float32(sign)
        sweep = (Combined(self.ev.sizes, [b], part=u), [b])
        return Line(lambda t: self.ev.cost(step=t, sweep=sweep), slope, self.cost0,
                    self.rounding([b], passes=MAX_INCREMENTS + 1))

    def projection_of(self, b: int, u: np.ndarray) -> float:
        return dot(self.grads[b], u)

    def adopt(self, b: int, g: np.ndarray) -> None:
        """Take ``g`` (flat float64) as block b's analytic gradient: its norm, unit and rounding."""
        self.grads[b] = g
        self.norms[b], self.g2[b], self.scales[b] = _stats(g, self.ev.bases[b])
        self._scale_zero_blocks()
        if b not in self.blocks:
            self.blocks = sorted(self.blocks + [b])
        self.caps[b] = natural_step(self.precision.eps) * self.scales[b]
        self.ref[b] = max(self.norms[b], min(self.ref.values(), default=1.0))
        self.w[b] = self._weight(b)
        self.heft[b] = self.w[b] * self.ref[b]

    def release_for_moves(self) -> None:
        """Drop the gradients before the combined directions are measured, unless the parameters
        are small (HOLD_GRADIENTS): then they are kept, and a block found wrong is measured and
        diagnosed without a second call of the gradient function (about one forward+backward)."""
        if sum(self.ev.sizes) > HOLD_GRADIENTS:
            self.release_gradients()

    def release_gradients(self, blocks: list[int] | None = None) -> None:
        """Drop the analytic gradients (of ``blocks``, default all; their norms and projections
        stay): memory for the moves."""
        if blocks is None:
            self.grads = {}
        for b in blocks or ():
            self.grads.pop(b, None)


def _stats(g: np.ndarray, theta: np.ndarray, squares: float | None = None) -> tuple[float, float, float]:
    """||g||, sum (g theta)^2 and RMS(theta) (0 for an all-zero block: its scale is unknown).
    ``squares``: g @ g when already known (np.linalg.norm is the square root of it too)."""
    if squares is None:
        squares = g @ g
    if g.size <= CHUNK:
        t = theta if theta.dtype == np.float64 else theta.astype(np.float64)
        gt = g * t
        g2, rms = float(gt @ gt), math.sqrt(t @ t / t.size)
    else:
        g2, rms = weighted_squares(g, theta), math.sqrt(weighted_squares(theta) / theta.size)
    return math.sqrt(squares), g2, rms if math.isfinite(rms) else 0.0
