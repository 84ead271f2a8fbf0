"""The numbers of the derivative check: a Richardson-extrapolated central difference of the forward
with a per-point error bound, and a helper's values compared with it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nndoctor.activations.identify import Forward
from nndoctor.activations.precision import machine_eps
from nndoctor.activations.reference import KINK_GAP


def _step(dtype: np.dtype | float) -> float:
    """Powers of two: z +- h is then exact for the grid's multiples of 1/4, even when the user's
    function rounds its input to float32 or float16."""
    eps = machine_eps(dtype)
    if eps <= 1e-12:
        return 2.0 ** -10
    if eps <= 1e-5:
        return 2.0 ** -7
    return 2.0 ** -4


@dataclass
class Numeric:
    value: np.ndarray  # Richardson-extrapolated central difference
    bound: np.ndarray  # its error bound, per point
    valid: np.ndarray  # points where the comparison means something


def numeric_derivative(forward: Forward, Z: np.ndarray, kinked: bool, dtype: np.dtype | float) -> Numeric | None:
    """Central differences of ``forward`` at two steps (sized for ``dtype``, the coarsest dtype
    seen), Richardson-extrapolated, with a per-point error bound and the points that are usable."""
    h0 = _step(dtype)
    absz = np.abs(Z)
    with np.errstate(divide="ignore"):
        half = np.exp2(np.floor(np.log2(absz / 2.0)))
    h = np.where(absz > 0, np.minimum(h0, half), h0)  # a step never crosses z = 0
    values = [forward(Z + s * h) for s in (0.0, 1.0, -1.0, 0.5, -0.5)]
    if any(v is None for v in values):
        return None
    f0, fp, fm, fp2, fm2 = values
    with np.errstate(all="ignore"):
        d1 = (fp - fm) / (2 * h)
        d2 = (fp2 - fm2) / h
        value = d2 + (d2 - d1) / 3.0
        magnitude = np.abs(f0) + np.abs(fp) + np.abs(fm)
        eps = machine_eps(dtype)
        # |d2 - d1| estimates the truncation error of d2; twice that also covers the extrapolated
        # value when the two differ by noise (an input rounded to a coarser dtype than its output)
        bound = 2 * np.abs(d2 - d1) + 8 * eps * magnitude / h
        # a kink inside the step: the second difference halves with the step instead of quartering
        j1, j2 = fp - 2 * f0 + fm, fp2 - 2 * f0 + fm2
        kink = (np.abs(j1) > 1e3 * eps * (magnitude + 1e-300)) & (np.abs(j2) > 0.375 * np.abs(j1))
    valid = np.isfinite(value) & np.isfinite(bound) & ~kink
    if kinked:
        valid &= absz >= KINK_GAP
    return Numeric(value, bound, valid)


@dataclass
class Comparison:
    mode: str
    got: np.ndarray
    excess: float  # largest disagreement beyond the numeric error bound, relative to the scale
    max_relative_error: float
    fails: bool


def compare(got: np.ndarray, want: Numeric, tol: float, mode: str) -> Comparison:
    v = want.valid
    scale = float(np.max(np.abs(want.value[v]))) if v.any() else 1.0
    scale = scale if scale > 0 else 1.0
    with np.errstate(all="ignore"):
        diff = np.abs(got - want.value)
        diff = np.where(np.isnan(diff), np.inf, diff)
        excess = float(np.max(np.maximum(diff[v] - want.bound[v], 0.0))) / scale if v.any() else 0.0
        rel = float(np.max(diff[v])) / scale if v.any() else 0.0
    return Comparison(mode, got, excess, rel, excess > tol)
