"""Never harm the user's files, never lose a report: the bad-input suite.

Each file of tests/faults/ is one fault: a small learner-style program (or, for inputs that are not
programs, a script that writes the bad notebook or trace when run with python), whose docstring
says what nndoctor must do and whose literal ``EXPECTED`` dict at the end says it in a form this
test reads (``ast.literal_eval``). Per fault, the file is copied into a folder of its own, the
folder is hashed, the CLI runs as a user runs it (``python -m nndoctor check FILE --format json -o
OUT``, in a process of its own, from that folder), and:

- the exit code is the documented one;
- nndoctor prints no traceback on stderr (a user's traceback quoted in a finding is in the report,
  not on stderr), and the report has no internal error of nndoctor's and quotes no traceback
  through nndoctor's own files (a crashed check process's last lines of stderr are quoted);
- the JSON report exists and parses (a report is never lost), with the expected finding and words;
  or, for what is refused before anything runs, no report and exactly one line on stderr;
- no file of the folder changed and no file appeared, except what the program itself writes.

Keys of ``EXPECTED``:

``exit``            the exit code
``finding``         a rule the report must have (``None``: no particular one)
``severity``        that finding's severity
``absent``          rules that must not be reported as a warning or an error
``message``         words in a finding's message or a note of the report
``stderr``          words on stderr
``report``          ``False``: refused before the check, so no report and one line on stderr
``args``            more arguments (``{file}``: the fault's file name); later ones override ``--timeout 20``
``command``         ``"report"`` for ``nndoctor report`` (default ``"check"``)
``make``            run the fault file with python first; it writes this file, which nndoctor is run on
``setup``           files put in the program's folder first (name -> text)
``links``           symbolic links put there first (name -> target)
``subfolder``       the program sits in this subfolder; nndoctor is started from the folder above
``cwd_files``       files put in the folder nndoctor is started from (name -> text)
``writes``          files the program itself writes (they may change or appear)
``written_array``   a file the program wrote with np.save, and the array's shape
``lines_per_call``  a log the program appends one line to per call of a function: it gained exactly as many
                    lines as the program made calls (the report's count), none from nndoctor's own calls
``probe``           values the report's ``probe`` section must have
``printed``         formats printed on stdout as on a terminal (``--color always``), then checked for raw ESC
                    and BEL bytes (nndoctor's own colours aside)
``text_message``    words the first of them must show
``seconds``         the check must end within this many seconds (default 60)
``skip``            ``"linux-only"``, ``"posix-only"``: skipped where the fault cannot be produced
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_cli_guards import snapshot

FAULTS = Path(__file__).parent / "faults"
SKIPS = {"linux-only": (not sys.platform.startswith("linux"), "the fault is produced (and named) on Linux only"),
         "posix-only": (os.name != "posix", "symbolic links need privileges on Windows")}
KEYS = {"exit", "finding", "severity", "absent", "message", "stderr", "report", "args", "command", "make", "setup",
        "links", "subfolder", "cwd_files", "writes", "written_array", "lines_per_call", "probe", "printed",
        "text_message", "seconds", "skip"}
PACKAGE = os.path.dirname(importlib.util.find_spec("nndoctor").origin) + os.sep  # nndoctor's own source files
OWN_COLOR = re.compile(r"\x1b\[[0-9;]*m")  # nndoctor's own colours in the text report (--color always)


def expected(path: Path) -> dict[str, Any]:
    """The fault's literal EXPECTED dict (the source is parsed as python reads it: BOM, coding line)."""
    for node in ast.parse(path.read_bytes()).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "EXPECTED" for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError(f"{path.name} has no EXPECTED dict")


def faults() -> list[Path]:
    return sorted(FAULTS.glob("*.py"))


def nndoctor(*args: str, cwd: Path, timeout: float = 120) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    out = subprocess.run([sys.executable, "-m", "nndoctor", *args], cwd=cwd, capture_output=True, text=True,
                         timeout=timeout, stdin=subprocess.DEVNULL)
    return out, time.monotonic() - started


def relative(state: dict[str, str], folder: Path) -> dict[str, str]:
    return {str(Path(k).relative_to(folder)): v for k, v in state.items()}


def said(report: dict[str, Any]) -> str:
    """What the report says in words: its findings' messages and its notes."""
    probe = report.get("probe") or {}
    return "\n".join([f["message"] for f in report["findings"]] + list(probe.get("notes") or [])
                     + [str(probe.get("ended") or "")])


