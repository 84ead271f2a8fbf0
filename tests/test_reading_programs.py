"""How `nndoctor check` reads a program the way its author runs it: the folder it runs in, a notebook
cell that raises, the data the training really used, loops of loose layer objects (restored after
the check), and tables of categories (no near-duplicate "leakage")."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pytest

from nndoctor.checkfile import check_file
from nndoctor.checkfile.data import from_training
from nndoctor.checkfile.gradients import check_recorded_steps
from nndoctor.checkfile.runner import run_program, running
from nndoctor.checkfile.workdir import working_directory
from nndoctor.data.leakage import find_duplicates
from nndoctor.diagnosis import GradientEvidence

ZOO = Path(__file__).parent / "zoo"


# ----------------------------------------------------------------------------- working folder
def _program(path: Path, source: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))
    return path


def _statements(path: Path) -> list:
    import ast

    return ast.parse(path.read_text()).body


def test_a_program_written_for_the_repository_root_runs_from_there(tmp_path):
    repo = tmp_path / "repo"
    (repo / "week4").mkdir(parents=True)
    (repo / "week4" / "train.csv").write_text("1,2\n")
    model = _program(repo / "week4" / "model.py", 'data = open("week4/train.csv").read()\n')
    assert working_directory(model, _statements(model), repo) == repo


def test_a_program_that_opens_files_next_to_it_runs_in_its_own_folder(tmp_path):
    home = tmp_path / "course"
    (home / "datasets").mkdir(parents=True)
    (home / "datasets" / "train.h5").write_bytes(b"")
    model = _program(home / "model.py", 'path = "datasets/train.h5"\n')
    assert working_directory(model, _statements(model), tmp_path) == home


def test_the_paths_a_helper_module_spells_out_count_too(tmp_path):
    repo = tmp_path / "repo"
    (repo / "c1").mkdir(parents=True)
    (repo / "c1" / "cats.h5").write_bytes(b"")
    _program(repo / "c1" / "utils.py", 'def load():\n    return open("c1/cats.h5", "rb")\n')
    model = _program(repo / "c1" / "main.py", "from utils import load\n")
    assert working_directory(model, _statements(model), repo) == repo


def test_without_any_evidence_the_file_folder_is_kept(tmp_path):
    model = _program(tmp_path / "a" / "model.py", "x = 1\n")
    assert working_directory(model, _statements(model), tmp_path) == tmp_path / "a"


# ----------------------------------------------------------------------------- notebook cells
def _notebook(path: Path, cells: list[str]) -> Path:
    nb = {"cells": [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                     "source": textwrap.dedent(c)} for c in cells],
          "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb))
    return path


def test_a_name_a_failing_statement_did_not_get_to_assign_is_not_used_with_its_old_value(tmp_path):
    nb = _notebook(tmp_path / "n.ipynb", [
        "import numpy as np\nout = [1, 2, 3]\n",
        "with open('absent.json') as f:\n    out = f.read()\nprint(np.array(out)[:, 1])\n",
        "from math import sqrt\nroot = sqrt(4)\n",
    ])
    with running(nb) as probe:
        run_program(probe)
        errors = [type(e.error.exception).__name__ for e in probe.errors]
        assert errors == ["FileNotFoundError"]  # not an IndexError on the stale list
        assert "out" not in probe.namespace and probe.namespace["root"] == 2.0  # the later cells ran
        assert any("needs out" in n for n in probe.notes), probe.notes


def test_a_failing_import_star_leaves_the_cell_s_other_imports_running(tmp_path):
    nb = _notebook(tmp_path / "n.ipynb", [
        "import numpy as np\nfrom not_installed_here import *\nfrom math import sqrt\n",
        "root = sqrt(9)\n",
    ])
    with running(nb) as probe:
        run_program(probe)
        assert [type(e.error.exception).__name__ for e in probe.errors] == ["ModuleNotFoundError"]
        assert probe.namespace["root"] == 3.0


# ----------------------------------------------------------------------------- the data trained on
def test_the_data_the_training_used_wins_over_a_side_split():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(2, 400)), (rng.random((1, 400)) > 0.5).astype(np.uint8)
    X_train, y_train = X.T[:320], Y.T[:320]  # a side experiment's row-major split
    ns = {"X": X, "Y": Y, "X_train": X_train, "y_train": y_train, "X_test": X.T[320:], "y_test": Y.T[320:]}
    data = from_training(ns, X, 1)
    assert data is not None and data.X is X and data.Y is Y
    assert data.names[:2] == ("X", "Y")


def test_a_training_array_the_module_does_not_hold_falls_back():
    assert from_training({"X": np.zeros((2, 5))}, np.zeros((2, 5)), 1) is None


# ----------------------------------------------------------------------------- categorical tables
def test_near_duplicates_are_not_looked_for_in_a_table_of_categories():
    rng = np.random.default_rng(1)
    table = rng.integers(0, 3, size=(400, 24)).astype(float)  # one-hot-ish categories and small counts
    found = find_duplicates(table[:300], table[300:] + (rng.random((100, 24)) < 0.04), example_axis=0)
    assert not found.near_checked and len(found.near) == 0
    assert any("few distinct values" in n for n in found.notes)


def test_near_copies_of_continuous_examples_are_still_found():
    rng = np.random.default_rng(2)
    images = rng.random((300, 64))
    test = images[:20] + rng.normal(scale=1e-3, size=(20, 64))
    found = find_duplicates(images, test, example_axis=0)
    assert found.near_checked and len(found.near) == 20


# ----------------------------------------------------------------------------- loose layer objects
def test_the_layer_loop_check_puts_every_object_back_bitwise():
    path = ZOO / "layers" / "lyr_loose_layers_ok.py"
    with running(path, iterations=30) as probe:
        run_program(probe)
        probe.doctor.unwatch()
        (loop,) = [lp for lp in probe.layer_loops if lp.steps]
        objects = {n: probe.namespace[n] for n in loop.names if hasattr(probe.namespace.get(n), "__dict__")
                   and type(probe.namespace[n]).__module__ == "__main__"}
        before = {n: {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in vars(o).items()}
                  for n, o in objects.items()}
        identities = {n: {k: id(v) for k, v in vars(o).items()} for n, o in objects.items()}
        state = np.random.get_state()
        gradient = GradientEvidence()
        assert check_recorded_steps(probe, gradient, seed=0)
        assert gradient.verdict == "pass"
        assert [f.rule for f in gradient.findings if f.severity.label == "error"] == []
        for name, obj in objects.items():
            assert {k: id(v) for k, v in vars(obj).items()} == identities[name]
            for key, value in vars(obj).items():
                old = before[name][key]
                if isinstance(value, np.ndarray):
                    assert np.array_equal(value, old) and value.dtype == old.dtype, (name, key)
        after = np.random.get_state()
        assert state[0] == after[0] and np.array_equal(state[1], after[1]) and state[2:] == after[2:]


@pytest.mark.parametrize("name, rule", [("lyr_loose_layers_ok.py", None), ("lyr_loose_layers_bug.py", "gradient-mismatch")])
def test_layer_loop_parameters_are_named_after_the_program_variables(name, rule):
    report = check_file(ZOO / "layers" / name, iterations=60)
    params = report.sections["gradient_check"]["parameters"]
    assert list(params) == ["dense1.weights", "dense1.biases", "dense2.weights", "dense2.biases"]
    errors = {f.rule for f in report.findings if f.severity.label == "error"}
    assert errors == ({rule} if rule else set())
