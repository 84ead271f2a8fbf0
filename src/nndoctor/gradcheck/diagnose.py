"""A block found wrong: what kind of wrong (classify.py), how much, and where (localize.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from nndoctor.gradcheck.block import FRESH, BlockResult
from nndoctor.gradcheck.classify import AGREEMENT, Diagnosis, Measured, Norms, classify
from nndoctor.gradcheck.directions import dot, dot_transposed, weighted_squares
from nndoctor.gradcheck.localize import bisect, confirm_predicted, predicted
from nndoctor.gradcheck.numeric import Probe, probe
from nndoctor.gradcheck.point import Point
from nndoctor.gradcheck.result import WorstEntry

# A verified entry this far off (relatively) makes the finding an error even when the block as a
# whole is close: one wrong entry among 250,000 barely moves the block's relative error.
ENTRY_ERROR_RTOL = 1e-2
# Severity of an unnamed ('other') error: an estimate this far above / below the error level is
# clear from two random directions; in between, up to SEVERITY_DIRECTIONS are used.
CLEAR_ABOVE, CLEAR_BELOW = 4.0, 100.0
SEVERITY_DIRECTIONS = 8
# An unexplained disagreement detected at less than 10 bounds and under 5 % along its direction is
# what kinks crowded near 0 or a cost at the edge of its precision can produce: a warning.
MARGINAL_SIGNIFICANCE = 10.0
MARGINAL_RELATIVE = 0.05


@dataclass
class Found:
    diagnosis: Diagnosis
    worst: list[WorstEntry] = field(default_factory=list)
    directional: dict[str, float] = field(default_factory=dict)  # the first disagreement, in the block's units
    entry_wrong: bool = False  # a verified entry is far off
    marginal: bool = False


def name(point: Point, b: int, result: BlockResult, shape: tuple[int, ...]) -> Diagnosis:
    """What kind of wrong, from the block's disagreeing measurements alone (no evaluation)."""
    g = point.grads[b]
    theta = point.ev.bases[b]
    square = len(shape) == 2 and shape[0] == shape[1] > 1
    norm_g = point.norms[b]
    norms = Norms(norm_g, float(np.sqrt(weighted_squares(theta))), dot(g, theta.astype(np.float64, copy=False)),
                  _transpose_gap(g, shape) if square else None)
    if len(result.mismatches) >= 2:
        measured = []
        for m in result.mismatches:
            if m.theta is None or (square and m.transposed is None):
                u = point.directions.block(m.k, b)  # not projected when measured: drawn again
                m.theta = m.sign * dot(theta, u)
                m.transposed = m.sign * dot_transposed(g, shape, u) if square else None
            measured.append(Measured(m.probe, m.theta, m.transposed if square else None))
        return classify(norms, measured)
    return Diagnosis("other", estimated_error([m.probe for m in result.measurements], norm_g))


def diagnose(point: Point, b: int, result: BlockResult, shape: tuple[int, ...], k: int) -> Found:
    """The kind (`name`), the worst entries, and the size of an unnamed error."""
    g = point.grads[b]
    theta = point.ev.bases[b]
    first = result.mismatches[0].probe
    diag = name(point, b, result, shape)
    found = Found(diag, directional={"analytic": first.analytic, "numeric": first.numeric, "error_bound": first.bound})
    t_entry = point.eps_step if point.eps_step is not None else point.caps[b]
    if diag.predicts and not diag.numeric_is_zero:
        fitted = diag.kind in ("scale", "sign", "missing-term")  # a number to state: fit it on the entries too
        entries, agree, largest = confirm_predicted(point, b, g, predicted(diag, g, theta, shape), shape, t_entry,
                                                    k, point.precision.tol.passes_below, central_first=fitted)
        if not agree:  # the entries contradict the hypothesis: say less, not something wrong
            diag.kind, diag.factor, diag.coefficient, diag.predicts = "other", None, None, False
        elif diag.kind in ("scale", "sign") and largest is not None:
            _refine_factor(diag, [largest])  # the largest predicted error, measured by a central difference
        elif diag.kind == "missing-term" and largest is not None:
            _refine_coefficient(diag, largest, theta, shape)
        found.worst = entries
    else:
        found.worst = bisect(point, b, g, shape, result.step or t_entry, t_entry, k)
    found.entry_wrong = entry_wrong(found.worst, g)
    if diag.kind == "other" and not diag.numeric_is_zero and not found.entry_wrong:
        # the size of an unnamed error is only estimated: make that estimate steady enough that
        # the severity does not depend on the seed
        diag.relative_error = steady_error(point, b, [m.probe for m in result.measurements], result.step or t_entry)
        gap, bound, analytic = abs(first.discrepancy), first.bound, abs(first.analytic)
        found.marginal = gap < MARGINAL_SIGNIFICANCE * bound and gap < MARGINAL_RELATIVE * max(analytic, 1e-300)
    return found


