"""Every example documents the diagnosis it should get; this runs it and checks exactly that."""

import runpy
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).parent.parent / "examples"


def test_planted_errors_example_runs_as_a_script():
    out = subprocess.run([sys.executable, str(EXAMPLES / "gradcheck_planted_errors.py")],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("FAIL — 2 errors")


@pytest.mark.planted("gradient-mismatch")
@pytest.mark.twin("gradient-mismatch")
def test_planted_errors_example_diagnosis_and_its_correct_twin():
    module = runpy.run_path(str(EXAMPLES / "gradcheck_planted_errors.py"))
    result = module["check"]()
    flagged = {name: (p.kind, round(p.factor, 6)) for name, p in result.parameters.items() if not p.ok}
    assert flagged == {"W2": ("scale", 2.0), "b1": ("scale", 4.0)}
    twin = module["check"](module["backward_propagation_fixed"])
    assert twin.ok and twin.findings == []


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.py")), ids=lambda p: p.name)
def test_every_example_documents_its_expected_diagnosis(path):
    if path.name == "__init__.py":
        return
    text = path.read_text()
    assert "Expected diagnosis" in text, f"{path.name} must say what nndoctor should find"
