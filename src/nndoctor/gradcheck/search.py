"""Which blocks carry a combined direction's disagreement: group testing by halves.

Along one direction the discrepancy of a set of blocks is the sum of its blocks' discrepancies
(the derivative is linear in the direction). So a set is split in two, the first half is measured
with one forward difference (1 evaluation; at these steps its truncation is far below what is
sought), the second half's share is the rest, and only a half with a significant share is split
again. One wrong block among B costs about log2(B) evaluations; several wrong blocks are all
followed. When neither half of a disagreeing set
explains it (shares that cancel, or noise), every block of the set is handed on to be checked on
its own: nothing is concluded here, the per-block checks decide.
"""

from __future__ import annotations

from nndoctor.gradcheck.joint import Direction, Joint
from nndoctor.gradcheck.numeric import SIGNIFICANCE, glance, look

MAX_LOOKS = 48  # past this many measurements, every block still in question is checked on its own


def carriers(joint: Joint, d: Direction, blocks: list[int], discrepancy: float, noise: float) -> list[int]:
    """The blocks among ``blocks`` that carry ``discrepancy`` along ``d`` (its noise: ``noise``).

    A share counts when it is beyond its round-off and beyond the roughness (kinks, curvature) the
    direction showed as a whole: a kink crossed by one half's look should not send the search there.
    """
    budget = [MAX_LOOKS]
    rough = 0.0
    if d.probe is not None and d.probe.samples is not None:
        m2, m1, p1, p2 = d.probe.samples.costs
        # a forward difference is off by phi'' t / 2: the whole direction's second difference over 2t
        # is the typical size of that for its parts (not a bound: a part's curvature can exceed
        # the whole's, whose cross terms may cancel; `_split` looks where that would mislead it)
        rough = d.probe.kink + d.probe.truncation + abs(p1 - 2.0 * d.probe.samples.cost0 + m1) / (2.0 * d.step)
    return _split(joint, d, blocks, discrepancy, noise, budget, rough)


def _split(joint: Joint, d: Direction, blocks: list[int], discrepancy: float, noise: float, budget: list[int],
           rough: float) -> list[int]:
    if len(blocks) == 1 or budget[0] <= 0:
        return list(blocks)
    budget[0] -= 1
    half = len(blocks) // 2
    left, right = blocks[:half], blocks[half:]
    line = joint.line(d, left)
    first = glance(line, d.step, joint.point.precision.eps)
    if not first.finite:
        return list(blocks)
    shares = ((left, first.discrepancy, first.noise), (right, discrepancy - first.discrepancy, noise + first.noise))
    if all(_significant(joint, share, part_noise, rough) for _, share, part_noise in shares):
        # both halves would be followed: the glance's truncation (the half's own curvature, which
        # the whole direction's need not bound: its cross terms can cancel) may have split one
        # disagreement in two. A look at the half (1 more evaluation) has none.
        first = look(line, d.step, joint.point.precision.eps)
        if not first.finite:
            return list(blocks)
        shares = ((left, first.discrepancy, first.noise), (right, discrepancy - first.discrepancy, noise + first.noise))
    found: list[int] = []
    for part, share, part_noise in shares:
        if _significant(joint, share, part_noise, rough):
            found += _split(joint, d, part, share, part_noise, budget, rough)
    return found or list(blocks)


def _significant(joint: Joint, share: float, noise: float, rough: float) -> bool:
    floor = joint.point.precision.tol.passes_below
    return abs(share) > SIGNIFICANCE * noise + rough and abs(share) > floor
