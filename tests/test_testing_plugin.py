"""The pytest plugin, run on generated test files with pytester (in process).

The network and the property tests are the ones docs/testing.md tells users to copy, read from the
page itself: the documentation's example is what is tested.
"""

import ast
import json
import re
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import hypothesis.strategies  # noqa: F401 - imported here, so that every in-process run shares one hypothesis
import pytest

import nndoctor.testing.strategies  # noqa: F401 - likewise (a module imported inside a run is dropped after it)

pytest_plugins = ["pytester"]

DOCS = Path(__file__).resolve().parents[1] / "docs" / "testing.md"
NO_CACHE = ("-p", "no:cacheprovider")


def doc_block(name: str) -> str:
    """The python code block of docs/testing.md whose first line is ``# name``."""
    for block in re.findall(r"```python\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S):
        if block.startswith(f"# {name}\n"):
            return block
    raise AssertionError(f"docs/testing.md has no python block starting with '# {name}'")


@pytest.fixture(autouse=True)
def hypothesis_home_in_the_test_directory(pytester):
    """hypothesis keeps one storage directory per process (the working directory when it was
    imported); the in-process runs would write their failure patches into the repository's."""
    from hypothesis.configuration import set_hypothesis_home_dir

    set_hypothesis_home_dir(pytester.path / ".hypothesis")
    yield
    set_hypothesis_home_dir(None)


@pytest.fixture
def course(pytester):
    """A project laid out as docs/testing.md says: model.py, test_model.py, conftest.py."""
    pytester.makepyfile(model=doc_block("model.py"), test_model=doc_block("test_model.py"),
                        conftest=doc_block("conftest.py"))
    return pytester


def test_the_plugin_is_registered_by_its_entry_point(pytester):
    config = pytester.parseconfig()
    assert config.pluginmanager.has_plugin("nndoctor")


def test_the_correct_network_passes_200_examples_in_seconds(course, record_property):
    started = time.perf_counter()
    result = course.runpytest(*NO_CACHE, "--hypothesis-profile=ci", "--hypothesis-show-statistics")
    seconds = time.perf_counter() - started
    result.assert_outcomes(passed=4)  # the property test, two derivative helpers, the watched training run
    # the statistics' wording changed across hypothesis versions: "200 passing examples, 0 failing
    # examples" (older), "200 passing, 0 failing, and N invalid test cases" (newer)
    result.stdout.re_match_lines([r".*\b200 passing\b.*\b0 failing\b.*"])
    record_property("seconds_for_200_examples", round(seconds, 1))  # measured: about 7 s on 2 cores


def test_a_planted_backprop_bug_fails_with_a_shrunk_readable_example(course):
    model = course.path / "model.py"
    source = model.read_text()
    right = "db = np.sum(dZ, axis=1, keepdims=True) / m"
    assert right in source
    model.write_text(source.replace(right, "db = np.sum(dZ, axis=1, keepdims=True)"))  # the 1/m forgotten
    result = course.runpytest(*NO_CACHE, "--hypothesis-profile=ci", "-k", "backprop")
    result.assert_outcomes(failed=1)
    out = re.sub(r"(?m)^E ", "", result.stdout.str())  # the failure text without pytest's "E" margin
    # the finding, in words
    assert "GradientCheckFailed: L_model_backward is not the gradient of the cost" in out
    assert "gradient-mismatch (scale)  parameter b1, L_model_backward" in out
    assert "a factor of m = 2: the 1/m of" in out
    assert "fix: Make the cost and db1 agree on the factor m = 2." in out
    # hypothesis shrank it to the smallest network that shows it, and printed its arrays
    # hypothesis says "Falsifying example:" (older) or "Failing test case:" (6.16x and later)
    found = re.search(r"(?:Falsifying example|Failing test case): test_backprop_is_the_gradient_of_the_cost\(\s*"
                      r"problem=Problem\(dims=(\[[^\]]*\]), m=(\d+)", out)
    assert found, out
    assert ast.literal_eval(found.group(1)) == [1, 1] and found.group(2) == "2"
    assert re.search(r"X=\[\[-?\d", out) and "W1=[[" in out and "b1=[[" in out


FINDINGS_FILE = '''
import numpy as np
import pytest
from hypothesis import given, settings

import model
from nndoctor.testing import assert_backprop_correct, strategies as nst

rng = np.random.default_rng(0)
X = rng.standard_normal((4, 16))
Y = (X[:1] > 0).astype(float)


def backward_with_wrong_sign(AL, Y, caches):
    grads = model.L_model_backward(AL, Y, caches)
    grads["dW1"] = -grads["dW1"]
    return grads


def test_planted_sign():
    assert_backprop_correct(model.L_model_forward, model.compute_cost, backward_with_wrong_sign, X, Y,
                            model.initialize_parameters_deep([4, 3, 1]))


@settings(max_examples=20, deadline=None, derandomize=True)
@given(problem=nst.problems(min_layers=2, max_layers=2, near_kinks=False))
def test_planted_sign_property(problem):
    assert_backprop_correct(model.L_model_forward, model.compute_cost, backward_with_wrong_sign,
                            problem.X, problem.Y, problem.parameters)


def test_learning_rate_zero(doctor):
    doctor.watch(model)
    model.L_layer_model(X, Y, [4, 3, 1], learning_rate=0.0, num_iterations=30)


def test_learning_rate_tiny(doctor):
    doctor.watch(model)
    model.L_layer_model(X, Y, [4, 3, 1], learning_rate=1e-6, num_iterations=100)


def test_clean(doctor):
    doctor.watch(model)
    model.L_layer_model(X, Y, [4, 3, 1], learning_rate=0.1, num_iterations=30)


def test_the_doctor_put_the_functions_back():
    assert not getattr(model.L_model_forward, "__nndoctor_wrapped__", False)
'''


@pytest.fixture
def findings_project(pytester):
    pytester.makepyfile(model=doc_block("model.py"), test_findings=FINDINGS_FILE)
    return pytester


def _by_test(findings):
    out = {}
    for f in findings:
        out.setdefault(f["evidence"]["test"].split("::")[-1], []).append(f)
    return out


def test_report_collects_every_finding_of_the_session_as_json(findings_project):
    result = findings_project.runpytest(*NO_CACHE, "--nndoctor-report=reports/nndoctor.json")
    result.assert_outcomes(failed=3, passed=3)
    result.stdout.fnmatch_lines(["*nndoctor: * from 4 tests; report written to reports/nndoctor.json*"])
    data = json.loads((findings_project.path / "reports" / "nndoctor.json").read_text())
    assert data["schema"] == "nndoctor.report/1" and data["verdict"] == "fail"
    by_test = _by_test(data["findings"])
    assert set(by_test) == {"test_planted_sign", "test_planted_sign_property", "test_learning_rate_zero",
                            "test_learning_rate_tiny"}
    sign = [f for f in by_test["test_planted_sign"] if f["rule"] == "gradient-mismatch"]
    assert [(f["location"]["parameter"], f["evidence"]["kind"], f["severity"]) for f in sign] == \
        [("W1", "sign", "error")]
    assert sign[0]["fix"] and sign[0]["code"] == "NND101"
    # a hypothesis test contributes the findings of the example it reported, not those of every shrink step
    prop = by_test["test_planted_sign_property"]
    errors = [(f["location"]["parameter"], f["evidence"]["kind"]) for f in prop if f["severity"] == "error"]
    assert errors == [("W1", "sign")]
    assert len(prop) <= 3
    assert "parameters-not-updated" in {f["rule"] for f in by_test["test_learning_rate_zero"]}
    assert {f["severity"] for f in by_test["test_learning_rate_tiny"]} == {"warning"}  # collected, not failing
    assert data["summary"]["error"] >= 3 and data["summary"]["warning"] >= 1
    assert "test_findings.py::test_planted_sign" in data["pytest"]["tests"]


def test_report_as_junit_xml(findings_project):
    result = findings_project.runpytest(*NO_CACHE, "--nndoctor-report=nndoctor.xml", "--junitxml=pytest.xml")
    result.assert_outcomes(failed=3, passed=3)
    root = ET.parse(findings_project.path / "nndoctor.xml").getroot()
    suite = root.find("testsuite")
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    # one test case per test that has findings or uses the doctor fixture; each names its file, line and time
    assert set(cases) == {"test_planted_sign", "test_planted_sign_property", "test_learning_rate_zero",
                          "test_learning_rate_tiny", "test_clean"}
    for case in cases.values():
        assert case.get("classname") == "test_findings" and " " not in case.get("classname")
        assert case.get("file") == "test_findings.py" and float(case.get("time")) >= 0
        assert len(case.findall("failure")) <= 1
    source = (findings_project.path / "test_findings.py").read_text().splitlines()
    assert source[int(cases["test_planted_sign"].get("line")) - 1].startswith("def test_planted_sign():")
    failure = cases["test_planted_sign"].find("failure")
    assert failure.get("type") == "NND101 gradient-mismatch (sign)"
    assert "test: test_findings.py::test_planted_sign" in failure.text and "fix: " in failure.text
    assert cases["test_learning_rate_zero"].find("failure").get("type") == "NND309 parameters-not-updated"
    assert cases["test_clean"].find("failure") is None  # the doctor watched it and found nothing
    tiny = cases["test_learning_rate_tiny"]
    assert tiny.find("failure") is None and "warning" in tiny.find("system-out").text  # below the threshold
    assert suite.get("tests") == "5" and suite.get("failures") == "3"
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["nndoctor.verdict"] == "fail" and props["nndoctor.fail_on"] == "error"
    # pytest's own report: each test case carries its findings as record_property would
    ours = ET.parse(findings_project.path / "pytest.xml").getroot()
    by_name = {c.get("name"): c for c in ours.iter("testcase")}
    values = [p.get("value") for p in by_name["test_planted_sign"].iter("property") if p.get("name") == "nndoctor"]
    assert values and values[0].startswith("error NND101 gradient-mismatch (sign)") and "\n" not in values[0]
    assert not list(by_name["test_the_doctor_put_the_functions_back"].iter("property"))


def test_options_come_from_the_ini_file_and_the_command_line_wins(findings_project):
    findings_project.makeini("[pytest]\nnndoctor_report = from_ini/nndoctor.json\nnndoctor_fail_on = warning\n"
                             "nndoctor_seed = 5\n")
    result = findings_project.runpytest(*NO_CACHE, "-k", "tiny or clean")
    result.stdout.fnmatch_lines(["nndoctor 0.1.0: --nndoctor-seed=5, --nndoctor-fail-on=warning, "
                                 "--nndoctor-report=from_ini/nndoctor.json"])
    result.assert_outcomes(failed=1, passed=1)  # the tiny learning rate's warning fails under the ini's threshold
    assert json.loads((findings_project.path / "from_ini" / "nndoctor.json").read_text())["pytest"]["seed"] == 5
    result = findings_project.runpytest(*NO_CACHE, "-k", "tiny or clean", "--nndoctor-fail-on=error")
    result.assert_outcomes(passed=2)


def test_a_bad_ini_value_is_a_usage_error(pytester):
    pytester.makeini("[pytest]\nnndoctor_fail_on = severe\n")
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = pytester.runpytest(*NO_CACHE)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*nndoctor_fail_on = severe: expected one of error, warning, info*"])


def test_the_doctor_fixture_fails_a_test_on_errors_with_the_findings(findings_project):
    result = findings_project.runpytest(*NO_CACHE, "-k", "learning_rate_zero")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*nndoctor: the doctor fixture's report has * at or above error*",
                                 "*NND309 parameters-not-updated*"])


