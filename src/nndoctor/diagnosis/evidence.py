"""What the collectors hand to `diagnose`: typed records of what was measured, nothing judged yet.

The Doctor (watching a training run), the file runner (`nndoctor check`), the gradient check of
recorded steps, the probes and the data loaders each fill their part; `nndoctor.diagnosis.diagnose`
turns the whole into one `Report`. A collector that phrases its own findings (a statement that
raised, an update probe, a random prediction) puts them in ``findings``: they are folded with the
rest like any other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nndoctor.findings import Finding


@dataclass
class DataSet:
    """The arrays a run trained on (and the test set the file holds, if any), for the data checks."""

    X: Any
    Y: Any = None
    X_test: Any = None
    Y_test: Any = None
    example_axis: int | None = None
    n_outputs: int | None = None
    names: tuple[str, str, str, str] = ("train_x", "train_y", "test_x", "test_y")  # as the messages call them
    near: bool = True  # look for near-duplicates between train and test too
    run: str | None = None  # the run that trained on them, when there are several


@dataclass
class GradientEvidence:
    """The gradient checks of recorded training steps: their findings, and the one section the
    report shows (a `GradientCheck.to_dict()`, with what was replayed)."""

    findings: list[Finding] = field(default_factory=list)
    section: dict[str, Any] | None = None
    checked: bool = False

    def add(self, finding: Finding) -> None:
        self.findings.append(finding)

    def extend(self, findings: Any) -> None:
        self.findings.extend(findings)

    @property
    def verdict(self) -> str | None:
        return self.section.get("verdict") if self.section else None


@dataclass
class Evidence:
    """Everything one diagnosis reads."""

    target: str | None = None
    trace: Any = None  # nndoctor.trace.Trace: the runs, iterations and statistics the hooks recorded
    internal_errors: list[str] = field(default_factory=list)  # calls the hooks could not record whole
    datasets: list[DataSet] = field(default_factory=list)
    gradient: GradientEvidence | None = None
    learner_checks: list[Any] = field(default_factory=list)  # the program's own gradient checks (evaluations.py)
    evaluation_records: list[tuple[Any, ...]] = field(default_factory=list)  # forwards that trained nothing
    train_inputs: dict[int, Any] = field(default_factory=dict)  # run index -> the X its steps trained on
    findings: list[Finding] = field(default_factory=list)  # phrased by their collector
    sections: dict[str, Any] = field(default_factory=dict)  # measurements shown as they are (probe, ...)

    def add(self, finding: Finding) -> None:
        self.findings.append(finding)

    def extend(self, findings: Any) -> None:
        self.findings.extend(findings)
