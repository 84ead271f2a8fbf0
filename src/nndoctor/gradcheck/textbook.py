"""``method="full"``: the course's loop, a central difference per entry (2 evaluations each)."""

from __future__ import annotations

import numpy as np

from nndoctor.gradcheck.classify import Measured, Norms, classify
from nndoctor.gradcheck.compare import relative_difference
from nndoctor.gradcheck.diagnose import Found, entry_wrong
from nndoctor.gradcheck.localize import coordinate, differ, noise
from nndoctor.gradcheck.numeric import Probe
from nndoctor.gradcheck.pipeline import Outcome
from nndoctor.gradcheck.point import Point
from nndoctor.gradcheck.result import WorstEntry

CLASSIFY_DIRECTIONS = 3


def textbook(point: Point, b: int, shape: tuple[int, ...], worst: int) -> Outcome:
    g = point.grads[b]
    t = point.eps_step if point.eps_step is not None else point.caps[b]
    before = point.ev.evaluations
    numeric = np.empty_like(g)
    for i in range(g.size):
        _, numeric[i] = coordinate(point, b, g, i, t)
    rel = relative_difference(g, numeric)
    entry_noise = noise(point.cost0, point.precision.eps, t)
    block_noise = entry_noise * np.sqrt(g.size)
    out = Outcome("ok", relative_error=rel, evaluations=point.ev.evaluations - before, directions=g.size, step=t)
    if rel <= point.precision.tol.passes_below or np.linalg.norm(g - numeric) <= 4 * block_noise:
        return out
    # classify with exact projections of the full vectors on a few random directions
    theta = point.ev.bases[b].astype(np.float64)
    square = len(shape) == 2 and shape[0] == shape[1] > 1
    g_t = g.reshape(shape).T.ravel() if square else None
    measured = []
    for _ in range(CLASSIFY_DIRECTIONS):
        v = point.rng.standard_normal(g.size)
        pr = Probe(float(v @ g), float(v @ numeric), block_noise * 1e-3 + 1e-300, t, 0.0, 0.0, block_noise)
        measured.append(Measured(pr, float(v @ theta), float(v @ g_t) if g_t is not None else None))
    norms = Norms(float(np.linalg.norm(g)), float(np.linalg.norm(theta)), float(g @ theta),
                  float(np.linalg.norm(g - g_t)) if g_t is not None else None)
    diag = classify(norms, measured)
    diag.relative_error = rel
    order = np.argsort(-np.abs(g - numeric), kind="stable")[:worst]
    # only entries that really disagree: a block with one wrong entry lists that one alone
    entries = [WorstEntry(tuple(int(j) for j in np.unravel_index(i, shape)), float(g[i]), float(numeric[i]))
               for i in order if differ(g[i], numeric[i], entry_noise, point.precision.tol.passes_below)]
    out.status = "mismatch"
    out.found = Found(diag, entries, {"analytic": float(np.linalg.norm(g)), "numeric": float(np.linalg.norm(numeric)),
                                      "error_bound": float(block_noise)}, entry_wrong(entries, g))
    return out
