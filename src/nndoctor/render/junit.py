"""JUnit XML for CI dashboards: one test suite, one test case per rule family.

A family's test case fails with one ``<failure>`` per finding at or above ``fail_on``
(``message``: the finding's message on one line; ``type``: ``CODE rule (kind)``; body: where,
evidence and fix as text). Findings below the threshold are listed in the test case's
``<system-out>``. A family without findings passes. A check that crashed inside nndoctor
(``check-inconclusive`` with reason ``internal-error``) at or above the threshold is an
``<error>``: the rule could not be evaluated, which is not the same as the code being wrong.

The document is built with ElementTree (every string escaped by it), holds no timestamp, time
or host name, and lists families in code order, so the same report always gives the same bytes.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from nndoctor.findings import Finding, Report, Severity
from nndoctor.render.text import evidence_line
from nndoctor.rules import FAMILIES, all_rules, get_rule

SUITE = "nndoctor"
# characters XML 1.0 cannot hold at all, even escaped (NUL, most C0 controls, lone surrogates...)
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(text: Any) -> str:
    """A string XML can carry: forbidden control characters shown as ``\\xNN``."""
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group(0)):02x}", "" if text is None else str(text))


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _type(f: Finding) -> str:
    return f"{f.code} {f.rule}" + (f" ({f.kind})" if f.kind else "")


def _body(f: Finding) -> str:
    lines = [f"{f.severity.label} {_type(f)}"]  # type: ignore[union-attr]
    where = f.location.describe()
    if f.location.file is not None and f.location.line is None:
        where = ", ".join(p for p in (where, f.location.file) if p)
    if where:
        lines.append(f"where: {where}")
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


def _family(f: Finding) -> str:
    return get_rule(f.rule).family


def render_junit(report: Report, fail_on: Severity | str = "error", **_: object) -> str:
    """The report as JUnit XML; findings at or above ``fail_on`` fail their family's test case."""
    threshold = Severity.parse(fail_on)
    families = list(dict.fromkeys(FAMILIES.values()))
    by_family: dict[str, list[Finding]] = {name: [] for name in families}
    for f in report.sorted_findings():
        by_family.setdefault(_family(f), []).append(f)
    planned = {name: [r.slug for r in all_rules() if r.family == name] for name in families}
    active = {r.family for r in all_rules() if r.status == "active"}

    cases = []
    failures = errors = 0
    for name, found in by_family.items():
        case = ET.Element("testcase", {"classname": _clean(f"{SUITE}.{name}"), "name": _clean(name)})
        above = [f for f in found if f.severity >= threshold]  # type: ignore[operator]
        below = [f for f in found if f.severity < threshold]  # type: ignore[operator]
        failed = [f for f in above if not _is_tool_error(f)]
        broken = [f for f in above if _is_tool_error(f)]
        for f in failed:
            ET.SubElement(case, "failure", {"message": _clean(_one_line(f.message)), "type": _clean(_type(f))}).text = \
                _clean(_body(f))
        for f in broken:
            ET.SubElement(case, "error", {"message": _clean(_one_line(f.message)), "type": _clean(_type(f))}).text = \
                _clean(_body(f))
        failures += bool(failed)
        errors += bool(broken) and not failed
        out = [_body(f) for f in below]
        if name not in active and not found:
            out.append(f"No rule of this family is checked in this release (planned: {', '.join(planned[name])}).")
        if out:
            ET.SubElement(case, "system-out").text = _clean("\n\n".join(out))
        cases.append(case)

    counts = {"tests": str(len(cases)), "failures": str(failures), "errors": str(errors), "skipped": "0"}
    root = ET.Element("testsuites", {"name": SUITE, **counts})
    suite = ET.SubElement(root, "testsuite", {"name": SUITE, **counts})
    properties = ET.SubElement(suite, "properties")
    summary = report.summary
    for key, value in (("target", report.target or ""), ("verdict", report.verdict), ("fail_on", threshold.label),
                       *((f"findings.{label}", str(n)) for label, n in summary.items())):
        ET.SubElement(properties, "property", {"name": f"{SUITE}.{key}", "value": _clean(value)})
    suite.extend(cases)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
