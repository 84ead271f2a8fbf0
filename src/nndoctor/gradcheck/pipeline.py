"""The stages of a check at one point, for a set of blocks: joint test, search, blocks alone, diagnosis.

1. The joint test (joint.py) measures every block at once along two combined directions. When
   both agree, every block is vouched for: done, whatever the number of blocks.
2. A combined direction that disagrees is followed down to the blocks that carry the
   disagreement (search.py).
3. Those blocks are measured on their own along their parts of the same directions, at the same
   steps (block.py). Their shares then come out of the combined measurements: what remains is
   the other blocks' share, and when it agrees along both directions, the other blocks are vouched
   for by it. When it does not, the search goes on among them.
4. Blocks no combined measurement could vouch for (kinks at every try, a cost that turns NaN
   under the steps) are checked on their own.
5. Each block found wrong is diagnosed: kind, size, worst entries (diagnose.py).

The gradients are only needed to draw a direction (its slope) and to diagnose; between, they are
released and fetched again for the few blocks that need them (``fetch``), so that the memory the
check holds is the moving parameters and the directions, not a copy of every gradient as well.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from nndoctor.gradcheck.block import BlockResult, Planned, check_block
from nndoctor.gradcheck.diagnose import Found, diagnose
from nndoctor.gradcheck.joint import (
    MAX_DIRECTIONS,
    Direction,
    Joint,
    course_relative,
    directions_needed,
    ruled_out,
    target,
)
from nndoctor.gradcheck.numeric import threshold, verdict
from nndoctor.gradcheck.point import Point
from nndoctor.gradcheck.search import carriers

SEARCH_ROUNDS = 3  # rounds of search among the remaining blocks before checking them one by one
SMALL_DISAGREEMENT = 0.1  # of the slope: a disagreement that small could be a staircase of round-off
NOISE_DIRECTION = 99  # the direction a block's noise is measured along
Fetch = Callable[[list[int]], None]  # fetch(blocks): the analytic gradients of ``blocks`` into point.grads


@dataclass
class Outcome:
    """One block's verdict at a point."""

    status: str  # "ok" | "mismatch" | "inconclusive"
    ruled_out: float | None = None  # the course's relative error ruled out at joint.RISK (None: not stated)
    relative_error: float | None = None
    reason: str = ""  # why inconclusive: "kink", "roundoff", "truncation", "non-finite"
    found: Found | None = None  # what a mismatch is
    evaluations: int = 0  # spent on this block alone (the joint test's are shared)
    directions: int = 0
    step: float | None = None  # the per-entry step of its deciding measurements
    joint: bool = False  # vouched for by the joint test


def examine(point: Point, blocks: list[int], fetch: Fetch, shapes: dict[int, tuple[int, ...]], worst: int) -> dict[int, Outcome]:
    joint = Joint(point, fetch)
    joint.prepare(blocks, directions_needed(point.precision.tol))
    point.release_gradients()
    directions: list[Direction] = []
    k = 0
    while len(directions) < directions_needed(point.precision.tol) and k < MAX_DIRECTIONS:
        k += 1
        if k not in joint.vectors:  # the cost turned out noisier than its dtype: one more direction
            fetch(blocks)
            joint.add(k, blocks)
            point.release_gradients()
        units = joint.units
        d = joint.measure(k, blocks)
        if joint.units != units:
            directions = []  # measured in new units: the directions before it are void
        directions.append(d)
    decided = [d for d in directions if d.outcome != "undecided"]
    if len(decided) == len(directions) and all(d.outcome == "match" for d in decided):
        r = ruled_out([threshold(d.bound, 1.0, point.precision.tol) for d in decided])
        if r <= target(point.precision.tol):
            return {b: _vouched(point, b, r, [d.discrepancy for d in decided], decided) for b in blocks}
    disagreeing = next((d for d in decided if d.outcome == "mismatch"), None)
    candidates = carriers(joint, disagreeing, blocks, disagreeing.discrepancy, disagreeing.bound) if disagreeing else []
    joint.release()
    point.ev.release_work()
    results: dict[int, BlockResult] = {}
    _check(point, candidates, decided, results, fetch)
    rest = [b for b in blocks if b not in results]
    vouched_by, remainders = None, []
    for _ in range(SEARCH_ROUNDS):
        if not rest or not decided:
            break
        shares = [_rest_share(point, d, results) for d in decided]
        pointing = next(((d, s) for d, s in zip(decided, shares) if s is not None and s[2] == "mismatch"), None)
        if pointing is None:
            matched = [s for s in shares if s is not None and s[2] == "match"]
            r = ruled_out([threshold(bound, 1.0, point.precision.tol) for _, bound, _ in matched])
            vouched_by = r if len(matched) == len(decided) and r <= target(point.precision.tol) else None
            remainders = [share for share, _, _ in matched]
            break
        d, (share, bound, _) = pointing
        joint.redraw(d, rest)
        found = carriers(joint, d, rest, share, bound)
        joint.release()
        point.ev.release_work()
        _check(point, found, decided, results, fetch)
        rest = [b for b in rest if b not in results]
    outcomes = {}
    if vouched_by is not None:
        outcomes = {b: _vouched(point, b, vouched_by, remainders, decided) for b in rest}
    else:
        _check(point, rest, decided, results, fetch)
    if _noise_in_question(point, results):
        fetch(blocks)  # the units changed: everything is measured again in them
        return examine(point, blocks, fetch, shapes, worst)
    for b, result in results.items():
        outcomes[b] = _outcome(point, b, result, shapes[b], worst)
    point.release_gradients()
    return outcomes


