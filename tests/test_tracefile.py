"""Traces on disk: written while training, read back whole, still readable after a kill."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import pytest
from modelkit import load_model

import nndoctor
from nndoctor.diagnosis import diagnose
from nndoctor.tracefile import SCHEMA, TraceFileError, read_trace

TESTS = Path(__file__).parent


def traced(path, name="course_deep", train=None, every=1, **settings):
    module = load_model(name, **settings)
    doctor = nndoctor.Doctor(every=every, trace=path).watch(module)
    X, Y = module.load_data()
    if train is None:
        module.L_layer_model(X, Y, [20, 8, 5, 1], learning_rate=0.05, num_iterations=80)
    else:
        train(module, X, Y)
    report = doctor.report()
    doctor.close()
    return doctor, report


def same(a, b):
    """Equality that counts NaN as equal to NaN (a NaN statistic must survive the round trip)."""
    import math

    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if hasattr(a, "__dict__") and type(a) is type(b):
        return same(vars(a), vars(b))
    return a == b


def same_iterations(live, read):
    for run_a, run_b in zip(live.runs, read.runs):
        assert [it.index for it in run_a.completed] == [it.index for it in run_b.completed]
        for a, b in zip(run_a.completed, run_b.completed):
            assert same((a.cost, a.sampled, a.batch), (b.cost, b.sampled, b.batch))
            assert same([(x.layer, x.kind, x.dead_units, x.saturated_fraction, x.std, x.histogram) for x in a.activations],
                        [(x.layer, x.kind, x.dead_units, x.saturated_fraction, x.std, x.histogram) for x in b.activations])
            assert same(a.grads, b.grads) and same(a.params, b.params)
            assert same(a.param_fingerprint, b.param_fingerprint)
            if a.update is not None:
                assert same((a.update.change, a.update.before, a.update.descent, a.update.learning_rate),
                            (b.update.change, b.update.before, b.update.descent, b.update.learning_rate))
            assert [(d.of, d.layer) for d in a.derivatives] == [(d.of, d.layer) for d in b.derivatives]
            assert {k: (s.kept, s.size, s.scaled, s.reapplied) for k, s in a.dropout.items()} == \
                   {k: (s.kept, s.size, s.scaled, s.reapplied) for k, s in b.dropout.items()}
        assert same(run_a.weights, run_b.weights) and run_a.label == run_b.label


@pytest.mark.parametrize("settings", [{}, {"INIT_SCALE": "zeros"}, {"UPDATE_SIGN": 1}, {"INIT_SCALE": 10.0}],
                         ids=["healthy", "zeros", "wrong-sign", "large-init"])
def test_a_trace_round_trips_every_statistic_and_the_diagnosis(tmp_path, settings):
    path = tmp_path / "run.h5"
    doctor, live = traced(path, **settings)
    read = read_trace(path)
    same_iterations(doctor.trace, read)
    histogram = read.runs[0].completed[0].activations[0].histogram
    assert histogram is not None and sum(histogram[2]) == 8 * 200  # layer 1: 8 units x 200 examples
    again = diagnose(read)
    assert [(f.rule, f.kind, f.message) for f in again.findings] == [(f.rule, f.kind, f.message) for f in live.findings]
    assert same(again.to_dict()["training"], live.to_dict()["training"])


def test_dropout_statistics_round_trip(tmp_path):
    path = tmp_path / "drop.h5"
    doctor, live = traced(path, name="dropout_net", MASK="randn", train=lambda m, X, Y: m.model(X, Y, num_iterations=40))
    same_iterations(doctor.trace, read_trace(path))
    assert {f.kind for f in diagnose(read_trace(path)).findings} == {"keep-rate"}


def test_sampled_trace_is_smaller_and_keeps_every_cost(tmp_path):
    full, sampled = tmp_path / "full.h5", tmp_path / "sampled.h5"
    traced(full)
    doctor, _ = traced(sampled, every=10)
    read = read_trace(sampled)
    assert len(read.runs[0].completed) == 80 and sum(it.sampled for it in read.runs[0].completed) == 9
    assert os.path.getsize(sampled) < os.path.getsize(full)


KILLED_RUN = """
import sys, time
sys.path.insert(0, {tests!r})
from modelkit import load_model
import nndoctor
module = load_model("course_deep")
doctor = nndoctor.Doctor(trace={path!r}).watch(module)
X, Y = module.load_data()
original = module.update_parameters
def slow_update(*args):
    time.sleep(0.002)
    return original(*args)
