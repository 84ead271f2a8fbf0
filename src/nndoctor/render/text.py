"""The text form of a report, for people: verdict first, findings grouped by severity.

Every string that comes from the report (messages, names, paths, evidence, tracebacks) goes
through `printable` before it is laid out: what a learner's program put in a string is shown, never
sent to the terminal as an escape sequence. The only escape sequences in the output are the
colours this module adds itself.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import Any

from nndoctor.findings import Finding, Report, Severity, _jsonable
from nndoctor.render.escape import printable

_COLORS = {Severity.ERROR: "31", Severity.WARNING: "33", Severity.INFO: "36", "pass": "32"}
WIDTH = 100


def _paint(text: str, code: str, color: bool) -> str:
    return f"\033[{code}m{text}\033[0m" if color else text


def _wrap(text: str, indent: str) -> list[str]:
    return textwrap.wrap(printable(text), WIDTH, initial_indent=indent, subsequent_indent=indent) or [indent]


def _fmt_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_fmt_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_fmt_value(v) for v in value) + "]"
    return str(value)


def evidence_line(finding: Finding) -> str:
    parts = []
    for key, value in finding.evidence.items():
        value = _jsonable(value)
        if key in ("kind", "traceback", "worst_entries") or value is None or value == [] or value == {}:
            continue
        parts.append(f"{key} {_fmt_value(value)}")
    return "; ".join(parts)


def render_finding(finding: Finding, color: bool = False) -> list[str]:
    lines = [finding_head(finding, color)]
    lines += _wrap(finding.message, "  ")
    evidence = evidence_line(finding)
    if evidence:
        lines += _wrap("evidence: " + evidence, "  ")
    if "traceback" in finding.evidence and finding.evidence["traceback"]:
        lines += ["  " + line for line in printable(finding.evidence["traceback"]).rstrip().splitlines()]
    if finding.fix:
        lines += _wrap("fix: " + finding.fix, "  ")
    return lines


def finding_head(finding: Finding, color: bool = False) -> str:
    """``error   NND301 learning-rate (too-high)  parameter W1, update_parameters, m.py:91``"""
    sev = finding.severity
    kind = f" ({printable(finding.kind)})" if finding.kind else ""
    where = printable(finding.location.describe())
    head = f"{_paint(f'{sev.label:<7}', _COLORS[sev], color)} {finding.code} {finding.rule}{kind}"  # type: ignore[union-attr,index]
    return head + (f"  {where}" if where else "")


def finding_line(finding: Finding, color: bool = False, width: int = WIDTH) -> str:
    """The finding on one line: its head, then as much of its message as fits."""
    head = finding_head(finding, color)
    shown = len(finding_head(finding, False))
    message = " ".join(printable(finding.message).split())
    room = max(width - shown - 2, 70)  # a long location still leaves the message readable
    if len(message) > room:
        message = message[:room - 3].rsplit(" ", 1)[0] + "..."
    return f"{head}: {message}"


def headline(report: Report, color: bool = False) -> str:
    counts = report.summary
    verdict = report.verdict.upper()
    code = _COLORS["pass"] if report.verdict == "pass" else _COLORS[report.worst_severity]  # type: ignore[index]
    tally = ", ".join(f"{n} {label}{'' if n == 1 or label == 'info' else 's'}" for label, n in counts.items() if n)
    target = f"{printable(report.target)}: " if report.target else ""
    return f"{target}{_paint(verdict, code, color)}" + (f" — {tally}" if tally else " — no findings")


def probe_lines(report: Report) -> list[str]:
    """What `nndoctor check` ran, in two lines: the training probe and the gradient check."""
    probe, training, check = (report.sections.get(k) for k in ("probe", "training", "gradient_check"))
    if not isinstance(probe, dict):
        return []
    lines = []
    every = training.get("runs", []) if isinstance(training, dict) else []
    runs = [r for r in every if r.get("trained", True)] or every  # a predict() after training is no run
    iterations = sum(r.get("iterations", 0) for r in runs)
    if runs:
        call = probe.get("training_call") or ("the file's own training loop" if iterations > 1
                                              else "the file's own statements (it does not train)")
        data = f" on {probe['data']}" if probe.get("data") else ""
        seconds = f", {probe['seconds']:.1f} s" if isinstance(probe.get("seconds"), (int, float)) else ""
        lines.append(f"probe: {call}{data}; {iterations} iteration{'s' if iterations != 1 else ''} in "
                     f"{len(runs)} run{'s' if len(runs) > 1 else ''}"
                     f"{seconds}")
    if isinstance(check, dict) and check.get("parameters"):
        params = check["parameters"]
        ok = sum(1 for p in params.values() if p.get("status") == "ok")
        lines.append(f"gradient check of {check.get('replayed', 'the backward pass')}: {ok} of {len(params)} "
                     f"parameters agree ({check.get('evaluations')} cost evaluations)")
    return lines


def short_summary(report: Report) -> str:
    """What ``repr(report)`` shows: ``<Report m.py FAIL: 1 error, 2 warnings (NND301, NND201, NND402)>``."""
    counts = ", ".join(f"{n} {label}{'' if n == 1 or label == 'info' else 's'}"
                       for label, n in report.summary.items() if n) or "no findings"
    codes = list(dict.fromkeys(f.code for f in report.sorted_findings()))
    shown = ", ".join(codes[:4]) + (", ..." if len(codes) > 4 else "")
    target = f" {printable(report.target)}" if report.target else ""
    return f"<Report{target} {report.verdict.upper()}: {counts}" + (f" ({shown})" if codes else "") + ">"


def render_text(report: Report, color: bool = False, verbosity: int = 0, **_: object) -> str:
    """The full report; ``verbosity`` -1 (``-q``): the headline and one line per finding; 1 (``-v``):
    also the probe's notes."""
    lines = [headline(report, color)]
    if verbosity < 0:
        lines += ["  " + finding_line(f, color) for f in report.sorted_findings()]
        return "\n".join(lines) + "\n"
    extra = probe_lines(report)
    if verbosity > 0:
        probe = report.sections.get("probe")
        notes = probe.get("notes") if isinstance(probe, dict) else None
        extra += [f"note: {note}" for note in notes or []]
    if extra:
        lines += ["  " + printable(line) for line in extra]
    check = report.sections.get("gradient_check")
    if isinstance(check, Mapping) and check.get("parameters") and "probe" not in report.sections:
        lines.append("")  # a check of its own (check_gradients, the Doctor's replay): its table
        lines += gradient_table(check)
    for severity in sorted(Severity, reverse=True):
        group = [f for f in report.findings if f.severity is severity]
        if not group:
            continue
        lines.append("")
        for finding in group:
            lines += render_finding(finding, color)
            lines.append("")
        if lines[-1] == "":
            lines.pop()
    return "\n".join(lines) + "\n"


def gradient_table(check: Any) -> list[str]:
    """The per-parameter table of a gradient check (a `GradientCheck` or its ``to_dict()``)."""
    if not isinstance(check, Mapping):
        check = check.to_dict()
    rows = [("parameter", "shape", "status", "kind", "rel. error", "evals")]
    for name, p in check["parameters"].items():
        rel = "-" if p.get("relative_error") is None else f"{p['relative_error']:.1e}"
        rows.append((printable(name), "x".join(str(s) for s in p.get("shape") or ()) or "()", p.get("status") or "-",
                     p.get("kind") or "-", rel, str(p.get("evaluations"))))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = [f"gradient check ({check.get('method')}, {check.get('precision')}): {check.get('evaluations')} cost evaluations, "
           f"{check.get('seconds') or 0:.2f} s, seed {check.get('seed')}"]
    for r in rows:
        out.append("  " + "  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip())
    return out
