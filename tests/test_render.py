"""The JUnit and HTML renderers, the figures they embed, and the per-iteration series of the
`training` section they draw from."""

import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import replace
from html.parser import HTMLParser

import pytest
from modelkit import train_watched

from nndoctor import Finding, Location, Report, plots
from nndoctor.render import RENDERERS, render_html, render_json, render_junit
from nndoctor.render.html import report_fragment

EVIL = "<script>alert(1)</script>"
LABEL = 'model(tag=&"<>)'
FORBIDDEN_TAGS = {"script", "img", "iframe", "object", "embed", "link", "base", "form", "input"}


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def blowup():
    """A real watched run whose cost turns NaN at iteration 16 (learning rate 3)."""
    report, *_ = train_watched(learning_rate=3.0, every=5)
    return report


@pytest.fixture(scope="module")
def dead():
    """A real watched run whose first layer is dead from the start (every statistic each iteration)."""
    report, *_ = train_watched(FIRST_BIAS=-100.0, iterations=250)
    return report


@pytest.fixture(scope="module")
def demo():
    example = __import__("nndoctor.examples.gradcheck_planted_errors", fromlist=["check"])
    return example.check(seed=0).to_report(target="examples/gradcheck_planted_errors.py")


def synthetic_run(label, n=120, nan_from=100):
    """A `training.runs[*]` entry as the JSON report holds it: a plateau from 60, a spike at 30,
    "nan" costs from `nan_from`, a gradient that is exactly zero and one that goes null."""
    curve = []
    for i in range(0, n, 2):
        cost = 0.7 - 0.004 * min(i, 60) + (0.2 if i == 30 else 0.0)
        curve.append([i, "nan" if i >= nan_from else cost])
    its = list(range(0, n, 4))
    return {
        "run": label, "iterations": n, "examples": 50, "learning_rate": 0.1,
        "cost": {"first": 0.7, "last": "nan", "curve": curve},
        "layers": {"1": "relu", "2": "sigmoid"},
        "layers_over_time": {"iterations": its, "dead_fraction": {"1": [min(1.0, i / 80) for i in its]},
                             "saturated_fraction": {"2": [0.1 if i < nan_from else None for i in its]}},
        "gradient_norms": {"iterations": its, "norms": {
            "W1": [0.0 for _ in its], "b1": [0.0 for _ in its],
            "W2": [0.5 / (1 + i) if i < nan_from else None for i in its]}},
    }


def synthetic_report(runs, findings=()):
    report = Report(target="nets/" + EVIL + ".py", findings=list(findings))
    report.sections["training"] = {"iterations": sum(r["iterations"] for r in runs), "statistics_every": 1,
                                   "functions": {}, "runs": runs}
    return report


def cost_findings(run=None):
    loc = Location(function="compute_cost", run=run)
    return [
        Finding("cost-plateau", "flat", location=replace(loc, iteration=60),
                evidence={"value": 0.46, "iteration": 60}),
        Finding("cost-oscillation", "spiky", location=loc, evidence={"largest_spike": {"iteration": 30, "to": 0.78}}),
        Finding("non-finite", "nan", location=loc, evidence={"iteration": 100, "where": "cost"}),
    ]


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.ids = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.ids += [v for k, v in attrs if k == "id"]


def parse_html(page):
    parser = Tags()
    parser.feed(page)
    return parser


# ---------------------------------------------------------------- junit


def junit_tree(report, **options):
    text = render_junit(report, **options)
    root = ET.fromstring(text.encode("utf-8"))
    (suite,) = root.findall("testsuite")
    return text, root, suite


def test_junit_parses_and_its_counts_match(blowup):
    text, root, suite = junit_tree(blowup)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert root.tag == "testsuites" and suite.get("name") == "nndoctor"
    (case,) = suite.findall("testcase")  # one test case per checked file
    assert case.get("name") == blowup.target and " " not in case.get("classname")
    assert case.get("classname").startswith("nndoctor.") and case.get("file") == blowup.target
    assert case.get("line") and case.get("time") is not None
    for node in (root, suite):
        assert node.get("tests") == "1" and node.get("failures") == "1" and node.get("errors") == "0"
        assert "timestamp" not in node.attrib and "hostname" not in node.attrib
    (failure,) = case.findall("failure")  # one failure, whatever the number of failing findings
    failing = blowup.at_or_above("error")
    assert len(failing) == 2
    worst = blowup.sorted_findings()[0]
    assert failure.get("type") == f"{worst.code} {worst.rule}" + (f" ({worst.kind})" if worst.kind else "")
    assert failure.get("message") == " ".join(worst.message.split()) + " (and 1 more)"
    for finding in failing:
        assert f"{finding.code} {finding.rule}" in failure.text
    assert "where:" in failure.text and "evidence:" in failure.text and "fix:" in failure.text
    assert render_junit(blowup) == text  # deterministic


