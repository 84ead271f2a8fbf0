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

from nndoctor.gradcheck.block import BlockResult, Expected, Planned, check_block
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
from nndoctor.gradcheck.numeric import verdict
from nndoctor.gradcheck.point import Point
from nndoctor.gradcheck.search import carriers

SEARCH_ROUNDS = 3  # rounds of search among the remaining blocks before checking them one by one
SMALL_DISAGREEMENT = 0.01  # of the slope: a disagreement that small could be a staircase of round-off
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
    point.release_for_moves()
    directions: list[Direction] = []
    k = 0
    while len(directions) < directions_needed(point.precision.tol) and k < MAX_DIRECTIONS:
        k += 1
        if k not in joint.vectors:  # the cost turned out noisier than its dtype: one more direction
            fetch(blocks)
            joint.add(k, blocks)
            point.release_for_moves()
        units = joint.units
        d = joint.measure(k, blocks, wide=True)
        if joint.units != units:
            directions = []  # measured in new units: the directions before it are void
        directions.append(d)
    decided = [d for d in directions if d.outcome != "undecided"]
    results: dict[int, BlockResult] = {}
    rest = list(blocks)
    vouched_by, remainders = None, []
    passed: dict[int, Passed] = {}  # directions the rest's share passed along, when it is not vouched for
    if len(decided) == len(directions) and all(d.outcome == "match" for d in decided):
        r = ruled_out([d.hides(d.bound, point.precision.tol) for d in decided])
        if r <= target(point.precision.tol) and not _light(point, blocks, r):
            return _vouched(point, blocks, r, [d.discrepancy for d in decided], decided)
        if r <= target(point.precision.tol):
            vouched_by, remainders = r, [d.discrepancy for d in decided]
    disagreeing = next((d for d in decided if d.outcome == "mismatch"), None)
    candidates = carriers(joint, disagreeing, blocks, disagreeing.discrepancy, disagreeing.bound) if disagreeing else []
    joint.release()
    point.ev.release_work()
    _check(point, candidates, decided, results, fetch)
    rest = _unsettled(blocks, results)
    for _ in range(SEARCH_ROUNDS if vouched_by is None else 0):
        if not rest or not decided:
            break
        # a direction whose combined probe was dominated by kinks has the rest's parts cross them
        # too at its step: it comes last, when another direction may have found a step that passes
        shares = [_share(point, joint, d, results, rest) for d in sorted(decided, key=_kinked)]
        pointing = next(((d, sh) for d, sh in shares if sh[2] == "mismatch"), None)
        if pointing is None:
            matched = [(d, sh) for d, sh in shares if sh[2] == "match"]
            r = ruled_out([d.hides(bound, point.precision.tol) for d, (_, bound, _) in matched])
            vouched_by = r if len(matched) == len(decided) and r <= target(point.precision.tol) else None
            remainders = [share for _, (share, _, _) in matched]
            passed = {d.k: Passed(d, bound, share) for d, (share, bound, _) in matched}
            break
        d, (share, bound, _) = pointing
        joint.redraw(d, rest)
        found = carriers(joint, d, rest, share, bound)
        joint.release()
        point.ev.release_work()
        _check(point, [b for b in found if b not in results], decided, results, fetch)
        rest = _unsettled(blocks, results)
    outcomes = {}
    if vouched_by is not None:
        light = _light(point, rest, vouched_by)
        outcomes = _vouched(point, [b for b in rest if b not in light], vouched_by, remainders, decided)
        for b in outcomes:
            results.pop(b, None)  # undecided alone, vouched for with the rest
        _check(point, [b for b in light if b not in results], decided, results, fetch)
    else:
        unsure = [b for b in rest if b not in results]
        outcomes = _certify(point, joint, unsure, decided, results, fetch, passed)
    missing = [b for b, r in results.items() if r.status == "mismatch" and b not in point.grads]
    if missing:
        fetch(missing)
    for b, result in results.items():
        outcomes[b] = _outcome(point, b, result, shapes[b], worst)
    if _noise_in_question(point, joint, blocks, outcomes):
        fetch(blocks)  # the units changed: everything is measured again in them
        return examine(point, blocks, fetch, shapes, worst)
    point.release_gradients()
    return outcomes


