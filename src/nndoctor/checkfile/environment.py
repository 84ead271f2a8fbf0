"""Running a learner's file safely in this process: no windows, no stdin, old numpy names.

Everything changed here is put back on exit. What had to be neutralized is reported, so the
learner knows their file relies on it (`plt.show()` on a machine with no screen is harmless;
`np.int` is gone in numpy 2 and will break their code elsewhere).
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import io
import os
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

# aliases numpy 2 removed, with what to write instead
REMOVED_NUMPY_ALIASES = {"int": "int", "float": "float", "bool": "bool", "object": "object", "str": "str",
                         "long": "int", "unicode": "str", "complex": "complex"}


@dataclass
class Neutralized:
    """What the environment had to change for the file to run here."""

    numpy_aliases: dict[str, list[int]] = field(default_factory=dict)  # alias -> lines using it
    backends: list[str] = field(default_factory=list)  # matplotlib.use(...) requests ignored
    shows: int = 0  # plt.show() calls
    inputs: int = 0  # input() calls answered with end-of-file
    output: io.StringIO = field(default_factory=io.StringIO)


def numpy_alias_uses(source: str) -> dict[str, list[int]]:
    """Lines using ``np.int`` and the other removed aliases, read from the code (not comments or
    strings); a notebook is read cell by cell, so the lines are those of its cells."""
    uses: dict[str, list[int]] = {}
    for tree in _trees(source):
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and node.attr in REMOVED_NUMPY_ALIASES
                    and isinstance(node.value, ast.Name) and node.value.id in ("np", "numpy")):
                uses.setdefault(f"np.{node.attr}", []).append(node.lineno)
    return {k: sorted(set(v)) for k, v in uses.items()}


def _trees(source: str) -> list[ast.AST]:
    import json

    pieces = [source]
    if source.lstrip().startswith("{"):
        try:
            cells = json.loads(source)["cells"]
            pieces = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
                      for c in cells if c.get("cell_type") == "code"]
        except (ValueError, KeyError, TypeError):
            pass
    trees = []
    for piece in pieces:
        try:
            trees.append(ast.parse("\n".join("" if l.lstrip().startswith(("%", "!")) else l
                                             for l in piece.splitlines())))
        except SyntaxError:
            continue
    return trees


@contextlib.contextmanager
def sandbox(path: Path, source: str) -> Iterator[Neutralized]:
    state = Neutralized(numpy_aliases=numpy_alias_uses(source))
    saved_cwd, saved_path, saved_argv = os.getcwd(), list(sys.path), list(sys.argv)
    saved_input, saved_stdin = builtins.input, sys.stdin
    added_aliases = []
    for alias, builtin in REMOVED_NUMPY_ALIASES.items():
        if alias not in np.__dict__:
            setattr(np, alias, getattr(builtins, builtin))
            added_aliases.append(alias)
    restore_plots = _quiet_matplotlib(state)

    def no_input(prompt: Any = "") -> str:
        state.inputs += 1
        raise EOFError("stdin is closed while nndoctor runs the file")

    try:
        os.chdir(path.parent)  # data files are usually opened relative to the notebook
        sys.path.insert(0, str(path.parent))  # helper modules next to it (dnn_utils.py, ...)
        sys.argv = [str(path)]
        builtins.input = no_input
        sys.stdin = io.StringIO("")
        with contextlib.redirect_stdout(state.output), warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            yield state
    finally:
        os.chdir(saved_cwd)
        sys.path[:] = saved_path
        sys.argv = saved_argv
        builtins.input, sys.stdin = saved_input, saved_stdin
        for alias in added_aliases:
            delattr(np, alias)
        restore_plots()


def _quiet_matplotlib(state: Neutralized):
    """Agg backend, and plt.show()/matplotlib.use() that do nothing; returns the undo function."""
    try:
        import matplotlib
        matplotlib.use("Agg", force=True)
        import matplotlib.pyplot as plt
    except Exception:  # noqa: BLE001 - no matplotlib: nothing to neutralize
        return lambda: None
    original_use, original_show, original_pause = matplotlib.use, plt.show, plt.pause

    def use(backend: str, *args: Any, **kwargs: Any) -> None:
        state.backends.append(str(backend))

    def show(*args: Any, **kwargs: Any) -> None:
        state.shows += 1
        plt.close("all")

    matplotlib.use, plt.show, plt.pause = use, show, lambda *a, **k: None

    def undo() -> None:
        matplotlib.use, plt.show, plt.pause = original_use, original_show, original_pause
        plt.close("all")

    return undo
