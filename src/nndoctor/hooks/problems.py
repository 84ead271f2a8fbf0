"""What went wrong while watching: a declared function that returned what its role cannot use, an
exception raised in the learner's code, and nndoctor's own errors (which never reach the learner's
program: recording must not break it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from nndoctor import roles as R
from nndoctor.budget import ProbeBudgetReached, ProbeStopped
from nndoctor.hooks.sites import Site
from nndoctor.hooks.state import DoctorState
from nndoctor.trace import Problem, RecordedError
from nndoctor.usercode import NOT_THE_LEARNERS_ERROR, UserCodeError

MAX_INTERNAL_ERRORS = 20


class Problems(DoctorState):
    def _problem(self, site: Site, role: str, message: str) -> None:
        """A function the learner declared (doctor.backward, ...) returned what its role cannot use.
        A role nndoctor recognized by itself is only a guess: that is no problem of the learner's."""
        if site.declared_role is None or any(p.function == site.name and p.role == role for p in self.trace.problems):
            return
        it = self._runs.it
        self.trace.problems.append(Problem(site.name, role, it.index if it else None,
                                           f"{site.name} {message}.", site.file, site.line))

    def _record_error(self, site: Site, exc: BaseException) -> None:
        if isinstance(exc, (*NOT_THE_LEARNERS_ERROR, ProbeBudgetReached, ProbeStopped)):
            return  # the program ending (exit(), Ctrl-C), or nndoctor stopping or refusing something
        if getattr(exc, "__nndoctor_recorded__", False):
            return  # already recorded by the innermost watched function
        tb = exc.__traceback__
        if tb is not None and tb.tb_next is None:
            return  # raised by the call itself (wrong arguments): the caller's mistake, reported there
        try:
            exc.__nndoctor_recorded__ = True  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - some exception types refuse attributes
            pass
        info = UserCodeError.wrap(site.name, exc, exc.__traceback__)
        run, it = self._runs.run, self._runs.it
        self.trace.errors.append(RecordedError(
            function=site.name, role=site.role or R.OTHER,
            iteration=it.index if it is not None else None,
            run=run.index if run is not None else 0,
            exception=type(exc).__name__, message=str(exc), file=info.file, line=info.line,
            traceback=info.traceback_text))

    def _internal(self, where: str, exc: Exception) -> None:
        if len(self._internal_errors) < MAX_INTERNAL_ERRORS:
            self._internal_errors.append(f"{where}: {type(exc).__name__}: {exc}")


def describe(value: Any) -> str:
    """What a value is, in a few words: 'None', 'a list of 3 items', 'an array of shape (1, 209)'."""
    if value is None:
        return "None"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    if isinstance(value, tuple):
        return f"a tuple of {len(value)} items ({', '.join(type(v).__name__ for v in value[:4])})"
    if isinstance(value, Mapping):
        keys = ", ".join(map(str, list(value)[:6]))
        return f"a dict with keys {keys}" if keys else "an empty dict"
    return f"a {type(value).__name__}"