def test_junit_names_files_and_lines_for_ci_annotations():
    report = Report(target="class/alice smith.py", findings=[
        Finding("gradient-mismatch", "dW1 is wrong", location=Location(parameter="W1", file="class/alice smith.py",
                                                                         line=57), evidence={"kind": "sign"}),
        Finding("dead-relu", "layer 1 is dead", location=Location(layer=1, file="helpers.py", line=3))])
    _, _, suite = junit_tree(report)
    (case,) = suite.findall("testcase")
    assert case.get("classname") == "nndoctor.class.alice_smith"
    assert (case.get("file"), case.get("line")) == ("class/alice smith.py", "57")
    # a finding in another file (a helper module) gives no line of the checked file: line 1
    report.findings.reverse()
    report.findings[1] = report.findings[1].with_location(file="helpers.py")
    _, _, suite = junit_tree(report)
    assert suite.find("testcase").get("line") == "1"


def test_junit_threshold_moves_findings_between_failures_and_system_out():
    report = Report(target="m.py", findings=[
        Finding("gradient-mismatch", "dW1 is wrong", location=Location(parameter="W1"), evidence={"kind": "sign"}),
        Finding("dead-relu", "layer 1 is dead", location=Location(layer=1)),
        Finding("stochastic-cost", "the cost is random")])
    _, _, suite = junit_tree(report)
    case = suite.find("testcase")
    assert case.find("failure").get("type") == "NND101 gradient-mismatch (sign)"
    assert case.find("failure").get("message") == "dW1 is wrong"
    assert "layer 1 is dead" in case.find("system-out").text and "the cost is random" in case.find("system-out").text
    _, _, suite = junit_tree(report, fail_on="warning")
    case = suite.find("testcase")
    assert case.find("failure").get("message") == "dW1 is wrong (and 1 more)"
    assert "layer 1 is dead" in case.find("failure").text and "the cost is random" in case.find("system-out").text
    _, _, suite = junit_tree(report, fail_on="info")
    assert suite.find("testcase/system-out") is None and suite.get("failures") == "1"


def test_junit_of_many_files_has_one_case_each_and_errors_for_files_not_checked():
    from nndoctor.results import NOTHING, BatchResult, FileResult, tool_report

    failing = FileResult.from_report(Report(target="a.py", findings=[Finding("gradient-mismatch", "bad")]),
                                     seconds=1.5)
    passing = FileResult.from_report(Report(target="b.py"), seconds=0.5)
    nothing = FileResult(path="c.py", status=NOTHING, exit_code=2, seconds=0.25,
                         report=tool_report("c.py", NOTHING, "found nothing to check\nadd nndoctor.spec"),
                         message="found nothing to check\nadd nndoctor.spec")
    _, root, suite = junit_tree(BatchResult([failing, passing, nothing]))
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["a.py", "b.py", "c.py"]
    assert [float(c.get("time")) for c in cases] == [1.5, 0.5, 0.25] and suite.get("time") == "2.250"
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "1", "1")
    assert cases[1].find("failure") is None and cases[1].find("error") is None
    assert cases[2].find("error").get("message") == "found nothing to check add nndoctor.spec"
    assert cases[2].find("failure") is None


def test_junit_escapes_everything_and_survives_control_characters():
    nasty = f'{EVIL} ]]> & "quoted" \x00\x1b[31m\x07 end'
    report = Report(target=nasty, findings=[
        Finding("gradient-mismatch", nasty + "\nsecond line", location=Location(parameter=nasty, file=nasty),
                evidence={"kind": "other", "note": nasty, "traceback": nasty}, fix=nasty)])
    text, root, suite = junit_tree(report)
    assert "<script>" not in text and "\x00" not in text and "\x1b" not in text
    failure = suite.find("testcase/failure")
    assert failure.get("message").startswith(EVIL + " ]]> & \"quoted\" \\x00\\x1b[31m\\x07 end second line")
    assert "\n" not in failure.get("message")
    assert failure.text.count(EVIL) >= 3
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["nndoctor.target"].startswith(EVIL) and props["nndoctor.verdict"] == "fail"