def _refine_factor(diag: Diagnosis, entries: list[WorstEntry]) -> None:
    """A wrong factor, fitted again on verified entries: each is measured at a step of its own, with
    the largest values of the block, so the fit is sharper than the random directions' (on a noisy
    cost those give the factor to a few parts in a thousand only)."""
    numeric = np.array([w.numeric for w in entries])
    analytic = np.array([w.analytic for w in entries])
    if not np.any(numeric):
        return
    c = float(analytic @ numeric / (numeric @ numeric))
    diag.factor = c
    diag.kind = "sign" if abs(c + 1.0) <= 10 * AGREEMENT else "scale"
    diag.relative_error = abs(c - 1.0) / (abs(c) + 1.0)


def _refine_coefficient(diag: Diagnosis, entry: WorstEntry, theta: np.ndarray, shape: tuple[int, ...]) -> None:
    """A missing term's coefficient, fitted again on the entry with the largest predicted error
    (the largest |theta|), measured by a central difference: numeric - analytic = lam * theta there.
    The random directions give it to about 1e-4 only, where the measurement is a look matched to
    the combined probe rather than a probe of its own."""
    value = float(theta[np.ravel_multi_index(entry.index, shape)] if shape else theta[0])
    if value == 0.0:
        return
    diag.coefficient = (entry.numeric - entry.analytic) / value


def estimated_error(probes: list[Probe], norm_ga: float) -> float:
    """The course's ||g_a - g|| / (||g_a|| + ||g||) from random directions, where E[<x, v>^2] = |x|^2.
    ||g|| is at least ||g_a|| - ||g_a - g||: that bound, exact for a small error, steadies the
    estimate of the denominator."""
    if not probes:
        return 1.0
    error = float(np.sqrt(np.mean([pr.discrepancy ** 2 for pr in probes])))
    numeric = float(np.sqrt(np.mean([pr.numeric ** 2 for pr in probes])))
    return min(error / max(norm_ga + max(numeric, norm_ga - error), 1e-300), 1.0)


def steady_error(point: Point, b: int, probes: list[Probe], t: float) -> float:
    """The course's relative error of a block, from random directions: E[<x, v>^2] = |x|^2.

    Two directions misjudge it by a factor 5 about one time in 25, enough to flip the severity
    with the seed. Far from the error level they suffice; near it, more directions are drawn (up
    to SEVERITY_DIRECTIONS in all), which brings that chance below one in a thousand for an error
    3x away from the level.
    """
    norm_ga = point.norms[b]
    level = point.precision.tol.error_above
    probes = [pr for pr in probes if pr.finite]
    k = FRESH + 100  # directions of their own, apart from the ones that found the error
    while True:
        rel = estimated_error(probes, norm_ga)
        clear = len(probes) >= 2 and (rel >= CLEAR_ABOVE * level or rel < level / CLEAR_BELOW)
        if clear or k >= FRESH + 100 + SEVERITY_DIRECTIONS:
            return rel
        u = point.directions.block(k, b)
        k += 1
        pr = probe(point.block_line(b, u), t, point.precision.eps)
        if pr.finite and pr.verdict(point.ref[b], point.precision.tol) != "inconclusive":
            probes.append(pr)


def entry_wrong(entries: list[WorstEntry], g: np.ndarray) -> bool:
    """A verified entry far off, relative to its own value and to the block's typical entry.

    One wrong entry among 250,000 barely moves the block's relative error, but it is a bug; the
    second condition keeps a small error spread over every entry from counting because it is
    large next to one entry that happens to be near zero.
    """
    typical = float(np.sqrt(weighted_squares(g) / g.size)) if g.size else 0.0
    return any(w.error > ENTRY_ERROR_RTOL * max(abs(w.analytic), abs(w.numeric), typical) for w in entries)


def _transpose_gap(g: np.ndarray, shape: tuple[int, ...]) -> float:
    m = g.reshape(shape)
    return float(np.linalg.norm(m - m.T))
