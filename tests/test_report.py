"""The report model, the rule registry and the renderers."""

import importlib
import inspect
import json
import re
from importlib import resources
from pathlib import Path

import nets
import numpy as np
import pytest
from rulecases import keyword

import nndoctor
from nndoctor import Finding, Location, Report, Severity
from nndoctor.render import render_html, render_json, render_text
from nndoctor.rules import CODE_PATTERN, DOC_SECTIONS, SLUG_PATTERN, UnknownRuleError, all_rules, get_rule, select

DESIGN_RULES = """gradient-mismatch activation-derivative activation-mismatch dead-relu saturated-activation
zero-gradient vanishing-gradient exploding-gradient non-finite cost-plateau cost-divergence cost-oscillation
learning-rate symmetric-init init-scale initial-cost parameters-not-updated output-activation
unnormalized-input train-test-leakage high-bias high-variance stochastic-forward dropout-mask
optimizer-update mini-batch user-code-error""".split()


def test_registry_has_every_design_rule_with_valid_unique_codes():
    slugs = [r.slug for r in all_rules()]
    codes = [r.code for r in all_rules()]
    assert set(DESIGN_RULES) <= set(slugs)
    assert len(set(slugs)) == len(slugs) and len(set(codes)) == len(codes)
    for r in all_rules():
        assert CODE_PATTERN.match(r.code) and SLUG_PATTERN.match(r.slug)
        assert r.status == "active" and r.family


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: keyword(r.slug))
def test_every_rule_names_the_code_that_emits_it(rule):
    assert rule.checker, f"{rule.slug} names no checker"
    module_name, _, attribute = rule.checker.partition(":")
    checker = importlib.import_module(module_name)
    for name in filter(None, attribute.split(".")):
        checker = getattr(checker, name)
    assert inspect.isfunction(checker) or inspect.ismodule(checker), rule.checker
    assert rule.slug in inspect.getsource(checker), f"{rule.checker} never mentions {rule.slug}"


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: keyword(r.slug))
def test_every_rule_has_a_documentation_page_with_all_sections(rule):
    doc = rule.doc
    assert doc.startswith(f"# {rule.slug} ({rule.code})")
    for section in DOC_SECTIONS:
        assert f"## {section}" in doc, f"{rule.slug}: missing section {section!r}"
    for kind in rule.kinds:
        assert f"`{kind}`" in doc or kind in doc, f"{rule.slug}: kind {kind} undocumented"


def test_the_package_has_one_page_per_rule_and_no_other():
    """The pages in nndoctor/rule_docs are the source (`nndoctor explain`, docs/rules): no rule falls
    back to its one-line summary, no page is left over from a rule that is gone."""
    pages = {p.name for p in resources.files("nndoctor.rule_docs").iterdir() if p.name.endswith(".md")}
    assert pages == {f"{rule.slug}.md" for rule in all_rules()}


def test_docs_rules_folder_is_generated_from_the_package_pages(tmp_path):
    """docs/rules holds exactly what `python -m nndoctor.tools.gendocs` writes: every page and the
    index, nothing more."""
    from nndoctor.tools import gendocs

    generated = {p.name: p.read_text("utf-8") for p in gendocs.write(tmp_path)}
    folder = Path(__file__).parent.parent / "docs" / "rules"
    found = {p.name: p.read_text("utf-8") for p in folder.glob("*.md")}
    assert "index.md" in generated and len(generated) == len(all_rules()) + 1
    hint = "out of date: run python -m nndoctor.tools.gendocs"
    assert sorted(found) == sorted(generated), f"docs/rules {hint}"
    for name, text in generated.items():
        assert found[name] == text, f"docs/rules/{name} {hint}"


