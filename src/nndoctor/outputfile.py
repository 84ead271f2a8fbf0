"""``-o FILE``: checked before the check spends its time, written so that nothing else is harmed.

Refused, with one line and exit code 2, before any file is checked:
- a file being checked (by identity, so ``./model.py``, a hard link or another spelling count);
- a symbolic link, unless it leads to a terminal, a pipe or a device such as ``/dev/null``
  (writing through it cannot replace a file): nndoctor does not write through links it did not
  expect;
- a folder; a folder that does not exist; a folder nndoctor cannot create a file in (tried, not
  guessed from permission bits: root passes those, a read-only file system does not); a file that is
  read-only.

A regular file is written to a new temporary file in the same folder and moved over the target
in one step (``os.replace``): a crash never leaves half a report, and a link put in place of the
file meanwhile is replaced, not followed.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from nndoctor.arguments import UsageError


@dataclass(frozen=True)
class OutputFile:
    path: Path
    stream: bool = False  # a device, a pipe or a terminal: written in place

    @classmethod
    def check(cls, text: str, checked: Iterable[Path] = (), command: str = "nndoctor check") -> OutputFile:
        """The output path, or a `UsageError` that says why it cannot be written."""
        if not text:
            raise UsageError(f"{command}: -o: expected a file name, got an empty one.")
        path = Path(text)
        say = f"{command}: -o {text}"
        for target in checked:
            if _same_file(path, target):
                raise UsageError(f"{say}: that is the file being checked; nndoctor never overwrites it, "
                                 f"choose another name for the report.")
        if os.path.islink(path):
            if _is_stream(path):
                return cls(path, stream=True)
            raise UsageError(f"{say}: is a symbolic link (to {os.readlink(path)}); nndoctor does not write "
                             f"through links, name the file itself.")
        if path.exists():
            mode = path.stat().st_mode
            if stat.S_ISDIR(mode):
                raise UsageError(f"{say}: is a folder; name a file in it, e.g. {path / 'report.txt'}.")
            if _is_stream(path):
                return cls(path, stream=True)
            if not stat.S_ISREG(mode):
                raise UsageError(f"{say}: is not a regular file; name a file to write the report to.")
            if not os.access(path, os.W_OK):
                raise UsageError(f"{say}: is read-only; nndoctor does not replace it.")
        check_folder(path.parent, say)
        return cls(path)

    def write(self, text: str) -> None:
        if self.stream:
            with open(self.path, "w", encoding="utf-8") as handle:
                handle.write(text)
            return
        write_atomically(self.path, text)


def check_folder(folder: Path, say: str) -> None:
    """The folder exists and nndoctor can create a file in it (tried, then removed)."""
    shown = str(folder) if str(folder) else "."
    if not folder.exists():
        raise UsageError(f"{say}: the folder {shown} does not exist; create it first.")
    if not folder.is_dir():
        raise UsageError(f"{say}: {shown} is not a folder.")
    try:
        handle, probe = tempfile.mkstemp(dir=folder, prefix=".nndoctor-", suffix=".tmp")
    except OSError as err:
        raise UsageError(f"{say}: cannot write in the folder {shown} ({err.strerror}).") from None
    os.close(handle)
    os.unlink(probe)


def write_atomically(path: Path, text: str) -> None:
    """``path`` gets ``text`` whole or not at all, and a link at ``path`` is replaced, not followed."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        mode = path.lstat().st_mode & 0o777 if path.is_file() and not path.is_symlink() else None
    except OSError:
        mode = None
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        if mode is None:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def _same_file(path: Path, target: Path) -> bool:
    try:
        return path.exists() and os.path.samefile(path, target)
    except OSError:
        return False


def _is_stream(path: Path) -> bool:
    try:
        mode = path.stat().st_mode  # follows the link: what a write would reach
    except OSError:
        return False
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)
