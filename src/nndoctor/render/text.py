"""The text form of a report, for people: verdict first, findings grouped by severity."""

from __future__ import annotations

import textwrap
from typing import Any

from nndoctor.findings import Finding, Report, Severity, _jsonable

_COLORS = {Severity.ERROR: "31", Severity.WARNING: "33", Severity.INFO: "36", "pass": "32"}
WIDTH = 100


def _paint(text: str, code: str, color: bool) -> str:
    return f"\033[{code}m{text}\033[0m" if color else text


def _wrap(text: str, indent: str) -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent) or [indent]


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
    sev = finding.severity
    kind = f" ({finding.kind})" if finding.kind else ""
    where = finding.location.describe()
    head = f"{_paint(f'{sev.label:<7}', _COLORS[sev], color)} {finding.code} {finding.rule}{kind}"  # type: ignore[union-attr,index]
    lines = [head + (f"  {where}" if where else "")]
    lines += _wrap(finding.message, "  ")
    evidence = evidence_line(finding)
    if evidence:
        lines += _wrap("evidence: " + evidence, "  ")
    if "traceback" in finding.evidence and finding.evidence["traceback"]:
        lines += ["  " + line for line in str(finding.evidence["traceback"]).rstrip().splitlines()]
    if finding.fix:
        lines += _wrap("fix: " + finding.fix, "  ")
    return lines


def headline(report: Report, color: bool = False) -> str:
    counts = report.summary
    verdict = report.verdict.upper()
    code = _COLORS["pass"] if report.verdict == "pass" else _COLORS[report.worst_severity]  # type: ignore[index]
    tally = ", ".join(f"{n} {label}{'' if n == 1 or label == 'info' else 's'}" for label, n in counts.items() if n)
    target = f"{report.target}: " if report.target else ""
    return f"{target}{_paint(verdict, code, color)}" + (f" — {tally}" if tally else " — no findings")


def probe_lines(report: Report) -> list[str]:
    """What `nndoctor check` ran, in two lines: the training probe and the gradient check."""
    probe, training, check = (report.sections.get(k) for k in ("probe", "training", "gradient_check"))
    if not isinstance(probe, dict):
        return []
    lines = []
    runs = training.get("runs", []) if isinstance(training, dict) else []
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


def render_text(report: Report, color: bool = False, **_: object) -> str:
    lines = [headline(report, color)]
    extra = probe_lines(report)
    if extra:
        lines += ["  " + line for line in extra]
    check = report.sections.get("gradient_check")
    if check is not None and hasattr(check, "parameters"):
        lines.append("")
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
    rows = [("parameter", "shape", "status", "kind", "rel. error", "evals")]
    for name, p in check.parameters.items():
        rel = "-" if p.relative_error is None else f"{p.relative_error:.1e}"
        rows.append((name, "x".join(str(s) for s in p.shape) or "()", p.status, p.kind or "-", rel, str(p.evaluations)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = [f"gradient check ({check.method}, {check.precision}): {check.evaluations} cost evaluations, "
           f"{check.seconds:.2f} s, seed {check.seed}"]
    for r in rows:
        out.append("  " + "  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip())
    return out
