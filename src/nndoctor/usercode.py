"""Calling user functions: turning their exceptions into locatable records, finding lines, and
`guarded_call`, the guard every probe of user code goes through."""

from __future__ import annotations

import contextlib
import functools
import inspect
import io
import os
import random
import re
import sys
import sysconfig
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import numpy as np

from nndoctor.findings import Finding, Location

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_STDLIB_DIRS = tuple({os.path.abspath(sysconfig.get_paths()[key]) for key in ("stdlib", "platstdlib")})


DISPLAY_BASE: str | None = None  # `nndoctor check` fixes it to the user's directory (it chdirs meanwhile)


def display_path(path: str | None) -> str | None:
    """A path relative to the working directory (or DISPLAY_BASE) when it lies below it, else unchanged."""
    if not path:
        return path
    if os.path.isabs(path) and not path.startswith("<"):
        path = os.path.normpath(path)  # scripts/../src/net.py (a sys.path.append("..") import) -> src/net.py
    try:
        rel = os.path.relpath(path, DISPLAY_BASE or os.getcwd())
    except ValueError:
        return path
    if rel.startswith("..") and os.path.isabs(path):
        up = rel.split(os.sep).count("..")
        return rel if up <= 2 and not rel.startswith(".." + os.sep + ".." + os.sep + "..") else path
    return path if rel.startswith("..") else rel


def function_name(func: Callable[..., Any]) -> str:
    name = getattr(func, "__qualname__", None) or getattr(func, "__name__", None)
    if name is None:
        return type(func).__name__
    return name


def definition_site(func: Callable[..., Any]) -> tuple[str | None, int | None]:
    """(file, first line) of a function's definition, or (None, None) for builtins and lambdas typed at a prompt."""
    target = inspect.unwrap(func) if callable(func) else func
    target = getattr(target, "__func__", target)
    try:
        file = inspect.getsourcefile(target)
        _, line = inspect.getsourcelines(target)
    except (TypeError, OSError):
        return None, None
    return display_path(file), line


def assignment_line(func: Any, key: str) -> int | None:
    """The line in the source of ``func`` (a function or code object) that assigns the gradient
    ``key`` (``dW2 = ...``, ``grads["dW2"] = ...``, ``"dW2": ...``), or None when it is not written
    out literally."""
    target = func if inspect.iscode(func) else getattr(inspect.unwrap(func), "__func__", func)
    code = getattr(target, "__code__", target)
    if inspect.iscode(code):
        return _assignment_line_of_code(code.co_filename, code.co_firstlineno, code, key)
    return _assignment_line(target, key)


@functools.lru_cache(maxsize=1024)
def _assignment_line_of_code(filename: str, first: int, code: Any, key: str) -> int | None:
    """`assignment_line` of a code object, once per code object and key: reading a function's
    source tokenizes its module (about a millisecond), and a check that fails asks again and
    again. The file and first line are part of the key because code objects compiled from
    different files compare equal when their bytecode does (two submissions of one exercise)."""
    return _assignment_line(code, key)


def _assignment_line(target: Any, key: str) -> int | None:
    try:
        lines, start = inspect.getsourcelines(target)
    except (TypeError, OSError):
        return None
    escaped = re.escape(key)
    patterns = [
        re.compile(rf"^\s*(self\.)?{escaped}\s*(=|\+=|-=|\*=|/=)(?!=)"),
        re.compile(rf"\[\s*['\"]{escaped}['\"]\s*\]\s*(=|\+=|-=|\*=|/=)(?!=)"),
        re.compile(rf"['\"]{escaped}['\"]\s*:"),
    ]
    for pattern in patterns:  # the most specific pattern wins, first occurrence
        for offset, text in enumerate(lines):
            if pattern.search(text):
                return start + offset
    return None


def gradient_site(code_objects: list[Any], key: str) -> tuple[str, str, int] | None:
    """(function, file, line) of the first user function among ``code_objects`` (innermost first)
    whose source assigns ``key``."""
    for code in code_objects:
        line = assignment_line(code, key)
        if line is not None:
            return code.co_qualname, display_path(code.co_filename) or code.co_filename, line
    return None


def traced_call(func: Callable[..., Any], *args: Any) -> tuple[Any, list[Any]]:
    """Call ``func`` and return (result, the user code objects it ran, deepest-defined first)."""
    seen: dict[Any, None] = {}

    def profiler(frame: Any, event: str, arg: Any) -> None:
        if event == "call" and _is_user_frame(frame.f_code.co_filename):
            seen.setdefault(frame.f_code, None)

    previous = sys.getprofile()
    sys.setprofile(profiler)
    try:
        result = call_user(func, *args)
    finally:
        sys.setprofile(previous)
    # the outer wrapper (e.g. a lambda calling backward_propagation) comes first in call order;
    # the function that computes the gradients is usually a callee, so search callees first
    return result, list(reversed(list(seen)))


_USER_FILES: dict[tuple[str, str], bool] = {}  # (absolute file name, _PACKAGE_DIR) -> _is_user_frame's answer


def _is_user_frame(filename: str) -> bool:
    """User code is everything but nndoctor itself, the standard library and installed third-party
    packages. nndoctor's bundled examples are user code, also when installed into site-packages."""
    key = (filename, _PACKAGE_DIR)
    known = _USER_FILES.get(key)
    if known is None:
        known = _user_file(filename)
        if os.path.isabs(filename) and len(_USER_FILES) < 10_000:  # a relative name depends on the directory
            _USER_FILES[key] = known
    return known


