"""Figure: the cost curve of one run, with the iterations the cost rules point at marked."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from nndoctor.plots._marks import draw_marks, span
from nndoctor.plots._svg import COLORS, finite, label, new_figure, number, shorten, to_svg


def cost_marks(findings: Iterable[Mapping[str, Any]], run: str | None = None) -> list[dict[str, Any]]:
    """The iterations worth marking on a cost curve, from findings in their JSON form.

    ``cost-plateau`` marks where the plateau starts (``evidence.iteration``), ``cost-oscillation``
    the largest spike (``evidence.largest_spike``), ``non-finite`` the first NaN/inf
    (``evidence.iteration``). With ``run`` given, only findings of that run (``location.run``)
    count; without it, every finding does (a single-run report names no run)."""
    marks: list[dict[str, Any]] = []
    for f in findings:
        if run is not None and (f.get("location") or {}).get("run") != run:
            continue
        evidence = f.get("evidence") or {}
        rule = f.get("rule")
        if rule == "cost-plateau":
            mark = {"kind": "plateau", "iteration": evidence.get("iteration"), "value": evidence.get("value")}
        elif rule == "cost-oscillation":
            spike = evidence.get("largest_spike") or {}
            mark = {"kind": "spike", "iteration": spike.get("iteration"), "value": spike.get("to")}
        elif rule == "non-finite":
            mark = {"kind": "non-finite", "iteration": evidence.get("iteration"), "value": None}
        else:
            continue
        if isinstance(mark["iteration"], (int, float)) and not isinstance(mark["iteration"], bool):
            marks.append(mark)
    return marks


def cost_curve(run: Mapping[str, Any], marks: Sequence[Mapping[str, Any]] = (), *,
               id_prefix: str | None = None) -> str:
    """SVG of ``run["cost"]["curve"]`` ([iteration, cost] pairs; non-finite costs leave a gap),
    with ``marks`` ({"kind": "plateau" | "spike" | "non-finite", "iteration": i, "value": cost})
    drawn on it. Empty string when the run recorded no cost."""
    curve = (run.get("cost") or {}).get("curve") or []
    points = [(number(p[0]), number(p[1])) for p in curve if isinstance(p, (list, tuple)) and len(p) == 2]
    if not points and not marks:
        return ""
    its = [p[0] for p in points]
    costs = [c if math.isfinite(c) else math.nan for _, c in points]
    fig = new_figure()
    ax = fig.add_subplot()
    ax.plot(its, costs, color=COLORS[0], linewidth=1.6, marker="." if len(points) <= 30 else None,
            label="cost")
    good = finite(costs)
    if good and min(good) > 0 and max(good) / min(good) > 100:
        ax.set_yscale("log")
    marked = draw_marks(ax, marks, values=True)
    span(ax, its, marks)
    if not good:
        ax.text(0.5, 0.5, "no finite cost recorded", transform=ax.transAxes, ha="center", va="center",
                color="#cf222e")
    ax.set_xlabel("iteration")
    ax.set_ylabel("cost")
    title = run.get("run")
    ax.set_title(label(shorten(f"cost — {title}" if title else "cost")), fontsize="medium")
    ax.grid(True, alpha=0.3)
    if marked:
        ax.legend(fontsize="small", loc="best")
    return to_svg(fig, "cost", id_prefix)
