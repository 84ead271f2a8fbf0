"""The command line, run as a user would: a subprocess and its exit code."""

import json
import subprocess
import sys

import pytest

import nndoctor


def cli(*args):
    return subprocess.run([sys.executable, "-m", "nndoctor.cli", *args], capture_output=True, text=True, timeout=120)


def test_version():
    out = cli("--version")
    assert out.returncode == 0 and out.stdout.strip() == f"nndoctor {nndoctor.__version__}"


def test_no_command_prints_help_and_exits_2():
    out = cli()
    assert out.returncode == 2 and "demo" in out.stdout


def test_demo_tour_checks_bundled_files():
    out = cli("demo")
    assert out.returncode == 0, out.stderr
    heads = [line for line in out.stdout.splitlines() if line.startswith("examples/")]
    assert heads[0].startswith("examples/lr_too_high.py: FAIL") and heads[-1].startswith("examples/correct_deep.py: PASS")
    assert "learning-rate (too-high)" in out.stdout and "symmetric-init" in out.stdout
    assert "nndoctor check my_model.py" in out.stdout


def test_demo_lists_examples_and_rejects_unknown_ones():
    listed = cli("demo", "--list").stdout.split()
    assert "zero_init" in listed and "gradcheck_planted_errors" in listed
    out = cli("demo", "no_such_example")
    assert out.returncode == 2 and "--list" in out.stderr


def test_demo_shows_the_two_planted_bugs():
    out = cli("demo", "gradcheck_planted_errors")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("examples/gradcheck_planted_errors.py: FAIL — 2 errors")
    assert "dW2 is 2 x the numerical gradient" in out.stdout
    assert "db1 is 4 x the numerical gradient" in out.stdout
    assert "\033[" not in out.stdout  # no colour when not on a terminal


def test_demo_json_is_one_document():
    out = cli("demo", "gradcheck_planted_errors", "--format", "json")
    data = json.loads(out.stdout)
    assert data["verdict"] == "fail"
    flagged = {f["location"]["parameter"]: f["evidence"]["factor"] for f in data["findings"]}
    assert flagged == pytest.approx({"W2": 2.0, "b1": 4.0})
    assert data["findings"][0]["location"]["function"] == "backward_propagation_n"


@pytest.mark.parametrize("name", ["gradient-mismatch", "NND101", "nnd308"])
def test_explain(name):
    out = cli("explain", name)
    assert out.returncode == 0 and out.stdout.startswith("# ")


def test_explain_unknown_rule_is_a_clean_exit_2():
    out = cli("explain", "gradient-mismatches")
    assert out.returncode == 2 and "Traceback" not in out.stderr and "nndoctor rules" in out.stderr


def test_rules_lists_every_rule():
    out = cli("rules")
    assert out.returncode == 0 and len(out.stdout.splitlines()) == len(nndoctor.all_rules())
    data = json.loads(cli("rules", "--format", "json").stdout)
    assert {"code": "NND101", "rule": "gradient-mismatch"}.items() <= data[0].items()
