"""Whether to colour the output: ``--color``, then the ``NO_COLOR`` / ``FORCE_COLOR`` conventions.

``--color always`` and ``--color never`` win. With ``auto`` (the default) a set, non-empty
``NO_COLOR`` turns colour off (https://no-color.org), a set ``FORCE_COLOR`` other than ``0`` turns
it on, and otherwise colour is used when the output is a terminal that is not ``TERM=dumb``.
"""

from __future__ import annotations

import os
from typing import TextIO

COLOR_MODES = ("auto", "always", "never")


def use_color(mode: str, stream: TextIO | None) -> bool:
    """Colour for output going to ``stream`` (``None``: a file named by ``-o``)."""
    if mode == "always":
        return True
    if mode == "never":
        return False
    if os.environ.get("NO_COLOR"):
        return False
    force = os.environ.get("FORCE_COLOR")
    if force is not None and force not in ("", "0", "false"):
        return True
    if stream is None:
        return False
    return is_terminal(stream) and os.environ.get("TERM") != "dumb"


def is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or replaced stream
        return False
