"""Saying *how* a gradient is wrong, from a few directional measurements.

Each hypothesis predicts the true gradient g from the analytic one g_a with at most one unknown
number; one direction fits the number, the others must agree with it. With random directions an
accidental agreement is very unlikely, and the coordinate-wise verification of the worst entries
(localize.py) gets the last word.

- scale:        g_a = c * g            (c = -1 is reported as ``sign``; c = 0: the gradient is all zeros)
- transpose:    g_a = g.T              (square matrices)
- missing-term: g_a = g - lam * theta  (the forgotten L2 term lambd/m * W; lam < 0 is an extra term)
- other:        none of these.

A hypothesis is tested on the measurements' numbers alone: each carries, besides the analytic and
numeric slopes, the direction's projections on theta and on g_a.T (computed when the direction was
drawn), so no direction vector is kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nndoctor.gradcheck.numeric import SIGNIFICANCE, Probe

# Two fitted values agree when they differ by less than this, relatively, plus their noise.
AGREEMENT = 2e-3


@dataclass
class Measured:
    probe: Probe
    theta: float  # <theta, v>
    transposed: float | None  # <g_a.T, v> for a square matrix, else None


@dataclass
class Diagnosis:
    kind: str
    relative_error: float
    factor: float | None = None
    coefficient: float | None = None
    predicts: bool = False  # the hypothesis determines the error vector g_a - g (localize.predicted)
    numeric_is_zero: bool = False


@dataclass(frozen=True)
class Norms:
    """What classification needs of a block beyond the measurements."""

    g_a: float  # ||g_a||
    theta: float  # ||theta||
    g_theta: float  # <g_a, theta>
    transpose_gap: float | None  # ||g_a - g_a.T|| for a square matrix


def _agree(values: list[float], noise: list[float]) -> bool:
    centre = float(np.mean(values))
    spread = max(abs(v - centre) for v in values)
    return spread <= AGREEMENT * max(abs(centre), 1e-300) + SIGNIFICANCE * max(noise)


def classify(norms: Norms, measured: list[Measured]) -> Diagnosis:
    """measured: >= 2 mismatching probes along independent random directions."""
    a = [m.probe.analytic for m in measured]
    n = [m.probe.numeric for m in measured]
    noise = [m.probe.bound for m in measured]
    norm_ga = norms.g_a
    # E[<x, v>^2] = |x|^2 for v with independent unit-variance entries: a norm estimate from the probes.
    norm_g_est = float(np.sqrt(np.mean(np.square(n))))
    norm_e_est = float(np.sqrt(np.mean(np.square(np.subtract(a, n)))))
    fallback_rel = norm_e_est / max(norm_ga + norm_g_est, 1e-300)

    # The cost does not move along any direction: the parameter does not influence it.
    if all(abs(x) <= SIGNIFICANCE * b for x, b in zip(n, noise)):
        return Diagnosis("other", 1.0, predicts=True, numeric_is_zero=True)

    # scale (and sign): the ratio analytic / numeric is the same along every direction
    if all(abs(x) > SIGNIFICANCE * b for x, b in zip(n, noise)):
        # compare the deviations c - 1: a small error confined to a few entries gives ratios that
        # all sit near 1 without agreeing on how far from it
        deviations = [x / y - 1.0 for x, y in zip(a, n)]
        ratio_noise = [abs(x / y) * b / abs(y) for x, b, y in zip(a, noise, n)]
        if _agree(deviations, ratio_noise):
            c = 1.0 + float(np.mean(deviations))
            kind = "sign" if abs(c + 1.0) <= 10 * AGREEMENT else "scale"
            rel = abs(c - 1.0) / (abs(c) + 1.0)
            return Diagnosis(kind, rel, factor=c, predicts=c != 0)

    # transpose: the transposed analytic gradient matches along every direction
    if norms.transpose_gap and norms.transpose_gap > 1e-8 * norm_ga and all(m.transposed is not None for m in measured):
        fits = [abs(m.transposed - m.probe.numeric) <= SIGNIFICANCE * m.probe.bound + AGREEMENT * abs(m.probe.numeric)
                for m in measured]
        if all(fits):
            rel = norms.transpose_gap / (2 * norm_ga) if norm_ga else 1.0
            return Diagnosis("transpose", rel, predicts=True)

    # missing term proportional to the parameter: (numeric - analytic) / <theta, v> is constant
    proj = [m.theta for m in measured]
    if norms.theta > 0 and all(abs(p) > 1e-3 * norms.theta for p in proj):
        lams = [(y - x) / p for x, y, p in zip(a, n, proj)]
        lam_noise = [b / abs(p) for b, p in zip(noise, proj)]
        if _agree(lams, lam_noise):
            lam = float(np.mean(lams))
            # ||g_a + lam theta|| from inner products: no full-size temporary
            true_norm = float(np.sqrt(max(norm_ga ** 2 + 2 * lam * norms.g_theta + lam ** 2 * norms.theta ** 2, 0.0)))
            rel = abs(lam) * norms.theta / max(norm_ga + true_norm, 1e-300)
            return Diagnosis("missing-term", rel, coefficient=lam, predicts=True)

    return Diagnosis("other", min(fallback_rel, 1.0))
