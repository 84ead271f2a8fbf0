"""The folder the program runs in: where its author runs it from.

``python path/to/model.py`` opens relative data paths from the folder it is started in, and authors
write their paths for the folder they start from: ``h5py.File("datasets/train.h5")`` next to the
file, or ``h5py.File("C1W4/train.h5")`` from the repository's root. nndoctor cannot ask, so it reads
the paths the program and its helper modules spell out and runs it where more of them exist: the
file's own folder, or the folder `nndoctor check` was started from. Nothing is run to decide.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterable
from pathlib import Path

MAX_HELPERS = 40  # helper modules next to the file whose paths are read
MAX_HELPER_BYTES = 400_000


def working_directory(path: Path, statements: Iterable[ast.stmt], started_in: Path) -> Path:
    """The file's folder, unless more of the relative paths it spells out exist from ``started_in``."""
    home = path.parent
    try:
        if started_in.resolve() == home.resolve():
            return home
    except OSError:
        return home
    literals = set(_path_literals(statements))
    for helper in sorted(home.glob("*.py"))[:MAX_HELPERS]:
        if helper.resolve() == path.resolve():
            continue
        try:
            if helper.stat().st_size <= MAX_HELPER_BYTES:
                literals.update(_path_literals(ast.parse(helper.read_text(errors="replace")).body))
        except (OSError, SyntaxError, ValueError):
            continue
    found_home = sum(_exists(home, p) for p in literals)
    found_start = sum(_exists(started_in, p) for p in literals)
    return started_in if found_start > found_home else home


def _path_literals(statements: Iterable[ast.stmt]) -> Iterable[str]:
    """String constants that read like relative file or folder paths."""
    for statement in statements:
        for node in ast.walk(statement):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value.strip()
                if 2 < len(text) < 200 and "\n" not in text and not os.path.isabs(text) and \
                        ("/" in text or "\\" in text or "." in text[1:]) and " " not in text.strip("./"):
                    yield text


def _exists(folder: Path, relative: str) -> bool:
    try:
        return (folder / relative).exists() and relative.strip("./\\") != ""
    except (OSError, ValueError):
        return False
