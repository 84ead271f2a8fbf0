"""Figure: the norm of each gradient array over the iterations of one run."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from nndoctor.plots._marks import draw_marks, line_width, span
from nndoctor.plots._svg import COLORS, finite, label, new_figure, number, shorten, to_svg


def _style(name: str, order: int) -> tuple[str, str]:
    """W1 and b1 share a colour (by the layer number in the key); biases are dashed."""
    digits = re.findall(r"\d+", name)
    slot = int(digits[-1]) if digits else order
    bias = name.lower().startswith("b") or "bias" in name.lower()
    return COLORS[slot % len(COLORS)], "--" if bias else "-"


def gradient_norms(run: Mapping[str, Any], marks: Sequence[Mapping[str, Any]] = (), *,
                   id_prefix: str | None = None) -> str:
    """SVG of ``run["gradient_norms"]`` ({"iterations": [...], "norms": {param: [...]}}): one line
    per parameter's gradient, log scale (symmetric-log when a norm is exactly 0, so zero
    gradients stay visible at 0). Null (missing or NaN/inf) values leave a gap; ``marks`` as in
    `cost_curve`. Empty string when no gradient was recorded."""
    data = run.get("gradient_norms") or {}
    its = [number(i) for i in data.get("iterations") or []]
    norms = data.get("norms") or {}
    if not its or not norms:
        return ""
    fig = new_figure()
    ax = fig.add_subplot()
    every: list[float] = []
    zero: list[str] = []
    for order, (name, values) in enumerate(norms.items()):
        ys = [number(v) for v in values][: len(its)]
        ys += [math.nan] * (len(its) - len(ys))
        seen = finite(ys)
        every += seen
        if seen and not any(seen):
            zero.append(f"d{name}")
        color, style = _style(str(name), order)
        ax.plot(its, ys, color=color, linestyle=style, linewidth=line_width(order, len(norms)),
                label=label(f"d{name}"))
    positive = [v for v in every if v > 0]
    if positive and len(positive) == len(every) and max(positive) / min(positive) > 10:
        ax.set_yscale("log")
    elif positive and len(positive) < len(every):
        ax.set_yscale("symlog", linthresh=min(positive))
    if zero:
        ax.text(0.02, 0.12, label(shorten("exactly 0 throughout: " + ", ".join(zero), 80)),
                transform=ax.transAxes, ha="left", va="bottom", fontsize="small", color="#cf222e")
    draw_marks(ax, [m for m in marks if m.get("kind") == "non-finite"])  # the cost marks stay on the cost
    span(ax, its, marks)
    ax.set_xlabel("iteration")
    ax.set_ylabel("gradient norm")
    title = run.get("run")
    ax.set_title(label(shorten(f"gradient norms — {title}" if title else "gradient norms")), fontsize="medium")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize="small", ncol=2 if len(norms) > 4 else 1, loc="best")
    return to_svg(fig, "gradnorms", id_prefix)
