"""Strings from user code made safe for a terminal or a CI log.

A message, a parameter name, a path or a traceback can hold anything the learner's program put in
it, including terminal escape sequences (``\\x1b[2J`` clears the screen, ``\\x1b]8;;`` makes links)
and bidirectional-text controls that reorder what is displayed. `printable` shows every such
character as a visible ``\\xNN`` / ``\\u202e`` escape instead of sending it to the terminal; newlines
and tabs stay (the renderers lay text out with them).
"""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, C1 controls; bidi embeddings, overrides and isolates
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: object) -> str:
    """``text`` as a string with every control character shown as an escape, not interpreted."""
    return _UNPRINTABLE.sub(_visible, "" if text is None else str(text))
