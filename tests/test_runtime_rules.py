"""Each runtime rule: its planted example fires it at the right place; the correct twin is silent.

The planted bugs are one changed setting of tests/models/course_deep.py, a course-style L-layer
network; the numbers asserted are the field guide's where they carry over to this small net.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from modelkit import rules_of, train_watched

HEALTHY = dict(dims=(20, 8, 5, 1), learning_rate=0.05, iterations=300)


def image_like_data(n_x=1000, m=209, seed=1):
    """Pixel-like inputs in [0, 1] (all positive, correlated across examples), 35% positives: what
    makes a too-high learning rate kill every ReLU of the cat classifier's first layer."""
    rng = np.random.RandomState(seed)
    Y = (rng.rand(1, m) < 0.35).astype(float)
    X = np.clip(0.5 * rng.rand(n_x, 1) + 0.25 * rng.randn(n_x, m) + 0.15 * (Y - 0.5) * rng.randn(n_x, 1), 0, 1)
    return X, Y


@pytest.fixture(scope="module")
def healthy():
    report, doctor, _, costs = train_watched(**HEALTHY)
    return report


@pytest.mark.twin("learning-rate", "init-scale", "vanishing-gradient", "optimizer-update")
def test_healthy_training_gets_no_warning(healthy):
    assert [f for f in healthy.findings if f.severity.label != "info"] == []


@pytest.mark.parametrize("every", [1, 7])
def test_healthy_training_is_silent_with_sampled_statistics(every):
    report, *_ = train_watched(every=every, **HEALTHY)
    assert report.verdict == "pass"


@pytest.mark.planted("symmetric-init")
def test_zero_initialization_is_named_as_symmetric_init():
    report, _, _, costs = train_watched(INIT_SCALE="zeros", **HEALTHY)
    found = rules_of(report)
    (finding,) = found["symmetric-init"]
    assert finding.location.parameter == "W1" and finding.location.function == "initialize_parameters_deep"
    assert finding.evidence["parameters"] == ["W1", "W2"] and finding.evidence["all_zero"]
    # its symptoms are folded into it, not repeated
    assert "zero-gradient" not in found and "cost-plateau" not in found


@pytest.mark.planted("symmetric-init")
def test_zero_initialization_on_balanced_labels_sits_exactly_at_ln2():
    # field-guide case 9: with balanced labels even the output bias gets no gradient
    rng = np.random.RandomState(0)
    X = rng.randn(20, 200)
    Y = np.tile([0.0, 1.0], 100).reshape(1, 200)
    report, _, _, costs = train_watched(INIT_SCALE="zeros", data=(X, Y), **HEALTHY)
    assert costs[0] == costs[-1] == pytest.approx(math.log(2), abs=1e-12)
    (finding,) = rules_of(report)["symmetric-init"]
    assert finding.evidence["cost_plateau"] == pytest.approx(math.log(2))


@pytest.mark.planted("learning-rate")
def test_learning_rate_far_too_high_kills_layer_one():
    # field-guide case 1: a 2-layer net on positive, image-like inputs with learning rate 1
    X, Y = image_like_data()
    n_x = X.shape[0]
    report, _, _, costs = train_watched(INIT_SCALE=0.01, data=(X, Y), dims=(n_x, 7, 1), learning_rate=1.0,
                                        iterations=150)
    found = rules_of(report)
    (finding,) = found["learning-rate"]
    assert finding.kind == "too-high" and finding.severity.label == "error"
    assert finding.location.layer == 1 and finding.location.function == "update_parameters"
    died = finding.location.iteration
    assert tuple(finding.evidence["norm_dW1"][1]) == (died, 0.0)
    assert "learning rate 1 is too high" in finding.message
    assert costs[-1] == costs[100]  # the cost is frozen, as in the field guide
    assert {"dead-relu", "zero-gradient", "cost-plateau"}.isdisjoint(found)  # folded into the cause


@pytest.mark.twin("learning-rate")
def test_the_same_two_layer_net_with_the_course_learning_rate_is_fine():
    X, Y = image_like_data()
    n_x = X.shape[0]
    report, *_ = train_watched(INIT_SCALE=0.01, data=(X, Y), dims=(n_x, 7, 1), learning_rate=0.0075,
                               iterations=150)
    assert [f.rule for f in report.findings if f.severity.label != "info"] == []


