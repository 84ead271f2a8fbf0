"""The calls nndoctor makes itself never change the learner's files.

`nndoctor check` runs the program as its author does: what the program's own statements write,
they write (a ``save_weights(W)`` at its end lands in the program's folder, as with ``python
file.py``). But nndoctor also calls the learner's functions itself: a training function when
nothing trained (on data it found or made up), the loaders it looks for data with, the forward,
cost and backward the gradient check replays on other parameter values, an update step the
probes call on made-up arrays, a prediction made twice. While such a call runs (`own_calls`),
in the thread that makes it:

- a file opened for writing with ``open()`` (``np.save``, ``pickle.dump``, ``savefig``, a log
  written with ``open(path, "a")``) is opened on the null device instead: the learner's code goes
  on as if it had written, and nothing reaches the disk (`redirected` lists those files);
- every other change Python reports through its audit events (PEP 578): deleting, moving,
  creating a folder, opening for writing below ``open()`` (``os.open``) is refused with
  `WriteRefused`, which says what was refused and why; the runner and the hooks turn it into a
  note, never into a finding against the learner.

Writes made in C without an audit event (h5py's HDF5 library) are not seen here; the check's
environment refuses h5py a writing mode in such calls (checkfile/environment.py).
"""

from __future__ import annotations

import builtins
import contextlib
import io
import os
import sys
import threading
from collections.abc import Iterator
from typing import Any

from nndoctor.usercode import WriteRefused, display_path

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
# audit events that change the file system: event -> (what is refused, index of the path argument)
_CHANGES = {
    "os.remove": ("deleting", 0), "os.rmdir": ("deleting", 0), "shutil.rmtree": ("deleting", 0),
    "os.rename": ("moving", 0), "shutil.move": ("moving", 0), "shutil.copyfile": ("writing", 1),
    "shutil.copytree": ("writing", 1), "os.mkdir": ("creating the folder", 0), "os.truncate": ("truncating", 0),
    "os.symlink": ("creating the link", 1), "os.link": ("creating the link", 1), "os.chmod": ("changing", 0),
    "os.chown": ("changing", 0), "os.utime": ("changing", 0), "os.chflags": ("changing", 0),
}

_doing: list[str] = []  # what nndoctor is calling the learner's functions for, innermost last
_thread: int | None = None  # the thread making those calls (the program's other threads are its own)
_installed = False
_saved_open: Any = None
redirected: list[tuple[str, str]] = []  # (what nndoctor was doing, the file a write was kept from)


def active() -> str | None:
    """What nndoctor is calling the learner's code for, when the current thread is making such a call."""
    return _doing[-1] if _doing and threading.get_ident() == _thread else None


@contextlib.contextmanager
def own_calls(what: str) -> Iterator[None]:
    """Calls of the learner's functions that nndoctor makes itself (``what``: why, for the notes)."""
    global _thread, _saved_open
    if _doing and threading.get_ident() != _thread:  # another thread already guards: not nested here
        yield
        return
    _install()
    outermost = not _doing
    if outermost:
        _thread = threading.get_ident()
        _saved_open = builtins.open
        builtins.open = io.open = _opener(_saved_open)  # type: ignore[assignment]
    _doing.append(what)
    try:
        yield
    finally:
        _doing.pop()
        if outermost:
            builtins.open = io.open = _saved_open  # type: ignore[assignment]
            _thread = None


def refusal(verb: str, path: Any, what: str) -> WriteRefused:
    shown = display_path(os.fsdecode(path)) if isinstance(path, (str, bytes, os.PathLike)) else repr(path)
    return WriteRefused(f"{verb} {shown} was refused: nndoctor made this call itself ({what}), and the calls "
                        f"nndoctor makes never change your files (your own run of the file does as usual)")


def _opener(original: Any) -> Any:
    def open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:  # noqa: A001 - stands in for open
        what = active()
        if what is None or isinstance(file, int) or not isinstance(mode, str) or not set(mode) & set("wax+"):
            return original(file, mode, *args, **kwargs)
        if not _harmless(file):
            redirected.append((what, display_path(os.fsdecode(file)) or str(file)))
        kept = mode.replace("x", "w")  # the null device exists: "x" would say the file is already there
        return original(os.devnull, kept, *args, **kwargs)

    return open


def _harmless(path: Any) -> bool:
    try:
        text = os.fsdecode(path)
    except TypeError:
        return False
    return text == os.devnull or text.startswith("/dev/")


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if not _doing or threading.get_ident() != _thread:
        return
    if event == "open":
        path, mode, flags = (tuple(args) + (None, None, 0))[:3]
        if isinstance(path, int) or _harmless(path):
            return
        writing = set(mode) & set("wax+") if isinstance(mode, str) else bool((flags or 0) & _WRITE_FLAGS)
        if writing:
            raise refusal("writing", path, _doing[-1])
    elif event in _CHANGES:
        verb, index = _CHANGES[event]
        path = args[index] if len(args) > index else None
        if path is not None and not isinstance(path, int) and not _harmless(path):  # an fd: its open was seen
            raise refusal(verb, path, _doing[-1])


def _install() -> None:
    global _installed
    if not _installed:
        sys.addaudithook(_hook)  # for the life of the process; it does nothing outside `own_calls`
        _installed = True
