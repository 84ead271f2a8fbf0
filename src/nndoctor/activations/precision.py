"""Float precision: machine epsilon, the tolerance for "computes the same function", closeness,
and a measured constant rounded to the digits its dtype carries."""

from __future__ import annotations

import numpy as np


def machine_eps(dtype: np.dtype | float) -> float:
    """Machine epsilon of a dtype; a float is taken as an epsilon already (a measured precision)."""
    if isinstance(dtype, float):
        return dtype
    try:
        return float(np.finfo(dtype).eps)
    except (TypeError, ValueError):
        return float(np.finfo(np.float64).eps)


def tolerance(dtype: np.dtype | float) -> float:
    """Relative tolerance for "computes the same function": loose enough for float round-off and
    other correct formulas, far tighter than the difference between any two activations."""
    eps = machine_eps(dtype)
    if eps <= 1e-12:  # float64
        return 1e-6
    if eps <= 1e-5:  # float32
        return 1e-3
    return 3e-2  # float16


def close(got: np.ndarray, want: np.ndarray, tol: float) -> bool:
    if got.size == 0:
        return True
    with np.errstate(all="ignore"):
        return bool(np.all(np.abs(got - want) <= tol * (1.0 + np.abs(want))))


FLOAT64 = np.dtype(np.float64)


def rounded(x: float, dtype: np.dtype = FLOAT64) -> float:
    """``x`` to the significant digits its dtype carries: 0.01 stays 0.01 in float32 too."""
    digits = min(12, max(2, int(np.floor(-np.log10(machine_eps(dtype)))) - 1))
    return float(f"{x:.{digits}g}")
