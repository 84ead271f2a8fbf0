"""HTML for reports: a self-contained page, and fragments for Jupyter's _repr_html_.

Every user-supplied string (parameter names, messages, file paths) is escaped.
"""

from __future__ import annotations

import html
from typing import Iterable

from nndoctor.findings import Finding, Report
from nndoctor.render.text import evidence_line

_SEVERITY_COLOR = {"error": "#cf222e", "warning": "#9a6700", "info": "#0969da"}
_VERDICT_COLOR = {"fail": "#cf222e", "warn": "#9a6700", "pass": "#1a7f37"}
_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1f2328}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:left;font-size:.9rem}
.finding{border-left:4px solid;padding:.25rem .75rem;margin:.75rem 0}.meta{color:#57606a;font-size:.85rem}
code{background:#f6f8fa;padding:0 .2rem}
"""


def findings_fragment(findings: Iterable[Finding]) -> str:
    parts = []
    for f in sorted(findings, key=lambda f: -int(f.severity)):  # type: ignore[arg-type]
        sev = f.severity.label  # type: ignore[union-attr]
        color = _SEVERITY_COLOR[sev]
        kind = f" ({html.escape(f.kind)})" if f.kind else ""
        where = html.escape(f.location.describe())
        evidence = evidence_line(f)
        parts.append(
            f"<div class='finding' style='border-color:{color}'>"
            f"<div><b style='color:{color}'>{sev}</b> <code>{f.code}</code> {html.escape(f.rule)}{kind}"
            f" <span class='meta'>{where}</span></div>"
            f"<p>{html.escape(f.message)}</p>"
            + (f"<p class='meta'>evidence: {html.escape(evidence)}</p>" if evidence else "")
            + (f"<p><b>fix:</b> {html.escape(f.fix)}</p>" if f.fix else "")
            + "</div>"
        )
    return "".join(parts)


def report_fragment(report: Report) -> str:
    verdict = report.verdict
    tally = ", ".join(f"{n} {k}" for k, n in report.summary.items() if n) or "no findings"
    target = html.escape(report.target) + ": " if report.target else ""
    head = f"<h2>{target}<span style='color:{_VERDICT_COLOR[verdict]}'>{verdict.upper()}</span> — {tally}</h2>"
    body = ""
    check = report.sections.get("gradient_check")
    if check is not None and hasattr(check, "_repr_html_"):
        # the check's own table already lists the findings
        return head + check._repr_html_()
    return head + body + findings_fragment(report.findings)


def render_html(report: Report, **_: object) -> str:
    title = html.escape(f"nndoctor — {report.target or 'report'}")
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
            f"<style>{_STYLE}</style></head><body>{report_fragment(report)}</body></html>\n")
