"""JUnit XML for CI dashboards: one test case per checked file (per test, for the pytest plugin).

A test case carries ``classname`` (the path, dotted, without spaces: ``nndoctor.class.alice_smith``),
``name`` (the path), ``file``, ``line`` (the worst failing finding's line when it is in that file,
else 1) and ``time`` (seconds the check took). It holds at most one ``<failure>``: its ``message``
is the worst finding at or above ``fail_on`` on one line (plus how many more), its ``type`` that
finding's ``CODE rule (kind)``, its text every failing finding with where, evidence and fix.
Findings below the threshold go to ``<system-out>``. A file nndoctor could not check, or a check
that failed inside nndoctor, is an ``<error>`` instead: not the same as the code being wrong.

The document is built with ElementTree (every string escaped by it); characters XML cannot hold
at all are shown as ``\\xNN``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from nndoctor.findings import Finding, Report, Severity
from nndoctor.render.locations import spot
from nndoctor.render.text import evidence_line
from nndoctor.results import CHECKED, FileResult, as_results

SUITE = "nndoctor"
# characters XML 1.0 cannot hold at all, even escaped (NUL, most C0 controls, lone surrogates...)
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_NOT_NAME = re.compile(r"[^A-Za-z0-9_]+")


def _clean(text: Any) -> str:
    """A string XML can carry: forbidden control characters shown as ``\\xNN``."""
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group(0)):02x}", "" if text is None else str(text))


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _type(f: Finding) -> str:
    return f"{f.code} {f.rule}" + (f" ({f.kind})" if f.kind else "")


def _body(f: Finding, test: str | None = None) -> str:
    lines = [f"{f.severity.label} {_type(f)}"]  # type: ignore[union-attr]
    where = f.location.describe()
    if f.location.file is not None and f.location.line is None:
        where = ", ".join(p for p in (where, f.location.file) if p)
    if where:
        lines.append(f"where: {where}")
    if test:
        lines.append(f"test: {test}")
    lines.append(f.message)
    evidence = evidence_line(f)
    if evidence:
        lines.append(f"evidence: {evidence}")
    traceback = f.evidence.get("traceback")
    if traceback:
        lines.append(str(traceback).rstrip())
    if f.fix:
        lines.append(f"fix: {f.fix}")
    return "\n".join(lines)


def _is_tool_error(f: Finding) -> bool:
    return f.rule == "check-inconclusive" and f.evidence.get("reason") == "internal-error"


def classname(path: str, prefix: str = SUITE) -> str:
    """``class/alice smith.py`` -> ``nndoctor.class.alice_smith``: dotted, no spaces, no suffix."""
    parts = [p for p in re.split(r"[\\/]+", path) if p and p != "."]
    if parts and "." in parts[-1]:
        parts[-1] = parts[-1].rsplit(".", 1)[0]
    names = [_NOT_NAME.sub("_", p).strip("_") or "_" for p in parts]
    return ".".join([prefix, *names] if prefix else names)


@dataclass
class Case:
    """One test case: a checked file, or a pytest test with its nndoctor findings."""

    classname: str
    name: str
    file: str
    line: int
    time: float
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None  # the check could not be done: the reason, as an <error>
    error_type: str = "nndoctor"
    test: str | None = None  # a pytest node id, named in each finding's text
    fail_on: str = "error"  # findings at or above it fail the case


def case_for(result: FileResult) -> Case:
    report = result.to_report()
    threshold = Severity.parse(result.fail_on)
    failing = [f for f in report.sorted_findings() if f.severity >= threshold]  # type: ignore[operator]
    line = 1
    if failing:
        where = spot(failing[0], result.path)
        if where.file == result.path and where.line:
            line = where.line
    error = None
    if result.status != CHECKED:
        error = result.message or (report.sorted_findings()[0].message if report.findings else result.status)
    return Case(classname=classname(result.path), name=result.path, file=result.path, line=line,
                time=result.seconds, findings=list(report.findings), error=error, error_type=result.status,
                fail_on=threshold.label)


def _testcase(case: Case) -> tuple[ET.Element, str | None]:
    threshold = Severity.parse(case.fail_on)
    node = ET.Element("testcase", {"classname": _clean(case.classname), "name": _clean(case.name),
                                   "file": _clean(case.file), "line": str(max(int(case.line), 1)),
                                   "time": f"{max(case.time, 0.0):.3f}"})
    findings = sorted(case.findings, key=lambda f: -int(f.severity))  # type: ignore[arg-type]
    above = [f for f in findings if f.severity >= threshold]  # type: ignore[operator]
    below = [f for f in findings if f.severity < threshold]  # type: ignore[operator]
    outcome = None
    test = case.test
    if case.error is not None or (above and all(_is_tool_error(f) for f in above)):
        message = case.error or above[0].message
        kind = case.error_type if case.error is not None else _type(above[0])
        text = "\n\n".join([case.error] if case.error is not None and not above else [_body(f) for f in above])
        ET.SubElement(node, "error", {"message": _clean(_one_line(message)), "type": _clean(kind)}).text = \
            _clean(text)
        outcome = "error"
    elif above:
        more = f" (and {len(above) - 1} more)" if len(above) > 1 else ""
        ET.SubElement(node, "failure", {"message": _clean(_one_line(above[0].message) + more),
                                        "type": _clean(_type(above[0]))}).text = \
            _clean("\n\n".join(_body(f, test) for f in above))
        outcome = "failure"
    if below:
        ET.SubElement(node, "system-out").text = _clean("\n\n".join(_body(f, test) for f in below))
    return node, outcome


def render_cases(cases: Sequence[Case], properties: Iterable[tuple[str, str]] = ()) -> str:
    """The JUnit document of ``cases``; ``properties`` go on the test suite (``nndoctor.`` prefixed)."""
    nodes, failures, errors = [], 0, 0
    for case in cases:
        node, outcome = _testcase(case)
        nodes.append(node)
        failures += outcome == "failure"
        errors += outcome == "error"
    counts = {"tests": str(len(nodes)), "failures": str(failures), "errors": str(errors), "skipped": "0",
              "time": f"{sum(max(c.time, 0.0) for c in cases):.3f}"}
    root = ET.Element("testsuites", {"name": SUITE, **counts})
    suite = ET.SubElement(root, "testsuite", {"name": SUITE, **counts})
    node = ET.SubElement(suite, "properties")
    for name, value in properties:
        ET.SubElement(node, "property", {"name": f"{SUITE}.{name}", "value": _clean(value)})
    suite.extend(nodes)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def render_junit(report: Report | FileResult | Iterable[FileResult], fail_on: Severity | str = "error",
                 **_: object) -> str:
    """A report, a file's result or a batch as JUnit XML. Findings at or above ``fail_on`` fail a
    report's case; a file's result carries its own threshold (``--fail-on`` or its pyproject.toml)."""
    threshold = Severity.parse(fail_on)
    results = as_results(report, threshold.label)  # type: ignore[arg-type]
    thresholds = sorted({r.fail_on for r in results}, key=lambda label: -int(Severity.parse(label)))
    verdicts = [r.to_report().verdict for r in results]
    worst = next((v for v in ("fail", "warn") if v in verdicts), "pass")
    totals = {s.label: 0 for s in sorted(Severity, reverse=True)}
    for r in results:
        for label, n in (r.report.get("summary") or {}).items():
            totals[label] = totals.get(label, 0) + int(n)
    properties = [("verdict", worst), ("fail_on", ",".join(thresholds) or threshold.label),
                  *((f"findings.{label}", str(n)) for label, n in totals.items())]
    if len(results) == 1:
        properties.insert(0, ("target", results[0].path))
    else:
        properties.insert(0, ("files", str(len(results))))
    return render_cases([case_for(r) for r in results], properties)
