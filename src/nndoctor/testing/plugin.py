"""The nndoctor pytest plugin (entry point ``pytest11: nndoctor``), in one module.

- fixture ``doctor``: a fresh `nndoctor.Doctor` per test. When the test ends, the doctor's report
  is taken; findings at or above ``--nndoctor-fail-on`` (``error`` by default) fail the test, with
  the findings as the failure text. Functions it watched are put back (``unwatch``).
- ``@pytest.mark.nndoctor_strict``: warnings fail the test too, from the ``doctor`` fixture and
  from the nndoctor assertions called in the test (their default ``fail_on`` becomes
  ``"warning"``).
- ``--nndoctor-report PATH``: every finding of the session — the ``doctor`` fixtures' reports and
  the reports of failed nndoctor assertions (for a hypothesis test: of the shrunk example that was
  reported) — in one file: JSON (``.json``, the ``nndoctor.report/1`` schema) or JUnit XML
  (``.xml``, one test case per test that has findings or uses the ``doctor`` fixture, with
  ``file``, ``line`` and ``time``, at most one ``<failure>`` each, as ``nndoctor check --format
  junit`` has one per file). Each finding's evidence names the test it came from
  (``evidence.test``). Works under pytest-xdist: findings travel with the test reports and the
  controller writes the file.
- pytest's own ``--junitxml`` report gets each test's findings too, as ``nndoctor`` properties of
  its test case (what ``record_property`` adds), one line per finding.
- ``--nndoctor-fail-on {error,warning,info}``: the severity that fails a test (doctor fixture),
  the default threshold of the assertions, and the failure threshold of the JUnit report.
- ``--nndoctor-seed N`` (default 0): the seed of the gradient checks' random directions in
  nndoctor assertions that are not given ``seed=``; printed in the header, for reproducing a run.

Each option can also be set in the ini file (``[pytest]``, ``[tool.pytest.ini_options]``):
``nndoctor_report``, ``nndoctor_fail_on``, ``nndoctor_seed``; the command line wins.

nndoctor itself is imported only when a test needs it, so the plugin costs nothing in a session
that does not use it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import Any

import pytest

MARKER = "nndoctor_strict"
SETTINGS = pytest.StashKey[dict]()
FAIL_ON = ("error", "warning", "info")
FORMATS = {".json": "json", ".xml": "junit"}
_ORDER = {"info": 1, "warning": 2, "error": 3}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("nndoctor", "nndoctor: diagnosing hand-written backprop")
    group.addoption("--nndoctor-report", metavar="PATH", default=None,
                    help="write every nndoctor finding of the session to PATH: .json (nndoctor.report/1) "
                         "or .xml (JUnit, one test case per test). ini: nndoctor_report.")
    group.addoption("--nndoctor-fail-on", choices=FAIL_ON, default=None,
                    help="severity of a finding that fails a test (doctor fixture, assertions' default, "
                         "JUnit report); default: error. @pytest.mark.nndoctor_strict lowers it to warning. "
                         "ini: nndoctor_fail_on.")
    group.addoption("--nndoctor-seed", type=int, default=None, metavar="N",
                    help="seed of the gradient checks' random directions in nndoctor assertions (default 0). "
                         "ini: nndoctor_seed.")
    parser.addini("nndoctor_report", "write every nndoctor finding of the session to this .json or .xml file",
                  default=None)
    parser.addini("nndoctor_fail_on", "severity of an nndoctor finding that fails a test: error, warning or info",
                  default=None)
    parser.addini("nndoctor_seed", "seed of the gradient checks' random directions in nndoctor assertions",
                  default=None)


def _setting(config: pytest.Config, name: str) -> Any:
    """An option from the command line, else from the ini file, else its default; checked."""
    value = config.getoption(name, None)
    if value is None:
        value = config.getini(name) or None
        if isinstance(value, str):
            value = value.strip() or None
    if name == "nndoctor_fail_on":
        value = value or "error"
        if value not in FAIL_ON:
            raise pytest.UsageError(f"nndoctor_fail_on = {value}: expected one of {', '.join(FAIL_ON)}.")
    elif name == "nndoctor_seed":
        try:
            value = 0 if value is None else int(value)
        except ValueError:
            raise pytest.UsageError(f"nndoctor_seed = {value}: expected a whole number.") from None
    return value


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{MARKER}: nndoctor findings of warning severity fail this test too (doctor fixture and "
                   f"nndoctor assertions).")
    settings = {name: _setting(config, name) for name in ("nndoctor_report", "nndoctor_fail_on", "nndoctor_seed")}
    path = settings["nndoctor_report"]
    if path:
        ext = os.path.splitext(path)[1].lower()
        if ext not in FORMATS:
            raise pytest.UsageError(f"--nndoctor-report {path}: the file name must end in .json (JSON report) or "
                                    f".xml (JUnit XML); {ext or 'no extension'} says neither.")
    config.stash[SETTINGS] = settings
    config.pluginmanager.register(_Session(config), "nndoctor-session")


def setting(config: pytest.Config, name: str) -> Any:
    return config.stash[SETTINGS][name] if SETTINGS in config.stash else _setting(config, name)


def pytest_report_header(config: pytest.Config) -> str:
    try:
        from importlib.metadata import version

        release = version("nndoctor")
    except Exception:  # noqa: BLE001 - a header never breaks a run
        release = "?"
    parts = [f"--nndoctor-seed={setting(config, 'nndoctor_seed')}",
             f"--nndoctor-fail-on={setting(config, 'nndoctor_fail_on')}"]
    path = setting(config, "nndoctor_report")
    if path:
        parts.append(f"--nndoctor-report={path}")
    return f"nndoctor {release}: " + ", ".join(parts)


@pytest.fixture
def doctor() -> Iterator[Any]:
    """A fresh `nndoctor.Doctor` for this test; its findings at or above ``--nndoctor-fail-on``
    (warning with ``@pytest.mark.nndoctor_strict``) fail the test when it ends."""
    from nndoctor import Doctor

    d = Doctor()
    try:
        yield d
    finally:
        d.unwatch()


def _threshold(item: pytest.Item) -> str:
    level = setting(item.config, "nndoctor_fail_on")
    if item.get_closest_marker(MARKER) is not None and _ORDER[level] > _ORDER["warning"]:
        level = "warning"
    return level


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """The test runs with the assertions' defaults set from the options and the marker."""
    seed, level = setting(item.config, "nndoctor_seed"), _threshold(item)
    module = sys.modules.get("nndoctor.testing.assertions")
    if module is None and (seed, level) == (0, "error"):
        yield  # the assertions' own defaults are these: nothing to import or set
        return
    if module is None:
        import nndoctor.testing.assertions as module
    with module.assertion_defaults(seed=seed, fail_on=level):
        yield


