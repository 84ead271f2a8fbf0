"""The text summary of a check of many files: each file's verdict and findings, then the rules by
how many files have them (the class's most common bugs, last, where the terminal leaves them).

``verbosity`` -1 (``-q``): only the files that are not PASS, one line each, and the totals;
0: each file's headline and one line per finding; 1 (``-v``): each file's full report.
"""

from __future__ import annotations

from nndoctor.findings import Severity
from nndoctor.render.escape import printable
from nndoctor.render.text import _COLORS, _paint, finding_line, headline, render_text
from nndoctor.results import CHECKED, NOT_CHECKED, BatchResult, FileResult

_VERDICT_WORD = {"fail": "FAIL", "warn": "WARN", "pass": "PASS", NOT_CHECKED: "not checked"}


def _file_block(result: FileResult, color: bool, verbosity: int) -> list[str]:
    report = result.to_report()
    if result.status != CHECKED:
        reason = result.message or (report.sorted_findings()[0].message if report.findings else result.status)
        first = printable(" ".join(reason.strip().splitlines()[0].split()))
        return [f"{printable(result.path)}: {_paint('not checked', _COLORS[Severity.ERROR], color)} — {first}"]
    if verbosity > 0:
        return render_text(report, color=color).rstrip("\n").splitlines()
    lines = [headline(report, color) + f"  ({result.seconds:.1f} s)"]
    if verbosity == 0:
        lines += ["  " + finding_line(f, color) for f in report.sorted_findings()]
    return lines


def render_batch_text(batch: BatchResult, color: bool = False, verbosity: int = 0, **_: object) -> str:
    lines: list[str] = []
    for result in batch.files:
        if verbosity < 0 and result.verdict == "pass":
            continue
        if verbosity > 0 and lines:
            lines += ["", "-" * 100, ""]
        lines += _file_block(result, color, verbosity)
    counts = batch.rule_counts()
    if lines:
        lines.append("")
    if counts:
        width = max(len(str(c.files)) for c in counts)
        lines.append("Rules by how many files have them:")
        for c in counts:
            files = f"{c.files:>{width}} file{'' if c.files == 1 else 's'}"
            worst = next((label for label in ("error", "warning", "info") if c.severities.get(label)), "info")
            lines.append(f"  {files}  {c.code} {c.rule:<24} ({c.findings} finding{'' if c.findings == 1 else 's'}, "
                         f"{worst}{'s' if c.severities.get(worst, 0) > 1 and worst != 'info' else ''})")
        lines.append("")
    verdicts = batch.verdicts()
    tally = ", ".join(f"{n} {_VERDICT_WORD[v]}" for v, n in verdicts.items() if n) or "no files"
    where = f"{batch.workers} worker{'s' if batch.workers != 1 else ''}"
    if batch.scheduler:
        where = f"Dask scheduler {batch.scheduler}"
    lines.append(f"{len(batch.files)} file{'s' if len(batch.files) != 1 else ''} checked: {tally}  "
                 f"({batch.seconds:.1f} s, {where})")
    return "\n".join(lines) + "\n"