def _user_file(filename: str) -> bool:
    if filename.startswith("<"):  # <stdin>, <ipython-input-3-…>: typed by the user; <frozen …>: Python's
        return not filename.startswith("<frozen")
    path = os.path.abspath(filename)
    if _inside(path, os.path.join(_PACKAGE_DIR, "examples")):
        return True
    if _inside(path, _PACKAGE_DIR):
        return False
    if any(part in ("site-packages", "dist-packages") for part in path.split(os.sep)):
        return False
    return not any(_inside(path, folder) for folder in _STDLIB_DIRS)


def _inside(path: str, folder: str) -> bool:
    return path.startswith(folder.rstrip(os.sep) + os.sep)


class ProgramExit(BaseException):
    """``os._exit(code)`` called by the program under `nndoctor check`: it ends the program, not nndoctor."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class InputClosed(EOFError):
    """``input()`` under `nndoctor check`: nobody types there, so it reads end-of-file."""


class WriteRefused(PermissionError):
    """A file the learner's code tried to write, move or delete while nndoctor itself was calling it
    (a guessed training call, a loader it looked for data with, the gradient check's replays): only
    the program's own calls change the learner's files (nndoctor/guard.py)."""


# raised into the learner's code by the program ending or by nndoctor: never a bug of the learner's
NOT_THE_LEARNERS_ERROR = (SystemExit, KeyboardInterrupt, GeneratorExit, ProgramExit, InputClosed, WriteRefused)


@dataclass
class UserCodeError(Exception):
    """A user function raised. Carries the original exception and the innermost user frame."""

    function: str
    exception: BaseException
    file: str | None
    line: int | None
    traceback_text: str

    def __str__(self) -> str:
        where = f" ({os.path.basename(self.file)}:{self.line})" if self.file else ""
        return f"{self.function} raised {type(self.exception).__name__}: {self.exception}{where}"

    @classmethod
    def wrap(cls, function: str, exc: BaseException, tb: TracebackType | None) -> UserCodeError:
        frames = traceback.extract_tb(tb)
        user_frames = [f for f in frames if _is_user_frame(f.filename)]
        last = user_frames[-1] if user_frames else (frames[-1] if frames else None)
        shown = user_frames[-4:] if user_frames else frames[-4:]
        text = "".join(traceback.format_list(shown)) + "".join(traceback.format_exception_only(type(exc), exc))
        return cls(function, exc, display_path(last.filename) if last else None, last.lineno if last else None, text)


def user_code_finding(function: str | None, exception: str, exception_message: str, *, file: str | None = None,
                      line: int | None = None, traceback_text: str | None = None, message: str | None = None,
                      fix: str, severity: str = "error", parameter: str | None = None, iteration: int | None = None,
                      run: str | None = None, evidence: dict[str, Any] | None = None) -> Finding:
    """The one way a failure of the user's code becomes a ``user-code-error`` finding: the same
    evidence keys (exception, exception_message, function, file, line, traceback) whoever saw it
    (the hooks, a probe, the gradient check, the file runner), plus what that checker adds."""
    first = (exception_message.splitlines() or [""])[0]
    return Finding(
        rule="user-code-error", severity=severity,
        message=message or f"{function} raised {exception}: {first}",
        location=Location(parameter=parameter, function=function, file=file, line=line, iteration=iteration, run=run),
        evidence={"exception": exception, "exception_message": exception_message, "function": function,
                  "file": file, "line": line, "traceback": traceback_text, **(evidence or {})},
        fix=fix)


def finding_of(err: UserCodeError, *, fix: str, message: str | None = None, **kwargs: Any) -> Finding:
    """`user_code_finding` for a caught `UserCodeError`."""
    return user_code_finding(err.function, type(err.exception).__name__, str(err.exception), file=err.file,
                             line=err.line, traceback_text=err.traceback_text, message=message, fix=fix, **kwargs)


def call_user(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call ``func``; any exception comes back as a UserCodeError naming the user's own line."""
    try:
        return func(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - every user exception becomes a finding
        raise UserCodeError.wrap(function_name(func), exc, exc.__traceback__) from exc


_LINE_BUDGET = 200_000


class _OverBudget(BaseException):
    """Raised inside user code that runs far more lines than any activation needs."""


def guarded_call(func: Callable[..., Any], *args: Any) -> tuple[bool, Any]:
    """``(True, result)`` or ``(False, exception)``. Output is swallowed, stdin is empty, warnings
    are silenced, numpy's and `random`'s global states are restored, and a line budget stops
    runaway loops. Only KeyboardInterrupt gets through.

    For nndoctor probing the user's functions on inputs of its own (activations, derivative helpers,
    optimizer steps); `call_user` is for calls the program itself makes."""
    np_state = np.random.get_state()
    py_state = random.getstate()
    count = 0

    def tracer(frame: Any, event: str, arg: Any) -> Any:
        nonlocal count
        count += 1
        if count > _LINE_BUDGET:
            raise _OverBudget("line budget exceeded")
        return tracer

    previous_trace = sys.gettrace()
    old_stdin = sys.stdin
    sink = io.StringIO()
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink), \
                warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            sys.stdin = io.StringIO("")
            sys.settrace(tracer)
            try:
                return True, func(*args)
            finally:
                sys.settrace(previous_trace)
                sys.stdin = old_stdin
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # noqa: BLE001 - user code may raise anything, even SystemExit
        return False, exc
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)
