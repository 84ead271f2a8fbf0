"""What a check of files gave: one `FileResult` per file, a `BatchResult` for many. Records only.

A `FileResult` travels between processes (a Dask worker sends it back), so it holds the report in
its JSON form (``nndoctor.report/1``), exactly what a single ``nndoctor check FILE --format json``
prints; `report()` rebuilds the `Report`. A file nndoctor could not check still has a report: one
finding that says why (``check-inconclusive`` or ``user-code-error``), so every CI format has
something to show for it.

`BatchResult.to_dict()` is the ``nndoctor.batch/1`` document (docs/cli.md has the schema): a
summary, the rules by how many files have them (most common first), and each file's entry with
its report.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from nndoctor.findings import Finding, Location, Report, Severity

BATCH_SCHEMA = "nndoctor.batch/1"
EXIT_OK, EXIT_FINDINGS, EXIT_TOOL = 0, 1, 2

# status of a file's check
CHECKED = "checked"  # the report is the diagnosis; exit 0 or 1
CRASHED = "crashed"  # the program crashed, hung or ran out of memory before anything was checked; exit 2
NOTHING = "nothing-to-check"  # it ran, but nndoctor found no training to watch; exit 2
UNREADABLE = "unreadable"  # not a readable Python file or notebook; exit 2
INTERNAL = "internal-error"  # nndoctor itself failed; exit 2
NOT_CHECKED = "not-checked"  # the verdict of a file whose status is not CHECKED


@dataclass
class FileResult:
    path: str
    status: str
    exit_code: int
    seconds: float
    report: dict[str, Any]
    message: str | None = None  # for exit code 2: what could not be done, in words
    config: str | None = None  # the pyproject.toml whose [tool.nndoctor] applied
    fail_on: str = "error"

    @property
    def verdict(self) -> str:
        return str(self.report.get("verdict", "pass")) if self.status == CHECKED else NOT_CHECKED

    def to_report(self) -> Report:
        return Report.from_dict(self.report)

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "status": self.status, "verdict": self.verdict, "exit_code": self.exit_code,
                "seconds": round(self.seconds, 2), "message": self.message, "config": self.config,
                "fail_on": self.fail_on, "report": self.report}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FileResult:
        """A file's entry of a ``nndoctor.batch/1`` document, read back."""
        return cls(path=data["path"], status=data["status"], exit_code=int(data["exit_code"]),
                   seconds=float(data.get("seconds") or 0.0), report=data["report"], message=data.get("message"),
                   config=data.get("config"), fail_on=data.get("fail_on") or "error")

    @classmethod
    def from_report(cls, report: Report, fail_on: Severity | str = "error", seconds: float | None = None) -> FileResult:
        """A report made elsewhere (the API, `nndoctor report`) as a result the CI renderers take."""
        level = Severity.parse(fail_on)
        probe = report.sections.get("probe")
        if seconds is None:
            seconds = float(probe.get("seconds", 0.0)) if isinstance(probe, dict) else 0.0
        exit_code = EXIT_FINDINGS if report.at_or_above(level) else EXIT_OK
        return cls(path=report.target or "", status=CHECKED, exit_code=exit_code, seconds=seconds,
                   report=report.to_dict(), fail_on=level.label)


def tool_report(path: str, status: str, message: str) -> dict[str, Any]:
    """The report of a file nndoctor could not check: one finding carrying the message."""
    reason = {NOTHING: "nothing-to-check", UNREADABLE: "unreadable", INTERNAL: "internal-error"}[status]
    fix = {NOTHING: "See the message: add nndoctor.spec(train=...) or a training function.",
           UNREADABLE: "Fix the file so that Python (or Jupyter) can read it, then check it again.",
           INTERNAL: "This is a bug in nndoctor: please report it with the message."}[status]
    report = Report(target=path)
    report.add(Finding(rule="check-inconclusive", severity=Severity.ERROR, message=message.strip().splitlines()[0],
                       location=Location(file=path), evidence={"reason": reason, "detail": message}, fix=fix))
    report.sections["probe"] = {"checked": False}
    return report.to_dict()


def as_results(obj: Report | FileResult | BatchResult | Iterable[FileResult], fail_on: str = "error") \
        -> list[FileResult]:
    """What the CI renderers take, from a Report, a FileResult, a BatchResult or a list of results."""
    if isinstance(obj, Report):
        return [FileResult.from_report(obj, fail_on)]
    if isinstance(obj, FileResult):
        return [obj]
    if isinstance(obj, BatchResult):
        return list(obj.files)
    return list(obj)


@dataclass
class RuleCount:
    code: str
    rule: str
    files: int
    findings: int
    severities: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "rule": self.rule, "files": self.files, "findings": self.findings,
                "severity": self.severities}


@dataclass
class BatchResult:
    files: list[FileResult]
    seconds: float = 0.0
    workers: int = 1
    scheduler: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return max((f.exit_code for f in self.files), default=EXIT_OK)

    def verdicts(self) -> dict[str, int]:
        counts = Counter(f.verdict for f in self.files)
        return {name: counts.get(name, 0) for name in ("fail", "warn", "pass", NOT_CHECKED)}

    def finding_counts(self) -> dict[str, int]:
        counts = {s.label: 0 for s in sorted(Severity, reverse=True)}
        for result in self.files:
            for label, n in (result.report.get("summary") or {}).items():
                counts[label] = counts.get(label, 0) + int(n)
        return counts

    def rule_counts(self) -> list[RuleCount]:
        """Per rule, how many files have it; the most common first (then by code)."""
        files: Counter[tuple[str, str]] = Counter()
        findings: Counter[tuple[str, str]] = Counter()
        severities: dict[tuple[str, str], Counter[str]] = {}
        for result in self.files:
            if result.status != CHECKED:
                continue
            seen = set()
            for f in result.report.get("findings", []):
                key = (f["code"], f["rule"])
                findings[key] += 1
                severities.setdefault(key, Counter())[f["severity"]] += 1
                seen.add(key)
            files.update(seen)
        order = sorted(files, key=lambda k: (-files[k], k[0]))
        return [RuleCount(code, rule, files[(code, rule)], findings[(code, rule)],
                          {s.label: severities[(code, rule)].get(s.label, 0) for s in sorted(Severity, reverse=True)})
                for code, rule in order]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BatchResult:
        """A ``nndoctor.batch/1`` document read back (what `to_dict` wrote)."""
        if data.get("schema") != BATCH_SCHEMA:
            raise ValueError(f"not a {BATCH_SCHEMA} document (schema: {data.get('schema')!r})")
        summary = data.get("summary") or {}
        return cls([FileResult.from_dict(f) for f in data.get("files", [])], seconds=float(summary.get("seconds", 0)),
                   workers=int(summary.get("workers", 1)), scheduler=summary.get("scheduler"),
                   settings=dict(data.get("settings") or {}))

    def to_dict(self) -> dict[str, Any]:
        from nndoctor import __version__

        return {
            "schema": BATCH_SCHEMA,
            "tool": {"name": "nndoctor", "version": __version__},
            "summary": {"files": len(self.files), "verdicts": self.verdicts(), "findings": self.finding_counts(),
                        "exit_code": self.exit_code, "seconds": round(self.seconds, 2), "workers": self.workers,
                        "scheduler": self.scheduler},
            "settings": dict(self.settings),
            "rules": [r.to_dict() for r in self.rule_counts()],
            "files": [f.to_dict() for f in self.files],
        }