@pytest.mark.planted("non-finite", "init-scale")
def test_large_initialization_gives_non_finite_cost_at_iteration_zero_and_init_scale():
    # field-guide case 10: randn * 10
    report, _, _, costs = train_watched(INIT_SCALE=10.0, **HEALTHY)
    found = rules_of(report)
    nonfinite = found["non-finite"][0]
    assert nonfinite.location.iteration == 0 and nonfinite.evidence["where"] == "cost"
    assert "log(0)" in nonfinite.message
    (scale,) = found["init-scale"]
    assert scale.kind == "too-large" and scale.severity.label == "warning"
    assert [d["parameter"] for d in scale.evidence["layers"]] == ["W1", "W2", "W3"]
    assert "learning-rate" not in found


@pytest.mark.planted("learning-rate", "non-finite")
def test_divergence_from_a_high_learning_rate():
    report, *_ = train_watched(**{**HEALTHY, "learning_rate": 3.0})
    found = rules_of(report)
    assert found["learning-rate"][0].kind == "too-high"
    assert found["non-finite"][0].evidence["where"] == "cost"


@pytest.mark.planted("vanishing-gradient", "init-scale")
def test_tiny_initialization_of_a_deep_net_vanishes():
    report, *_ = train_watched(INIT_SCALE=0.01, dims=(20, 10, 10, 10, 10, 1), learning_rate=0.05, iterations=300)
    found = rules_of(report)
    assert found["vanishing-gradient"][0].location.parameter == "W1"
    scale = found["init-scale"][0]
    assert scale.kind == "too-small" and scale.severity.label == "warning"
    assert "cost-plateau" not in found and "learning-rate" not in found


@pytest.mark.planted("learning-rate")
def test_too_low_learning_rate():
    report, *_ = train_watched(**{**HEALTHY, "learning_rate": 1e-5, "iterations": 100})
    (finding,) = rules_of(report)["learning-rate"]
    assert finding.kind == "too-low" and finding.evidence["progress"] < 0.01


@pytest.mark.planted("activation-mismatch")
def test_forward_relu_backward_sigmoid_is_an_activation_mismatch():
    # field-guide case 4
    report, *_ = train_watched(HIDDEN_BACKWARD="sigmoid", **{**HEALTHY, "iterations": 20})
    findings = rules_of(report)["activation-mismatch"]
    assert {f.location.layer for f in findings} == {1, 2}
    assert findings[0].evidence["forward"] == "relu" and findings[0].evidence["backward"] == "sigmoid"
    assert findings[0].location.function == "sigmoid_backward"


@pytest.mark.planted("output-activation")
def test_extra_activation_on_the_output_layer():
    # field-guide case 8
    report, *_ = train_watched(EXTRA_ACTIVATION=True, **{**HEALTHY, "iterations": 20})
    (finding,) = rules_of(report)["output-activation"]
    assert finding.evidence["activation_calls"] == 4 and finding.evidence["weight_layers"] == 3


@pytest.mark.planted("output-activation")
def test_relu_output_under_cross_entropy():
    report, *_ = train_watched(OUTPUT_ACTIVATION="relu", **{**HEALTHY, "iterations": 20})
    (finding,) = rules_of(report)["output-activation"]
    assert finding.evidence["output_activation"] == "relu"


@pytest.mark.planted("activation-derivative")
def test_wrong_sigmoid_derivative_helper():
    # field-guide case 3
    report, *_ = train_watched(SIGMOID_DERIVATIVE_BUG=True, **{**HEALTHY, "iterations": 20})
    (finding,) = rules_of(report)["activation-derivative"]
    assert finding.location.function == "sigmoid_backward"
    assert finding.evidence["layers"] == [3]


@pytest.mark.planted("parameters-not-updated")
def test_ignored_update_result():
    report, *_ = train_watched(KEEP_UPDATE=False, **{**HEALTHY, "iterations": 20})
    (finding,) = rules_of(report)["parameters-not-updated"]
    assert "never used" in finding.message and finding.location.function == "update_parameters"


CORRECT_HELPERS_SILENT = ("activation-mismatch", "output-activation", "activation-derivative", "parameters-not-updated",
                          "symmetric-init", "non-finite", "dead-relu", "saturated-activation")


@pytest.mark.twin(*CORRECT_HELPERS_SILENT)
def test_correct_helpers_and_layers_raise_nothing(healthy):
    found = rules_of(healthy)
    for rule in CORRECT_HELPERS_SILENT:
        assert rule not in found


