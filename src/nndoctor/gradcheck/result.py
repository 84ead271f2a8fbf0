"""What a gradient check returns: a per-parameter table plus findings."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

from nndoctor.findings import Finding, Report, Severity


@dataclass(frozen=True)
class WorstEntry:
    index: tuple[int, ...]
    analytic: float
    numeric: float

    @property
    def error(self) -> float:
        return abs(self.analytic - self.numeric)

    def label(self, name: str) -> str:
        return f"{name}[{','.join(str(i) for i in self.index)}]"

    def to_dict(self) -> dict[str, Any]:
        return {"index": list(self.index), "analytic": self.analytic, "numeric": self.numeric}


@dataclass
class ParameterCheck:
    """The verdict for one parameter array.

    status: 'ok' (verified), 'mismatch' (wrong: an error finding), 'suspicious' (a small but real
    disagreement: a warning finding, e.g. an epsilon in the cost's log that the backward ignores),
    'inconclusive' (could not be decided: a check-inconclusive warning says why), 'non-finite',
    'missing', 'shape', 'not-checked' (``note`` says why).

    ruled_out: for an 'ok' block, the course's relative error ||g_a - g|| / (||g_a|| + ||g||) that
    the check rules out with probability at least 1 - GradientCheck.risk: an error that large
    would have been caught. None when no such statement is made (the block is not 'ok', or its
    gradient is so close to zero that a relative error means nothing).
    joint: the block was vouched for by the combined directions, not measured on its own;
    ``evaluations`` then counts none (the combined ones are in GradientCheck.evaluations).
    """

    name: str
    shape: tuple[int, ...]
    dtype: str
    status: str = "not-checked"
    relative_error: float | None = None
    kind: str | None = None
    factor: float | None = None
    coefficient: float | None = None
    worst_entries: list[WorstEntry] = field(default_factory=list)
    evaluations: int = 0
    gradient_key: str | None = None
    gradient_shape: tuple[int, ...] | None = None
    directions: int = 0
    step: float | None = None
    note: str | None = None
    ruled_out: float | None = None
    joint: bool = False

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "ok": self.ok,
            "shape": list(self.shape),
            "dtype": self.dtype,
            "gradient_key": self.gradient_key,
            "relative_error": self.relative_error,
            "kind": self.kind,
            "factor": self.factor,
            "coefficient": self.coefficient,
            "worst_entries": [w.to_dict() for w in self.worst_entries],
            "evaluations": self.evaluations,
            "directions": self.directions,
            "step": self.step,
            "note": self.note,
            "ruled_out": self.ruled_out,
            "joint": self.joint,
        }


@dataclass
class GradientCheck:
    """Result of `nndoctor.check_gradients`.

    ``ok`` is True only when every parameter was verified; a parameter the check could not decide
    makes it False without an error finding (a `check-inconclusive` warning says why).

    ``verdict``: 'fail' (an error finding), 'suspicious' (no error, but a parameter is suspicious:
    a small real disagreement), 'inconclusive' (no disagreement found, but not everything could be
    verified) or 'pass'.
    """

    parameters: dict[str, ParameterCheck]
    findings: list[Finding]
    evaluations: int
    seconds: float
    method: str
    precision: str
    seed: int | None
    stochastic: bool = False
    style: str = "pure"
    gradient_function: str | None = None
    cost_function: str | None = None
    gradient_calls: int = 0
    risk: float | None = None  # the probability each 'ok' block's ruled_out statement allows for a miss

    @property
    def ok(self) -> bool:
        return bool(self.parameters) and all(p.ok for p in self.parameters.values()) and not any(
            f.severity >= Severity.WARNING for f in self.findings  # type: ignore[operator]
        )

    @property
    def verdict(self) -> str:
        if any(f.severity is Severity.ERROR for f in self.findings):
            return "fail"
        if any(p.status == "suspicious" for p in self.parameters.values()):
            return "suspicious"
        return "pass" if self.ok else "inconclusive"

    def __getitem__(self, name: str) -> ParameterCheck:
        return self.parameters[name]

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "method": self.method,
            "precision": self.precision,
            "evaluations": self.evaluations,
            "seconds": round(self.seconds, 4),
            "seed": self.seed,
            "stochastic_cost": self.stochastic,
            "style": self.style,
            "cost_function": self.cost_function,
            "gradient_function": self.gradient_function,
            "gradient_calls": self.gradient_calls,
            "risk": self.risk,
            "parameters": {name: p.to_dict() for name, p in self.parameters.items()},
        }

    def to_report(self, target: str | None = None) -> Report:
        report = Report(target=target, findings=list(self.findings))
        report.sections["gradient_check"] = self.to_dict()
        return report

    def __str__(self) -> str:
        return str(self.to_report())

    def __repr__(self) -> str:
        bad = [n for n, p in self.parameters.items() if not p.ok]
        return (f"<GradientCheck {self.verdict}: {len(self.parameters)} parameters, "
                f"{self.evaluations} cost evaluations{', not ok: ' + ', '.join(bad) if bad else ''}>")

    def _repr_html_(self) -> str:
        rows = []
        for name, p in self.parameters.items():
            rel = "" if p.relative_error is None else f"{p.relative_error:.2e}"
            worst = "; ".join(
                f"{html.escape(w.label(name))}: {w.analytic:.4g} vs {w.numeric:.4g}" for w in p.worst_entries
            )
            colour = "#1a7f37" if p.ok else ("#9a6700" if p.status in ("inconclusive", "suspicious") else "#cf222e")
            rows.append(
                f"<tr><td><code>{html.escape(name)}</code></td><td>{html.escape(str(p.shape))}</td>"
                f"<td style='color:{colour}'><b>{html.escape(p.status)}</b></td>"
                f"<td>{html.escape(p.kind or '')}</td><td>{rel}</td><td>{worst}</td><td>{p.evaluations}</td></tr>"
            )
        head = (f"<p><b>Gradient check: {self.verdict.upper()}</b> &mdash; {self.evaluations} cost evaluations, "
                f"{self.seconds:.2f} s, {html.escape(self.precision)}</p>")
        table = ("<table><thead><tr><th>parameter</th><th>shape</th><th>status</th><th>kind</th>"
                 "<th>relative error</th><th>worst entries (analytic vs numeric)</th><th>evals</th></tr></thead>"
                 f"<tbody>{''.join(rows)}</tbody></table>")
        from nndoctor.render.html import findings_fragment

        return head + table + findings_fragment(self.findings)
