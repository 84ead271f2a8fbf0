"""The zoo: learner-style programs in many styles, each with a planted bug and a correct twin, run
through `nndoctor check`'s engine exactly as a user's file is (the author's own calls, default
settings). Each documents its diagnosis in a literal ``EXPECTED`` dict (a ``.py`` file's module
level, a notebook's last cell); see tests/zoo/*/README.md.

- ``verdict`` "pass": no warning and no error (info allowed); "warn": warnings, no error; "fail": an error.
- every entry of ``findings`` is matched by one reported finding (only the keys it gives);
- no error of a rule the entry list does not name (an error is a real bug, DESIGN.md §5);
- no warning or error of the rules in ``absent``;
- ``trains``: the program trains when run, so the check never ends in "found nothing to check".
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest
from rulecases import program_params

from nndoctor.checkfile import NothingToCheck, check_file

ZOO = Path(__file__).parent / "zoo"


def expected(path: Path) -> dict[str, Any] | None:
    """The EXPECTED dict of a zoo program, or None for a helper module."""
    if path.suffix == ".ipynb":
        cells = [c for c in json.loads(path.read_text("utf-8"))["cells"] if c["cell_type"] == "code"]
        sources = ["".join(cells[-1]["source"])] if cells else []
    else:
        sources = [path.read_text("utf-8")]
    for source in sources:
        for node in ast.parse(source).body:
            if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "EXPECTED" for t in node.targets):
                return ast.literal_eval(node.value)
    return None


def programs() -> list[Path]:
    found = sorted(p for p in ZOO.rglob("*") if p.suffix in (".py", ".ipynb") and ".ipynb_checkpoints" not in p.parts)
    return [p for p in found if expected(p) is not None]


def matches(finding: Any, want: dict[str, Any]) -> bool:
    if finding.rule != want["rule"]:
        # one cause, one finding: the gradient disagreements a wrong derivative (or a mismatched
        # activation, a forgotten dropout mask) causes are reported inside that finding
        folded = want["rule"] == "gradient-mismatch" and want.get("parameter") in (finding.evidence.get("gradient_check") or [])
        return folded and finding.severity.label == want.get("severity", finding.severity.label)
    if "kind" in want and finding.kind != want["kind"]:
        return False
    if "severity" in want and finding.severity.label != want["severity"]:
        return False
    loc = finding.location
    for key in ("parameter", "layer", "function"):
        if key in want and getattr(loc, key) != want[key]:
            if key == "parameter" and want[key] in (finding.evidence.get("parameters") or []):
                continue  # one finding for several parameters names them all in its evidence
            return False
    return not ("run" in want and (loc.run is None or want["run"] not in loc.run))


def describe(report: Any) -> str:
    lines = []
    for f in report.findings:
        loc = f.location
        lines.append(f"  {f.severity.label} {f.rule} kind={f.kind} parameter={loc.parameter} layer={loc.layer} "
                     f"function={loc.function} run={loc.run}: {f.message[:160]}")
    probe = report.sections.get("probe", {})
    lines.append(f"  probe: {json.dumps({k: probe.get(k) for k in ('checked', 'timed_out', 'notes')})[:600]}")
    return "\n".join(lines)


def cases() -> list[Any]:
    """Ids carry the rules (`pytest -k dead_relu`), bug-and-twin pairs are marked (rulecases.py)."""
    return program_params({p: expected(p) for p in programs()}, label=lambda p: f"{p.parent.name}/{p.name}")


@pytest.mark.parametrize("path", cases())
def test_zoo_program_gets_its_documented_diagnosis(path: Path) -> None:
    want = expected(path)
    assert want is not None and want["verdict"] in ("pass", "warn", "fail")
    try:
        report = check_file(path, seed=0)
    except NothingToCheck as exc:
        assert not want.get("trains", True), f"{path.name} trains when run, but nndoctor said:\n{exc}"
        assert not want.get("findings"), f"{path.name}: nothing checked, expected {want['findings']}"
        return
    shown = describe(report)
    serious = [f for f in report.findings if f.severity.label != "info"]
    errors = [f for f in serious if f.severity.label == "error"]
    if want["verdict"] == "pass":
        assert serious == [], f"{path.name} is a correct program:\n{shown}"
    elif want["verdict"] == "warn":
        assert errors == [] and serious, f"{path.name} should warn without an error:\n{shown}"
    else:
        assert errors, f"{path.name} should fail:\n{shown}"
    for finding in want.get("findings", []):
        assert any(matches(f, finding) for f in report.findings), f"{path.name}: missing {finding}\n{shown}"
    named = {f["rule"] for f in want.get("findings", [])}
    unexpected = [f for f in errors if f.rule not in named]
    assert unexpected == [], f"{path.name}: unexpected errors\n{shown}"
    for rule in want.get("absent", []):
        assert not any(f.rule == rule for f in serious), f"{path.name}: {rule} should be absent\n{shown}"
    if want.get("trains", True):
        assert report.sections.get("probe", {}).get("checked"), f"{path.name}: nothing was checked\n{shown}"
