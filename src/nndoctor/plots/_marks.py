"""Vertical marks at the iterations the cost rules point at, shared by the time-series figures."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from nndoctor.plots._svg import label, number

# what each mark kind looks like: (colour, line style, legend text)
MARK_STYLE = {
    "plateau": ("#9a6700", "--", "plateau from iteration {it}"),
    "spike": ("#8250df", ":", "largest spike at iteration {it}"),
    "non-finite": ("#cf222e", "-", "NaN/inf from iteration {it}"),
}


def draw_marks(ax: Any, marks: Sequence[Any], values: bool = False) -> bool:
    """Draw each mark as a vertical line (and, with ``values``, a dot at its cost); True if any."""
    seen: set[str] = set()
    for mark in marks:
        kind = str(mark.get("kind"))
        if kind not in MARK_STYLE:
            continue
        it = number(mark.get("iteration"))
        if not math.isfinite(it):
            continue
        color, style, text = MARK_STYLE[kind]
        legend = label(text.format(it=int(it))) if kind not in seen else None
        seen.add(kind)
        ax.axvline(it, color=color, linestyle=style, linewidth=1.2, label=legend)
        value = number(mark.get("value"))
        if values and math.isfinite(value):
            ax.plot([it], [value], marker="^" if kind == "spike" else "o", color=color, markersize=7,
                    linestyle="none")
    return bool(seen)


def span(ax: Any, iterations: Sequence[float], marks: Sequence[Any] = ()) -> None:
    """Show every recorded iteration, even where the values are gaps (NaN after a blow-up)."""
    xs = [x for x in iterations if math.isfinite(x)]
    xs += [number(m.get("iteration")) for m in marks if math.isfinite(number(m.get("iteration")))]
    if not xs:
        return
    lo, hi = min(xs), max(xs)
    pad = max((hi - lo) * 0.02, 0.5)
    ax.set_xlim(lo - pad, hi + pad)


def line_width(order: int, count: int) -> float:
    """Earlier series drawn wider, so identical series (two dead layers, all-zero gradients)
    still show every colour instead of hiding under the last one."""
    return 1.4 + 2.2 * (count - 1 - order) / max(count - 1, 1) if count > 1 else 1.6
