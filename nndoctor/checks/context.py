"""What every runtime check needs besides the run: where the user's functions are defined."""

from __future__ import annotations

from typing import Any

import numpy as np

from nndoctor import roles as R
from nndoctor.findings import Location
from nndoctor.trace import Run, Trace


class Context:
    def __init__(self, trace: Trace) -> None:
        self.trace = trace
        # runs in which nothing trained (a predict() after training) have nothing to diagnose
        self.runs = [r for r in trace.runs if r.completed]
        self.every = trace.every

    def location(self, role: str | None = None, *, function: str | None = None, **fields: Any) -> Location:
        """A location at the user's function with this role (or this name), plus ``fields``."""
        site = None
        if function is not None:
            site = self.trace.sites.get(function)
        elif role is not None:
            site = self.trace.site(role)
        if site is None:
            return Location(function=function, **fields)
        return Location(function=site.name, file=site.file, line=site.line, **fields)

    def function_name(self, role: str) -> str | None:
        site = self.trace.site(role)
        return site.name if site else None


def weight_layers(run: Run) -> list[tuple[int, str]]:
    """(layer number, weight key) in layer order; the number comes from the key, else the position."""
    keys = list(run.weights)
    out = []
    for pos, key in enumerate(keys, start=1):
        n = R.layer_of(key)
        out.append((n if n is not None and n >= 1 else pos, key))
    return out


def fmt(x: float, digits: int = 4) -> str:
    """A number as a learner reads it: 0.6931, 3.1e-05, inf."""
    if x is None:
        return "n/a"
    if not np.isfinite(x):
        return "nan" if np.isnan(x) else ("inf" if x > 0 else "-inf")
    if x == 0:
        return "0"
    if 1e-3 <= abs(x) < 1e5:
        return f"{x:.{digits}g}"
    return f"{x:.2e}"


def bias_key(weight_key: str, params: dict[str, Any]) -> str | None:
    """The bias that goes with a weight key (W2 -> b2, w2 -> b2/b2, weight -> bias)."""
    for candidate in (weight_key.replace("W", "b", 1), weight_key.replace("w", "b", 1),
                      weight_key.replace("weight", "bias")):
        if candidate != weight_key and candidate in params:
            return candidate
    return None
