"""Putting the Doctor around the user's functions: the wrapper each one gets, and `Watched`, what
`watch()` replaced in a module, a dict of globals or a class (for `unwatch()` to put back).

A wrapped function keeps its signature, docstring, return value and exceptions: the wrapper hands
each call to the Doctor before and after it runs (calls.py) and records what it raised.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from nndoctor import roles as R
from nndoctor.hooks.sites import Site

F = TypeVar("F", bound=Callable[..., Any])


def wrap(doctor: Any, func: F, role: str | None, kind: str | None = None,
         derivative_of: str | None = None) -> F:
    """``func`` watched by ``doctor``, in the role given (None: recognized from its calls)."""
    site = Site(func, role, kind, derivative_of)
    if role in (R.ACTIVATION, R.DERIVATIVE):
        # decorated helpers are checked like watched ones (activation-derivative pairs them);
        # their kind is recognized at their first call, on arrays shaped like the program's
        doctor.trace.module_functions.setdefault(getattr(func, "__name__", site.name), func)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if doctor.budget is not None:
            doctor.budget.check_deadline()  # past the time limit, every watched call stops
        if doctor._busy:  # called by nndoctor itself (e.g. while recognizing): no recording
            return func(*args, **kwargs)
        calls = doctor._calls
        if doctor._aside and args and id(args[0]) in doctor._aside:
            try:  # a layer loop's object: its loop's iterations are the steps (stand_aside)
                return func(*args, **kwargs)
            except BaseException as exc:
                doctor._record_error(site, exc)
                raise
        if site.fixed_role == R.OTHER and calls.depth > 0 and not doctor._taping():
            # a settled helper inside a step (linear_forward, ...): nothing to record but its
            # nesting and its exceptions; this keeps the hooks cheap on chatty course code
            calls.depth += 1
            try:
                return func(*args, **kwargs)
            except BaseException as exc:
                doctor._record_error(site, exc)
                raise
            finally:
                calls.depth -= 1
        state = doctor._enter(site, args, kwargs)
        calls.depth += 1
        try:
            result = func(*args, **kwargs)
        except BaseException as exc:
            calls.depth -= 1
            doctor._raised(site, state, exc)
            raise
        calls.depth -= 1
        doctor._exit(site, args, kwargs, result, state)
        return result

    wrapper.__nndoctor_wrapped__ = True  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


class Watched:
    """The functions `watch` replaced, with where they were: (namespace, name, original)."""

    def __init__(self) -> None:
        self.originals: list[tuple[Any, str, Any]] = []

    def watch(self, namespace: Any, names: Iterable[str] | None, wrap: Callable[[Any], Any]) -> None:
        """Replace every function ``namespace`` defines (or those ``names`` says) by ``wrap(function)``."""
        is_class = inspect.isclass(namespace)
        space = namespace if isinstance(namespace, dict) else vars(namespace)
        module_name = namespace.__module__ if is_class else space.get("__name__")
        chosen = set(names) if names is not None else None
        for name, obj in list(space.items()):
            if chosen is not None and name not in chosen:
                continue
            static = is_class and isinstance(obj, staticmethod)
            func = obj.__func__ if static else obj
            if not inspect.isfunction(func) or getattr(func, "__nndoctor_wrapped__", False):
                continue
            if chosen is None and func.__module__ != module_name:
                continue  # imported helpers (np.dot, another module's function) stay as they are
            # what a function is (an activation, a derivative helper) is recognized from its
            # calls, when the program makes them: nothing is called here
            wrapped = wrap(func)
            if static:
                wrapped = staticmethod(wrapped)
            self.originals.append((namespace if is_class else space, name, obj))
            if is_class:
                setattr(namespace, name, wrapped)
            else:
                space[name] = wrapped

    def unwatch(self) -> None:
        """Put back every function `watch` replaced."""
        for space, name, original in reversed(self.originals):
            if isinstance(space, dict):
                space[name] = original
            else:
                setattr(space, name, original)
        self.originals.clear()
