"""Saying *how* a gradient is wrong, from a few directional measurements.

Each hypothesis predicts the true gradient g from the analytic one g_a with at most one unknown
number; one direction fits the number, the others must agree with it. With random directions an
accidental agreement is very unlikely, and the coordinate-wise verification of the worst entries
(localize.py) gets the last word.

- scale:        g_a = c * g            (c = -1 is reported as ``sign``; c = 0: the gradient is all zeros)
- transpose:    g_a = g.T              (square matrices)
- missing-term: g_a = g - lam * theta  (the forgotten L2 term lambd/m * W; lam < 0 is an extra term)
- other:        none of these.
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
    v: np.ndarray  # the direction, flat float64


@dataclass
class Diagnosis:
    kind: str
    relative_error: float
    factor: float | None = None
    coefficient: float | None = None
    predicted_error: np.ndarray | None = None  # g_a - g, where the hypothesis determines it
    numeric_is_zero: bool = False


def _agree(values: list[float], noise: list[float]) -> bool:
    centre = float(np.mean(values))
    spread = max(abs(v - centre) for v in values)
    return spread <= AGREEMENT * max(abs(centre), 1e-300) + SIGNIFICANCE * max(noise)


def classify(g_a: np.ndarray, theta: np.ndarray, shape: tuple[int, ...], measured: list[Measured]) -> Diagnosis:
    """g_a, theta: flat float64 arrays of one parameter; measured: >= 2 mismatching probes."""
    a = [m.probe.analytic for m in measured]
    n = [m.probe.numeric for m in measured]
    noise = [m.probe.bound for m in measured]
    norm_ga = float(np.linalg.norm(g_a))
    # E[<x, v>^2] = |x|^2 for v with i.i.d. unit-variance entries: a norm estimate from the probes.
    norm_g_est = float(np.sqrt(np.mean(np.square(n))))
    norm_e_est = float(np.sqrt(np.mean(np.square(np.subtract(a, n)))))
    fallback_rel = norm_e_est / max(norm_ga + norm_g_est, 1e-300)

    # The cost does not move along any direction: the parameter does not influence it.
    if all(abs(x) <= SIGNIFICANCE * b for x, b in zip(n, noise)):
        return Diagnosis("other", 1.0, predicted_error=g_a.copy(), numeric_is_zero=True)

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
            predicted = g_a * (1.0 - 1.0 / c) if c != 0 else None
            return Diagnosis(kind, rel, factor=c, predicted_error=predicted)

    # transpose: the transposed analytic gradient matches along every direction
    if len(shape) == 2 and shape[0] == shape[1] > 1:
        g_t = g_a.reshape(shape).T.ravel()
        if not np.allclose(g_t, g_a):
            fits = []
            for m in measured:
                at = float(np.dot(g_t, m.v))
                fits.append(abs(at - m.probe.numeric) <= SIGNIFICANCE * m.probe.bound + AGREEMENT * abs(m.probe.numeric))
            if all(fits):
                err = g_a - g_t
                rel = float(np.linalg.norm(err) / (2 * norm_ga)) if norm_ga else 1.0
                return Diagnosis("transpose", rel, predicted_error=err)

    # missing term proportional to the parameter: (numeric - analytic) / <theta, v> is constant
    proj = [float(np.dot(theta, m.v)) for m in measured]
    theta_scale = float(np.linalg.norm(theta))
    if theta_scale > 0 and all(abs(p) > 1e-3 * theta_scale for p in proj):
        lams = [(y - x) / p for x, y, p in zip(a, n, proj)]
        lam_noise = [b / abs(p) for b, p in zip(noise, proj)]
        if _agree(lams, lam_noise):
            lam = float(np.mean(lams))
            err = -lam * theta
            g_true = g_a + lam * theta
            rel = float(np.linalg.norm(err) / max(norm_ga + np.linalg.norm(g_true), 1e-300))
            return Diagnosis("missing-term", rel, coefficient=lam, predicted_error=err)

    return Diagnosis("other", min(fallback_rel, 1.0))
