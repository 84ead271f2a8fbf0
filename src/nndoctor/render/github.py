"""GitHub Actions workflow commands: one annotation per finding, shown on the pull request's diff.

    ::error file=model.py,line=91,title=NND301 learning-rate (too-high)::The learning rate 1 is too high ...

``error`` / ``warning`` / ``notice`` follow the finding's severity. The message and the fix are
escaped as the runner expects (``%`` ``\\r`` ``\\n`` as ``%25`` ``%0D`` ``%0A``; in the properties also
``:`` and ``,``), after every control character was made visible: a string from the learner's
program can neither end the command early nor start a new one (``::add-mask::``, ``::stop-commands::``).
"""

from __future__ import annotations

from collections.abc import Iterable

from nndoctor.findings import Finding, Report, Severity
from nndoctor.render.escape import printable
from nndoctor.render.locations import spot
from nndoctor.results import CHECKED, FileResult, as_results

_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    return printable(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _command(kind: str, message: str, file: str, line: int | None, title: str) -> str:
    props = [f"file={escape_property(file)}"]
    if line:
        props.append(f"line={line}")
    props.append(f"title={escape_property(title)}")
    return f"::{kind} {','.join(props)}::{escape_data(message)}"


def _annotation(finding: Finding, checked_file: str) -> str:
    where = spot(finding, checked_file)
    title = f"{finding.code} {finding.rule}" + (f" ({finding.kind})" if finding.kind else "")
    message = finding.message
    if where.cell is not None:
        message += f" ({where.describe()})"
    if finding.fix:
        message += f"\nfix: {finding.fix}"
    return _command(_COMMAND[finding.severity], message, where.file, where.line, title)  # type: ignore[index]


def render_github(report: Report | FileResult | Iterable[FileResult], **_: object) -> str:
    """A report, a file's result or a batch as workflow commands, one line each."""
    lines = []
    for result in as_results(report):
        if result.status != CHECKED and result.message:
            lines.append(_command("error", result.message.strip(), result.path, None,
                                  f"nndoctor could not check {result.path}"))
            continue
        lines += [_annotation(f, result.path) for f in result.to_report().sorted_findings()]
    return "\n".join(lines) + ("\n" if lines else "")