def test_junit_reports_a_crashed_check_as_an_error_not_a_failure():
    report = Report(findings=[Finding("check-inconclusive", "The check x failed inside nndoctor",
                                      evidence={"reason": "internal-error", "check": "x"})])
    _, root, suite = junit_tree(report)
    assert suite.get("errors") == "0"  # a warning: below the default threshold
    _, root, suite = junit_tree(report, fail_on="warning")
    assert suite.get("errors") == "1" and suite.get("failures") == "0"
    assert suite.find("testcase/error").get("type") == "NND903 check-inconclusive"


def test_junit_passing_report_has_no_failures():
    _, _, suite = junit_tree(Report(target="ok.py"))
    assert suite.get("failures") == "0" and suite.get("errors") == "0"
    assert not list(suite.iter("failure"))


def test_junit_is_a_registered_format_and_the_demo_prints_it():
    assert RENDERERS["junit"] is render_junit
    out = subprocess.run([sys.executable, "-m", "nndoctor.cli", "demo", "gradcheck_planted_errors", "--format", "junit"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    suite = ET.fromstring(out.stdout.encode()).find("testsuite")
    assert suite.get("failures") == "1"
    failure = suite.find("testcase/failure")
    assert failure.get("message").endswith("(and 1 more)") and failure.text.count("NND101 gradient-mismatch") == 2


# ---------------------------------------------------------------- training series


def test_training_section_gains_per_iteration_series_and_keeps_its_keys(blowup):
    data = json.loads(render_json(blowup))  # still one valid JSON document
    (run,) = data["training"]["runs"]
    assert {"run", "iterations", "examples", "learning_rate", "cost", "layers"} <= set(run)
    lot, norms = run["layers_over_time"], run["gradient_norms"]
    assert set(lot["dead_fraction"]) == {"1", "2"} and set(lot["saturated_fraction"]) == {"3"}
    assert set(norms["norms"]) == {"W1", "b1", "W2", "b2", "W3", "b3"}
    for series in [*lot["dead_fraction"].values(), *lot["saturated_fraction"].values()]:
        assert len(series) == len(lot["iterations"])
        assert all(v is None or 0 <= v <= 1 for v in series)
    w1 = norms["norms"]["W1"]
    assert len(w1) == len(norms["iterations"]) and norms["iterations"][0] == 0
    assert w1[0] > 0  # finite before the blow-up...
    after = [v for i, v in zip(norms["iterations"], w1) if i > 16]
    assert after and all(v is None for v in after)  # ...null (not "nan") after it


def test_series_are_thinned_to_at_most_100_points_keeping_both_ends(dead):
    (run,) = dead.to_dict()["training"]["runs"]
    for series in (run["layers_over_time"], run["gradient_norms"]):
        its = series["iterations"]
        assert 90 <= len(its) <= 100 and its[0] == 0 and its[-1] == 249 and its == sorted(set(its))
    assert run["layers_over_time"]["dead_fraction"]["1"][-1] == 1.0
    assert len(run["cost"]["curve"]) == 50  # the existing curve is unchanged


# ---------------------------------------------------------------- figures


def test_each_figure_is_svg_and_empty_without_data():
    run = synthetic_run("r")
    for svg in (plots.cost_curve(run), plots.gradient_norms(run), plots.unit_health(run)):
        assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>") and "<?xml" not in svg
    empty = {"run": "r", "cost": {"curve": []}}
    assert plots.cost_curve(empty) == plots.gradient_norms(empty) == plots.unit_health(empty) == ""
    assert plots.gradient_errors({"parameters": {}}) == ""


def test_cost_marks_come_from_the_findings_of_their_run():
    findings = [f.to_dict() for f in cost_findings(run="a")]
    marks = plots.cost_marks(findings, run="a")
    assert [(m["kind"], m["iteration"]) for m in marks] == [("plateau", 60), ("spike", 30), ("non-finite", 100)]
    assert plots.cost_marks(findings, run="b") == []
    svg = plots.cost_curve(synthetic_run("a"), marks)
    for text in ("plateau from iteration 60", "largest spike at iteration 30", "NaN/inf from iteration 100"):
        assert text in svg


def test_zero_gradients_are_named_on_the_norm_figure():
    svg = plots.gradient_norms(synthetic_run("r"))
    assert "exactly 0 throughout: dW1, db1" in svg


def test_figures_are_drawn_without_pyplot():
    code = ("import sys; sys.path.insert(0, 'tests'); import test_render as t; from nndoctor.render import render_html;"
            "page = render_html(t.synthetic_report([t.synthetic_run('r')])); assert '<svg' in page;"
            "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         cwd=str(__import__("pathlib").Path(__file__).parent.parent))
    assert out.returncode == 0, out.stderr


# ---------------------------------------------------------------- html


def test_html_is_self_contained_and_ordered(blowup):
    page = render_html(blowup)
    tags = parse_html(page)
    assert page.startswith("<!DOCTYPE html>")
    assert not FORBIDDEN_TAGS & set(tags.tags)
    assert not re.search(r"\b(src|srcset)\s*=|@import|url\(\s*['\"]?(https?:|//)", page)
    assert len(tags.ids) == len(set(tags.ids))  # several inline SVGs, no clashing ids
    verdict, errors = page.index(">FAIL<"), page.index("Errors (2)")
    nan, fix = page.index("The cost becomes nan"), page.index("fix:")
    figures = page.index("<svg")
    assert verdict < errors < nan < fix < figures
    # cost, gradient norms, dead/saturated units, and the gradient check the Doctor now replays
    assert page.count("<svg") == 4 and "Gradient check" in page
    assert "NaN/inf from iteration 16" in page
    assert render_html(blowup) == page  # deterministic


def test_html_escapes_every_user_string():
    run = synthetic_run(LABEL)
    findings = [Finding("gradient-mismatch", f"bad {EVIL}",
                        location=Location(parameter=EVIL, function=EVIL, file=f"/tmp/{EVIL}.py", line=3, run=LABEL),
                        evidence={"kind": EVIL, "ratio": EVIL, "nested": {"k": EVIL}, "traceback": EVIL}, fix=EVIL)]
    report = synthetic_report([run, synthetic_run("second")], findings)
    report.sections["training"]["functions"] = {EVIL: {"role": "forward", "calls": 1, "file": EVIL, "line": 1}}
    report.sections["gradient_check"] = {"verdict": "fail", "method": EVIL, "precision": EVIL, "evaluations": 3,
                                         "seconds": 0.1, "seed": EVIL, "cost_function": EVIL,
                                         "gradient_function": EVIL,
                                         "parameters": {EVIL: {"status": EVIL, "shape": [2], "relative_error": 0.5,
                                                               "kind": EVIL, "note": EVIL, "evaluations": 2,
                                                               "worst_entries": []}}}
    page = render_html(report)
    tags = parse_html(page)
    assert not FORBIDDEN_TAGS & set(tags.tags)
    assert "<script>" not in page and "alert(1)</script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert '&"<>' not in page
    assert "Run: model(tag=&amp;&quot;&lt;&gt;)" in page
    assert page.count("<svg") == 1 + 2 * 3  # gradient check + three per run
    fragment = report_fragment(report, figures=False)  # what Jupyter shows, minus the same figures
    assert "<script>" not in fragment and fragment.startswith("<div class='nndoctor'>")


def test_gradient_check_table_and_figure(demo):
    page = render_html(demo)
    assert "Gradient check" in page and "<table>" in page
    for name in ("W1", "b1", "W2", "b2", "W3", "b3"):
        assert f"<code>{name}</code>" in page
    assert page.count("class='bad'>mismatch<") == 2 and page.count("class='ok'>ok<") == 4
    assert page.count("<svg") == 1  # no training section: only the relative-error figure
    assert page.index("Errors (2)") < page.index("Gradient check")


def test_fragment_for_jupyter_can_leave_figures_out(demo, blowup):
    assert "<svg" not in report_fragment(blowup, figures=False)
    html = demo._repr_html_()
    assert html.startswith("<div class='nndoctor'>") and "<!DOCTYPE" not in html and "FAIL" in html
    assert "<script>" not in html


def test_a_passing_report_renders():
    page = render_html(Report(target="ok.py"))
    assert ">PASS<" in page and "No findings" in page and "<svg" not in page


def test_html_survives_non_finite_curves_and_missing_series():
    run = synthetic_run("r", nan_from=0)  # every cost "nan"
    del run["layers_over_time"], run["gradient_norms"]  # a training section written before they existed
    page = render_html(synthetic_report([run]))
    assert page.count("<svg") == 1 and "no finite cost recorded" in page


CHROME = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
               if shutil.which(n)), None)


@pytest.mark.skipif(CHROME is None, reason="no Chromium/Chrome on this machine")
def test_html_renders_in_a_headless_browser(blowup, tmp_path):
    page = tmp_path / "report.html"
    page.write_text(render_html(blowup), encoding="utf-8")
    out = subprocess.run([CHROME, "--headless", "--disable-gpu", "--no-sandbox", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "FAIL" in out.stdout and out.stdout.count("<svg") == 3