STRICT_FILE = '''
import numpy as np
import pytest

import model
from nndoctor.testing import assert_gradients_correct

rng = np.random.default_rng(1)
X = rng.standard_normal((3, 6))
Y = (rng.random((1, 6)) < 0.5).astype(float)
P = model.initialize_parameters_deep([3, 4, 1])


def cost_with_epsilon(p):   # 1e-5 inside the logs, which the backward ignores: a warning, not an error
    AL = model.L_model_forward(X, p)[0]
    return float(-np.sum(Y * np.log(AL + 1e-5) + (1 - Y) * np.log(1 - AL + 1e-5)) / Y.shape[1])


def grads(p):
    AL, caches = model.L_model_forward(X, p)
    return model.L_model_backward(AL, Y, caches)


def test_epsilon():
    assert assert_gradients_correct(cost_with_epsilon, grads, P).verdict == "suspicious"


@pytest.mark.nndoctor_strict
def test_epsilon_strict():
    assert_gradients_correct(cost_with_epsilon, grads, P)


def test_plateau(doctor):
    doctor.watch(model)
    model.L_layer_model(X, Y, [3, 4, 1], learning_rate=1e-6, num_iterations=100)


@pytest.mark.nndoctor_strict
def test_plateau_strict(doctor):
    doctor.watch(model)
    model.L_layer_model(X, Y, [3, 4, 1], learning_rate=1e-6, num_iterations=100)


def cost(p):
    return model.compute_cost(model.L_model_forward(X, p)[0], Y)


def test_seed():
    assert assert_gradients_correct(cost, grads, P).seed == SEED
'''


