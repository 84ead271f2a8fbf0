"""Turning a matplotlib Figure into SVG text that can sit inline in an HTML page.

Figures are built with the object API (`matplotlib.figure.Figure`), never through pyplot: no GUI
backend is selected, no window can open, and the user's own pyplot state and backend (a notebook's
inline backend, say) are left exactly as they were. The SVG is deterministic (fixed hash salt, no
date) and its ids carry a per-figure prefix, so several figures can share one page.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
from collections.abc import Iterable
from typing import Any

_TAG = re.compile(r"<[^<>]*>")
_ID = re.compile(r'\bid="([^"]*)"')
_URL = re.compile(r"url\(#([^)]*)\)")
_HREF = re.compile(r'\b((?:xlink:)?href)="#([^"]*)"')
_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.S)
_STYLE = re.compile(r"<style type=\"text/css\">\*\{")

COLORS = ("#0969da", "#bc4c00", "#1a7f37", "#8250df", "#cf222e", "#1b7c83", "#9a6700", "#57606a")
WIDTH, HEIGHT = 6.4, 3.2  # inches; the page scales the SVG to its column


def new_figure(width: float = WIDTH, height: float = HEIGHT) -> Any:
    """A figure that belongs to no backend window (no pyplot)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    return fig


def to_svg(fig: Any, name: str, id_prefix: str | None = None) -> str:
    """The figure as an ``<svg>`` element (no XML prolog), ids prefixed so they are unique."""
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "nndoctor", "svg.fonttype": "none"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    text = _METADATA.sub("", text)
    prefix = id_prefix or f"nnd-{name}-{hashlib.sha1(text.encode('utf-8')).hexdigest()[:8]}"

    def retag(match: re.Match[str]) -> str:
        tag = match.group(0)
        tag = _ID.sub(lambda m: f'id="{prefix}-{m.group(1)}"', tag)
        tag = _URL.sub(lambda m: f"url(#{prefix}-{m.group(1)})", tag)
        return _HREF.sub(lambda m: f'{m.group(1)}="#{prefix}-{m.group(2)}"', tag)

    # only inside tags: text content (user strings, escaped by matplotlib) is never rewritten
    text = _TAG.sub(retag, text)
    text = text.replace("<svg ", f'<svg id="{prefix}" class="nnd-svg" ', 1)
    # matplotlib's stylesheet applies to every element of the page: keep it to this figure
    text = _STYLE.sub(f'<style type="text/css">#{prefix} *{{', text, count=1)
    return text.strip() + "\n"


def label(text: Any) -> str:
    """A user string as matplotlib must receive it to show it verbatim: ``$`` would start
    mathtext, and a legend skips labels starting with ``_``."""
    text = str(text).replace("$", r"\$")
    return "\u200b" + text if text.startswith("_") else text


def number(value: Any) -> float:
    """A value of the JSON report as a float: null and "nan" are NaN, "inf"/"-inf" infinite."""
    if value is None:
        return math.nan
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def finite(values: Iterable[float]) -> list[float]:
    return [v for v in values if math.isfinite(v)]


def shorten(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
