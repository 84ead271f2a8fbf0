"""Values of the command line's options, checked where they are read.

Each function turns one option's text into its value or raises `argparse.ArgumentTypeError`
with a sentence that says what was expected; `Parser` prints that sentence on one line and
exits with 2 (the exit code of "nndoctor could not do its job"), never a traceback or a usage
block. The same checks serve ``[tool.nndoctor]`` in pyproject.toml (`nndoctor.config`).
"""

from __future__ import annotations

import argparse
import math
import re
from typing import NoReturn

MAX_SEED = 2**32 - 1  # numpy's legacy seeding takes 0 .. 2**32 - 1
MIN_MEMORY = 256 * 2**20  # below this not even Python with numpy starts
_UNITS = {"": 1, "b": 1, "k": 2**10, "kb": 2**10, "m": 2**20, "mb": 2**20, "g": 2**30, "gb": 2**30,
          "t": 2**40, "tb": 2**40, "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


class UsageError(Exception):
    """A command-line or configuration value nndoctor cannot use; the message is one sentence."""


class Parser(argparse.ArgumentParser):
    """argparse, with its errors as one line on stderr and exit code 2 (`UsageError`)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (`{self.prog} --help` lists the options)")


def iterations(text: str) -> int:
    value = _integer(text, "a whole number of iterations")
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of iterations of at least 1, got {text!r}")
    return value


def seed(text: str) -> int:
    value = _integer(text, "a seed")
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"expected a seed between 0 and {MAX_SEED} (numpy's range), got {text!r}")
    return value


def seconds(text: str) -> float:
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds greater than 0, got {text!r}")
    return value


def jobs(text: str) -> int:
    value = _integer(text, "a number of worker processes")
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number of worker processes of at least 1, got {text!r}")
    return value


def memory(text: str) -> str:
    """``4G``, ``512M``, ``1.5GB``, ``25%`` (of the machine's memory) or ``none``; checked here,
    turned into bytes where the check runs (`memory_bytes`), since a Dask worker may be another
    machine."""
    memory_bytes(text, total=MIN_MEMORY * 1024)  # raises on a malformed value
    return text.strip()


def memory_bytes(spec: str, total: int) -> int | None:
    """The limit in bytes for a machine with ``total`` bytes of memory; None for ``none``."""
    text = str(spec).strip().lower()
    if text in ("none", "off", "unlimited"):
        return None
    found = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(%|[a-z]*)", text)
    if not found or (found.group(2) != "%" and found.group(2) not in _UNITS):
        raise argparse.ArgumentTypeError(f"expected a memory size such as 4G, 512M, 25% or none, got {spec!r}")
    number, unit = float(found.group(1)), found.group(2)
    if unit == "%":
        if not 0 < number <= 100:
            raise argparse.ArgumentTypeError(f"expected a percentage between 0 and 100, got {spec!r}")
        limit = int(total * number / 100)
    else:
        limit = int(number * _UNITS[unit])
    if unit != "%" and limit < MIN_MEMORY:
        raise argparse.ArgumentTypeError(f"expected at least 256M of memory (Python and numpy need that much to "
                                         f"start), got {spec!r}")
    return max(limit, MIN_MEMORY)


def rule_list(text: str) -> list[str]:
    """``NND1,dead-relu, NND301``: rule codes, code prefixes or slugs (checked by `nndoctor.selection`)."""
    items = [part.strip() for part in text.split(",") if part.strip()]
    if not items:
        raise argparse.ArgumentTypeError("expected rule codes, prefixes or names separated by commas, got nothing")
    return items


def patterns(text: str) -> list[str]:
    """``--exclude old,drafts/*.py``: gitignore-style patterns separated by commas."""
    return [part.strip() for part in text.split(",") if part.strip()]


def _integer(text: str, what: str) -> int:
    try:
        return int(text)
    except (TypeError, ValueError):
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
