"""SARIF 2.1.0, for GitHub code scanning and other static-analysis dashboards.

One run of the tool ``nndoctor``: its driver lists the rules the results use (``id`` the code,
``name`` the slug, the summary, the documentation page as help, the default level), so that the
log stays small; each finding is one result with
its rule, level (error, warning, note), message (with the fix), and location: the file relative
to the directory nndoctor ran in (``uriBaseId`` ``SRCROOT``), the line when it is a line of that
file, and the function as a logical location. Evidence, the parameter and the kind go into the
result's ``properties``. A file nndoctor could not check is a tool execution notification of the
run's invocation, plus its ``check-inconclusive`` or ``user-code-error`` result.
The tests validate the output against the OASIS schema (tests/data/sarif-schema-2.1.0.json).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from nndoctor.findings import Finding, Report, Severity, _jsonable
from nndoctor.render.locations import spot
from nndoctor.results import CHECKED, FileResult, as_results
from nndoctor.rules import all_rules

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _uri(path: str) -> tuple[str, bool]:
    """A URI reference for a path: relative (to SRCROOT) when it is relative, else a file: URI."""
    if os.path.isabs(path):
        return Path(path).as_uri(), False
    return quote(PurePosixPath(Path(path).as_posix()).as_posix(), safe="/"), True


def _artifact(path: str) -> dict[str, Any]:
    uri, relative = _uri(path)
    return {"uri": uri, "uriBaseId": "SRCROOT"} if relative else {"uri": uri}


def _driver(used: list[str]) -> dict[str, Any]:
    from nndoctor import __version__

    rules = []
    for rule in (r for r in all_rules() if r.slug in used):
        rules.append({
            "id": rule.code,
            "name": rule.slug,
            "shortDescription": {"text": rule.summary},
            "help": {"text": f"{rule.summary}. `nndoctor explain {rule.code}` prints the rule's page.",
                     "markdown": rule.doc},
            "defaultConfiguration": {"level": _LEVEL[rule.severity]},
            "properties": {"tags": [rule.family], "status": rule.status},
        })
    return {"name": "nndoctor", "version": __version__, "semanticVersion": __version__, "rules": rules}


def _result(finding: Finding, checked_file: str, index: dict[str, int]) -> dict[str, Any]:
    where = spot(finding, checked_file)
    physical: dict[str, Any] = {"artifactLocation": _artifact(where.file)}
    if where.line:
        physical["region"] = {"startLine": where.line}
    location: dict[str, Any] = {"physicalLocation": physical}
    if finding.location.function:
        location["logicalLocations"] = [{"name": finding.location.function, "kind": "function"}]
    text = finding.message
    if where.cell is not None:
        text += f" ({where.describe()})"
    if finding.fix:
        text += f"\nFix: {finding.fix}"
    properties: dict[str, Any] = {"rule": finding.rule, "checkedFile": checked_file,
                                  "evidence": _jsonable(dict(finding.evidence))}
    loc = finding.location.to_dict()
    properties["location"] = {k: v for k, v in loc.items() if v is not None}
    return {"ruleId": finding.code, "ruleIndex": index[finding.rule], "level": _LEVEL[finding.severity],
            "message": {"text": text}, "locations": [location], "properties": properties}


def sarif_document(results: Iterable[FileResult]) -> dict[str, Any]:
    results = list(results)
    reports = [r.to_report() for r in results]
    used = {f.rule for report in reports for f in report.findings}
    slugs = [r.slug for r in all_rules() if r.slug in used]
    index = {slug: i for i, slug in enumerate(slugs)}
    out, notes = [], []
    for result, report in zip(results, reports):
        out += [_result(f, result.path, index) for f in report.sorted_findings()]
        if result.status != CHECKED:
            notes.append({"level": "error", "message": {"text": (result.message or result.status).strip()},
                          "locations": [{"physicalLocation": {"artifactLocation": _artifact(result.path)}}],
                          "properties": {"status": result.status}})
    root = Path(os.getcwd()).as_uri().rstrip("/") + "/"
    run = {
        "tool": {"driver": _driver(slugs)},
        "originalUriBaseIds": {"SRCROOT": {"uri": root}},
        "invocations": [{"executionSuccessful": not notes, "toolExecutionNotifications": notes}],
        "artifacts": [{"location": _artifact(r.path)} for r in results],
        "results": out,
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render_sarif(report: Report | FileResult | Iterable[FileResult], **_: object) -> str:
    """A report, a file's result or a batch as one SARIF 2.1.0 log."""
    return json.dumps(sarif_document(as_results(report)), indent=2, allow_nan=False) + "\n"
