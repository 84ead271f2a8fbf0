"""What every runtime check needs besides the run: where the user's functions are defined."""

from __future__ import annotations

from typing import Any

from nndoctor import roles as R
from nndoctor.findings import Location
from nndoctor.trace import Run, Trace


class Context:
    def __init__(self, trace: Trace) -> None:
        self.trace = trace
        # runs in which nothing trained (a predict() after training) have nothing to diagnose
        self.runs = trace.diagnosable_runs()
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
