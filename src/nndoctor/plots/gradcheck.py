"""Figure: the gradient check's relative error per parameter."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from nndoctor.plots._svg import label, new_figure, number, to_svg

STATUS_COLORS = {"ok": "#1a7f37", "mismatch": "#cf222e", "suspicious": "#9a6700", "inconclusive": "#9a6700"}
FLOOR = 1e-16  # an exact match still gets a visible bar on the log axis
MAX_BARS = 60


def gradient_errors(check: Mapping[str, Any], *, id_prefix: str | None = None) -> str:
    """SVG of the ``gradient_check`` section: one horizontal bar per parameter (log scale),
    coloured by status; parameters without a relative error show their status instead.
    With more than MAX_BARS parameters, the worst ones. Empty string without parameters."""
    params = check.get("parameters") or {}
    if not params:
        return ""
    rows = [(str(name), number(p.get("relative_error")), str(p.get("status") or "")) for name, p in params.items()]
    if len(rows) > MAX_BARS:
        rows = sorted(rows, key=lambda r: -(r[1] if math.isfinite(r[1]) else math.inf))[:MAX_BARS]
    fig = new_figure(6.4, 0.9 + 0.28 * len(rows))
    ax = fig.add_subplot()
    ys = list(range(len(rows)))[::-1]
    values = [max(v, FLOOR) if math.isfinite(v) else math.nan for _, v, _ in rows]
    colors = [STATUS_COLORS.get(status, "#57606a") for _, _, status in rows]
    ax.barh(ys, [0 if math.isnan(v) else v for v in values], color=colors, height=0.6)
    ax.set_xscale("log")
    good = [v for v in values if not math.isnan(v)]
    left = min(good + [1e-12]) / 10
    ax.set_xlim(left=left, right=max(good + [1.0]) * 10)
    for y, v, (_, _, status) in zip(ys, values, rows):
        if math.isnan(v):
            ax.text(left * 1.5, y, label(status or "no value"), va="center", fontsize="small", color="#57606a")
    ax.set_yticks(ys, [label(name) for name, _, _ in rows])
    ax.set_xlabel("relative error (analytic vs numerical gradient)")
    ax.set_title("gradient check per parameter", fontsize="medium")
    ax.grid(True, axis="x", alpha=0.3)
    return to_svg(fig, "gradcheck", id_prefix)
