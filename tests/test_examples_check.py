"""Every bundled example through `nndoctor check`'s engine: the diagnosis its file documents
(EXPECTED), with the gradient check this time, and no other warning or error."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from rulecases import program_params
from test_examples_watch import NOT_MODELS, _describe, _matches

from nndoctor.checkfile import check_file

EXAMPLES = Path(__file__).parent.parent / "examples"


def expected(path: Path) -> dict[str, Any]:
    tree = ast.parse(path.read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "EXPECTED" for t in node.targets):
            return eval(compile(ast.Expression(node.value), str(path), "eval"), {})  # noqa: S307 - our own files
    raise AssertionError(f"{path.name} documents no EXPECTED diagnosis")


def matches(finding: Any, want: dict[str, Any]) -> bool:
    """What the watch test matches (rule, kind, severity, location), plus the gradient check's keys."""
    if not _matches(finding, want):
        return False
    if "factor" in want and finding.evidence.get("factor") != pytest.approx(want["factor"], rel=1e-3):
        return False
    for key in ("parameters", "also_wrong_below", "gradient_check"):
        if key in want and sorted(finding.evidence.get(key) or []) != sorted(want[key]):
            return False
    return True


def cases() -> list[Any]:
    """Ids carry the rules (`pytest -k dead_relu`), bug-and-twin pairs are marked (rulecases.py)."""
    paths = sorted(p for p in EXAMPLES.glob("*.py") if p.name not in NOT_MODELS)
    return program_params({p: expected(p) for p in paths}, label=lambda p: p.name)


@pytest.mark.parametrize("path", cases())
def test_check_gives_the_documented_diagnosis(path: Path) -> None:
    want = expected(path)
    report = check_file(path, seed=0)
    shown = _describe(report)
    serious = [f for f in report.findings if f.severity.label != "info"]
    if want["verdict"] == "pass":
        assert serious == [], f"{path.name} is a correct twin:\n{shown}"
    for finding in want.get("findings", []):
        assert any(matches(f, finding) for f in report.findings), f"{path.name}: missing {finding}\n{shown}"
    expected_rules = {f["rule"] for f in want.get("findings", [])}
    unexpected = [f for f in serious if f.rule not in expected_rules]
    assert unexpected == [], f"{path.name}: unexpected findings\n{shown}"
    for rule in want.get("absent", []):
        assert not any(f.rule == rule for f in serious), f"{path.name}: {rule} should be absent\n{shown}"
