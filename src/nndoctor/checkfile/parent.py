"""The CLI side of `nndoctor check` for one file: start the child, wait, make a `FileResult`.

    python -m nndoctor.checkfile.child PATH OUT --iterations N --seed S --timeout T

writes a JSON dict to OUT with one of the keys ``report``, ``nothing``, ``unreadable``,
``internal`` (child.py). Everything else happens here, in the CLI's process (or on a Dask worker,
`check_one` being the task): the process group, the memory limit and the deadline
(`process.run_child`), the report of a file that crashed or hung, and the rule selection and
inline ``# nndoctor: ignore`` comments, applied to the report the child returns. Rendering and
the exit of the CLI are the command's (`nndoctor.checkcommand`).
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from nndoctor.arguments import memory_bytes
from nndoctor.checkfile.process import ChildRun, run_child
from nndoctor.findings import Finding, Location, Report, Severity
from nndoctor.results import (
    CHECKED,
    CRASHED,
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_TOOL,
    INTERNAL,
    NOTHING,
    UNREADABLE,
    FileResult,
    tool_report,
)
from nndoctor.suppress import drop_suppressed

CHILD_MODULE = "nndoctor.checkfile.child"
_OUT_OF_MEMORY = re.compile(r"MemoryError|Cannot allocate memory|std::bad_alloc|out of memory", re.IGNORECASE)


@dataclass(frozen=True)
class CheckSettings:
    """How one file is checked; resolved from the command line and pyproject.toml beforehand, so
    that it can be sent to a worker process or a Dask worker as it is."""

    iterations: int = 300
    seed: int = 0
    timeout: float = 30.0
    # the iterations were asked for (command line or pyproject.toml): every run stops there; by
    # default a run that would end within a few more seconds is left to end, as its author runs it
    exact_iterations: bool = False
    memory: str = "50%"  # turned into bytes on the machine that runs the check
    fail_on: str = "error"
    rules: frozenset[str] | None = None  # the rules the report keeps; None: all
    cwd: str | None = None  # where paths are relative to (the CLI's working directory)
    config: str | None = None  # the pyproject.toml whose [tool.nndoctor] applied, for the report


KILL_GRACE = 10.0  # seconds the child has, after its own time limit, to write its report before it is killed


def total_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 8 * 2**30


def check_one(path: str, settings: CheckSettings) -> FileResult:
    """Checks one file in a child process; never raises for anything the file does."""
    started = time.monotonic()
    cwd = settings.cwd or os.getcwd()
    run = _run_child(Path(cwd, path).resolve(), settings, cwd)
    elapsed = time.monotonic() - started
    outcome = run.output or {}
    for key, status in (("unreadable", UNREADABLE), ("nothing", NOTHING), ("internal", INTERNAL)):
        if key in outcome:
            message = str(outcome[key])
            if status == INTERNAL:
                message = ("nndoctor check: nndoctor itself failed; please report this with the traceback below.\n"
                           + message)
            return FileResult(path=path, status=status, exit_code=EXIT_TOOL, seconds=elapsed,
                              report=tool_report(path, status, message), message=message, config=settings.config,
                              fail_on=settings.fail_on)
    if "report" in outcome:
        report = Report.from_dict(outcome["report"])
        if run.killed:
            report.add(_killed_finding(path, run, settings, partial=True))
    else:
        report = _crash_report(path, run, settings)
    report.sections.setdefault("probe", {})["seconds"] = round(elapsed, 2)
    _select(report, settings, Path(cwd))
    checked = "report" in outcome and report.sections.get("probe", {}).get("checked") is not False
    if not checked:
        exit_code, status = EXIT_TOOL, CRASHED  # nothing could be checked: the report says where it stopped
    else:
        status = CHECKED
        exit_code = EXIT_FINDINGS if report.at_or_above(settings.fail_on) else EXIT_OK
    return FileResult(path=path, status=status, exit_code=exit_code, seconds=elapsed, report=report.to_dict(),
                      config=settings.config, fail_on=settings.fail_on)


def _select(report: Report, settings: CheckSettings, base: Path) -> None:
    """Rule selection, per-file ignores and inline comments: the findings the user asked not to see go."""
    if settings.rules is not None:
        report.findings[:] = [f for f in report.findings if f.rule in settings.rules]
    drop_suppressed(report, base)


def _run_child(path: Path, settings: CheckSettings, cwd: str) -> ChildRun:
    with tempfile.TemporaryDirectory(prefix="nndoctor-") as tmp:
        out = Path(tmp) / "report.json"
        # -P: the caller's working directory is not searched for modules (a json.py there is not imported);
        # the program's own folder is, as `python file.py` does (the runner puts it first)
        command = [sys.executable, "-P", "-m", CHILD_MODULE, str(path), str(out), "--iterations",
                   str(settings.iterations), "--seed", str(settings.seed), "--timeout", str(settings.timeout)]
        if settings.exact_iterations:
            command.append("--exact-iterations")
        env = dict(os.environ, MPLBACKEND="Agg", PYTHONUNBUFFERED="1")
        for threads in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env.setdefault(threads, "1")  # steady timings on shared machines; the probe's nets are small
        limit = memory_bytes(settings.memory, total_memory())
        return run_child(command, out, settings.timeout + KILL_GRACE, memory_limit=limit, env=env, cwd=cwd,
                         remind_after=settings.timeout + 1.0)


def _size(n: int) -> str:
    return f"{n / 2**30:.3g} GB" if n >= 2**30 else f"{n / 2**20:.0f} MB"


def _killed_finding(path: str, run: ChildRun, settings: CheckSettings, partial: bool) -> Finding:
    after = settings.timeout + KILL_GRACE
    what = "this report holds what was measured before" if partial else "before anything could be checked"
    return Finding(rule="user-code-error", severity=Severity.ERROR,
                   message=f"The file was still running {after:g} s after it started and did not answer the time "
                           f"limit ({settings.timeout:g} s); nndoctor stopped it: {what}.",
                   location=Location(file=path), evidence={"reason": "killed", "seconds": round(run.seconds, 1)},
                   fix="Look for a loop that never ends or a call that never returns (a wait for input, a lock); "
                       "otherwise use --timeout with more seconds or --iterations with fewer.")


def _crash_report(path: str, run: ChildRun, settings: CheckSettings) -> Report:
    report = Report(target=path)
    tail = "\n".join(run.stderr.strip().splitlines()[-5:]) or None
    if run.killed:
        report.add(_killed_finding(path, run, settings, partial=False))
        return report
    if run.memory_limit is not None and _OUT_OF_MEMORY.search(run.stderr):
        reason = "memory"
        message = (f"The program ran out of memory under the limit of {_size(run.memory_limit)}, before anything "
                   f"could be checked.")
        fix = ("If it needs more memory, raise the limit (--memory 8G, or memory = \"8G\" in [tool.nndoctor]); "
               "otherwise look for an array far larger than the network needs.")
    else:
        reason = "crashed"
        ended = (f"was ended by {run.signal_name}" if run.signal_name else f"ended with exit code {run.returncode}")
        message = f"The Python process running the file {ended}, before anything could be checked."
        fix = ("Run the file with python yourself to see where it stops; a native crash often comes from a library "
               "built for another numpy.")
    report.add(Finding(rule="user-code-error", severity=Severity.ERROR, message=message,
                       location=Location(file=path),
                       evidence={"reason": reason, "exit_code": run.returncode, "signal": run.signal_name,
                                 "traceback": tail},
                       fix=fix))
    return report
