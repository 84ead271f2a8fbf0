"""A gradient whose shape is not its parameter's: are its values right once transposed or reshaped?"""

from __future__ import annotations

import numpy as np

from nndoctor.gradcheck.block import FRESH, Planned, check_block
from nndoctor.gradcheck.joint import target
from nndoctor.gradcheck.point import Point


def values_verdict(point: Point, b: int, g: np.ndarray, shape: tuple[int, ...]) -> str | None:
    """'match-after-transpose', 'match-after-reshape', 'wrong', or None when the sizes differ."""
    if g.size != int(np.prod(shape)):
        return None
    candidates = [("match-after-reshape", g.reshape(shape))]
    if g.ndim == 2 and g.shape == shape[::-1]:
        candidates.insert(0, ("match-after-transpose", g.T))
    for label, candidate in candidates:
        point.adopt(b, np.ascontiguousarray(candidate, dtype=np.float64).reshape(-1))
        step = point.block_step(b, point.first_step)
        plan = [Planned(FRESH, 1.0, step), Planned(FRESH + 1, 1.0, step)]
        if check_block(point, b, plan, target(point.precision.tol), more=False).status == "ok":
            return label
    return "wrong"