@pytest.mark.parametrize("path", faults(), ids=lambda p: p.name)
def test_fault(path: Path, tmp_path: Path) -> None:
    want = expected(path)
    unknown = set(want) - KEYS
    assert not unknown, f"{path.name}: unknown EXPECTED keys {unknown}"
    if want.get("skip"):
        skipped, why = SKIPS[want["skip"]]
        if skipped:
            pytest.skip(why)

    folder = tmp_path / "user"  # the user's folder: nndoctor is started here; the report goes elsewhere
    home = folder / want.get("subfolder", ".")
    home.mkdir(parents=True)
    shutil.copyfile(path, home / path.name)
    for name, text in want.get("setup", {}).items():
        (home / name).parent.mkdir(parents=True, exist_ok=True)
        (home / name).write_text(text)
    for name, target in want.get("links", {}).items():
        os.symlink(target.format(file=path.name), home / name)
    for name, text in want.get("cwd_files", {}).items():
        (folder / name).write_text(text)
    target = path.name
    if "make" in want:
        subprocess.run([sys.executable, path.name], cwd=home, check=True, capture_output=True, timeout=60)
        target = want["make"]
    target = str((home / target).relative_to(folder))
    before = relative(snapshot(folder), folder)

    out_json = tmp_path / "out.json"
    command = want.get("command", "check")
    args = [command, target, "--format", "json", "-o", str(out_json)]
    if command == "check":
        args += ["--timeout", "20"]
    args += [a.format(file=target) for a in want.get("args", [])]
    run, seconds = nndoctor(*args, cwd=folder)
    shown = (f"exit {run.returncode} in {seconds:.1f} s\n--- stdout\n{run.stdout[-3000:]}\n"
             f"--- stderr\n{run.stderr[-3000:]}")

    assert run.returncode == want["exit"], shown
    assert "Traceback (most recent call last)" not in run.stderr, shown
    assert seconds < want.get("seconds", 60), shown
    if "stderr" in want:
        assert want["stderr"] in run.stderr, shown
    if want.get("report", True):
        assert out_json.exists(), "the report was lost\n" + shown
        report = json.loads(out_json.read_text("utf-8"))
        internal = [f for f in report["findings"] if (f.get("evidence") or {}).get("reason") == "internal-error"
                    or PACKAGE in str((f.get("evidence") or {}).get("traceback"))]  # a frame of nndoctor's own
        assert not internal, internal
        words = said(report)
        if want.get("finding"):
            matching = [f for f in report["findings"] if f["rule"] == want["finding"]
                        and f["severity"] == want.get("severity", f["severity"])]
            assert matching, f"no {want['finding']} finding:\n{words}\n{shown}"
        for rule in want.get("absent", []):
            assert not [f for f in report["findings"] if f["rule"] == rule and f["severity"] != "info"], words
        if "message" in want:
            assert want["message"] in words, words
        for key, value in want.get("probe", {}).items():
            assert report["probe"].get(key) == value, (key, report["probe"])
        for name, function in want.get("lines_per_call", {}).items():
            calls = report["training"]["functions"][function]["calls"]
            lines = (home / name).read_text().splitlines()
            assert len(lines) - len(want["setup"][name].splitlines()) == calls, (len(lines), calls)
    else:
        assert not out_json.exists()
        assert run.stdout == "" and len(run.stderr.strip().splitlines()) == 1, shown

    after = relative(snapshot(folder), folder)
    writes = set(want.get("writes", []))
    changed = {k for k in before if k not in writes and after.get(k) != before[k]}
    appeared = set(after) - set(before) - writes
    assert not changed, f"the user's files changed: {sorted(changed)}"
    assert not appeared, f"files appeared in the user's folder: {sorted(appeared)}"
    for name, shape in want.get("written_array", {}).items():
        assert np.load(home / name).shape == tuple(shape)

    for form in want.get("printed", []):
        printed, _ = nndoctor(command, target, "--format", form, "--color", "always", "--timeout", "20", cwd=folder)
        assert printed.returncode == want["exit"], printed.stderr
        shown_text = OWN_COLOR.sub("", printed.stdout + printed.stderr)
        assert "\x1b" not in shown_text and "\x07" not in shown_text, (form, repr(shown_text[-2000:]))
        if form == want["printed"][0] and "text_message" in want:
            assert want["text_message"] in shown_text, shown_text
        assert relative(snapshot(folder), folder) == after


def test_the_doctors_own_replays_write_nothing(tmp_path, monkeypatch):
    """The API's side of it: `Doctor.report()` replays the first step of each run as a gradient check,
    calling the program's cost on other parameter values; a cost that logs to a file writes the
    program's lines only (its own calls), none of the replay's."""
    import importlib

    import nndoctor

    source = (FAULTS / "files_log_in_cost.py").read_text()
    (tmp_path / "logged_net.py").write_text(source[:source.index("\n\nX, Y = load_data()")] + "\n")
    (tmp_path / "costs.log").write_text("cost\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("logged_net")
    doctor = nndoctor.Doctor().watch(module)
    X, Y = module.load_data()
    module.nn_model(X, Y, num_iterations=20)
    report = doctor.report()
    assert report.sections["gradient_check"]["verdict"] == "pass"  # the replay did call compute_cost
    assert len((tmp_path / "costs.log").read_text().splitlines()) == 1 + 20
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "__pycache__") == ["costs.log", "logged_net.py"]
