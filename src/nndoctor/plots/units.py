"""Figure: dead ReLU units and saturated sigmoid/tanh outputs per layer over the iterations."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from nndoctor.plots._marks import draw_marks, line_width, span
from nndoctor.plots._svg import COLORS, label, new_figure, number, shorten, to_svg


def unit_health(run: Mapping[str, Any], marks: Sequence[Mapping[str, Any]] = (), *,
                id_prefix: str | None = None) -> str:
    """SVG of ``run["layers_over_time"]`` ({"iterations": [...], "dead_fraction": {layer: [...]},
    "saturated_fraction": {layer: [...]}}): the fraction of each ReLU layer's units that output 0
    for every example (solid) and of each sigmoid/tanh layer's outputs in the flat tails (dashed);
    a ``non-finite`` mark of ``marks`` (as in `cost_curve`) drawn too. Empty string when no layer was recorded."""
    from matplotlib.ticker import PercentFormatter

    data = run.get("layers_over_time") or {}
    its = [number(i) for i in data.get("iterations") or []]
    dead = data.get("dead_fraction") or {}
    saturated = data.get("saturated_fraction") or {}
    if not its or not (dead or saturated):
        return ""
    kinds = run.get("layers") or {}
    fig = new_figure()
    ax = fig.add_subplot()
    series = [("-", layer, values, "dead units") for layer, values in dead.items()]
    series += [("--", layer, values, "saturated outputs") for layer, values in saturated.items()]
    for order, (style, layer, values, what) in enumerate(series):
        ys = [number(v) for v in values][: len(its)]
        ys += [math.nan] * (len(its) - len(ys))
        digits = "".join(ch for ch in str(layer) if ch.isdigit())
        color = COLORS[int(digits) % len(COLORS)] if digits else COLORS[order % len(COLORS)]
        kind = kinds.get(str(layer))
        name = f"layer {layer} {kind}" if kind else f"layer {layer}"
        ax.plot(its, ys, color=color, linestyle=style, linewidth=line_width(order, len(series)),
                label=label(f"{name}: {what}"))
    draw_marks(ax, [m for m in marks if m.get("kind") == "non-finite"])  # the cost marks stay on the cost
    span(ax, its, marks)
    ax.set_ylim(-0.03, 1.03)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("iteration")
    ax.set_ylabel("fraction of the layer")
    title = run.get("run")
    ax.set_title(label(shorten(f"dead / saturated units — {title}" if title else "dead / saturated units", 64)),
                 fontsize="medium")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small", loc="best")
    return to_svg(fig, "units", id_prefix)
