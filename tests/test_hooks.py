"""The hooks: watching must not change the user's program, and must record what it did."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from modelkit import load_model, rules_of, train_watched

import nndoctor


def test_watching_changes_nothing_the_program_computes():
    plain = load_model("course_deep")
    X, Y = plain.load_data()
    _, costs_plain = plain.L_layer_model(X, Y, [20, 8, 5, 1], learning_rate=0.05, num_iterations=50)
    _, _, _, costs_watched = train_watched(iterations=50)
    assert costs_watched == costs_plain  # bit for bit


def test_watch_and_unwatch_restore_the_module():
    module = load_model("course_deep")
    originals = {name: getattr(module, name) for name in ("L_model_forward", "relu", "compute_cost")}
    doctor = nndoctor.Doctor().watch(module)
    assert module.L_model_forward is not originals["L_model_forward"]
    assert inspect.signature(module.L_model_forward) == inspect.signature(originals["L_model_forward"])
    doctor.unwatch()
    for name, func in originals.items():
        assert getattr(module, name) is func


def test_recognizing_functions_leaves_numpy_random_state_alone():
    np.random.seed(123)
    expected = np.random.rand(3)
    np.random.seed(123)
    with nndoctor.Doctor().watch(load_model("course_deep")):
        pass
    assert np.array_equal(np.random.rand(3), expected)


def test_roles_are_recognized_from_data_flow():
    _, doctor, _, _ = train_watched(iterations=5)
    roles = {name: site.role for name, site in doctor.trace.sites.items()}
    assert roles["L_model_forward"] == "forward"
    assert roles["compute_cost"] == "cost"
    assert roles["L_model_backward"] == "backward"
    assert roles["update_parameters"] == "update"
    assert roles["initialize_parameters_deep"] == "init"
    assert roles["relu"] == "activation" and roles["sigmoid"] == "activation"
    assert roles["relu_backward"] == "derivative" and roles["sigmoid_backward"] == "derivative"


def test_one_iteration_per_training_step_with_cost_and_layers():
    report, doctor, _, costs = train_watched(iterations=12)
    (run,) = doctor.trace.runs if len(doctor.trace.runs) == 1 else [r for r in doctor.trace.runs if r.completed]
    assert [it.index for it in run.completed] == list(range(12))
    assert [it.cost for it in run.completed] == costs
    assert run.learning_rate == 0.05
    assert run.examples == 200 and run.example_axis == 1
    assert run.layer_kinds() == {1: "relu", 2: "relu", 3: "sigmoid"}
    assert set(run.completed[0].grads) == {"W1", "b1", "W2", "b2", "W3", "b3"}
    assert report.sections["training"]["iterations"] == 12


def test_sampled_statistics_keep_the_cost_of_every_iteration():
    _, doctor, _, costs = train_watched(iterations=30, every=10)
    run = doctor.trace.runs[0]
    assert [it.cost for it in run.completed] == costs
    assert [it.index for it in run.sampled()] == [0, 1, 10, 20]
    assert not run.completed[5].grads and not run.completed[5].activations


def test_each_call_of_the_training_function_is_its_own_run():
    module = load_model("course_deep")
    doctor = nndoctor.Doctor().watch(module)
    X, Y = module.load_data()
    module.L_layer_model(X, Y, [20, 8, 1], learning_rate=0.05, num_iterations=5)
    module.predict(X, module.initialize_parameters_deep([20, 8, 1]))
    module.L_layer_model(X, Y, [20, 8, 1], learning_rate=0.1, num_iterations=7)
    runs = [r for r in doctor.trace.runs if r.completed]
    assert [len(r.completed) for r in runs] == [5, 7]
    assert runs[0].label != runs[1].label and "learning_rate=0.1" in runs[1].label
    assert [r.learning_rate for r in runs] == [0.05, 0.1]


def test_decorators_keep_name_docstring_signature_and_result():
    doctor = nndoctor.Doctor()

    def forward(X, parameters, keep_prob=1.0):
        """Forward pass."""
        return parameters["W1"] @ X

    wrapped = doctor.forward(forward)
    assert wrapped.__name__ == "forward" and wrapped.__doc__ == "Forward pass."
    assert inspect.signature(wrapped) == inspect.signature(forward)
    params = {"W1": np.ones((2, 3))}
    X = np.arange(6.0).reshape(3, 2)
    assert np.array_equal(wrapped(X, params), forward(X, params))


@pytest.mark.planted("user-code-error")
def test_exceptions_pass_through_unchanged_and_become_a_finding():
    doctor = nndoctor.Doctor()
    failure = ValueError("shapes (3,5) and (4,5) not aligned")

    @doctor.backward
    def backward(AL, Y, caches):
        raise failure

    with pytest.raises(ValueError) as caught:
        backward(np.zeros((1, 3)), np.zeros((1, 3)), [])
    assert caught.value is failure
    report = doctor.report()
    (finding,) = rules_of(report)["user-code-error"]
    assert finding.location.function.endswith("backward")
    assert finding.location.line is not None and "not aligned" in finding.message


def _row_major_net(doctor, dead_units):
    """A row-major (m, n) network with explicit decorators; `dead_units` hidden units never fire."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 5))
    Y = (X[:, :1] > 0).astype(float)
    params = {"w1": rng.standard_normal((5, 6)) * 0.6, "b1": np.zeros((1, 6)),
              "w2": rng.standard_normal((6, 1)) * 0.4, "b2": np.zeros((1, 1))}
    params["b1"][0, :dead_units] = -100.0  # these units are off for every example

    relu = doctor.activation(lambda z: np.maximum(0, z), kind="relu")
    sigmoid = doctor.activation(lambda z: 1 / (1 + np.exp(-z)), kind="sigmoid")

    @doctor.forward
    def forward(x, p):
        h = relu(x @ p["w1"] + p["b1"])
        return sigmoid(h @ p["w2"] + p["b2"]), h

    @doctor.cost
    def cost(out, y):
        return float(-np.mean(y * np.log(out) + (1 - y) * np.log(1 - out)))

    @doctor.backward
    def backward(x, y, out, h, p):
        dz2 = (out - y) / len(x)
        dh = dz2 @ p["w2"].T * (h > 0)
        return {"dw1": x.T @ dh, "db1": dh.sum(0, keepdims=True), "dw2": h.T @ dz2, "db2": dz2.sum(0, keepdims=True)}

    @doctor.update
    def update(p, g, learning_rate):
        return {k: p[k] - learning_rate * g["d" + k] for k in p}

    for _ in range(40):
        out, h = forward(X, params)
        cost(out, Y)
        grads = backward(X, Y, out, h, params)
        params = update(params, grads, 0.1)
    return doctor