module.update_parameters = slow_update
print("training", flush=True)
module.L_layer_model(X, Y, [20, 8, 5, 1], num_iterations=100000)
"""


def test_a_run_killed_mid_way_leaves_a_readable_trace(tmp_path):
    path = tmp_path / "killed.h5"
    child = subprocess.Popen([sys.executable, "-c", KILLED_RUN.format(tests=str(TESTS), path=str(path))],
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "training"
    deadline = time.time() + 60
    while time.time() < deadline:
        time.sleep(0.5)
        try:
            if len(read_trace(path).runs[0].completed) >= 100:
                break
        except (TraceFileError, IndexError, OSError, KeyError):
            continue
    child.send_signal(signal.SIGKILL)
    child.wait()
    trace = read_trace(path)
    assert len(trace.runs[0].completed) >= 100
    out = subprocess.run([sys.executable, "-m", "nndoctor.cli", "report", str(path), "--format", "json"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and json.loads(out.stdout)["training"]["iterations"] >= 100


def cli_report(path, *extra):
    return subprocess.run([sys.executable, "-m", "nndoctor.cli", "report", str(path), *extra],
                          capture_output=True, text=True, timeout=60)


def test_report_command_formats_and_exit_codes(tmp_path):
    path = tmp_path / "zeros.h5"
    traced(path, INIT_SCALE="zeros")
    out = cli_report(path)
    assert out.returncode == 1 and "symmetric-init" in out.stdout
    data = json.loads(cli_report(path, "--format", "json").stdout)
    assert data["schema"] == "nndoctor.report/1" and data["findings"][0]["rule"] == "symmetric-init"
    page = tmp_path / "r.html"
    assert cli_report(path, "--format", "html", "-o", str(page)).returncode == 1 and "<svg" in page.read_text()


def test_bad_trace_files_exit_2_and_are_left_alone(tmp_path):
    garbage = tmp_path / "garbage.h5"
    garbage.write_bytes(b"not hdf5 at all")
    newer = tmp_path / "newer.h5"
    with h5py.File(newer, "w") as f:
        f.attrs["schema"] = "nndoctor.trace/99"
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f["x"] = [1, 2, 3]
    good = tmp_path / "good.h5"
    traced(good)
    truncated = tmp_path / "truncated.h5"
    truncated.write_bytes(good.read_bytes()[:2048])
    for path, words in ((garbage, "not a readable HDF5"), (newer, "newer nndoctor"), (other, "not an nndoctor trace"),
                        (truncated, "HDF5"), (tmp_path / "missing.h5", "no such file")):
        before = path.read_bytes() if path.exists() else None
        out = cli_report(path)
        assert out.returncode == 2 and words in out.stderr and "Traceback" not in out.stderr, (path, out.stderr)
        assert (path.read_bytes() if path.exists() else None) == before
    assert SCHEMA == "nndoctor.trace/1"


# ---------------------------------------------------------------- the user's files are safe


def test_a_file_that_is_not_a_trace_is_never_replaced(tmp_path):
    notes = tmp_path / "run.h5"
    notes.write_text("my lab notes, not a trace\n")
    other = tmp_path / "data.h5"
    with h5py.File(other, "w") as f:
        f["train_x"] = [1.0, 2.0]
    for path in (notes, other):
        before = path.read_bytes()
        with pytest.raises(nndoctor.InvalidInputError, match="already exists and is not an nndoctor trace"):
            nndoctor.Doctor(trace=path)
        assert path.read_bytes() == before
    with pytest.raises(nndoctor.InvalidInputError, match="is a folder"):
        nndoctor.Doctor(trace=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.h5", "run.h5"]  # no lock or temporary file left
    # an empty file and a trace of an earlier run are replaced
    (tmp_path / "empty.h5").write_bytes(b"")
    traced(tmp_path / "empty.h5")
    traced(tmp_path / "empty.h5")
    assert read_trace(tmp_path / "empty.h5").runs


POSIX = pytest.mark.skipif(os.name != "posix", reason="flock and symbolic links: POSIX only")


@POSIX
def test_two_doctors_never_write_one_trace(tmp_path):
    path = tmp_path / "run.h5"
    first = nndoctor.Doctor(trace=path)
    with pytest.raises(nndoctor.InvalidInputError, match="being written by another Doctor"):
        nndoctor.Doctor(trace=path)
    # in another process too, for as long as the first one holds it
    other = subprocess.run([sys.executable, "-c", f"import nndoctor; nndoctor.Doctor(trace={str(path)!r})"],
                           capture_output=True, text=True, timeout=60)
    assert other.returncode == 1 and "being written by another Doctor" in other.stderr
    first.close()
    second = nndoctor.Doctor(trace=path)  # closed: free again
    second.close()
    assert not (tmp_path / ".run.h5.lock").exists()


@POSIX
def test_a_killed_writer_leaves_the_trace_free(tmp_path):
    path = tmp_path / "run.h5"
    child = subprocess.Popen([sys.executable, "-c", f"import nndoctor, time\nd = nndoctor.Doctor(trace={str(path)!r})\n"
                              "print('locked', flush=True)\ntime.sleep(300)\n"], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "locked"
        with pytest.raises(nndoctor.InvalidInputError, match="being written by another Doctor"):
            nndoctor.Doctor(trace=path)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    nndoctor.Doctor(trace=path).close()  # the kernel released the lock of the dead process


@POSIX
def test_the_temporary_file_has_no_predictable_name_and_no_planted_link_is_followed(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("must not change\n")
    path = tmp_path / "run.h5"
    for planted in (f".run.h5.{os.getpid()}.tmp", ".run.h5.tmp"):  # the old temporary name, and a guess
        os.symlink(victim, tmp_path / planted)
    traced(path)
    assert victim.read_text() == "must not change\n"
    assert read_trace(path).runs
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted([".run.h5.tmp", f".run.h5.{os.getpid()}.tmp", "run.h5", "victim.txt"])  # nothing else
    assert (path.stat().st_mode & 0o777) == (0o666 & ~_umask())  # as any new file, not mkstemp's 0600


def _umask():
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
