"""The fallback for a file that defines a network and never trains it: guess the training call.

Only used when running the program trained nothing and ran no step nndoctor could check. The
file's functions named like a training entry point (``model``, ``train``, ``fit``) or taking an
iteration count are called with the file's data (data.py) and its own variables, the iteration
count capped; a class with such a method is built from the file's variables first.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from nndoctor.checkfile import data as datamod
from nndoctor.checkfile.data import ITERATION_PARAMETERS
from nndoctor.checkfile.runner import Probe, StatementError, call
from nndoctor.guard import own_calls
from nndoctor.spec import take_registered
from nndoctor.usercode import UserCodeError

TRAINING_NAMES = ("model", "train", "fit", "main", "run", "learn", "training")


def training_candidates(probe: Probe) -> list[tuple[str, Callable[..., Any]]]:
    """The file's functions that look like a training entry point, best first."""
    found = []
    called = {site.name for site in probe.doctor.trace.sites.values() if site.calls}
    for name, obj in probe.namespace.items():
        func = getattr(obj, "__wrapped__", obj)
        if not inspect.isfunction(func) or not probe.is_learner(obj):
            continue
        if getattr(func, "__qualname__", name) in called:
            continue  # the program ran it already: running it again is not how its author runs the file
        lowered = name.lower()
        score = 0
        if any(lowered == n or lowered.endswith("_" + n) or lowered.startswith(n) for n in TRAINING_NAMES):
            score += 2
        params = parameters(func)
        if any(p in ITERATION_PARAMETERS for p in params):
            score += 3
        if any(p.lower() in datamod.X_NAMES for p in params):
            score += 1
        if score:
            found.append((score, name, obj))
    found.sort(key=lambda t: -t[0])
    return [(name, obj) for _, name, obj in found]


def parameters(func: Callable[..., Any]) -> list[str]:
    try:
        return list(inspect.signature(func).parameters)
    except (TypeError, ValueError):
        return []


def training_classes(probe: Probe) -> list[tuple[str, type, str]]:
    """(class name, class, method name) for the file's classes with a training method."""
    found = []
    for name, obj in probe.namespace.items():
        if not inspect.isclass(obj) or not probe.is_learner(obj):
            continue
        for method in dir(obj):
            func = getattr(getattr(obj, method, None), "__wrapped__", getattr(obj, method, None))
            if not inspect.isfunction(func) or method.startswith("_"):
                continue
            params = parameters(func)
            if method.lower() in TRAINING_NAMES or any(p in ITERATION_PARAMETERS for p in params):
                found.append((name, obj, method))
    return found


def call_training_function(probe: Probe, iterations: int) -> None:
    candidates = training_candidates(probe)
    unwrapped = [getattr(f, "__wrapped__", f) for _, f in candidates]
    data = datamod.find_data(probe, unwrapped) if candidates or training_classes(probe) else None
    if not candidates:
        _call_training_method(probe, iterations, data)
        return
    failed: list[tuple[str, slice, slice]] = []  # (name, its errors, its recorded errors)
    for name, func in candidates:
        made = datamod.arguments_for(func, data, probe.namespace, iterations)
        if made is None:
            continue
        args, kwargs, described = made
        probe.training_call = f"{name}({described})"
        before = (len(probe.errors), len(probe.doctor.trace.errors))
        call(probe, name, func, args, kwargs)
        if probe.trained() or probe.timed_out:
            _forget_failed_guesses(probe, failed)
            return
        failed.append((name, slice(before[0], len(probe.errors)), slice(before[1], len(probe.doctor.trace.errors))))
    _call_training_method(probe, iterations, data)
    if probe.trained():
        _forget_failed_guesses(probe, failed)


def _call_training_method(probe: Probe, iterations: int, data: Any) -> None:
    """A class-based network: build it from the file's own variables, then call its fit/train."""
    for class_name, cls, method in training_classes(probe):
        existing = [v for v in probe.namespace.values() if type(v) is cls]
        if existing:  # the file already built its network (net = Network(...)): train that one
            bound = getattr(existing[0], method)
            made = datamod.arguments_for(bound, data, probe.namespace, iterations)
            if made is not None:
                m_args, m_kwargs, m_described = made
                probe.training_call = f"{class_name} instance.{method}({m_described})"
                call(probe, f"{class_name}.{method}", bound, m_args, m_kwargs)
                if probe.trained() or probe.timed_out:
                    return
        init = cls.__init__
        made = datamod.arguments_for(init, data, probe.namespace, iterations, skip_first=True)
        if made is None:
            probe.notes.append(f"{class_name}(...) needs arguments nndoctor could not find in the file")
            continue
        args, kwargs, described = made
        try:
            instance = cls(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001
            probe.errors.append(StatementError(UserCodeError.wrap(class_name, exc, exc.__traceback__), None, 0))
            continue
        bound = getattr(instance, method)
        made = datamod.arguments_for(bound, data, probe.namespace, iterations)
        if made is None:
            continue
        m_args, m_kwargs, m_described = made
        probe.training_call = f"{class_name}({described}).{method}({m_described})"
        call(probe, f"{class_name}.{method}", bound, m_args, m_kwargs)
        if probe.trained() or probe.timed_out:
            return


def _forget_failed_guesses(probe: Probe, failed: list[tuple[str, slice, slice]]) -> None:
    """A training function nndoctor tried with its own guess of the arguments and that failed is
    not the learner's bug when another one then trained: a note, not a finding."""
    for name, errors, recorded in reversed(failed):
        dropped = probe.errors[errors] + probe.doctor.trace.errors[recorded]
        del probe.errors[errors]
        del probe.doctor.trace.errors[recorded]
        if dropped:
            probe.notes.append(f"{name} was tried first and did not accept nndoctor's arguments")


def train_if_nothing_did(probe: Probe) -> None:
    """The spec's training call, else the fallback guess: only for a file that trained nothing and
    ran no step nndoctor could check (a file that defines and never calls)."""
    for declared in take_registered():
        if not probe.trained():
            probe.training_call = "nndoctor.spec(train=...)"
            call(probe, "the spec's train", declared.train, [], {})
    if probe.trained() or probe.doctor.step:
        return
    with own_calls("its guess of how the file trains"):  # the program never made these calls
        call_training_function(probe, probe.iterations)