def _noise_in_question(point: Point, joint: Joint, blocks: list[int], outcomes: dict[int, Outcome]) -> bool:
    """A weak disagreement, before it is reported: is the cost noisier than measured so far?

    The noise measured at the small steps can miss a term that loses precision (log(1 - A), A within
    1e-9 of 1): over a tiny step it moves by a unit or two in its last place, and its slope hides in
    that staircase, where it reads as a small steady disagreement, or blurs a wrong factor into an
    unnamed error. So a disagreement under 1 % of the gradient, or unnamed, with no entry measured
    far off on its own, is not believed before the noise is measured at the classic step along the first combined
    direction, all blocks moving (once per point: 16, and 16 or 32 more to tell kinks from it).
    True when it was higher: the caller starts again in the new units.
    """
    if point.noise_measured_wide:
        return False
    weak = [o for o in outcomes.values() if o.found is not None and not o.found.entry_wrong and
            (o.found.diagnosis.relative_error < SMALL_DISAGREEMENT or o.found.diagnosis.kind == "other")]
    if not weak:
        return False
    d = Direction(1, {b: 1.0 for b in blocks}, point.first_step, "undecided")
    joint.redraw(d, blocks)
    raised = point.measure_noise_wide(joint.line(d, blocks), point.natural)
    joint.release()
    point.ev.release_work()
    return raised


def _check(point: Point, blocks: list[int], decided: list[Direction], results: dict[int, BlockResult], fetch: Fetch) -> None:
    """Check ``blocks`` on their own, first along their parts of the decided combined directions."""
    if not blocks:
        return
    missing = [b for b in blocks if b not in point.grads]
    if missing:
        fetch(missing)
    wanted = target(point.precision.tol)
    for b in blocks:
        plan = [Planned(d.k, d.signs[b], point.block_step(b, d.step)) for d in decided if b in d.signs]
        # a single carrier of a confirmed combined disagreement carries all of it: w_b d_b = D
        expected = ({d.k: Expected(d.discrepancy / point.w[b], d.bound / point.w[b]) for d in decided
                     if d.confirmed and b in d.signs} if len(blocks) == 1 else None)
        results[b] = check_block(point, b, plan, wanted, expected=expected)


@dataclass(frozen=True)
class Passed:
    """A measurement that passed along direction ``direction.k`` over a set of blocks: evidence for
    every block of the set, and of any part of it (the guarantee holds block by block, whatever
    the other blocks' errors). ``bound`` and ``discrepancy``: its own (a share's, when taken out
    of a combined measurement)."""

    direction: Direction
    bound: float
    discrepancy: float


def _certify(point: Point, joint: Joint, blocks: list[int], decided: list[Direction],
             results: dict[int, BlockResult], fetch: Fetch, passed: dict[int, Passed] | None = None
             ) -> dict[int, Outcome]:
    """Vouch for ``blocks`` that no combined measurement could: halves at a time.

    Fewer blocks moving cross fewer kinks, so a set the combined directions could not decide is
    split in two and each half measured along the same directions (their recorded slopes need no
    new gradient), down to single blocks, which are checked on their own (into ``results``). A
    half that disagrees is searched like the whole. Returns the outcomes of the halves vouched for.

    ``passed``: directions already passed over a set that holds ``blocks`` (the rest's share, or
    the whole before it was halved); they are not measured again, only the others are.
    """
    if not blocks:
        return {}
    if len(blocks) == 1:
        _check(point, blocks, decided, results, fetch)
        return {}
    passed = dict(passed or {})
    measured: list[Direction] = []
    for k in range(1, directions_needed(point.precision.tol) + 1):
        if k in passed:
            continue
        joint.redraw(Direction(k, {b: 1.0 for b in blocks}, point.first_step, "undecided"), blocks)
        m = joint.measure(k, blocks)
        measured.append(m)
        if m.outcome == "match":
            passed[k] = Passed(m, m.bound, m.discrepancy)
    joint.release()
    point.ev.release_work()
    if all(m.outcome == "match" for m in measured):
        evidence = list(passed.values())
        r = ruled_out([e.direction.hides(e.bound, point.precision.tol) for e in evidence])
        if r <= target(point.precision.tol):
            light = _light(point, blocks, r)
            _check(point, light, decided, results, fetch)
            return _vouched(point, [b for b in blocks if b not in light], r, [e.discrepancy for e in evidence],
                            [e.direction for e in evidence])
    wrong = next((m for m in measured if m.outcome == "mismatch"), None)
    if wrong is not None:
        joint.redraw(wrong, blocks)
        found = carriers(joint, wrong, blocks, wrong.discrepancy, wrong.bound)
        joint.release()
        point.ev.release_work()
        _check(point, found, decided, results, fetch)
        return _certify(point, joint, [b for b in blocks if b not in found], decided, results, fetch, passed)
    if any(b not in point.grads for b in blocks):
        fetch(blocks)  # one call for every block the halving may check alone
    half = len(blocks) // 2
    return {**_certify(point, joint, blocks[:half], decided, results, fetch, passed),
            **_certify(point, joint, blocks[half:], decided, results, fetch, passed)}


