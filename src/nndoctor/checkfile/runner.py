"""Running a learner's program as its author runs it, under the hooks.

Every top-level statement runs in order in a fresh ``__main__`` module, the ``if __name__ ==
"__main__":`` block included, and a notebook's cells in order. Functions and classes are watched as
soon as they are defined (so a training loop at module level is watched too); each training run
stops after the budget's iterations and the program goes on with what it trained (budget.py).

A statement that fails becomes evidence and the next one still runs. A name left unbound because a
statement failed (or was stopped by nndoctor) is not reported again when a later line needs it.
Only when the program trained nothing and ran no step that can be checked does nndoctor guess a
training call from the file's functions and data (the fallback, see guess.py).
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import inspect
import linecache
import sys
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nndoctor import roles as R
from nndoctor.budget import Budget, ProbeBudgetReached, ProbeStopped
from nndoctor.checkfile.environment import Neutralized, sandbox
from nndoctor.checkfile.shell import NotebookShell, display
from nndoctor.checkfile.source import Program, Statement, read_program
from nndoctor.hooks import Doctor
from nndoctor.spec import take_registered
from nndoctor.usercode import InputClosed, ProgramExit, UserCodeError, WriteRefused

TRAINING_ROLES = (R.FORWARD, R.FORWARD_COST, R.COST, R.BACKWARD, R.UPDATE)


@dataclass
class StatementError:
    """A statement of the program raised (the program went on with the next one)."""

    error: UserCodeError
    cell: int | None
    line: int
    in_training: bool = False  # raised inside a watched forward, cost, backward or update
    missing_module: str | None = None  # ModuleNotFoundError: the library this machine lacks


@dataclass
class Probe:
    """What running the program showed: the evidence `nndoctor check` diagnoses."""

    path: Path
    program: Program
    doctor: Doctor
    budget: Budget
    namespace: dict[str, Any]
    neutralized: Neutralized | None = None
    errors: list[StatementError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    training_call: str | None = None  # set when nndoctor had to guess (or the spec said) how to train
    data_source: str | None = None
    timed_out: bool = False
    ended: str | None = None  # how the program ended early: "exit(0)", "os._exit(3)", "KeyboardInterrupt"
    interrupted: UserCodeError | None = None  # where the program raised KeyboardInterrupt
    statement_start: tuple[int, int] = (0, 0)  # the running statement's start: errors recorded, steps completed
    data: Any = None  # the data the training call got (or the module's arrays)
    final_params: Any = None  # the parameters the last training run ended with
    unbound: set[str] = field(default_factory=set)  # names a failed or stopped statement never assigned
    timeout_site: UserCodeError | None = None
    statements_run: int = 0
    iterations: int = 300
    inline_loops: list[Any] = field(default_factory=list)  # training loops written inline (inline.py)
    held: dict[str, int] = field(default_factory=dict)  # the running statement's names before it ran (ids)
    layer_loops: list[Any] = field(default_factory=list)  # loops driving layer objects one by one (layer_loop.py)

    @property
    def parse_problems(self) -> list[str]:
        return self.program.syntax_errors

    def is_learner(self, obj: Any) -> bool:
        """Defined in the checked file (any cell) or in a module of the learner's next to it."""
        func = inspect.unwrap(obj) if callable(obj) else obj
        func = getattr(func, "__func__", func)
        code = getattr(func, "__code__", None)
        if code is not None:
            return self._learner_file(code.co_filename)
        if inspect.isclass(obj):
            module = sys.modules.get(obj.__module__)
            return obj.__module__ == "__main__" or (module is not None and self._learner_file(getattr(module, "__file__", "")))
        return False

    def _learner_file(self, filename: str | None) -> bool:
        if not filename:
            return False
        target = str(self.path)
        if filename == target or filename.startswith(target + " (cell "):
            return True
        if not filename.endswith(".py"):
            return False
        finder = self.neutralized.learner_modules if self.neutralized is not None else None
        if finder is not None:
            try:
                return finder.is_learner_file(filename)
            except OSError:
                return False
        try:
            resolved = Path(filename).resolve()
            resolved.relative_to(self.path.parent)
        except (ValueError, OSError):
            return False
        return "site-packages" not in resolved.parts

    def trained(self) -> bool:
        return any(run.completed for run in self.doctor.trace.runs)


