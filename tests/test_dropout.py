"""dropout-mask: each planted inverted-dropout bug is named with its kind and layer; the correct
course network with dropout is silent (and its noisy cost is not 'oscillation')."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from modelkit import load_model, rules_of

import nndoctor


def watched(iterations=100, **settings):
    module = load_model("dropout_net", **settings)
    doctor = nndoctor.Doctor().watch(module)
    X, Y = module.load_data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        module.model(X, Y, num_iterations=iterations)
    doctor.unwatch()
    return doctor


def dropout_findings(doctor):
    return {(f.kind, f.location.layer): f for f in rules_of(doctor.report()).get("dropout-mask", [])}


@pytest.mark.twin("dropout-mask")
def test_correct_dropout_is_silent_and_measured():
    doctor = watched(iterations=300)
    report = doctor.report()
    # the only word: an info that the gradients were checked with the dropout masks held fixed
    assert [(f.rule, f.severity.label) for f in report.findings] == [("stochastic-cost", "info")]
    assert report.sections["gradient_check"]["verdict"] == "pass"
    stats = doctor.trace.runs[0].sampled()[5].dropout
    assert set(stats) == {1, 2} and all(s.scaled and s.reapplied for s in stats.values())
    assert abs(stats[1].kept - 0.86) < 0.05


@pytest.mark.planted("dropout-mask")
def test_mask_drawn_with_randn_keeps_the_wrong_fraction():
    found = dropout_findings(watched(MASK="randn"))
    finding = found[("keep-rate", 1)]
    assert finding.severity.label == "error" and "randn" in finding.message
    assert finding.evidence["kept_fraction"] == pytest.approx(0.805, abs=0.01)  # Phi(0.86)


@pytest.mark.planted("dropout-mask")
def test_seed_inside_the_forward_freezes_the_mask():
    found = dropout_findings(watched(SEED_IN_FORWARD=True))
    assert set(found) == {("frozen-mask", 1), ("frozen-mask", 2)}
    assert all(f.severity.label == "warning" for f in found.values())


@pytest.mark.planted("dropout-mask")
def test_activations_not_divided_by_keep_prob():
    assert set(dropout_findings(watched(SCALE=False))) == {("scale", 1), ("scale", 2)}


@pytest.mark.planted("dropout-mask")
def test_mask_not_reapplied_in_backward():
    found = dropout_findings(watched(REAPPLY=False))
    assert set(found) == {("not-reapplied", 1), ("not-reapplied", 2)}
    assert found[("not-reapplied", 1)].location.function == "backward_propagation_with_dropout"


def test_no_dropout_when_keep_prob_is_one():
    module = load_model("dropout_net")
    doctor = nndoctor.Doctor().watch(module)
    X, Y = module.load_data()
    module.model(X, Y, num_iterations=20, keep_prob=1.0)
    assert all(not it.dropout for it in doctor.trace.runs[0].sampled())


def test_watching_dropout_leaves_the_masks_and_costs_unchanged():
    plain = load_model("dropout_net")
    X, Y = plain.load_data()
    np.random.seed(5)
    expected = plain.model(X, Y, num_iterations=20)
    module = load_model("dropout_net")
    nndoctor.Doctor().watch(module)
    np.random.seed(5)
    got = module.model(X, Y, num_iterations=20)
    assert all(np.array_equal(expected[k], got[k]) for k in expected)