def _exceptions(exc: BaseException | None, seen: set[int] | None = None) -> Iterator[BaseException]:
    """An exception, the members of exception groups (hypothesis reports several bugs that way)
    and the causes, each once."""
    seen = set() if seen is None else seen
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        for inner in getattr(exc, "exceptions", None) or ():
            if isinstance(inner, BaseException):
                yield from _exceptions(inner, seen)
        exc = exc.__cause__ or exc.__context__


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    if call.when != "call":
        return
    rep = outcome.get_result()
    collected: list[Any] = []
    if call.excinfo is not None:
        for exc in _exceptions(call.excinfo.value):
            report = getattr(exc, "report", None)
            if getattr(exc, "findings", None) is not None and hasattr(report, "findings"):
                collected += list(report.findings)
    doc = getattr(item, "funcargs", {}).get("doctor")
    used_doctor = doc is not None and "nndoctor" in sys.modules and _is_doctor(doc)
    if used_doctor:
        failing, found = _doctor_findings(doc, item, _threshold(item))
        collected += found
        if failing and rep.passed and not hasattr(rep, "wasxfail"):
            from nndoctor.findings import Report
            from nndoctor.render.text import render_text

            level = _threshold(item)
            rep.outcome = "failed"
            rep.longrepr = (f"nndoctor: the doctor fixture's report has {len(failing)} finding"
                            f"{'s' if len(failing) != 1 else ''} at or above {level}\n\n"
                            + render_text(Report(target=item.nodeid, findings=failing)))
    if collected or used_doctor:
        rep.nndoctor_findings = [_tagged(f.to_dict(), item.nodeid) for f in collected]
        rep.nndoctor_fail_on = _threshold(item)
        for finding in collected:  # pytest's own --junitxml shows them as the test case's properties
            prop = ("nndoctor", _one_line(finding))
            item.user_properties.append(prop)
            if rep.user_properties is not item.user_properties:
                rep.user_properties.append(prop)


def _one_line(finding: Any) -> str:
    from nndoctor.render.text import finding_line

    return " ".join(finding_line(finding, width=10_000).split())