@contextlib.contextmanager
def running(path: Path, *, iterations: int = 300, seed: int = 0, budget: Budget | None = None,
            label_ignore: frozenset[str] = frozenset()) -> Iterator[Probe]:
    """The program's world, for as long as nndoctor works on it: its ``__main__`` module, its folder
    and the neutralized environment (sandbox). The gradient check and the probes call the learner's
    functions again after the program ran; they need that world too."""
    path = path.resolve()
    program = read_program(path)
    budget = budget or Budget(iterations=iterations)
    doctor = Doctor(every=1, budget=budget, keep_calls=True)
    doctor.label_ignore = label_ignore
    module = types.ModuleType("__main__")
    module.__file__ = str(path)
    module.__builtins__ = builtins  # type: ignore[attr-defined]
    probe = Probe(path, program, doctor, budget, module.__dict__, iterations=iterations)
    probe.notes.extend(program.notes)
    if program.is_notebook:
        module.__dict__["get_ipython"] = (lambda shell: lambda: shell)(
            NotebookShell(module.__dict__, probe.notes, path.parent))
        module.__dict__["display"] = display
        _register_cells(program)
    saved_main = sys.modules.get("__main__")
    sys.modules["__main__"] = module  # classes and pickling look their module up by name, as in a script
    np.random.seed(seed)
    take_registered()  # forget specs declared by anything run before
    try:
        with sandbox(path, [s.node for s in program.statements], budget) as neutralized:
            probe.neutralized = neutralized
            yield probe
    finally:
        doctor.unwatch()
        if saved_main is not None:
            sys.modules["__main__"] = saved_main


def run_program(probe: Probe, fallback: Callable[[Probe], None] | None = None) -> Probe:
    """Every statement in order, then ``fallback`` (guess.train_if_nothing_did: the spec's or a
    guessed training call, only if nothing trained)."""
    try:
        _observe_inline_loops(probe)
        for statement in probe.program.statements:
            if not _run_statement(probe, statement):
                break
            probe.statements_run += 1
            _watch_new_names(probe, statement)
            if isinstance(statement.node, (ast.Import, ast.ImportFrom)):
                _observe_inline_loops(probe)  # a helper module of the learner's may train inline
        if fallback is not None and not probe.ended and not probe.timed_out:
            fallback(probe)
    except ProbeStopped as exc:
        _stopped(probe, "the program", exc)
    probe.final_params = probe.doctor._params
    if probe.data is None:
        from nndoctor.checkfile import data as datamod

        trained = probe.doctor.trace.diagnosable_runs()
        run = trained[0] if trained else None
        X = probe.doctor.train_inputs.get(run.index) if run is not None else None
        probe.data = (datamod.from_training(probe.namespace, X, run.example_axis if run is not None else None)
                      or datamod.from_namespace(probe.namespace))
    return probe


def _observe_inline_loops(probe: Probe) -> None:
    """Training loops written inline (no function to watch): their iterations are the steps."""
    from nndoctor.checkfile.inline import Observer, training_loops

    budget = probe.budget
    known = {loop.loop for loop in probe.inline_loops}
    for loop in training_loops(str(probe.path)):
        if loop.loop in known or loop.loop in budget.observers:
            continue
        probe.inline_loops.append(loop)
        budget.observers[loop.loop] = Observer(loop, probe.doctor.record_inline_step, lambda: probe.doctor.step_calls)
    from nndoctor.checkfile.layer_loop import LayerObserver, layer_loops

    for found in layer_loops(str(probe.path), set(budget.observers)):
        probe.layer_loops.append(found)
        budget.observers[found.loop] = LayerObserver(found, probe.doctor.record_inline_step, probe.doctor.stand_aside)


