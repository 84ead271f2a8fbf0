"""The CI formats (SARIF 2.1.0, GitHub Actions annotations), terminal safety of the text output,
colour conventions, and the short repr of a Report."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from classkit import write_class

from nndoctor import Finding, Location, Report
from nndoctor.render import render_github, render_sarif, render_text
from nndoctor.render.escape import printable
from nndoctor.results import INTERNAL, NOTHING, BatchResult, FileResult, tool_report
from nndoctor.terminal import use_color

SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"
ESC = "\x1b[2J\x1b]8;;http://x\x07link\x1b]8;;\x07\u202e"


def sarif_validator():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text("utf-8"))
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())


def assert_valid_sarif(text):
    document = json.loads(text)
    errors = sorted(sarif_validator().iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])
    return document


def mixed_batch():
    """Findings of every shape of location, a file not checked, and an internal error."""
    py = Report(target="class/alice smith.py", findings=[
        Finding("gradient-mismatch", "dW2 is 2 x the numerical gradient", evidence={"kind": "scale", "factor": 2.0},
                location=Location(parameter="W2", function="backward_propagation", file="class/alice smith.py",
                                  line=57), fix="Remove the stray factor 2."),
        Finding("dead-relu", "layer 1 is dead", location=Location(layer=1)),
        Finding("stochastic-cost", "the cost is random", location=Location(file="/abs/helpers.py", line=0))])
    notebook = Report(target="nb.ipynb", findings=[
        Finding("symmetric-init", "W1 is all zeros", location=Location(parameter="W1", file="nb.ipynb (cell 4)",
                                                                       line=5))])
    return BatchResult([
        FileResult.from_report(py, seconds=1.0),
        FileResult.from_report(notebook, seconds=2.0),
        FileResult(path="c.py", status=NOTHING, exit_code=2, seconds=0.1,
                   report=tool_report("c.py", NOTHING, "found nothing to check"), message="found nothing to check"),
        FileResult(path="d.py", status=INTERNAL, exit_code=2, seconds=0.1,
                   report=tool_report("d.py", INTERNAL, "Traceback ..."), message="Traceback ...")])


# ---------------------------------------------------------------- SARIF


def test_sarif_of_every_kind_of_location_is_valid_against_the_oasis_schema():
    document = assert_valid_sarif(render_sarif(mixed_batch()))
    (run,) = document["runs"]
    results = run["results"]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted({r["ruleId"] for r in results})  # only the rules used
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    first = results[0]
    assert (first["ruleId"], first["level"]) == ("NND101", "error")
    physical = first["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {"uri": "class/alice%20smith.py", "uriBaseId": "SRCROOT"}
    assert physical["region"] == {"startLine": 57}
    assert first["locations"][0]["logicalLocations"] == [{"name": "backward_propagation", "kind": "function"}]
    assert first["message"]["text"].endswith("Fix: Remove the stray factor 2.")
    assert first["properties"]["evidence"]["factor"] == 2.0
    levels = {r["ruleId"]: r["level"] for r in results}
    assert levels["NND201"] == "warning" and levels["NND904"] == "note"
    cell = next(r for r in results if r["ruleId"] == "NND401")
    assert "region" not in cell["locations"][0]["physicalLocation"]  # a cell's line is no line of the .ipynb
    assert "nb.ipynb, cell 4, line 5" in cell["message"]["text"]
    absolute = next(r for r in results if r["ruleId"] == "NND904")
    assert absolute["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "file:///abs/helpers.py"
    (invocation,) = run["invocations"]
    assert invocation["executionSuccessful"] is False
    assert [n["message"]["text"] for n in invocation["toolExecutionNotifications"]] == \
        ["found nothing to check", "Traceback ..."]
    assert run["originalUriBaseIds"]["SRCROOT"]["uri"].endswith("/")


def test_sarif_of_a_real_check_is_valid(tmp_path):
    (path,) = write_class(tmp_path, 2)[1:]  # the variant with a stray factor 2 in db1
    out = subprocess.run([sys.executable, "-m", "nndoctor.cli", "check", path.name, "--format", "sarif"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.returncode == 1, out.stderr
    document = assert_valid_sarif(out.stdout)
    (result,) = document["runs"][0]["results"]
    assert result["ruleId"] == "NND101" and result["properties"]["location"]["parameter"] == "b1"
    location = result["locations"][0]["physicalLocation"]
    line = location["region"]["startLine"]
    assert location["artifactLocation"]["uri"] == path.name
    assert "db1 = 2 * np.sum" in path.read_text().splitlines()[line - 1]


# ---------------------------------------------------------------- GitHub annotations


def test_github_annotations_one_line_per_finding_with_file_line_and_title():
    lines = render_github(mixed_batch()).splitlines()
    assert lines[0] == ("::error file=class/alice smith.py,line=57,title=NND101 gradient-mismatch (scale)::"
                        "dW2 is 2 x the numerical gradient%0Afix: Remove the stray factor 2.")
    assert lines[1].startswith("::warning file=class/alice smith.py,title=NND201 dead-relu::layer 1 is dead")
    assert lines[2].startswith("::notice file=/abs/helpers.py,title=NND904 stochastic-cost::")
    assert lines[3].startswith("::error file=nb.ipynb,title=NND401 symmetric-init::W1 is all zeros "
                               "(nb.ipynb, cell 4, line 5)")
    assert lines[4] == "::error file=c.py,title=nndoctor could not check c.py::found nothing to check"
    assert len(lines) == 6


def test_github_annotations_cannot_be_broken_out_of():
    nasty = "50% done,: ok\r\n::add-mask::secret\n::stop-commands::x" + ESC
    report = Report(target="a,b:c.py", findings=[Finding("gradient-mismatch", nasty, fix=nasty,
                                                         location=Location(file="x,y:z.py", line=3))])
    (line,) = render_github(report).splitlines()  # one line: no newline survives
    assert line.startswith("::error file=x%2Cy%3Az.py,line=3,title=NND101 gradient-mismatch::50%25 done,: ok\\x0d%0A")
    assert "\n" not in line and "\r" not in line and "\x1b" not in line and "\x07" not in line
    assert "%0A::add-mask::secret" in line and "\\x1b[2J" in line and "\\u202e" in line


# ---------------------------------------------------------------- terminal safety


def test_printable_shows_control_characters_and_keeps_layout():
    assert printable("a\tb\nc") == "a\tb\nc"
    assert printable("\x1b[31mred\x07\x9b\u202e") == "\\x1b[31mred\\x07\\x9b\\u202e"
    assert printable(None) == ""


def test_text_report_never_writes_escape_sequences_from_user_strings():
    report = Report(target="m" + ESC + ".py", findings=[
        Finding("gradient-mismatch", "bad " + ESC, fix="fix " + ESC,
                location=Location(parameter="W" + ESC, function="f" + ESC, file="m" + ESC + ".py", line=2),
                evidence={"kind": "other", "note": ESC, "traceback": "Traceback\n  " + ESC})])
    report.sections["probe"] = {"training_call": "model" + ESC, "data": ESC, "notes": [ESC], "seconds": 1.0}
    report.sections["training"] = {"runs": [{"iterations": 3}]}
    for verbosity in (-1, 0, 1):
        for color in (False, True):
            text = render_text(report, color=color, verbosity=verbosity)
            stripped = re.sub(r"\x1b\[\d+m", "", text)  # the colours the renderer adds itself
            assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]", stripped), (verbosity, color)
            assert "\\x1b[2J" in text
    assert "\x1b" not in repr(report)


# ---------------------------------------------------------------- colour


@pytest.mark.parametrize(("mode", "env", "terminal", "expected"), [
    ("auto", {}, True, True),
    ("auto", {}, False, False),
    ("auto", {"NO_COLOR": "1"}, True, False),
    ("auto", {"NO_COLOR": ""}, True, True),  # set but empty: no effect (no-color.org)
    ("auto", {"FORCE_COLOR": "1"}, False, True),
    ("auto", {"FORCE_COLOR": "0"}, False, False),
    ("auto", {"NO_COLOR": "1", "FORCE_COLOR": "1"}, True, False),
    ("auto", {"TERM": "dumb"}, True, False),
    ("always", {"NO_COLOR": "1"}, False, True),
    ("never", {"FORCE_COLOR": "1"}, True, False),
])
def test_colour_follows_the_option_then_no_color_and_force_color(monkeypatch, mode, env, terminal, expected):
    for name in ("NO_COLOR", "FORCE_COLOR", "TERM"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    class Stream:
        def isatty(self):
            return terminal

    assert use_color(mode, Stream()) is expected
    if mode == "auto" and "FORCE_COLOR" not in env:
        assert use_color(mode, None) is False  # a file named by -o


def test_cli_colour_end_to_end(tmp_path):
    (path,) = write_class(tmp_path, 2)[1:]
    env = {k: v for k, v in __import__("os").environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    forced = subprocess.run([sys.executable, "-m", "nndoctor.cli", "check", path.name, "-q"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120, env={**env, "FORCE_COLOR": "1"})
    assert "\x1b[31m" in forced.stdout  # FORCE_COLOR, although stdout is a pipe
    plain = re.sub(r"\x1b\[\d+m", "", forced.stdout).splitlines()
    assert plain[0] == f"{path.name}: FAIL — 1 error" and len(plain) == 2  # -q: the headline, one line per finding


# ---------------------------------------------------------------- repr


def test_report_repr_is_a_short_summary():
    report = Report(target="m.py", findings=[Finding("dead-relu", "dead"), Finding("gradient-mismatch", "bad"),
                                             Finding("init-scale", "small"), Finding("stochastic-cost", "random")])
    assert repr(report) == "<Report m.py FAIL: 1 error, 2 warnings, 1 info (NND101, NND201, NND402, NND904)>"
    assert repr(Report()) == "<Report PASS: no findings>"
    assert str(report).startswith("m.py: FAIL — 1 error, 2 warnings, 1 info")  # str() stays the full text report
    assert report._repr_html_().startswith("<div class='nndoctor'>")
