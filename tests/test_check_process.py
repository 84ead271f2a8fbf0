"""The parent side of `nndoctor check`: the child's process group, its deadline, its memory limit,
the bounded capture of its output, and reading the latest complete report it wrote.

Most tests replace the child by tests/fakechild.py (same arguments), which acts out what a child
or the learner's program can do; the last ones run real files through the real child."""

import os
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest

from nndoctor.checkfile import parent
from nndoctor.checkfile.parent import CheckSettings, check_one
from nndoctor.results import CHECKED, CRASHED, INTERNAL, NOTHING

TESTS = Path(__file__).parent


@pytest.fixture
def fake_child(monkeypatch, tmp_path):
    monkeypatch.setattr(parent, "CHILD_MODULE", "fakechild")
    monkeypatch.setattr(parent, "KILL_GRACE", 1.0)  # the fake child never answers its time limit anyway
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]))

    def run(name, timeout=60.0):
        path = tmp_path / f"{name}.py"
        path.write_text("# acted out by tests/fakechild.py\n")
        started = time.monotonic()
        result = check_one(path.name, CheckSettings(timeout=timeout, cwd=str(tmp_path)))
        return result, time.monotonic() - started, path

    return run


def alive(pid):
    """Whether the process exists and is not a zombie (a container's init may not reap at once)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def gone(pid, within=3.0):
    deadline = time.monotonic() + within
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not alive(pid)


@pytest.mark.skipif(not Path("/proc").exists(), reason="reads /proc to see whether a process is alive")
def test_a_grandchild_holding_the_pipes_neither_delays_the_report_nor_survives(fake_child):
    result, seconds, path = fake_child("grandchild_keeps_pipes")
    assert result.status == CHECKED and result.to_report().findings[0].message == "final"
    assert seconds < 10  # not the grandchild's 300 s, nor the time limit
    assert gone(int(path.with_suffix(".pid").read_text()))


@pytest.mark.skipif(not Path("/proc").exists(), reason="reads /proc to see whether a process is alive")
def test_a_child_that_outlives_its_limit_is_killed_with_its_group_and_its_partial_report_kept(fake_child):
    result, seconds, path = fake_child("partial_then_hang", timeout=1.0)
    assert seconds < 1.0 + parent.KILL_GRACE + 3
    findings = result.to_report().findings
    assert [f.message for f in findings if f.rule == "dead-relu"] == ["measured before the hang"]
    (killed,) = [f for f in findings if f.rule == "user-code-error"]
    assert killed.evidence["reason"] == "killed" and "what was measured before" in killed.message
    assert result.status == CHECKED and result.exit_code == 1  # the kill is an error finding; nothing is lost
    assert gone(int(path.with_suffix(".pid").read_text()))


def test_a_child_whose_alarm_was_spent_early_is_reminded_of_its_time_limit(fake_child, monkeypatch):
    monkeypatch.setattr(parent, "KILL_GRACE", 10.0)
    result, seconds, _ = fake_child("alarm_spent_early", timeout=1.0)
    assert [f.message for f in result.to_report().findings] == ["stopped by a second alarm"]
    assert seconds < 6  # reminded one second after its limit, not killed after the grace


def test_a_child_without_an_alarm_handler_is_not_sent_one(fake_child):
    result, _, _ = fake_child("ignores_alarms", timeout=0.5)
    (finding,) = result.to_report().findings
    assert finding.evidence["reason"] == "killed"  # by the parent at the deadline, not ended by SIGALRM


def test_the_latest_complete_report_wins_over_a_write_cut_short(fake_child):
    result, _, _ = fake_child("killed_while_writing")
    assert result.status == CHECKED
    assert [f.message for f in result.to_report().findings] == ["the first, complete report"]


def test_60_mb_of_output_is_not_kept_in_the_cli(fake_child):
    tracemalloc.start()
    try:
        result, _, _ = fake_child("prints_a_lot")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.status == CHECKED
    assert peak < 8 * 2**20, f"the parent allocated {peak / 2**20:.1f} MB for a child printing 60 MB"


def test_capture_keeps_the_head_and_the_tail():
    from nndoctor.checkfile.process import HEAD_BYTES, TAIL_BYTES, BoundedCapture

    reader, writer = os.pipe()
    capture = BoundedCapture(os.fdopen(reader, "rb"))
    with os.fdopen(writer, "wb") as out:
        out.write(b"HEAD" + b"." * 1_000_000 + b"TAIL")
    capture.join(5)
    text = capture.text()
    assert capture.total == 1_000_008 and text.startswith("HEAD") and text.endswith("TAIL")
    assert f"[... {1_000_008 - HEAD_BYTES - TAIL_BYTES} bytes not kept ...]" in text


def test_what_the_child_says_it_could_not_do_becomes_the_status(fake_child):
    nothing, _, _ = fake_child("nothing")
    assert (nothing.status, nothing.exit_code) == (NOTHING, 2) and "found nothing" in nothing.message
    assert nothing.to_report().findings[0].evidence["reason"] == "nothing-to-check"
    internal, _, _ = fake_child("internal")
    assert internal.status == INTERNAL and "nndoctor itself failed" in internal.message
    crashed, _, _ = fake_child("segfault")
    (finding,) = crashed.to_report().findings
    assert crashed.status == CRASHED and crashed.exit_code == 2
    assert finding.evidence["signal"] == "SIGSEGV" and "was ended by SIGSEGV" in finding.message


# ---------------------------------------------------------------- the real child


def run_cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "nndoctor.cli", "check", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL)


def test_the_memory_limit_applies_to_the_program(tmp_path):
    (tmp_path / "hog.py").write_text("import numpy as np\n\nbig = np.ones(3 * 2**30 // 8)  # 3 GB\n")
    out = run_cli("hog.py", "--memory", "1G", "--format", "json", cwd=tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "MemoryError" in out.stdout or "memory" in out.stdout


@pytest.mark.skipif(not Path("/proc").exists(), reason="reads /proc to see whether a process is alive")
def test_a_process_the_program_starts_is_killed_when_the_check_ends(tmp_path):
    from classkit import write_class

    (path,) = write_class(tmp_path, 1)
    path.write_text("import subprocess, sys\n"
                    "_sleeper = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'])\n"
                    "open('sleeper.pid', 'w').write(str(_sleeper.pid))\n" + path.read_text())
    started = time.monotonic()
    out = run_cli(path.name, cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    assert time.monotonic() - started < 60
    assert gone(int((tmp_path / "sleeper.pid").read_text()))