def _softmax_report(every=1, **settings):
    from modelkit import load_model

    import nndoctor

    module = load_model("softmax_minibatch", **settings)
    doctor = nndoctor.Doctor(every=every).watch(module)
    x, y = module.get_data()
    module.fit(x, y, lr=0.1)
    return doctor.report()


@pytest.mark.twin("initial-cost", "saturated-activation")
def test_softmax_tanh_minibatch_network_is_silent():
    report = _softmax_report()
    assert report.findings == []
    assert report.sections["training"]["runs"][0]["layers"] == {"1": "tanh", "2": "softmax"}


@pytest.mark.planted("saturated-activation")
def test_tanh_units_started_in_their_tails_stay_saturated():
    # b1 = 5: tanh(z1) beyond +-0.99 for most examples from the start, where its slope is almost 0;
    # the weights are Xavier-scaled, so no init-scale finding takes its place
    (finding,) = rules_of(_softmax_report(HIDDEN_BIAS=5.0))["saturated-activation"]
    assert finding.location.layer == 1 and finding.evidence["activation"] == "tanh"
    assert finding.evidence["saturated_fraction"] > 0.9 and finding.severity.label == "warning"


@pytest.mark.planted("initial-cost")
def test_cost_averaged_over_classes_too():
    # field-guide case 5: -np.mean(y * np.log(out + 1e-9)) with C = 4 classes
    (finding,) = rules_of(_softmax_report(COST_SCALE="mean-over-classes"))["initial-cost"]
    assert finding.evidence["classes"] == 4 and finding.severity.label == "warning"
    assert "4 times" in finding.message


def _class_net_report(mismatch):
    from modelkit import load_model

    import nndoctor

    module = load_model("class_net", MISMATCH=mismatch)
    doctor = nndoctor.Doctor().watch(module.Network)
    X, Y = module.load_data()
    module.Network([4, 8, 1]).train(X, Y)
    doctor.unwatch()
    return doctor


@pytest.mark.planted("activation-mismatch")
def test_class_based_forward_relu_backward_sigmoid():
    # field-guide case 4, as a class: forward(self, X, activation="relu") vs self.activation
    doctor = _class_net_report(mismatch=True)
    roles = {name: site.role for name, site in doctor.trace.sites.items()}
    assert roles["Network.forward"] == "forward" and roles["Network.step"] == "update"
    assert roles["Network.train"] == "other" and roles["Network.relu"] == "activation"
    (finding,) = rules_of(doctor.report())["activation-mismatch"]
    assert finding.location.layer == 1 and finding.location.function == "Network.sigmoid_derivative"
    assert (finding.evidence["forward"], finding.evidence["backward"]) == ("relu", "sigmoid")


@pytest.mark.twin("activation-mismatch")
def test_class_based_twin_is_silent():
    doctor = _class_net_report(mismatch=False)
    assert doctor.report().findings == []
    assert doctor.trace.runs[0].layer_kinds() == {1: "sigmoid", 2: "sigmoid"}


@pytest.mark.parametrize("learning_rate, every", [
    pytest.param(1.0, 1, id="learning_rate_1-every_1", marks=pytest.mark.planted("learning-rate")),
    pytest.param(1.0, 10, id="learning_rate_1-every_10", marks=pytest.mark.planted("learning-rate")),
    pytest.param(0.0075, 1, id="learning_rate_0.0075-every_1-twin", marks=pytest.mark.twin("learning-rate")),
])
def test_course_two_layer_loop_without_forward_or_backward_functions(learning_rate, every):
    # the course's two_layer_model writes its steps inline: the update call ends each iteration
    import warnings

    from modelkit import load_model

    import nndoctor

    module = load_model("course_deep", INIT_SCALE=0.01)
    doctor = nndoctor.Doctor(every=every).watch(module)
    X, Y = image_like_data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        _, costs = module.two_layer_model(X, Y, [X.shape[0], 7, 1], learning_rate=learning_rate, num_iterations=150)
    run = doctor.trace.runs[0]
    assert len(run.completed) == 150 and [it.cost for it in run.completed] == costs
    assert run.layer_kinds() == {1: "relu", 2: "sigmoid"} and set(run.weights) == {"W1", "W2"}
    found = rules_of(doctor.report())
    if learning_rate == 1.0:
        (finding,) = found["learning-rate"]
        assert finding.kind == "too-high" and finding.location.layer == 1
    else:
        assert [r for r, fs in found.items() if any(f.severity.label != "info" for f in fs)] == []