def _run_statement(probe: Probe, statement: Statement) -> bool:
    """Run one statement; False when the program ends here (exit, time limit)."""
    ns = probe.namespace
    probe.held = {n: id(ns[n]) for n in bound_names(statement.node) if n in ns}  # to see what it reassigns
    probe.statement_start = (len(probe.doctor.trace.errors), _completed_steps(probe))
    try:
        exec(statement.code, ns)  # noqa: S102 - running the learner's file is the job
    except ProbeBudgetReached:
        _unbind(probe, statement)  # stopped by force: it never assigned its names
        probe.notes.append(f"{statement.where}: a training run that its loops did not end was stopped there")
    except ProbeStopped as exc:
        _stopped(probe, statement.where, exc)
        return False
    except (SystemExit, ProgramExit) as exc:
        code = exc.code
        how = f"os._exit({code})" if isinstance(exc, ProgramExit) else f"exit({code if code is not None else ''})"
        probe.ended = how
        probe.notes.append(f"the program called {how} at {statement.where}: it ends there, as it does for its author")
        return False
    except KeyboardInterrupt as exc:
        _interrupted(probe, statement.where, exc)
        return False
    except NameError as exc:
        if getattr(exc, "name", None) in probe.unbound:
            probe.notes.append(f"{statement.where} needs {exc.name}, which an earlier statement that failed or "
                               f"was stopped never assigned: skipped")
            _unbind(probe, statement)
        else:
            _record(probe, statement, exc)
    except InputClosed:
        _unbind(probe, statement)
        probe.notes.append(f"input() at {statement.where} got end-of-file (nobody types here): that statement "
                           f"ended there")
    except BaseException as exc:  # noqa: BLE001 - each failing statement becomes evidence (an exception
        _record(probe, statement, exc)  # class of the learner's own may derive from BaseException)
    return True


def _unbind(probe: Probe, statement: Statement) -> None:
    """A statement that failed or was stopped never assigned its names: an older value of one of them
    is not what the program meant to use next (``with open(f) as fh: out = json.load(fh)`` failing
    leaves last cell's ``out``), so the statements that read them are skipped, as notes."""
    for name in bound_names(statement.node):
        if name in probe.namespace and probe.held.get(name) == id(probe.namespace[name]):
            del probe.namespace[name]  # an older value it did not get to replace
            probe.unbound.add(name)
        elif name not in probe.namespace:
            probe.unbound.add(name)
        # (a name it did reassign before failing holds what the program computed: kept, as in Jupyter)


def _stopped(probe: Probe, name: str, exc: BaseException) -> None:
    """Time is up: remember where the learner's code was, the report names that line."""
    probe.timed_out = True
    site = UserCodeError.wrap(name, exc, exc.__traceback__)
    site.traceback_text = site.traceback_text.replace("nndoctor.budget.ProbeStopped", "(stopped here: time limit)")
    probe.timeout_site = site


def _record(probe: Probe, statement: Statement, exc: BaseException) -> None:
    _unbind(probe, statement)
    missing = exc.name if isinstance(exc, ModuleNotFoundError) else None
    recorded = [e for e in probe.doctor.trace.errors
                if e.exception == type(exc).__name__ and e.message == str(exc)]
    in_training = any(e.role in TRAINING_ROLES for e in recorded)
    errors_before, steps_before = probe.statement_start
    if not in_training and probe.trained() and _completed_steps(probe) == steps_before:
        # raised after the training (a plot helper, a prediction), not in it: the statement's finding
        # says so, as a warning; the same exception as a watched helper of the file recorded it is not
        # a second finding, graver and dated to the last iteration
        trace = probe.doctor.trace
        trace.errors[errors_before:] = [e for e in trace.errors[errors_before:]
                                        if (e.exception, e.message) != (type(exc).__name__, str(exc))]
    probe.errors.append(StatementError(UserCodeError.wrap(statement.where, exc, exc.__traceback__),
                                       statement.cell, statement.line, in_training, missing))


def _completed_steps(probe: Probe) -> int:
    return sum(len(run.completed) for run in probe.doctor.trace.runs)


