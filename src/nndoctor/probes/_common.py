"""What both probes share: calling user code safely, naming its place, numbers as a learner reads them."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from nndoctor.findings import Finding, Location, Severity
from nndoctor.usercode import (
    NOT_THE_LEARNERS_ERROR,
    UserCodeError,
    WriteRefused,
    definition_site,
    finding_of,
    function_name,
    guarded_call,
)


def guarded(func: Callable[..., Any], *args: Any, seed: int | None = None, **kwargs: Any) -> tuple[bool, Any]:
    """``(True, result)`` or ``(False, exception)``, through `nndoctor.usercode.guarded_call`: output
    swallowed, stdin empty, warnings off, numpy's and `random`'s global states restored afterwards,
    a line budget against runaway loops. ``seed`` seeds numpy's global generator for the call only
    (a builder that draws from it without a seed argument then sees a different state each epoch)."""

    def call() -> Any:
        if seed is not None:
            np.random.seed(seed)
        return func(*args, **kwargs)

    return guarded_call(call)


def name_of(func: Callable[..., Any], name: str | None) -> str:
    if name:
        return name
    target = getattr(func, "__func__", func)
    return getattr(target, "__name__", None) or function_name(func)


def source_lines(func: Callable[..., Any]) -> tuple[list[str], int] | None:
    target = inspect.unwrap(getattr(func, "__func__", func))
    try:
        return inspect.getsourcelines(target)
    except (TypeError, OSError):
        return None


def location(func: Callable[..., Any], name: str, patterns: Iterable[str] = (), parameter: str | None = None
             ) -> Location:
    """The function's file and the first line of its source matching one of ``patterns`` (regular
    expressions, tried in order), else the ``def`` line."""
    file, line = definition_site(func)
    found = source_lines(func)
    if found is not None:
        lines, start = found
        for pattern in patterns:
            rx = re.compile(pattern)
            hit = next((start + i for i, text in enumerate(lines)
                        if rx.search(text.split("#", 1)[0]) and not text.lstrip().startswith("def ")), None)
            if hit is not None:
                line = hit
                break
    return Location(parameter=parameter, function=name, file=file, line=line)


def user_code_finding(func: Callable[..., Any], name: str, exc: BaseException, what: str) -> Finding:
    """``user-code-error`` for an exception raised by the user's function during a probe; an exit, a
    Ctrl-C or a write nndoctor refused on the probe's made-up inputs is no bug of the learner's: an
    info that the function could not be probed."""
    err = UserCodeError.wrap(name, exc, exc.__traceback__)
    if isinstance(exc, NOT_THE_LEARNERS_ERROR):
        how = "was refused a write" if isinstance(exc, WriteRefused) else f"raised {type(exc).__name__}"
        return Finding(
            "check-inconclusive",
            f"{name} could not be checked when {what}: on nndoctor's made-up inputs it {how}; the rest of the "
            f"check is unaffected.",
            Severity.INFO, Location(function=name, file=err.file, line=err.line),
            {"reason": "probe-ended", "exception": type(exc).__name__, "exception_message": str(exc), "probe": what},
            "Nothing to fix for this.")
    first = (str(exc).splitlines() or [""])[0]
    file, line = (err.file, err.line) if err.file is not None else definition_site(func)
    return finding_of(UserCodeError(name, exc, file, line, err.traceback_text),
                      message=f"{name} raised {type(exc).__name__}: {first} (when {what}).",
                      evidence={"file": err.file, "line": err.line, "probe": what},
                      fix=f"Fix the exception first: {name} could not be checked.")


def parameters_of(func: Callable[..., Any]) -> list[inspect.Parameter] | None:
    """The parameters a caller can fill (bound methods without self), None when not inspectable."""
    if not callable(func) or inspect.isclass(func):
        return None
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):
        return None
    return [p for p in sig.parameters.values() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
