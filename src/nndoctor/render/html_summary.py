"""The HTML summary page of a check of many files: the rules by how many files have them (the
class's most common bugs first), then one row per file with its verdict, counts and findings,
linking to that file's own report page (`render_html`). Every user string is escaped (`_e`)."""

from __future__ import annotations

from collections.abc import Sequence

from nndoctor.render.html import _STYLE, _VERDICT_COLOR, _e, page
from nndoctor.results import NOT_CHECKED, BatchResult

_NOT_CHECKED_COLOR = "#8250df"


def _verdict(verdict: str) -> str:
    color = _VERDICT_COLOR.get(verdict, _NOT_CHECKED_COLOR)
    return f"<span class='verdict' style='background:{color}'>{_e(verdict.upper())}</span>"


def render_html_summary(batch: BatchResult, links: Sequence[str | None] = (), **_: object) -> str:
    """The summary page; ``links[i]`` is the relative address of file i's page (None: no page)."""
    verdicts = batch.verdicts()
    tally = "".join(f"<span><b>{n}</b> {_e(v if v == NOT_CHECKED else v.upper())}</span>"
                    for v, n in verdicts.items())
    parts = [f"<div class='nndoctor'><style>{_STYLE}</style>",
             f"<h1>nndoctor: {len(batch.files)} files</h1><p class='tally'>{tally}</p>",
             f"<p class='meta'>{batch.seconds:.1f} s, "
             + (_e(f"Dask scheduler {batch.scheduler}") if batch.scheduler else f"{batch.workers} workers")
             + "</p>"]
    counts = batch.rule_counts()
    parts.append("<h2>Rules by how many files have them</h2>")
    if counts:
        rows = "".join(f"<tr><td>{c.files}</td><td><code>{_e(c.code)}</code></td><td>{_e(c.rule)}</td>"
                       f"<td>{c.findings}</td><td>{_e(', '.join(f'{n} {k}' for k, n in c.severities.items() if n))}"
                       f"</td></tr>" for c in counts)
        parts.append("<table><thead><tr><th>files</th><th>code</th><th>rule</th><th>findings</th><th>severity</th>"
                     f"</tr></thead><tbody>{rows}</tbody></table>")
    else:
        parts.append("<p>No findings in any file.</p>")
    parts.append("<h2>Files</h2><table><thead><tr><th>file</th><th>verdict</th><th>findings</th><th>seconds</th>"
                 "</tr></thead><tbody>")
    for i, result in enumerate(batch.files):
        link = links[i] if i < len(links) else None
        name = f"<a href='{_e(link)}'>{_e(result.path)}</a>" if link else _e(result.path)
        if result.verdict == NOT_CHECKED:
            what = _e((result.message or next((f.get("message") for f in result.report.get("findings", [])), "")
                       or result.status).strip().splitlines()[0])
        else:
            what = "<br>".join(f"<code>{_e(f['code'])}</code> {_e(f['rule'])}" + (
                f" ({_e(f['evidence'].get('kind'))})" if (f.get("evidence") or {}).get("kind") else "")
                for f in result.report.get("findings", [])) or "none"
        parts.append(f"<tr><td>{name}</td><td>{_verdict(result.verdict)}</td><td>{what}</td>"
                     f"<td>{result.seconds:.1f}</td></tr>")
    parts.append("</tbody></table></div>")
    return page(f"nndoctor — {len(batch.files)} files", "".join(parts))
