"""Running a learner's file under the hooks: statement by statement, then its training function.

Import semantics without the import: every top-level statement runs in a fresh module namespace
except ``if __name__ == "__main__":`` blocks. Functions are wrapped as soon as they are defined
(so a training loop at module level is watched too), and each training run stops after the
probe's iteration budget. A statement that fails becomes a finding and the next one still runs.
Afterwards, if nothing trained, the file's training function is called on its own data.
"""

from __future__ import annotations

import ast
import inspect
import linecache
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nndoctor.checkfile import data as datamod
from nndoctor.checkfile.environment import Neutralized, sandbox
from nndoctor.checkfile.source import Statement, statements
from nndoctor.hooks import Doctor, ProbeBudgetReached, ProbeStopped
from nndoctor.spec import take_registered
from nndoctor.usercode import UserCodeError

ITERATION_PARAMETERS = ("num_iterations", "iterations", "n_iterations", "num_iter", "n_iter", "max_iter",
                        "epochs", "num_epochs", "n_epochs", "epoch", "steps", "num_steps", "iters", "niter")
QUIET_PARAMETERS = {"print_cost": False, "verbose": False, "plot": False, "print_every": 10**9}
TRAINING_NAMES = ("model", "train", "fit", "main", "run", "learn", "training")


@dataclass
class StatementError:
    error: UserCodeError
    cell: int | None
    line: int


@dataclass
class Probe:
    path: Path
    doctor: Doctor
    namespace: dict[str, Any]
    neutralized: Neutralized | None = None
    errors: list[StatementError] = field(default_factory=list)
    parse_problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    stopped_runs: int = 0
    training_call: str | None = None
    data_source: str | None = None
    main_guard_skipped: bool = False
    timed_out: bool = False
    data: Any = None  # the data the training call got (or the module's arrays)
    final_params: Any = None  # the parameters the last training run ended with
    unbound: set[str] = field(default_factory=set)  # names never assigned because the probe cut a statement
    timeout_site: UserCodeError | None = None


def probe_file(path: Path, *, iterations: int = 300, seed: int = 0, label_ignore: frozenset[str] = frozenset()) -> Probe:
    path = path.resolve()
    stmts, parse_problems = statements(path)
    doctor = Doctor(every=1, stop_after=iterations, keep_calls=True)
    doctor.label_ignore = label_ignore
    doctor.data_checks = False  # report.py runs them, with the file's test set
    module = types.ModuleType("nndoctor_target")
    module.__file__ = str(path)
    probe = Probe(path, doctor, module.__dict__, parse_problems=parse_problems)
    source = path.read_text("utf-8", errors="replace")
    _register_cells(path, stmts)
    sys.modules[module.__name__] = module  # classes and pickling look their module up by name
    np.random.seed(seed)
    take_registered()  # forget specs declared by anything run before
    try:
        with sandbox(path, source) as neutralized:
            probe.neutralized = neutralized
            for statement in stmts:
                if statement.is_main_guard:
                    probe.main_guard_skipped = True
                    continue
                if not _run_statement(probe, statement):
                    break
                _watch_new_names(probe, statement)
            for declared in take_registered():
                if not _trained(probe) and not probe.timed_out:
                    probe.training_call = "nndoctor.spec(train=...)"
                    _call(probe, "the spec's train", declared.train, [], {})
            if not _trained(probe) and not probe.timed_out:
                _call_training_function(probe, iterations)
    except ProbeStopped:
        probe.timed_out = True
    finally:
        sys.modules.pop(module.__name__, None)
    probe.final_params = doctor._params
    if probe.data is None:
        probe.data = datamod.from_namespace(probe.namespace)
    return probe


def _run_statement(probe: Probe, statement: Statement) -> bool:
    """Run one statement; False when the probe must stop (time is up)."""
    try:
        exec(statement.code, probe.namespace)  # noqa: S102 - running the learner's file is the job
    except ProbeBudgetReached:
        probe.stopped_runs += 1
        probe.unbound.update(_bound_names(statement.node))  # the probe cut it before it assigned these
    except ProbeStopped as exc:
        _stopped(probe, _statement_name(statement), exc)
        return False
    except NameError as exc:
        if getattr(exc, "name", None) in probe.unbound:
            probe.notes.append(f"{_statement_name(statement)} uses {exc.name}, which a training call stopped by "
                               f"the probe never assigned: skipped")
        else:
            _record(probe, statement, exc)
    except EOFError as exc:
        if "stdin is closed" in str(exc):
            probe.notes.append(f"an input() call (line {statement.line}) got end-of-file: the probe ended there")
        else:
            _record(probe, statement, exc)
    except SystemExit as exc:
        probe.notes.append(f"the file called exit({exc.code}) at line {statement.line}")
        return False
    except Exception as exc:  # noqa: BLE001 - each failing statement becomes a finding
        _record(probe, statement, exc)
    return True