def call(probe: Probe, name: str, func: Any, args: list[Any], kwargs: dict[str, Any]) -> None:
    """A call nndoctor makes itself (the spec's, or a guessed training call); failures are evidence."""
    try:
        func(*args, **kwargs)
    except ProbeBudgetReached:
        pass
    except ProbeStopped as exc:
        _stopped(probe, name, exc)
    except InputClosed:
        probe.notes.append(f"{name} asked for input(); nobody types here, so it ended there")
    except (SystemExit, ProgramExit):
        probe.notes.append(f"{name} called exit()")
    except KeyboardInterrupt as exc:
        _interrupted(probe, name, exc)
    except WriteRefused as exc:
        probe.notes.append(f"{name} ended early: {exc}")
    except BaseException as exc:  # noqa: BLE001
        recorded = [e for e in probe.doctor.trace.errors if e.exception == type(exc).__name__ and e.message == str(exc)]
        probe.errors.append(StatementError(UserCodeError.wrap(name, exc, exc.__traceback__), None, 0,
                                           any(e.role in TRAINING_ROLES for e in recorded)))


def _interrupted(probe: Probe, where: str, exc: BaseException) -> None:
    """The program raised KeyboardInterrupt (its own raise, or Ctrl-C as it would see it): it ends
    there, as it does for its author; the report says so with a finding (report.py)."""
    probe.ended = "KeyboardInterrupt"
    probe.interrupted = UserCodeError.wrap(where, exc, exc.__traceback__)
    probe.notes.append(f"KeyboardInterrupt at {where}: the program ends there")


def describe_statement(name: str) -> str:
    """'The statement at line 12' / 'Cell 3, line 1' / 'model' (a definition)."""
    if name.startswith("line "):
        return f"The statement at {name}"
    return name[0].upper() + name[1:] if name.startswith("cell ") else name


# ----------------------------------------------------------------------------- watching
def _watch_new_names(probe: Probe, statement: Statement) -> None:
    """Wrap what the statement defined or imported from the learner's own files."""
    ns = probe.namespace
    for name in bound_names(statement.node):
        obj = ns.get(name)
        if obj is None or getattr(obj, "__nndoctor_wrapped__", False):
            continue
        if inspect.isfunction(obj) and probe.is_learner(obj):
            owner = sys.modules.get(obj.__module__)
            if owner is not None and owner.__dict__ is not ns and _learner_module(probe, owner):
                _watch_module(probe, owner)  # helpers call each other through their own module
                wrapped = getattr(owner, obj.__name__, None)
                if getattr(wrapped, "__wrapped__", None) is obj:
                    ns[name] = wrapped
                    continue
            probe.doctor.watch(ns, names=[name])
        elif inspect.isclass(obj) and probe.is_learner(obj):
            probe.doctor.watch(obj)
        elif isinstance(obj, types.ModuleType) and _learner_module(probe, obj):
            _watch_module(probe, obj)


def _learner_module(probe: Probe, module: types.ModuleType) -> bool:
    return probe._learner_file(getattr(module, "__file__", None))


def _watch_module(probe: Probe, module: types.ModuleType) -> None:
    watched = probe.namespace.setdefault("__nndoctor_watched_modules__", set())
    if module.__name__ not in watched:
        watched.add(module.__name__)
        probe.doctor.watch(module)


def bound_names(node: ast.stmt) -> list[str]:
    """The module-level names a statement assigns (not the locals of the functions it defines)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    names = []
    pending: list[ast.AST] = [node]
    while pending:
        sub = pending.pop()
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
            names.append(sub.id)
        elif isinstance(sub, ast.alias):
            names.append((sub.asname or sub.name).split(".")[0])
        elif isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and sub is not node:
            names.append(sub.name)
            continue
        elif isinstance(sub, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            continue  # their own scope
        pending.extend(ast.iter_child_nodes(sub))
    if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
        module = sys.modules.get(node.module or "")
        names += [n for n in vars(module) if not n.startswith("_")] if module else []
    return names


def _register_cells(program: Program) -> None:
    """Let tracebacks and `inspect` show notebook cells' source lines."""
    for cell, source in program.cell_sources.items():
        filename = program.filename(cell)
        lines = [line + "\n" for line in source.splitlines()]
        linecache.cache[filename] = (len(source), None, lines, filename)
