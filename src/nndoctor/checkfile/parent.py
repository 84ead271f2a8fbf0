"""The CLI side of `nndoctor check`: start the child, wait with a progress line, render, exit."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from nndoctor.commands import emit_report
from nndoctor.findings import Finding, Location, Report, Severity

EXIT_OK, EXIT_FINDINGS, EXIT_TOOL = 0, 1, 2
KILL_GRACE = 10.0  # seconds after --timeout before the child is killed outright


def run_check(args: argparse.Namespace) -> int:
    path = Path(args.path)
    if not path.exists():
        print(f"nndoctor check: {path}: no such file.", file=sys.stderr)
        return EXIT_TOOL
    if path.suffix not in (".py", ".ipynb"):
        print(f"nndoctor check: {path}: expected a Python file (.py) or a notebook (.ipynb).", file=sys.stderr)
        return EXIT_TOOL
    started = time.monotonic()
    outcome = _run_child(path, args)
    elapsed = time.monotonic() - started
    for key in ("unreadable", "nothing"):
        if key in outcome:
            print(outcome[key], file=sys.stderr)
            if args.format in ("json", "junit"):  # a CI job still gets its report file
                emit_report(_tool_report(path, outcome[key]), args)
            return EXIT_TOOL
    if "internal" in outcome:
        print("nndoctor check: nndoctor itself failed; please report this with the traceback below.\n"
              + str(outcome["internal"]), file=sys.stderr)
        return EXIT_TOOL
    report = Report.from_dict(outcome["report"]) if "report" in outcome else _crash_report(path, outcome)
    report.sections.setdefault("probe", {})["seconds"] = round(elapsed, 2)
    emit_report(report, args)
    if "report" not in outcome or report.sections.get("probe", {}).get("checked") is False:
        return EXIT_TOOL  # the file crashed or hung before anything could be checked: the report says where
    return EXIT_FINDINGS if report.at_or_above(args.fail_on) else EXIT_OK


def _tool_report(path: Path, message: str) -> Report:
    """What a CI format gets when nothing could be checked: one finding carrying the message."""
    report = Report(target=str(path))
    report.add(Finding(rule="check-inconclusive", severity=Severity.ERROR, message=message.splitlines()[0],
                       location=Location(file=str(path)), evidence={"reason": "nothing-to-check", "detail": message},
                       fix="See the message: add nndoctor.spec(train=...) or a training function."))
    report.sections["probe"] = {"checked": False}
    return report


def _run_child(path: Path, args: argparse.Namespace) -> dict:
    with tempfile.TemporaryDirectory(prefix="nndoctor-") as tmp:
        out = Path(tmp) / "report.json"
        cmd = [sys.executable, "-m", "nndoctor.checkfile.child", str(path.resolve()), str(out),
               "--iterations", str(args.iterations), "--seed", str(args.seed), "--timeout", str(args.timeout)]
        env = dict(os.environ, MPLBACKEND="Agg", PYTHONUNBUFFERED="1")
        for threads in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env.setdefault(threads, "1")  # steady timings on shared machines; the probe's nets are small
        progress = _Progress(path) if sys.stderr.isatty() else None
        try:
            child = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env,
                                   timeout=args.timeout + KILL_GRACE)
        except subprocess.TimeoutExpired:
            return {"killed": f"The file was still running {args.timeout + KILL_GRACE:g} s after it started "
                              f"and did not respond to the time limit; it was stopped"}
        finally:
            if progress:
                progress.stop()
        if out.exists():
            return json.loads(out.read_text("utf-8"))
        tail = (child.stderr or "").strip().splitlines()[-5:]
        return {"crashed": f"The Python process running the file ended with exit code {child.returncode}",
                "stderr": "\n".join(tail)}


def _crash_report(path: Path, outcome: dict) -> Report:
    reason = outcome.get("killed") or outcome.get("crashed") or "the file could not be run"
    report = Report(target=str(path))
    report.add(Finding(rule="user-code-error", severity=Severity.ERROR,
                       message=f"{reason}, before anything could be checked.",
                       location=Location(file=str(path)),
                       evidence={"reason": "killed" if "killed" in outcome else "crashed",
                                 "traceback": outcome.get("stderr")},
                       fix="Run the file with python yourself to see where it stops; a native crash often "
                           "comes from a library built for another numpy."))
    return report


class _Progress:
    """A one-line progress indicator on stderr, only when stderr is a terminal."""

    def __init__(self, path: Path) -> None:
        self._stop = threading.Event()
        self._path = path
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        start = time.monotonic()
        while not self._stop.wait(0.5):
            sys.stderr.write(f"\rnndoctor: running {self._path.name} ... {time.monotonic() - start:4.0f} s")
            sys.stderr.flush()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        sys.stderr.write("\r" + " " * 60 + "\r")
        sys.stderr.flush()