def _stopped(probe: Probe, name: str, exc: BaseException) -> None:
    """Time is up: remember where the learner's code was, the report names that line."""
    probe.timed_out = True
    site = UserCodeError.wrap(name, exc, exc.__traceback__)
    site.traceback_text = site.traceback_text.replace("nndoctor.hooks.ProbeStopped", "(stopped here: time limit)")
    probe.timeout_site = site


def _record(probe: Probe, statement: Statement, exc: BaseException) -> None:
    probe.errors.append(StatementError(UserCodeError.wrap(_statement_name(statement), exc, exc.__traceback__),
                                       statement.cell, statement.line))


def _statement_name(statement: Statement) -> str:
    node = statement.node
    if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
        return node.name
    return f"line {statement.line}" if statement.cell is None else f"cell {statement.cell}, line {statement.line}"


def describe_statement(name: str) -> str:
    """'The statement at line 12' / 'Cell 3, line 1' / 'model' (a definition)."""
    if name.startswith("line "):
        return f"The statement at {name}"
    return name[0].upper() + name[1:] if name.startswith("cell ") else name


def _watch_new_names(probe: Probe, statement: Statement) -> None:
    """Wrap what the statement defined or imported from the learner's own files."""
    ns = probe.namespace
    for name in _bound_names(statement.node):
        obj = ns.get(name)
        if obj is None or getattr(obj, "__nndoctor_wrapped__", False):
            continue
        if inspect.isfunction(obj) and _is_user_code(obj, probe.path):
            owner = sys.modules.get(obj.__module__)
            if owner is not None and owner is not sys.modules.get("nndoctor_target") and _user_module(owner, probe.path):
                _watch_module(probe, owner)  # helpers call each other through their own module
                wrapped = getattr(owner, obj.__name__, None)
                if getattr(wrapped, "__wrapped__", None) is obj:
                    ns[name] = wrapped
                    continue
            probe.doctor.watch(ns, names=[name])
        elif inspect.isclass(obj) and _is_user_code(obj, probe.path):
            probe.doctor.watch(obj)
        elif isinstance(obj, types.ModuleType) and _user_module(obj, probe.path):
            _watch_module(probe, obj)


def _watch_module(probe: Probe, module: types.ModuleType) -> None:
    watched = probe.namespace.setdefault("__nndoctor_watched_modules__", set())
    if module.__name__ not in watched:
        watched.add(module.__name__)
        probe.doctor.watch(module)


def _bound_names(node: ast.stmt) -> list[str]:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    names = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
            names.append(sub.id)
        elif isinstance(sub, ast.alias):
            names.append((sub.asname or sub.name).split(".")[0])
    if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
        module = sys.modules.get(node.module or "")
        names += [n for n in vars(module) if not n.startswith("_")] if module else []
    return names


def _is_user_code(obj: Any, target: Path) -> bool:
    module = getattr(obj, "__module__", None)
    if module == "nndoctor_target":
        return True
    owner = sys.modules.get(module or "")
    return owner is not None and _user_module(owner, target)


def _user_module(module: types.ModuleType, target: Path) -> bool:
    """A module the learner wrote: a file next to (or below) the checked file."""
    file = getattr(module, "__file__", None)
    if not file:
        return False
    try:
        Path(file).resolve().relative_to(target.parent)
    except ValueError:
        return False
    return "site-packages" not in file


def _trained(probe: Probe) -> bool:
    return any(run.completed for run in probe.doctor.trace.runs)


def _register_cells(path: Path, stmts: list[Statement]) -> None:
    """Let tracebacks and `inspect` show notebook cells' source lines."""
    if path.suffix != ".ipynb":
        return
    from nndoctor.checkfile.source import read_cells

    for cell, source in read_cells(path):
        filename = f"{path} (cell {cell})"
        lines = [line + "\n" for line in source.splitlines()]
        linecache.cache[filename] = (len(source), None, lines, filename)


# ----------------------------------------------------------------------------- training
def is_learner_function(obj: Any) -> bool:
    """Defined in the checked file, or in a helper file next to it (both are watched)."""
    return getattr(obj, "__module__", None) == "nndoctor_target" or bool(getattr(obj, "__nndoctor_wrapped__", False))