@pytest.mark.planted("dead-relu")
def test_row_major_layout_is_inferred_from_the_data():
    doctor = _row_major_net(nndoctor.Doctor(), dead_units=4)
    run = doctor.trace.runs[0]
    assert run.example_axis == 0 and run.examples == 64
    layer1 = run.completed[0].activations[0]
    assert (layer1.units, layer1.examples, layer1.dead_units) == (6, 64, 4)
    assert run.weights["w1"].fan_in == 5 and run.weights["w1"].units == 6
    dead = rules_of(doctor.report())["dead-relu"]
    assert dead[0].location.layer == 1 and dead[0].evidence["dead_units"] == 4


@pytest.mark.twin("dead-relu")
def test_row_major_healthy_twin_is_silent():
    report = _row_major_net(nndoctor.Doctor(), dead_units=0).report()
    assert "dead-relu" not in rules_of(report)


@pytest.mark.planted("unexpected-output")
def test_forward_returning_nothing_still_gives_a_report():
    doctor = nndoctor.Doctor()

    @doctor.forward
    def forward(X, parameters):
        return None

    forward(np.ones((3, 4)), {"W1": np.random.default_rng(0).standard_normal((2, 3))})
    report = doctor.report()
    assert report.verdict in ("pass", "warn", "fail")
    assert "unexpected-output" in rules_of(report)


@pytest.mark.planted("non-finite")
def test_nan_everywhere_from_the_start_is_named_at_iteration_zero():
    report, *_ = train_watched(iterations=20, INIT_SCALE=np.nan)
    finding = rules_of(report)["non-finite"][0]
    assert finding.location.iteration == 0
    assert finding.evidence["where"] == "parameter"


def test_max_iterations_bounds_what_is_stored():
    module = load_model("course_deep")
    doctor = nndoctor.Doctor(max_iterations=10).watch(module)
    X, Y = module.load_data()
    module.L_layer_model(X, Y, [20, 4, 1], num_iterations=40)
    assert len(doctor.trace.runs[0].completed) == 10


def _doubled_dW1(module):
    """A planted bug, written into the module itself: the backward returns twice the first layer's
    weight gradient (nothing else shows it: the training still converges)."""
    module.right_backward = module.L_model_backward
    exec("def L_model_backward(AL, Y, caches):\n"
         "    grads = right_backward(AL, Y, caches)\n"
         "    grads['dW1'] = 2 * grads['dW1']\n"
         "    return grads\n", module.__dict__)
    return module


@pytest.mark.parametrize("check", [True, False])
def test_watch_replays_the_first_step_as_a_gradient_check_unless_turned_off(check):
    module = _doubled_dW1(load_model("course_deep"))
    doctor = nndoctor.Doctor(check_gradients=check).watch(module)
    X, Y = module.load_data()
    module.L_layer_model(X, Y, [20, 8, 5, 1], learning_rate=0.05, num_iterations=60)
    report = doctor.report()
    doctor.unwatch()
    wrong = [f for f in report.findings if f.rule == "gradient-mismatch"]
    if check:
        assert [(f.location.parameter, f.kind, f.severity.label) for f in wrong] == [("W1", "scale", "error")]
        assert report.sections["gradient_check"]["parameters"]["W2"]["status"] == "ok"
    else:
        assert wrong == [] and "gradient_check" not in report.sections


def test_the_gradient_check_of_watch_leaves_parameters_and_random_state_alone():
    module = load_model("course_deep")
    doctor = nndoctor.Doctor().watch(module)
    X, Y = module.load_data()
    params, _ = module.L_layer_model(X, Y, [20, 8, 5, 1], learning_rate=0.05, num_iterations=40)
    saved = {k: v.copy() for k, v in params.items()}
    state = np.random.get_state()
    report = doctor.report()
    doctor.unwatch()
    assert report.sections["gradient_check"]["verdict"] == "pass"
    assert all(np.array_equal(params[k], saved[k]) for k in saved)
    after = np.random.get_state()
    assert np.array_equal(state[1], after[1]) and state[2:] == after[2:]
