"""The cost-curve and gradient-norm checks on synthetic traces: exact curves, exact verdicts."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nndoctor.checks import cost, gradients, run_checks
from nndoctor.checks.context import Context
from nndoctor.trace import ArrayStats, Iteration, Run, Trace, WeightInit


def make_run(costs, *, batch=None, grads=None, output_units=1, lr=0.1):
    run = Run(index=0, label="main", learning_rate=lr, output_units=output_units, examples=100, example_axis=1)
    for i, c in enumerate(costs):
        it = Iteration(index=i, sampled=True, cost=float(c), completed=True,
                       batch=(batch[i] if batch is not None else 100))
        if grads is not None:
            it.grads = {k: ArrayStats(norm=float(v[i]), max_abs=float(v[i]), nonfinite=0, size=10)
                        for k, v in grads.items()}
            it.params = {k: ArrayStats(norm=1.0, max_abs=1.0, nonfinite=0, size=10) for k in grads}
        run.iterations.append(it)
    return run


def check(fn, run):
    trace = Trace(runs=[run])
    return fn(run, Context(trace))


def healthy_curve(n=300):
    return 0.69 * np.exp(-np.arange(n) / 80) + 0.05


@pytest.mark.twin("cost-plateau", "cost-divergence", "cost-oscillation", "check-inconclusive")
def test_a_decreasing_curve_raises_nothing():
    trace = Trace(runs=[make_run(healthy_curve())])
    assert run_checks(trace) == []


@pytest.mark.planted("cost-plateau")
def test_plateau_at_ln2_says_the_output_is_constant():
    curve = np.r_[np.linspace(0.70, math.log(2), 20), np.full(280, math.log(2))]
    (finding,) = check(cost.check_plateau, make_run(curve))
    assert finding.evidence["constant_output"] == "ln 2"
    assert finding.evidence["iteration"] == 19 and finding.evidence["exactly_constant"]


@pytest.mark.planted("cost-plateau")
def test_plateau_at_ln_c_for_c_classes():
    (finding,) = check(cost.check_plateau, make_run(np.full(100, math.log(10)), output_units=10))
    assert finding.evidence["constant_output"] == "ln 10"


@pytest.mark.twin("cost-plateau")
def test_slow_but_steady_progress_is_not_a_plateau():
    curve = 0.5 - 1e-3 * np.arange(300) / 300  # 0.2% over the run, but still moving in the second half
    assert check(cost.check_plateau, make_run(curve)) == []


@pytest.mark.twin("cost-plateau")
def test_a_converged_low_cost_is_not_a_plateau():
    assert check(cost.check_plateau, make_run(np.r_[healthy_curve(50), np.full(250, 1e-4)])) == []


@pytest.mark.planted("cost-divergence")
def test_divergence_when_the_cost_trends_up():
    curve = np.r_[np.linspace(0.7, 0.5, 30), np.linspace(0.5, 3.0, 70)]
    (finding,) = check(cost.check_divergence, make_run(curve))
    assert finding.evidence["lowest_iteration"] == 29
    assert finding.evidence["learning_rate"] == 0.1


@pytest.mark.planted("cost-oscillation")
def test_oscillation_without_progress_is_a_warning():
    rng = np.random.default_rng(0)
    curve = 0.7 + 0.3 * (np.arange(200) % 2) + 0.01 * rng.standard_normal(200)
    (finding,) = check(cost.check_oscillation, make_run(curve))
    assert finding.severity.label == "warning" and finding.evidence["spikes"] > 50


def test_spiky_but_decreasing_is_only_info():
    # field-guide case 6: occasional spikes on a falling full-batch curve
    curve = healthy_curve(300).copy()
    for i in (50, 120, 200, 260):
        curve[i] *= 1.4
    (finding,) = check(cost.check_oscillation, make_run(curve))
    assert finding.severity.label == "info" and finding.evidence["trending_down"]


@pytest.mark.twin("cost-oscillation")
def test_mini_batch_noise_is_not_oscillation():
    rng = np.random.default_rng(1)
    curve = healthy_curve(300) * (1 + 0.3 * rng.random(300))
    batches = [64] * 299 + [40]
    assert check(cost.check_oscillation, make_run(curve, batch=batches)) == []


@pytest.mark.planted("exploding-gradient")
def test_exploding_gradient_names_the_parameter_and_growth():
    norms = {"W1": np.geomspace(1e-2, 1e2, 50), "W2": np.full(50, 0.1)}
    run = make_run(healthy_curve(50), grads=norms)
    run.weights = {k: WeightInit(k, (4, 4), 4, 4, 0.5, 0.0, 1.0, False) for k in norms}
    (finding,) = check(gradients.check_exploding, run)
    assert finding.location.parameter == "W1" and finding.evidence["growth"] == pytest.approx(1e4)


@pytest.mark.twin("exploding-gradient")
def test_stable_gradients_do_not_explode():
    norms = {"W1": np.full(50, 0.3) * (1 + 0.5 * np.sin(np.arange(50)))}
    run = make_run(healthy_curve(50), grads=norms)
    run.weights = {"W1": WeightInit("W1", (4, 4), 4, 4, 0.5, 0.0, 1.0, False)}
    assert check(gradients.check_exploding, run) == []


@pytest.mark.planted("check-inconclusive")
def test_a_broken_check_becomes_a_finding_and_the_others_still_run(monkeypatch):
    def broken(run, ctx):
        raise RuntimeError("boom")

    import nndoctor.checks as checks

    monkeypatch.setattr(checks, "RUN_CHECKS", (broken, *checks.RUN_CHECKS))
    curve = np.r_[np.linspace(0.70, math.log(2), 20), np.full(280, math.log(2))]
    found = {f.rule for f in checks.run_checks(Trace(runs=[make_run(curve)]))}
    assert found == {"check-inconclusive", "cost-plateau"}


@pytest.mark.planted("non-finite")
def test_a_cost_falling_steadily_to_nan_is_log_of_zero_not_the_learning_rate():
    from nndoctor.checks import finite, updates
    from nndoctor.trace import ActivationStats

    curve = np.r_[healthy_curve(60) * np.geomspace(1, 1e-3, 60), [np.nan] * 5]
    run = make_run(curve)
    for it in run.iterations:
        it.activations = [ActivationStats(1, "sigmoid", "sigmoid", 1, 100, 0, 0.9, 0.5, 0.4, 0, 0, 30.0)]
    (finding,) = check(finite.check_non_finite, run)
    assert "log(0)" in finding.message and finding.location.iteration == 60
    assert check(updates.check_learning_rate, run) == []


def test_a_cost_that_spikes_then_turns_nan_is_a_too_high_learning_rate():
    from nndoctor.checks import updates

    curve = np.r_[0.7, 0.5, 0.9, 0.4, 1.5, [np.nan] * 5]
    (finding,) = check(updates.check_learning_rate, make_run(curve))
    assert finding.kind == "too-high" and finding.evidence["non_finite_from"] == 5


def test_nan_outputs_are_not_counted_as_saturated():
    from nndoctor.hooks import _activation_stats, _Site

    site = _Site(lambda z: z, "activation", "sigmoid")
    A = np.full((1, 10), np.nan)
    A[0, :3] = 0.5
    stats = _activation_stats(site, 1, A, None, None)
    assert stats.saturated_fraction == 0.0 and stats.nonfinite == 7