def training_candidates(namespace: dict[str, Any]) -> list[tuple[str, Callable[..., Any]]]:
    """The file's functions that look like a training entry point, best first."""
    found = []
    for name, obj in namespace.items():
        func = getattr(obj, "__wrapped__", obj)
        if not inspect.isfunction(func) or not is_learner_function(obj):
            continue
        lowered = name.lower()
        score = 0
        if any(lowered == n or lowered.endswith("_" + n) or lowered.startswith(n) for n in TRAINING_NAMES):
            score += 2
        params = _parameters(func)
        if any(p in ITERATION_PARAMETERS for p in params):
            score += 3
        if any(p.lower() in datamod.X_NAMES for p in params):
            score += 1
        if score:
            found.append((score, name, obj))
    found.sort(key=lambda t: -t[0])
    return [(name, obj) for _, name, obj in found]


def _parameters(func: Callable[..., Any]) -> list[str]:
    try:
        return list(inspect.signature(func).parameters)
    except (TypeError, ValueError):
        return []


def training_classes(namespace: dict[str, Any]) -> list[tuple[str, type, str]]:
    """(class name, class, method name) for the file's classes with a training method."""
    found = []
    for name, obj in namespace.items():
        if not inspect.isclass(obj) or getattr(obj, "__module__", None) != "nndoctor_target":
            continue
        for method in dir(obj):
            func = getattr(getattr(obj, method, None), "__wrapped__", getattr(obj, method, None))
            if not inspect.isfunction(func) or method.startswith("_"):
                continue
            params = _parameters(func)
            if method.lower() in TRAINING_NAMES or any(p in ITERATION_PARAMETERS for p in params):
                found.append((name, obj, method))
    return found


def _call_training_method(probe: Probe, iterations: int, data: Any) -> None:
    """A class-based network: build it from the file's own variables, then call its fit/train."""
    for class_name, cls, method in training_classes(probe.namespace):
        existing = [v for v in probe.namespace.values() if type(v) is cls]
        if existing:  # the file already built its network (net = Network(...)): train that one
            bound = getattr(existing[0], method)
            call = datamod.arguments_for(bound, data, probe.namespace, iterations)
            if call is not None:
                m_args, m_kwargs, m_described = call
                probe.training_call = f"{class_name} instance.{method}({m_described})"
                _call(probe, f"{class_name}.{method}", bound, m_args, m_kwargs)
                if _trained(probe) or probe.timed_out:
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
        call = datamod.arguments_for(bound, data, probe.namespace, iterations)
        if call is None:
            continue
        m_args, m_kwargs, m_described = call
        probe.training_call = f"{class_name}({described}).{method}({m_described})"
        _call(probe, f"{class_name}.{method}", bound, m_args, m_kwargs)
        if _trained(probe) or probe.timed_out:
            return


def _call_training_function(probe: Probe, iterations: int) -> None:
    candidates = training_candidates(probe.namespace)
    data = datamod.find_data(probe) if candidates or training_classes(probe.namespace) else None
    if not candidates:
        _call_training_method(probe, iterations, data)
        return
    failed: list[tuple[str, slice, slice]] = []  # (name, its errors, its recorded errors)
    for name, func in candidates:
        call = datamod.arguments_for(func, data, probe.namespace, iterations)
        if call is None:
            continue
        args, kwargs, described = call
        probe.training_call = f"{name}({described})"
        before = (len(probe.errors), len(probe.doctor.trace.errors))
        _call(probe, name, func, args, kwargs)
        if _trained(probe) or probe.timed_out:
            _forget_failed_guesses(probe, failed)
            return
        failed.append((name, slice(before[0], len(probe.errors)), slice(before[1], len(probe.doctor.trace.errors))))
    _call_training_method(probe, iterations, data)
    if _trained(probe):
        _forget_failed_guesses(probe, failed)


def _forget_failed_guesses(probe: Probe, failed: list[tuple[str, slice, slice]]) -> None:
    """A training function nndoctor tried with its own guess of the arguments and that failed is
    not the learner's bug when another one then trained: a note, not a finding."""
    for name, errors, recorded in reversed(failed):
        dropped = probe.errors[errors] + probe.doctor.trace.errors[recorded]
        del probe.errors[errors]
        del probe.doctor.trace.errors[recorded]
        if dropped:
            probe.notes.append(f"{name} was tried first and did not accept nndoctor's arguments")


def _call(probe: Probe, name: str, func: Callable[..., Any], args: list[Any], kwargs: dict[str, Any]) -> None:
    try:
        func(*args, **kwargs)
    except ProbeBudgetReached:
        probe.stopped_runs += 1
    except ProbeStopped as exc:
        _stopped(probe, name, exc)
    except EOFError:
        probe.notes.append(f"{name} asked for input(); stdin is closed, so the probe ended there")
    except Exception as exc:  # noqa: BLE001
        probe.errors.append(StatementError(UserCodeError.wrap(name, exc, exc.__traceback__), None, 0))