def _noise_in_question(point: Point, results: dict[int, BlockResult]) -> bool:
    """A small disagreement, before it is believed: is the cost noisier than measured so far?

    The noise measured at the small steps can miss a term that loses precision (log(1 - A), A within
    1e-9 of 1): over a tiny step it moves by a unit or two in its last place, and its slope hides in
    that staircase, where it reads as a small steady disagreement. Once per point, the noise is
    measured at the classic step along the first such block (16 evaluations). True when it was
    higher: the caller starts again in the new units.
    """
    if point.noise_measured_wide:
        return False
    for b, result in results.items():
        small = [m for m in result.mismatches
                 if abs(m.probe.discrepancy) < SMALL_DISAGREEMENT * max(abs(m.probe.analytic), abs(m.probe.numeric))]
        if small and b in point.grads:
            u = point.directions.block(NOISE_DIRECTION, b)
            return point.measure_noise_wide(point.block_line(b, u), point.caps[b])
    return False


def _check(point: Point, blocks: list[int], decided: list[Direction], results: dict[int, BlockResult], fetch: Fetch) -> None:
    """Check ``blocks`` on their own, first along their parts of the decided combined directions."""
    if not blocks:
        return
    fetch(blocks)
    wanted = target(point.precision.tol)
    for b in blocks:
        plan = [Planned(d.k, d.signs[b], point.block_step(b, d.step)) for d in decided]
        results[b] = check_block(point, b, plan, wanted)


def _rest_share(point: Point, d: Direction, results: dict[int, BlockResult]) -> tuple[float, float, str] | None:
    """What the blocks not checked alone contribute along ``d``: the combined discrepancy minus the
    measured shares of the blocks that were (each w_b times its own discrepancy); None when a
    share is missing."""
    share, bound = d.discrepancy, d.bound
    for b, result in results.items():
        m = result.along(d.k)
        if m is None or not m.probe.finite:
            return None
        share -= point.w[b] * m.probe.discrepancy
        bound += point.w[b] * m.probe.bound
    return share, bound, verdict(share, bound, 1.0, point.precision.tol)


def _vouched(point: Point, b: int, r: float, discrepancies: list[float], decided: list[Direction]) -> Outcome:
    """A block the combined directions vouch for; its relative error is theirs: the largest
    discrepancy over the size of the combined slope (sqrt of the number of blocks), halved as in
    the course's measure."""
    relative = max(abs(x) for x in discrepancies) / (2.0 * np.sqrt(len(point.blocks)))
    return Outcome("ok", course_relative(r, point.ref[b], point.norms[b]), relative, directions=len(decided),
                   step=point.block_step(b, min(d.step for d in decided)), joint=True)


def _outcome(point: Point, b: int, result: BlockResult, shape: tuple[int, ...], worst: int) -> Outcome:
    out = Outcome(result.status, reason=result.reason, evaluations=result.evaluations,
                  directions=len(result.measurements), step=result.step)
    norm = point.norms[b]
    if result.status == "ok":
        out.ruled_out = course_relative(result.ruled_out, point.ref[b], norm)
        deciding = result.matches[0].probe
        out.relative_error = abs(deciding.discrepancy) / max(norm + abs(deciding.numeric), 1e-300)
        if norm == 0.0 and deciding.numeric == 0.0:
            out.relative_error = 0.0
    elif result.status == "mismatch":
        before = point.ev.evaluations
        out.found = diagnose(point, b, result, shape, worst)
        out.relative_error = out.found.diagnosis.relative_error
        out.evaluations += point.ev.evaluations - before
    return out
