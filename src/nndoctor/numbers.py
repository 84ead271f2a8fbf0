"""Numbers as a learner reads them in a message: 0.6931, 3.1e-05, inf."""

from __future__ import annotations

import numpy as np


def fmt(x: float | None, digits: int = 4) -> str:
    """``digits`` significant digits in the everyday range, scientific notation outside it."""
    if x is None:
        return "n/a"
    x = float(x)
    if not np.isfinite(x):
        return "nan" if np.isnan(x) else ("inf" if x > 0 else "-inf")
    if x == 0:
        return "0"
    if 1e-3 <= abs(x) < 1e5:
        return f"{x:.{digits}g}"
    return f"{x:.{max(digits - 2, 1)}e}"
