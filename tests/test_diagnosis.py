"""nndoctor.diagnosis: one diagnose() over typed evidence, findings folded once."""

from __future__ import annotations

import warnings

import numpy as np
from modelkit import load_model

import nndoctor
from nndoctor import Finding, Location
from nndoctor.diagnosis import DataSet, Evidence, GradientEvidence, diagnose


def _passing_check() -> GradientEvidence:
    return GradientEvidence(section={"verdict": "pass", "parameters": {
        "W1": {"status": "ok", "shape": [3, 2]}, "W2": {"status": "ok", "shape": [1, 3]}}}, checked=True)


def _mismatch(parameter: str) -> Finding:
    return Finding("gradient-mismatch", f"d{parameter} is wrong", severity="error",
                   location=Location(parameter=parameter), evidence={"kind": "other", "relative_error": 0.5})


def test_a_code_reading_the_gradient_check_contradicts_is_a_note_that_says_so():
    reading = Finding("activation-mismatch", "the backward of layer 1 differentiates sigmoid", severity="error",
                      location=Location(layer=1, function="backward"))
    report = diagnose(Evidence(findings=[reading], gradient=_passing_check()))
    (finding,) = report.findings
    assert finding.severity.label == "info" and "agreement with the cost" in finding.message
    assert finding.evidence["gradient_check"] == "agrees"


def test_the_same_reading_confirmed_by_the_numbers_stays_an_error_and_absorbs_them():
    reading = Finding("activation-mismatch", "the backward of layer 2 differentiates sigmoid", severity="error",
                      location=Location(layer=2, function="backward"))
    gradient = GradientEvidence(findings=[_mismatch("W1"), _mismatch("W2")],
                                section={"verdict": "fail", "parameters": {"W1": {"status": "mismatch"},
                                                                           "W2": {"status": "mismatch"}}})
    report = diagnose(Evidence(findings=[reading], gradient=gradient))
    (finding,) = report.findings
    assert finding.rule == "activation-mismatch" and finding.severity.label == "error"
    assert "The gradient check confirms it" in finding.message


def _watched(**settings):
    module = load_model("course_deep", **settings)
    doctor = nndoctor.Doctor(check_gradients=False).watch(module)
    X, Y = module.load_data()
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        module.L_layer_model(X, Y, [20, 8, 5, 1], learning_rate=0.05, num_iterations=60)
    doctor.unwatch()
    return doctor


def test_a_nan_the_training_reported_is_not_repeated_by_the_gradient_check():
    doctor = _watched(INIT_SCALE=40.0)  # saturated sigmoid output: log(0), the cost turns NaN
    evidence = doctor.evidence()
    assert any(f.rule == "non-finite" for f in diagnose(evidence).findings)
    evidence.gradient = GradientEvidence(findings=[Finding("non-finite", "the cost is not finite under the steps")])
    assert [f.rule for f in diagnose(evidence).findings].count("non-finite") == 1


def test_symptoms_of_one_run_are_folded_into_their_cause_but_never_across_runs():
    cause = Finding("symmetric-init", "all zeros", location=Location(parameter="W1", run="a"))
    symptom_same_run = Finding("cost-plateau", "flat", location=Location(run="a"))
    symptom_other_run = Finding("cost-plateau", "flat", location=Location(run="b"))
    report = diagnose(Evidence(findings=[cause, symptom_same_run, symptom_other_run]))
    assert [(f.rule, f.location.run) for f in report.findings] == [("symmetric-init", "a"), ("cost-plateau", "b")]


def test_data_sets_are_checked_and_named_by_their_run():
    X = np.random.default_rng(0).uniform(0, 255, size=(4, 50))  # raw pixels: unnormalized-input
    report = diagnose(Evidence(datasets=[DataSet(X, near=False, run="model(lr=1)")]))
    (finding,) = [f for f in report.findings if f.rule == "unnormalized-input"]
    assert finding.location.run == "model(lr=1)"


def test_a_bare_trace_is_the_evidence_of_a_watched_run():
    doctor = _watched(INIT_SCALE="zeros")
    from_trace = diagnose(doctor.trace, target="t")
    assert from_trace.target == "t" and "training" in from_trace.sections
    rules = [f.rule for f in from_trace.findings]
    assert "symmetric-init" in rules and rules == [f.rule for f in doctor.report().findings]