def _share(point: Point, joint: Joint, d: Direction, results: dict[int, BlockResult], rest: list[int]
           ) -> tuple[Direction, tuple[float, float, str]]:
    """The rest's share along d: taken out of d's combined measurement when that is clean enough,
    else measured along d's parts for the rest alone (with kinks avoided as in the joint test).

    A disagreement left over from a direction that was only looked at (a central difference, taken
    as a measurement once the gradient was known wrong) is not believed: its bound is round-off
    only, and a kink it crossed would send the search after blocks that are right."""
    derived = _rest_share(point, d, results, rest)
    if derived is not None and (derived[2] == "match" or (derived[2] == "mismatch" and d.probe is not None)):
        return d, derived
    joint.redraw(d, rest)
    own = joint.measure(d.k, rest)
    joint.release()
    outcome = "inconclusive" if own.outcome == "undecided" else own.outcome
    return own, (own.discrepancy, own.bound, outcome)


def _kinked(d: Direction) -> bool:
    return d.probe is not None and d.probe.dominant_error == "kink"


def _unsettled(blocks: list[int], results: dict[int, BlockResult]) -> list[int]:
    """Blocks no measurement of their own settled (not measured alone, or undecided alone)."""
    return [b for b in blocks if b not in results or results[b].status == "inconclusive"]


def _rest_share(point: Point, d: Direction, results: dict[int, BlockResult], rest: list[int]
                ) -> tuple[float, float, str] | None:
    """What ``rest`` contributes along ``d``: the combined discrepancy minus the measured shares of
    the other blocks (each w_b times its own discrepancy); None when one of those was not measured
    along ``d`` (its share cannot be taken out)."""
    share, bound = d.discrepancy, d.bound
    for b, result in results.items():
        if b in rest:
            continue
        m = result.along(d.k)
        if m is None or not m.probe.finite:
            return None
        share -= point.w[b] * m.probe.discrepancy
        bound += point.w[b] * m.probe.bound
    return share, bound, verdict(share, bound, 1.0, point.precision.tol)


def _light(point: Point, blocks: list[int], r: float) -> list[int]:
    """Blocks weighed less than fully in the combined directions (point.py: their full weight would
    move them beyond their cap), for which ``r`` reference norms ruled out jointly is r / heft
    for them alone: too weak a guarantee, so they are checked on their own."""
    wanted = target(point.precision.tol)
    return [b for b in blocks if r / point.heft[b] > wanted]


def _vouched(point: Point, blocks: list[int], r: float, discrepancies: list[float], decided: list[Direction]
             ) -> dict[int, Outcome]:
    """Blocks the combined directions vouch for; a block's relative error is theirs: the largest
    discrepancy over the size of the combined slope (sqrt of the number of blocks), halved as in
    the course's measure. What they rule out for it is r reference norms, over its heft."""
    if not blocks:
        return {}
    relative = max(abs(x) for x in discrepancies) / (2.0 * np.sqrt(len(point.blocks)))
    step = min(d.step for d in decided)
    return {b: Outcome("ok", course_relative(r / point.heft[b], point.ref[b], point.norms[b]), relative,
                       directions=len(decided), step=point.block_step(b, step), joint=True) for b in blocks}


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
