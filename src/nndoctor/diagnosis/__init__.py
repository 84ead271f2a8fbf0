"""One diagnosis from all the evidence: `diagnose(evidence) -> Report`.

The data path: a program runs (watched by a `Doctor`, or run by `nndoctor check`) -> the collectors
record evidence (a trace, gradient checks of recorded steps, probe results, data sets, statement
errors; `evidence.py`) -> `diagnose` runs every checker on it and folds the findings once
(`fold.py`: a table of "X is explained by Y" plus a few named steps) -> a `Report` -> a renderer
(`nndoctor.render`). `Doctor.report()`, `nndoctor check` and `nndoctor report` all end here.
"""

from __future__ import annotations

from typing import Any

from nndoctor.checks import run_checks, run_safely
from nndoctor.diagnosis.evidence import DataSet, Evidence, GradientEvidence
from nndoctor.diagnosis.fold import fold
from nndoctor.findings import Finding, Report

__all__ = ["DataSet", "Evidence", "GradientEvidence", "diagnose"]


def diagnose(evidence: Evidence | Any, target: str | None = None) -> Report:
    """Every checker over ``evidence``, folded into one finding per cause. A bare `Trace` (what
    `nndoctor.tracefile.read_trace` returns) is the evidence of a watched run."""
    if not isinstance(evidence, Evidence):
        evidence = Evidence(target=target, trace=evidence)
    report = Report(target=evidence.target)
    trace = evidence.trace
    if trace is not None:
        report.extend(run_checks(trace, evidence.internal_errors))
        report.sections["training"] = trace.to_dict()
    gradient = evidence.gradient
    if gradient is not None:
        report.extend(_gradient_findings(gradient, report.findings))
        if gradient.section is not None:
            report.sections["gradient_check"] = gradient.section
        report.extend(_learner_checks(evidence, gradient))
    report.extend(evidence.findings)
    for data in evidence.datasets:
        report.extend(_data_checks(data))
    if evidence.evaluation_records and trace is not None:
        from nndoctor.checks.bias_variance import bias_and_variance

        report.extend(run_safely(bias_and_variance, evidence.evaluation_records, evidence.train_inputs,
                                 trace.runs, what="the train and dev errors"))
    report.sections.update(evidence.sections)
    fold(report)
    return report


def _gradient_findings(gradient: GradientEvidence, runtime: list[Finding]) -> list[Finding]:
    if any(f.rule == "non-finite" for f in runtime):
        # the training already reported the NaN/inf; the check's own "cost is not finite" repeats it
        return [f for f in gradient.findings if f.rule != "non-finite"]
    return list(gradient.findings)


def _learner_checks(evidence: Evidence, gradient: GradientEvidence) -> list[Finding]:
    """The program's own gradient check, against nndoctor's verdict on the same backward."""
    if not evidence.learner_checks or gradient.verdict not in ("pass", "fail"):
        return []
    from nndoctor.checks.learner_check import judge_learner_checks

    wrong = [f.location.parameter for f in gradient.findings
             if f.rule == "gradient-mismatch" and f.severity.label == "error" and f.location.parameter]
    return run_safely(judge_learner_checks, evidence.learner_checks, gradient.verdict == "pass" and not wrong, wrong,
                      what="the comparison with your own gradient check")


def _data_checks(data: DataSet) -> list[Finding]:
    from nndoctor.data import check_dataset

    found = run_safely(check_dataset, data.X, data.Y, data.X_test, data.Y_test, example_axis=data.example_axis,
                       n_outputs=data.n_outputs, names=data.names, near=data.near, what="the data checks")
    return [f.with_location(run=data.run) for f in found] if data.run is not None else found