def _is_doctor(obj: Any) -> bool:
    from nndoctor import Doctor

    return isinstance(obj, Doctor)


def _doctor_findings(doc: Any, item: pytest.Item, level: str) -> tuple[list[Any], list[Any]]:
    from nndoctor.findings import Severity

    try:
        report = doc.report(target=item.nodeid)
    except Exception as exc:  # noqa: BLE001 - a diagnosis that crashed must not hide the test's own outcome
        item.warn(pytest.PytestWarning(f"nndoctor: the doctor fixture's report failed: {type(exc).__name__}: {exc}"))
        return [], []
    failing = [f for f in report.findings if f.severity >= Severity.parse(level)]
    return failing, list(report.findings)


def _tagged(data: dict[str, Any], nodeid: str) -> dict[str, Any]:
    data = dict(data)
    data["evidence"] = {**(data.get("evidence") or {}), "test": nodeid}
    return data


class _Session:
    """Per-configuration state: the findings reported by the tests, and the report file."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.findings: list[dict[str, Any]] = []
        self.tests: list[str] = []
        self.cases: dict[str, dict[str, Any]] = {}  # node id -> what its JUnit test case needs

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        data = getattr(report, "nndoctor_findings", None)
        if data is None or hasattr(report, "wasxfail"):  # an expected failure's findings are expected too
            return
        self.findings.extend(data)
        if data and report.nodeid not in self.tests:
            self.tests.append(report.nodeid)
        file, line, _ = report.location
        self.cases[report.nodeid] = {"file": file, "line": (line or 0) + 1, "time": report.duration,
                                     "findings": data, "fail_on": getattr(report, "nndoctor_fail_on", "error")}

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        path = setting(self.config, "nndoctor_report")
        if not path or hasattr(self.config, "workerinput"):  # an xdist worker: the controller writes
            return
        from nndoctor.findings import Report
        from nndoctor.render import render_json

        report = Report.from_dict({"target": f"pytest session in {self.config.rootpath.name}",
                                   "findings": self.findings})
        fail_on = setting(self.config, "nndoctor_fail_on")
        report.sections["pytest"] = {"tests": list(self.tests), "seed": setting(self.config, "nndoctor_seed"),
                                     "fail_on": fail_on}
        fmt = FORMATS[os.path.splitext(path)[1].lower()]
        text = render_json(report) if fmt == "json" else self._junit(report, fail_on)
        folder = os.path.dirname(os.path.abspath(path))
        os.makedirs(folder, exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        self.written = (path, report.summary)

    def _junit(self, report: Any, fail_on: str) -> str:
        from nndoctor.findings import Report
        from nndoctor.render.junit import Case, render_cases

        cases = []
        for nodeid, data in self.cases.items():
            findings = Report.from_dict({"findings": data["findings"]}).findings
            classname, name = _pytest_names(nodeid)
            cases.append(Case(classname=classname, name=name, file=data["file"], line=data["line"],
                              time=data["time"], findings=findings, test=nodeid, fail_on=data["fail_on"]))
        properties = [("target", report.target), ("verdict", report.verdict), ("fail_on", fail_on),
                      *((f"findings.{label}", str(n)) for label, n in report.summary.items())]
        return render_cases(cases, properties)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        written = getattr(self, "written", None)
        if written is None and not self.findings:
            return
        if written is None:
            counts: dict[str, int] = {}
            for f in self.findings:
                counts[f.get("severity", "?")] = counts.get(f.get("severity", "?"), 0) + 1
        else:
            counts = written[1]
        tally = ", ".join(f"{n} {label}{'' if n == 1 else 's'}" for label, n in counts.items() if n) or "no findings"
        line = f"nndoctor: {tally} from {len(self.tests)} test{'' if len(self.tests) == 1 else 's'}"
        if written is not None:
            line += f"; report written to {written[0]}"
        terminalreporter.write_line(line)


def _pytest_names(nodeid: str) -> tuple[str, str]:
    """(classname, name) as pytest's own JUnit report makes them: ``tests/test_m.py::TestA::test_b[1]``
    -> ``tests.test_m.TestA``, ``test_b[1]``; no spaces in the classname."""
    parts = nodeid.split("::")
    module = parts[0].replace("\\", "/")
    module = module[:-3] if module.endswith(".py") else module
    classname = ".".join([*module.split("/"), *parts[1:-1]])
    return "_".join(classname.split()), parts[-1]