@pytest.mark.twin("cost-oscillation")
@pytest.mark.parametrize("every", [1, 10])
def test_mini_batch_costs_with_equal_batches_are_not_oscillation(every):
    from modelkit import load_model

    import nndoctor

    module = load_model("softmax_minibatch")
    doctor = nndoctor.Doctor(every=every).watch(module)
    x, y = module.get_data(m=640)  # ten batches of exactly 64: every batch has the same size
    module.fit(x, y, lr=0.1)
    assert [f.rule for f in doctor.report().findings if f.severity.label != "info"] == []


@pytest.mark.planted("optimizer-update")
def test_update_with_the_wrong_sign_is_named_as_such():
    report, *_ = train_watched(UPDATE_SIGN=+1, **{**HEALTHY, "iterations": 100})
    found = rules_of(report)
    (finding,) = found["optimizer-update"]
    assert finding.kind == "sign" and finding.location.function == "update_parameters"
    assert all(c < -0.99 for c in finding.evidence["cosine"].values())
    assert "learning-rate" not in found and "cost-divergence" not in found


@pytest.mark.planted("dead-relu")
def test_a_layer_dead_from_the_start_is_one_error_per_dead_layer():
    report, *_ = train_watched(FIRST_BIAS=-100.0, **{**HEALTHY, "iterations": 100})
    found = rules_of(report)
    assert set(found) == {"dead-relu"}
    assert [f.location.layer for f in found["dead-relu"]] == [1, 2]
    assert all(f.severity.label == "error" and f.evidence["dead_units"] == f.evidence["units"]
               for f in found["dead-relu"])


@pytest.mark.parametrize("placeholder", [
    pytest.param(True, id="zero_gradient", marks=pytest.mark.planted("zero-gradient")),
    pytest.param(False, id="twin-zero_gradient", marks=pytest.mark.twin("zero-gradient")),
])
def test_a_gradient_never_filled_in_is_exactly_zero(placeholder):
    # dW1 = np.zeros_like(W1) left in the backward: without the gradient check (a trace, or
    # check_gradients=False) the recorded norms are all there is, and ||dW1|| is 0.0 at every iteration
    report, *_ = train_watched(DW1_PLACEHOLDER=placeholder, check_gradients=False, **{**HEALTHY, "iterations": 50})
    found = rules_of(report)
    if not placeholder:
        assert [f.rule for f in report.findings if f.severity.label != "info"] == []
        return
    (finding,) = found["zero-gradient"]
    assert finding.location.parameter == "W1" and finding.evidence["parameters"] == ["W1"]
    assert finding.evidence["iteration"] == 0 and "at every iteration" in finding.message
    # with the gradient check, the cause is named instead: the backward never fills dW1
    report, *_ = train_watched(DW1_PLACEHOLDER=True, **{**HEALTHY, "iterations": 50})
    (mismatch,) = rules_of(report)["gradient-mismatch"]
    assert mismatch.location.parameter == "W1" and "zero-gradient" not in rules_of(report)


@pytest.mark.twin("symmetric-init")
def test_a_zero_output_layer_is_not_symmetric():
    report = _softmax_report(ZERO_OUTPUT=True)
    assert "symmetric-init" not in rules_of(report)


@pytest.mark.twin("initial-cost")
def test_a_regression_has_no_initial_cost_reference():
    import nndoctor

    doctor = nndoctor.Doctor()
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3, 50))
    y = 40.0 + 10 * X[:1]  # real-valued targets: squared error starts far above ln 2, as it should
    params = {"W1": rng.standard_normal((1, 3)) * 0.5, "b1": np.zeros((1, 1))}

    @doctor.forward
    def forward(X, p):
        return p["W1"] @ X + p["b1"]

    @doctor.cost
    def mse(out, y):
        return float(np.mean((out - y) ** 2))

    for _ in range(30):
        out = forward(X, params)
        mse(out, y)
    assert "initial-cost" not in rules_of(doctor.report())


@pytest.mark.planted("unnormalized-input")
def test_the_doctor_checks_the_data_it_sees():
    X, Y = load_model_data()
    report, *_ = train_watched(data=(X * 255 + 128, Y), **{**HEALTHY, "iterations": 30})
    found = rules_of(report)
    assert found["unnormalized-input"][0].kind in ("large-scale", "pixels")


@pytest.mark.twin("unnormalized-input", "label-format")
def test_normalized_data_gets_no_data_finding(healthy):
    assert "unnormalized-input" not in rules_of(healthy) and "label-format" not in rules_of(healthy)


def load_model_data():
    from modelkit import load_model

    return load_model("course_deep").load_data()