def test_lookup_by_code_slug_and_family():
    assert get_rule("NND101").slug == "gradient-mismatch"
    assert get_rule("nnd101") is get_rule("gradient-mismatch")
    assert {r.slug for r in select("NND1")} >= {"gradient-mismatch", "activation-derivative"}
    with pytest.raises(UnknownRuleError, match="nndoctor rules"):
        get_rule("gradient-mismatches")


def test_finding_rejects_unknown_rules_and_takes_default_severity():
    with pytest.raises(UnknownRuleError):
        Finding("made-up-rule", "x")
    assert Finding("dead-relu", "x").severity is Severity.WARNING
    assert Finding("gradient-mismatch", "x").code == "NND101"


def test_verdict_and_summary():
    report = Report(target="model.py")
    assert report.verdict == "pass" and report.summary == {"error": 0, "warning": 0, "info": 0}
    report.add(Finding("stochastic-cost", "i"))
    assert report.verdict == "pass"
    report.add(Finding("dead-relu", "w"))
    assert report.verdict == "warn"
    report.add(Finding("gradient-mismatch", "e"))
    assert report.verdict == "fail" and report.summary == {"error": 1, "warning": 1, "info": 1}
    assert [f.rule for f in report.sorted_findings()] == ["gradient-mismatch", "dead-relu", "stochastic-cost"]
    assert len(report.at_or_above("warning")) == 2


def planted_report():
    X, Y, p = nets.problem([4, 3, 1], 10, seed=0)
    result = nndoctor.check_gradients(*nets.functions(X, Y, bug=("scale", 1, 2.0)), p, seed=0)
    return result.to_report(target="model.py")


def test_json_follows_the_design_schema():
    data = json.loads(render_json(planted_report()))
    assert data["schema"] == "nndoctor.report/1"
    assert data["tool"] == {"name": "nndoctor", "version": nndoctor.__version__}
    assert data["target"] == "model.py" and data["verdict"] == "fail"
    assert set(data["summary"]) == {"error", "warning", "info"}
    (finding,) = data["findings"]
    assert set(finding) == {"code", "rule", "severity", "location", "message", "evidence", "fix"}
    assert set(finding["location"]) >= {"parameter", "layer", "function", "file", "line", "iteration"}
    assert re.match(r"^NND\d{3}$", finding["code"]) and finding["location"]["parameter"] == "W1"
    assert finding["evidence"]["kind"] == "scale" and finding["evidence"]["factor"] == pytest.approx(2.0)
    table = data["gradient_check"]["parameters"]
    assert table["W1"]["status"] == "mismatch" and table["b1"]["ok"] is True


def test_json_never_contains_nan():
    report = Report(findings=[Finding("non-finite", "x", evidence={"value": float("nan"), "arr": np.array([np.inf])})])
    text = render_json(report)
    assert "NaN" not in text and "Infinity" not in text
    assert json.loads(text)["findings"][0]["evidence"] == {"value": "nan", "arr": ["inf"]}


def test_text_puts_the_verdict_first_and_groups_by_severity():
    text = render_text(planted_report())
    first = text.splitlines()[0]
    assert first.startswith("model.py: FAIL") and "1 error" in first
    assert "fix:" in text and "evidence:" in text and "\033[" not in text
    assert "\033[31m" in render_text(planted_report(), color=True)


def test_html_escapes_user_strings():
    evil = "<script>alert(1)</script>"
    report = Report(target=evil, findings=[
        Finding("gradient-mismatch", f"bad {evil}", location=Location(parameter=evil), fix=evil)])
    page = render_html(report)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert page.startswith("<!DOCTYPE html>")
    assert "<script>" not in planted_report()._repr_html_()


def test_gradient_check_displays_in_jupyter_and_repr():
    X, Y, p = nets.problem([4, 3, 1], 10, seed=0)
    result = nndoctor.check_gradients(*nets.functions(X, Y), p, seed=0)
    assert "<table>" in result._repr_html_() and "PASS" in result._repr_html_()
    assert repr(result).startswith("<GradientCheck pass")
    assert "W1" in str(result)