@pytest.fixture
def strict_project(pytester):
    def make(seed):
        pytester.makepyfile(model=doc_block("model.py"), test_strict=STRICT_FILE.replace("== SEED", f"== {seed}"))
        return pytester

    return make


def test_the_strict_marker_fails_a_test_on_warnings_too(strict_project):
    result = strict_project(0).runpytest(*NO_CACHE, "-rf")
    result.assert_outcomes(passed=3, failed=2)
    result.stdout.fnmatch_lines(["FAILED test_strict.py::test_epsilon_strict*",
                                 "FAILED test_strict.py::test_plateau_strict*"])
    out = result.stdout.str()
    assert "warning NND101 gradient-mismatch" in out.replace("warning  ", "warning ")
    assert "at or above warning" in out


def test_fail_on_warning_applies_to_every_test_and_the_seed_option_to_the_assertions(strict_project):
    result = strict_project(7).runpytest(*NO_CACHE, "--nndoctor-fail-on=warning", "--nndoctor-seed=7")
    result.assert_outcomes(passed=1, failed=4)
    result.stdout.fnmatch_lines(["nndoctor 0.1.0: --nndoctor-seed=7, --nndoctor-fail-on=warning"])


def test_the_header_says_how_to_reproduce_the_run(pytester):
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = pytester.runpytest(*NO_CACHE, "--nndoctor-report=out/r.xml")
    result.stdout.fnmatch_lines(["nndoctor 0.1.0: --nndoctor-seed=0, --nndoctor-fail-on=error, "
                                 "--nndoctor-report=out/r.xml"])
    result.assert_outcomes(passed=1)
    root = ET.parse(pytester.path / "out" / "r.xml").getroot()  # an empty session still writes a valid file
    assert root.find("testsuite").get("failures") == "0"


def test_a_report_path_of_another_kind_is_a_usage_error(pytester):
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = pytester.runpytest(*NO_CACHE, "--nndoctor-report=findings.txt")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--nndoctor-report findings.txt: the file name must end in .json*"])


def test_findings_travel_with_serialized_test_reports(pytester):
    """pytest-xdist sends test reports from its workers as plain data; the findings ride along."""
    config = pytester.parseconfig()
    report = pytest.TestReport("t.py::test_x", ("t.py", 1, "test_x"), {}, "failed", None, "call")
    report.nndoctor_findings = [{"rule": "gradient-mismatch", "severity": "error", "message": "dW1 ...",
                                 "location": {"parameter": "W1"}, "evidence": {"test": "t.py::test_x"}, "fix": ""}]
    data = config.hook.pytest_report_to_serializable(config=config, report=report)
    back = config.hook.pytest_report_from_serializable(config=config, data=json.loads(json.dumps(data)))
    assert back.nndoctor_findings == report.nndoctor_findings
