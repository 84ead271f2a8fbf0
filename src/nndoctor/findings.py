"""The report model: findings and reports as plain records, no rendering.

A `Finding` is one diagnosed problem; a `Report` gathers findings plus named sections
(``gradient_check``, ``training``...). Renderers in `nndoctor.render` turn a Report into
text, JSON or HTML; nothing here knows how it will be shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from nndoctor.rules import get_rule
from nndoctor.severity import Severity

SCHEMA = "nndoctor.report/1"


@dataclass(frozen=True)
class Location:
    """Where a finding points. Every field is optional: unknown stays ``None``."""

    parameter: str | None = None
    layer: int | None = None
    function: str | None = None
    file: str | None = None
    line: int | None = None
    iteration: int | None = None
    run: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = {
            "parameter": self.parameter,
            "layer": self.layer,
            "function": self.function,
            "file": self.file,
            "line": self.line,
            "iteration": self.iteration,
        }
        if self.run is not None:  # only present for multi-run reports
            data["run"] = self.run
        return data

    def describe(self) -> str:
        """A short human phrase: ``parameter W2, backward_propagation, line 57``."""
        parts = []
        if self.run is not None:
            parts.append(f"run {self.run}")
        if self.parameter is not None:
            parts.append(f"parameter {self.parameter}")
        elif self.layer is not None:
            parts.append(f"layer {self.layer}")
        if self.function is not None:
            parts.append(self.function)
        if self.line is not None:
            where = f"line {self.line}"
            if self.file is not None:
                where = f"{self.file}:{self.line}"
            parts.append(where)
        if self.iteration is not None:
            parts.append(f"iteration {self.iteration}")
        return ", ".join(parts)


@dataclass(frozen=True)
class Finding:
    """One problem: what rule, how bad, where, in words, with numbers, and the fix."""

    rule: str
    message: str
    severity: Severity | None = None
    location: Location = field(default_factory=Location)
    evidence: Mapping[str, Any] = field(default_factory=dict)
    fix: str = ""

    def __post_init__(self) -> None:
        rule = get_rule(self.rule)  # raises on an unregistered slug: findings never invent rules
        object.__setattr__(self, "rule", rule.slug)
        severity = rule.severity if self.severity is None else Severity.parse(self.severity)
        object.__setattr__(self, "severity", severity)
        object.__setattr__(self, "evidence", dict(self.evidence))

    @property
    def code(self) -> str:
        return get_rule(self.rule).code

    @property
    def kind(self) -> str | None:
        kind = self.evidence.get("kind")
        return None if kind is None else str(kind)

    def with_location(self, **changes: Any) -> Finding:
        return replace(self, location=replace(self.location, **changes))

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "rule": self.rule,
            "severity": self.severity.label,  # type: ignore[union-attr]
            "location": self.location.to_dict(),
            "message": self.message,
            "evidence": _jsonable(self.evidence),
            "fix": self.fix,
        }


@dataclass
class Report:
    """Findings about one target plus named sections of measurements."""

    target: str | None = None
    findings: list[Finding] = field(default_factory=list)
    sections: dict[str, Any] = field(default_factory=dict)

    def add(self, *findings: Finding) -> None:
        self.findings.extend(findings)

    def extend(self, findings: Iterable[Finding]) -> None:
        self.findings.extend(findings)

    @property
    def summary(self) -> dict[str, int]:
        counts = {s.label: 0 for s in sorted(Severity, reverse=True)}
        for f in self.findings:
            counts[f.severity.label] += 1  # type: ignore[union-attr]
        return counts

    @property
    def verdict(self) -> str:
        worst = self.worst_severity
        if worst is Severity.ERROR:
            return "fail"
        if worst is Severity.WARNING:
            return "warn"
        return "pass"

    @property
    def worst_severity(self) -> Severity | None:
        return max((f.severity for f in self.findings), default=None)  # type: ignore[type-var]

    def at_or_above(self, threshold: Severity | str) -> list[Finding]:
        level = Severity.parse(threshold)
        return [f for f in self.findings if f.severity >= level]  # type: ignore[operator]

    def sorted_findings(self) -> list[Finding]:
        """Worst first; within a severity, in the order they were found."""
        return sorted(self.findings, key=lambda f: -int(f.severity))  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, Any]:
        from nndoctor import __version__

        data: dict[str, Any] = {
            "schema": SCHEMA,
            "tool": {"name": "nndoctor", "version": __version__},
            "target": self.target,
            "verdict": self.verdict,
            "summary": self.summary,
            "findings": [f.to_dict() for f in self.sorted_findings()],
        }
        for name, section in self.sections.items():
            data[name] = _jsonable(section.to_dict() if hasattr(section, "to_dict") else section)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Report:
        """A report read back from its JSON form (what `to_dict` wrote)."""
        fixed = {"schema", "tool", "target", "verdict", "summary", "findings"}
        findings = []
        for f in data.get("findings", []):
            loc = dict(f.get("location") or {})
            findings.append(Finding(rule=f["rule"], message=f.get("message", ""), severity=f.get("severity"),
                                    location=Location(**{k: loc.get(k) for k in Location.__dataclass_fields__}),
                                    evidence=f.get("evidence") or {}, fix=f.get("fix", "")))
        sections = {k: v for k, v in data.items() if k not in fixed}
        return cls(target=data.get("target"), findings=findings, sections=sections)

    def _repr_html_(self) -> str:  # Jupyter's display: the HTML renderer's fragment
        from nndoctor.render.html import report_fragment

        return report_fragment(self)

    def __repr__(self) -> str:  # a short summary, as GradientCheck's; str() is the full text report
        from nndoctor.render.text import short_summary

        return short_summary(self)

    def __str__(self) -> str:
        from nndoctor.render.text import render_text

        return render_text(self, color=False)


def _jsonable(value: Any) -> Any:
    """Turn numpy scalars/arrays and tuples into plain JSON types; non-finite floats to strings."""
    import math

    import numpy as np

    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.generic):
        return _jsonable(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        # JSON has no NaN/inf; a string keeps the document valid and the value readable.
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)
