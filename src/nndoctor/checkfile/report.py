"""Putting a file's diagnosis together from the probe, the runtime rules and the gradient check."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from nndoctor import guard
from nndoctor.budget import Budget
from nndoctor.checkfile.data import ITERATION_PARAMETERS, QUIET_PARAMETERS
from nndoctor.checkfile.gradients import check_recorded_steps
from nndoctor.checkfile.guess import train_if_nothing_did, training_candidates
from nndoctor.checkfile.predict import check_random_predictions
from nndoctor.checkfile.runner import Probe, describe_statement, run_program, running
from nndoctor.checks import run_safely
from nndoctor.diagnosis import DataSet, GradientEvidence, diagnose
from nndoctor.findings import Finding, Location, Report
from nndoctor.guard import own_calls
from nndoctor.usercode import ProgramExit, display_path, user_code_finding

# arguments nndoctor itself passes to a training call: not part of the run's name
LABEL_IGNORE = frozenset(ITERATION_PARAMETERS) | frozenset(QUIET_PARAMETERS)


class NothingToCheck(Exception):
    """The file gave nndoctor nothing to watch or check (exit code 2); the message says what was
    looked for and the lines that would make the file checkable."""


def check_file(path: str | Path, *, iterations: int = 300, seed: int = 0, timeout: float = 30.0,
               exact_iterations: bool = False, on_partial: Any = None) -> Report:
    """Run the file as its author does (training capped), then diagnose it. ``timeout``: the seconds
    the whole check may take; the program's share ends a little before, so that what it measured is
    still checked and reported."""
    import os

    from nndoctor import usercode

    path = Path(path)
    target = display_path(str(path)) or str(path)
    base, usercode.DISPLAY_BASE = usercode.DISPLAY_BASE, os.getcwd()  # one base for every location
    try:
        budget = program_budget(iterations, timeout)
        if exact_iterations:
            budget.full_run_seconds = 0.0
        return _check(path, target, iterations, seed, budget, on_partial)
    finally:
        usercode.DISPLAY_BASE = base


def program_budget(iterations: int, timeout: float) -> Budget:
    """The program's share of the time: training runs stop at 60% of it, the program itself at 85%;
    a slow run gets a fifth of it (at most 6 s) before it stops; a run that would end within 15% of it
    (at most 4 s) after its iterations is left to end, as its author runs it."""
    return Budget(iterations=iterations, run_seconds=min(6.0, 0.2 * timeout), soft_seconds=0.6 * timeout,
                  hard_seconds=0.85 * timeout, full_run_seconds=min(4.0, 0.15 * timeout))


def _check(path: Path, target: str, iterations: int, seed: int, budget: Budget, on_partial: Any) -> Report:
    from nndoctor import budget as phases

    phases.PHASE = "program"
    guard.redirected.clear()
    with running(path, iterations=iterations, seed=seed, budget=budget, label_ignore=LABEL_IGNORE) as probe:
        run_program(probe, fallback=train_if_nothing_did)
        probe.doctor.unwatch()
        return _diagnose(probe, path, target, iterations, seed, on_partial)


def _diagnose(probe: Probe, path: Path, target: str, iterations: int, seed: int, on_partial: Any = None) -> Report:
    """The evidence of the program's run, then what the stages after it add (the gradient check of
    its steps, the prediction and update probes, the data with its test set), then one diagnosis."""
    from nndoctor import budget as phases

    evidence = probe.doctor.evidence(target=target)
    evidence.datasets = []  # the file's data are checked below, with its test set
    evidence.extend(_statement_findings(probe, target))
    evidence.extend(_environment_findings(probe, target))
    if on_partial is not None:  # what the program's run showed, kept should a later stage never end
        phases.PHASE = "report"
        partial = diagnose(replace(evidence, sections={
            **evidence.sections, "probe": {**_probe_section(probe, iterations), "checked": probe.trained(), "partial": True}}))
        on_partial(partial)
        phases.PHASE = "program"
    evidence.gradient = GradientEvidence()
    _after_time_limit(probe, "the gradient check", check_recorded_steps, probe, evidence.gradient, seed)
    _after_time_limit(probe, "the prediction check",
                      lambda: evidence.extend(check_random_predictions(probe.doctor.random_forwards)))
    _after_time_limit(probe, "the update and mini-batch probes", lambda: evidence.extend(_probe_steps(probe)))
    evidence.datasets = _file_data(probe)
    for what, written in dict.fromkeys(guard.redirected):
        probe.notes.append(f"{written} was not written when nndoctor called the file's functions itself ({what}): "
                           f"only the program's own calls write files")
    phases.PHASE = "report"
    evidence.sections["probe"] = section = _probe_section(probe, iterations)
    trained = any(run.completed for run in probe.doctor.trace.runs)
    section["checked"] = trained or evidence.gradient.checked
    if not section["checked"] and not probe.errors and not probe.timed_out:
        raise NothingToCheck(_nothing_message(probe, target))
    # below: something ran; a crash or hang before anything could be checked still gets its report
    if probe.timed_out:
        evidence.add(_timeout_finding(probe, target, section["checked"]))
    return diagnose(evidence)


def _timeout_finding(probe: Probe, target: str, checked: bool) -> Finding:
    site = probe.timeout_site
    where = ""
    if site and site.line:
        function = "" if site.function == f"line {site.line}" else f"{site.function}, "  # a statement: its line
        where = f" It was running {function}line {site.line} of {site.file}."
    covered = "the report covers what ran before it" if checked else "nothing could be checked before it"
    return Finding(rule="user-code-error", severity="warning" if checked else "error",
                   message=f"The time limit ran out: {covered}.{where}",
                   location=Location(function=site.function if site else None,
                                     file=(site.file if site else None) or target, line=site.line if site else None),
                   evidence={"reason": "timeout", "traceback": site.traceback_text if site else None},
                   fix="If the code hangs there (an endless loop, a wait for input), fix that line; "
                       "otherwise use --timeout with more seconds or --iterations with fewer.")


def _after_time_limit(probe: Probe, what: str, stage: Any, *args: Any) -> Any:
    """Run one stage of the diagnosis; when the time limit stops it, what was measured before stays."""
    from nndoctor.budget import ProbeStopped

    try:
        with own_calls(what):  # the learner's functions called again by nndoctor: they write nothing
            return stage(*args)
    except ProbeStopped:
        probe.timed_out = True
        probe.notes.append(f"{what} was cut short by the time limit")
        return None
    except (SystemExit, ProgramExit, KeyboardInterrupt) as exc:  # a function of the file's ending the program
        probe.notes.append(f"{what} was cut short: a function of the file raised {type(exc).__name__} when "
                           f"nndoctor called it again")
        return None


def _statement_findings(probe: Probe, target: str) -> list[Finding]:
    """A statement that raised: an error when it is the training that failed (nothing else can be
    trusted), a warning when the failing code is around it (a plot, a prediction, an optional
    library): the program went on, and so did the diagnosis."""
    out = []
    seen = set()
    trained = probe.trained()
    for err in probe.errors:
        e = err.error
        key = (type(e.exception).__name__, e.file, e.line)
        if key in seen:
            continue
        seen.add(key)
        hint = _hint(e.exception)
        if err.missing_module:
            message = (f"{describe_statement(e.function)} needs the library {err.missing_module}, which is not "
                       f"installed here: that statement and the ones that need what it defines were skipped.")
            hint = (f"Nothing is wrong with your network; install {err.missing_module} to run that part, or "
                    f"ignore this if it is an optional comparison.")
        else:
            message = f"{describe_statement(e.function)} raised {type(e.exception).__name__}: {e.exception}"
        severity = "error" if (err.in_training or not trained) and not err.missing_module else "warning"
        out.append(user_code_finding(
            e.function, type(e.exception).__name__, str(e.exception), file=e.file or target, line=e.line,
            traceback_text=e.traceback_text, message=message, severity=severity,
            evidence={"cell": err.cell, "in_training": err.in_training},
            fix=hint or "Read the last line of the traceback: it is the line of your file that failed; "
                        "nndoctor went on with the rest of the file."))
    if probe.interrupted is not None:
        out.append(_interrupted_finding(probe.interrupted, target, trained))
    for problem in probe.parse_problems:
        out.append(user_code_finding(None, "SyntaxError", str(problem), file=target,
                                     message=f"A notebook cell does not parse: {problem}.",
                                     fix="Fix the syntax error in that cell; the other cells were run."))
    return out


def _interrupted_finding(site: Any, target: str, trained: bool) -> Finding:
    """The program raised KeyboardInterrupt: it ended there, as for its author after a Ctrl-C."""
    covered = "this report covers what ran before it" if trained else "nothing had trained before it"
    inside = f" (in {site.file}, line {site.line})" if site.file and site.line else ""
    return user_code_finding(
        site.function, "KeyboardInterrupt", "", file=site.file or target, line=site.line,
        traceback_text=site.traceback_text, severity="warning" if trained else "error",
        message=f"{describe_statement(site.function)} raised KeyboardInterrupt{inside}: the program ended "
                f"there, as it does after a Ctrl-C, and the statements after it did not run; {covered}.",
        evidence={"reason": "interrupted"},
        fix="To stop the training early, break out of its loop (or return); to end the program, call "
            "sys.exit(). A KeyboardInterrupt of the program's own looks like a Ctrl-C to everything "
            "around it.")


def _file_data(probe: Probe) -> list[DataSet]:
    """The data the file trains on (and its test set, when the file has one): scale, labels, leakage."""
    data = probe.data
    if data is None or data.synthetic:
        return []
    runs = [r for r in probe.doctor.trace.runs if r.completed]
    return [DataSet(data.X, data.Y, data.X_test, data.Y_test, example_axis=runs[0].example_axis if runs else None,
                    n_outputs=runs[0].output_units if runs else None, names=data.names)]


def _called(probe: Probe, name: str) -> bool:
    site = probe.doctor.trace.sites.get(name)
    return site is not None and site.calls > 0


def _probe_steps(probe: Probe) -> list[Finding]:
    """The update steps and mini-batch builders the program called, called again on controlled
    inputs (nndoctor.probes)."""
    import inspect

    from nndoctor import roles as R
    from nndoctor.probes import looks_like_minibatch_builder, looks_like_update, probe_functions

    sites = probe.doctor.trace.sites
    functions = {}
    for name, obj in probe.namespace.items():
        if not inspect.isfunction(obj) or not probe.is_learner(obj) or name.startswith("_") or not _called(probe, name):
            continue
        role = sites[name].role if name in sites else None
        # an update step is probed only when the program used it as one (it moved the parameters); a
        # mini-batch builder is anything the program called that builds batches from X and Y
        if looks_like_update(obj) is not None and role != R.UPDATE:
            continue
        if role == R.UPDATE or looks_like_minibatch_builder(obj) is not None:
            functions[name] = obj
    return run_safely(probe_functions, functions, what="the update and mini-batch probes")


def _hint(exc: BaseException) -> str | None:
    text = str(exc)
    if isinstance(exc, AttributeError) and "numpy" in text and "has no attribute" in text:
        return "numpy 2 removed that name; see https://numpy.org/devdocs/numpy_2_0_migration_guide.html."
    if isinstance(exc, FileNotFoundError):
        return ("The file needs a data file that is not here; nndoctor looks for the data next to the "
                "checked file. Put it there, or give the file a load_data() that can run anywhere.")
    if isinstance(exc, NameError):
        return ("A name is used before it is defined; in a notebook, a cell may rely on another cell "
                "that ran earlier in your session but comes later in the file.")
    return None


def _environment_findings(probe: Probe, target: str) -> list[Finding]:
    """Names the file needs that today's numpy, matplotlib or scipy removed: nndoctor supplied them
    so the rest could run, and says so (the learner's own run crashes on them)."""
    n = probe.neutralized
    out: list[Finding] = []
    if n is None:
        return out
    if n.numpy_aliases:
        names = ", ".join(sorted(n.numpy_aliases))
        first = min(line for lines in n.numpy_aliases.values() for line in lines)
        out.append(Finding(
            rule="user-code-error", severity="warning",
            message=(f"The file uses {names}, removed in numpy 2: it crashes with AttributeError on a current "
                     f"numpy. nndoctor supplied the old names to run it."),
            location=Location(file=target, line=first),
            evidence={"names": {k: v for k, v in sorted(n.numpy_aliases.items())}, "reason": "numpy-2"},
            fix="Use the Python builtins instead: np.int -> int, np.float -> float, np.bool -> bool (or np.int64, "
                "np.float64 when you need a numpy type)."))
    if n.matplotlib_names:
        from nndoctor.usercode import display_path

        names = "; ".join(n.matplotlib_names)
        function, file, line = n.removed_uses.get(n.matplotlib_names[0], (None, None, None))
        out.append(Finding(
            rule="user-code-error", severity="warning",
            message=(f"The file calls {names}: it crashes there on a current installation. nndoctor supplied the "
                     f"old name so that the rest of the file (and its diagnosis) could run."),
            location=Location(function=function if function != "<module>" else None,
                              file=display_path(file) if file else target, line=line),
            evidence={"names": list(n.matplotlib_names), "reason": "removed-api"},
            fix=("matplotlib.cm.get_cmap(name) -> matplotlib.colormaps[name] (or plt.get_cmap(name)); "
                 "scipy.misc.imread -> matplotlib.pyplot.imread; scipy.misc.imresize -> PIL's Image.resize; "
                 "plt.style.use('seaborn') -> plt.style.use('seaborn-v0_8').")))
    return out


def _probe_section(probe: Probe, iterations: int) -> dict[str, Any]:
    n = probe.neutralized
    budget = probe.budget
    return {
        "iterations_per_run": iterations,
        "runs_stopped_at_budget": budget.stopped_runs,
        "runs_stopped_by_force": budget.forced_runs,
        "training_call": probe.training_call,  # set only when nndoctor chose the call (spec or guess)
        "data": probe.data_source,
        "statements_run": probe.statements_run,
        "statements": len(probe.program.statements),
        "ended": probe.ended,
        "timed_out": probe.timed_out,
        "notes": probe.notes,
        "neutralized": None if n is None else {
            "plt_show_calls": n.shows, "matplotlib_backends_ignored": n.backends, "input_calls": n.inputs,
            "numpy_aliases": sorted(n.numpy_aliases), "removed_names": list(n.matplotlib_names)},
    }


def _nothing_message(probe: Probe, target: str) -> str:
    functions = sorted(name for name, site in probe.doctor.trace.sites.items())
    candidates = [name for name, _ in training_candidates(probe)]
    seen = f"Functions it saw: {', '.join(functions[:12])}." if functions else "The file defines no function nndoctor could watch."
    tried = (f" It tried to call {', '.join(candidates[:3])} but could not fill its arguments or it did not train."
             if candidates else "")
    ended = f" The program ended early ({probe.ended}) before anything trained." if probe.ended else ""
    loaders = [note for note in probe.notes if "as a data loader" in note]
    loaded = f" {'; '.join(loaders)}." if loaders else ""
    return (
        f"nndoctor check {target}: found nothing to check.{ended} It ran the file as python would (its __main__ block "
        f"included) and saw no training step; then it looked for a training function (named like model/train/fit, or taking num_iterations or "
        f"epochs) to call with the file's data (module arrays such as train_x, or load_data()).{loaded}{tried} {seen}\n"
        f"Make the file checkable by adding, at the end:\n\n"
        f"    import nndoctor\n"
        f"    nndoctor.spec(train=lambda: model(X, Y, num_iterations=300))   # your own training call\n\n"
        f"or watch your own loop from Python: doctor = nndoctor.Doctor().watch(my_module); ...; "
        f"print(doctor.report())."
    )
