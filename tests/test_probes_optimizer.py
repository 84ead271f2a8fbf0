"""The update probe (nndoctor.probes.probe_update): planted optimizer mistakes are named with the
right kind and numbers, correct updates are silent, bad input gives a clear finding."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from nndoctor.probes import UpdateSignature, looks_like_update, probe_functions, probe_update

# ---------------------------------------------------------------------------------------------
# course-style update functions, right and wrong


def update_parameters_with_gd(parameters, grads, learning_rate):
    L = len(parameters) // 2
    for l in range(1, L + 1):
        parameters["W" + str(l)] = parameters["W" + str(l)] - learning_rate * grads["dW" + str(l)]
        parameters["b" + str(l)] = parameters["b" + str(l)] - learning_rate * grads["db" + str(l)]
    return parameters


def gd_plus(parameters, grads, learning_rate):
    for key in parameters:
        parameters[key] += learning_rate * grads["d" + key]  # in place, returns None


def update_parameters_with_momentum(parameters, grads, v, beta, learning_rate):
    L = len(parameters) // 2
    for l in range(1, L + 1):
        for p in ("W", "b"):
            k = "d" + p + str(l)
            v[k] = beta * v[k] + (1 - beta) * grads[k]
            parameters[p + str(l)] = parameters[p + str(l)] - learning_rate * v[k]
    return parameters, v


def momentum_not_carried(parameters, grads, v, beta, learning_rate):
    for key in parameters:
        v_new = beta * v["d" + key] + (1 - beta) * grads["d" + key]
        parameters[key] = parameters[key] - learning_rate * v_new
    return parameters, v


def momentum_swapped(parameters, grads, v, beta, learning_rate):
    for key in parameters:
        v["d" + key] = (1 - beta) * v["d" + key] + beta * grads["d" + key]
        parameters[key] = parameters[key] - learning_rate * v["d" + key]
    return parameters, v


def momentum_pytorch_style(parameters, grads, v, beta, learning_rate):
    for key in parameters:
        v["d" + key] = beta * v["d" + key] + grads["d" + key]
        parameters[key] = parameters[key] - learning_rate * v["d" + key]
    return parameters, v


def momentum_uses_gradient(parameters, grads, v, beta, learning_rate):
    for key in parameters:
        v["d" + key] = beta * v["d" + key] + (1 - beta) * grads["d" + key]
        parameters[key] = parameters[key] - learning_rate * grads["d" + key]
    return parameters, v


def update_parameters_with_rmsprop(parameters, grads, s, beta, learning_rate, epsilon):
    for key in parameters:
        s["d" + key] = beta * s["d" + key] + (1 - beta) * grads["d" + key] ** 2
        parameters[key] = parameters[key] - learning_rate * grads["d" + key] / (np.sqrt(s["d" + key]) + epsilon)
    return parameters, s


def make_adam(correct_v=True, correct_s=True, feed_back=False, eps="outside", carry=True, sign=-1, t_shift=0,
              exchange=False):
    def update_parameters_with_adam(parameters, grads, v, s, t, learning_rate=0.01, beta1=0.9, beta2=0.999,
                                    epsilon=1e-8):
        if not carry:
            v = {k: np.zeros_like(x) for k, x in v.items()}
            s = {k: np.zeros_like(x) for k, x in s.items()}
        b1, b2 = (beta2, beta1) if exchange else (beta1, beta2)
        tt = t + t_shift
        v_corrected, s_corrected = {}, {}
        for key in parameters:
            k = "d" + key
            v[k] = b1 * v[k] + (1 - b1) * grads[k]
            s[k] = b2 * s[k] + (1 - b2) * np.square(grads[k])
            v_corrected[k] = v[k] / (1 - b1 ** tt) if correct_v else v[k]
            s_corrected[k] = s[k] / (1 - b2 ** tt) if correct_s else s[k]
            if feed_back:
                v[k], s[k] = v_corrected[k], s_corrected[k]
            if eps == "outside":
                denom = np.sqrt(s_corrected[k]) + epsilon
            elif eps == "inside":
                denom = np.sqrt(s_corrected[k] + epsilon)
            else:
                denom = np.sqrt(s_corrected[k])
            parameters[key] = parameters[key] + sign * learning_rate * v_corrected[k] / denom
        return parameters, v, s, v_corrected, s_corrected
    return update_parameters_with_adam


def adam_efficient(parameters, grads, v, s, t, learning_rate=0.01, beta1=0.9, beta2=0.999, epsilon=1e-8):
    """The paper's 'efficient' form: the correction folded into the step size."""
    lr_t = learning_rate * np.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
    for key in parameters:
        k = "d" + key
        v[k] = beta1 * v[k] + (1 - beta1) * grads[k]
        s[k] = beta2 * s[k] + (1 - beta2) * grads[k] ** 2
        parameters[key] = parameters[key] - lr_t * v[k] / (np.sqrt(s[k]) + epsilon)
    return parameters, v, s


def adam_lowercase_m_v(params, grads, m, v, t, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    """Lowercase keys, first moment called m, state keyed like the parameters."""
    for key in params:
        g = grads["d" + key]
        m[key] = beta1 * m[key] + (1 - beta1) * g
        v[key] = beta2 * v[key] + (1 - beta2) * g * g
        params[key] = params[key] - lr * (m[key] / (1 - beta1 ** t)) / (np.sqrt(v[key] / (1 - beta2 ** t)) + eps)
    return params, m, v


class AdamOptimizer:
    def __init__(self, lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.m, self.v, self.t = {}, {}, 0

    def update(self, params, grads):
        self.t += 1
        for k in params:
            g = grads["d" + k]
            self.m[k] = self.beta1 * self.m.get(k, 0) + (1 - self.beta1) * g
            self.v[k] = self.beta2 * self.v.get(k, 0) + (1 - self.beta2) * g * g
            m_hat = self.m[k] / (1 - self.beta1 ** self.t)
            v_hat = self.v[k] / (1 - self.beta2 ** self.t)
            params[k] -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
        return params


def kinds(findings):
    return [(f.rule, f.kind, f.severity.label) for f in findings]


# ---------------------------------------------------------------------------------------------
# correct updates are silent


@pytest.mark.twin("optimizer-update")
@pytest.mark.parametrize("func", [
    update_parameters_with_gd, update_parameters_with_momentum, update_parameters_with_rmsprop, make_adam(),
    adam_efficient, adam_lowercase_m_v,
], ids=lambda f: f.__name__)
def test_correct_updates_give_no_finding(func):
    assert probe_update(func) == []


def test_momentum_with_bias_correction_is_also_correct():
    def update_parameters_with_momentum(parameters, grads, v, beta, learning_rate, t):
        for key in parameters:
            v["d" + key] = beta * v["d" + key] + (1 - beta) * grads["d" + key]
            parameters[key] = parameters[key] - learning_rate * v["d" + key] / (1 - beta ** t)
        return parameters, v
    assert probe_update(update_parameters_with_momentum) == []


def test_a_one_state_function_whose_name_says_nothing_may_be_rmsprop():
    def update_parameters(parameters, grads, v, beta, learning_rate):
        for key in parameters:
            v["d" + key] = beta * v["d" + key] + (1 - beta) * grads["d" + key] ** 2
            parameters[key] = parameters[key] - learning_rate * grads["d" + key] / (np.sqrt(v["d" + key]) + 1e-8)
        return parameters, v
    assert probe_update(update_parameters) == []


def test_an_optimizer_object_is_probed_on_a_copy():
    opt = AdamOptimizer()
    assert probe_update(opt.update) == []
    assert opt.t == 0 and opt.m == {} and opt.v == {}


def test_lowercase_keys_and_a_learning_rate_read_from_the_module():
    namespace = {"np": np, "learning_rate": 0.0123}
    exec("def update(params, grads):\n"
         "    for k in params:\n"
         "        params[k] = params[k] - learning_rate * grads['d' + k]\n"
         "    return params\n", namespace)
    assert probe_update(namespace["update"]) == []
    wrong = {"np": np, "lr": 0.3}
    exec("def update_parameters(parameters, grads):\n"
         "    for k in parameters:\n"
         "        parameters[k] = parameters[k] + lr * grads['d' + k]\n"
         "    return parameters\n", wrong)
    (f,) = probe_update(wrong["update_parameters"])
    assert f.kind == "sign" and f.evidence["hyperparameters"]["learning_rate"] == pytest.approx(0.3)


# ---------------------------------------------------------------------------------------------
# planted mistakes


@pytest.mark.planted("optimizer-update")
def test_wrong_sign_in_place():
    (f,) = probe_update(gd_plus)
    assert (f.rule, f.kind, f.severity.label) == ("optimizer-update", "sign", "error")
    ev = f.evidence
    assert ev["optimizer"] == "gd" and ev["t"] == 1
    assert ev["actual_step"] == pytest.approx(-ev["expected_step"])
    assert ev["expected_step"] == pytest.approx(-0.05 * ev["gradient"])
    assert f.location.function == "gd_plus" and f.location.line is not None and f.location.parameter == "W1"
    assert "learning_rate" in f.fix


@pytest.mark.planted("optimizer-update")
def test_adam_without_bias_correction():
    (f,) = probe_update(make_adam(correct_v=False, correct_s=False))
    assert (f.kind, f.severity.label) == ("bias-correction", "error")
    ev = f.evidence
    assert ev["t"] == 1 and ev["problem"] == "correction-missing"
    assert ev["corrected"] == {"v": "none", "s": "none"}
    # the first step is 0.1 / sqrt(0.001) = 3.16 times Adam's
    assert ev["actual_step"] / ev["expected_step"] == pytest.approx(0.1 / np.sqrt(0.001), rel=1e-4)
    assert ev["expected"] == pytest.approx(ev["before"] + ev["expected_step"])
    assert ev["actual"] == pytest.approx(ev["before"] + ev["actual_step"])
    assert ev["implements"] == "Adam without bias correction"
    assert "1 - beta1 ** t" in f.fix


def test_adam_with_only_one_correction_missing():
    (f,) = probe_update(make_adam(correct_s=False))
    assert f.kind == "bias-correction" and f.evidence["corrected"] == {"v": "proper", "s": "none"}


def test_corrected_value_fed_back_into_the_state():
    (f,) = probe_update(make_adam(feed_back=True))
    assert (f.kind, f.evidence["problem"]) == ("bias-correction", "correction-fed-back")
    assert f.evidence["t"] == 2  # the first step is right; the second averages a corrected value

    def momentum_fed_back(parameters, grads, v, beta, learning_rate, t):
        for key in parameters:
            v["d" + key] = (beta * v["d" + key] + (1 - beta) * grads["d" + key]) / (1 - beta ** t)
            parameters[key] = parameters[key] - learning_rate * v["d" + key]
        return parameters, v
    (f,) = probe_update(momentum_fed_back)
    assert f.kind == "bias-correction" and f.evidence["optimizer"] == "momentum"


def test_epsilon_inside_the_square_root_is_info_only():
    (f,) = probe_update(make_adam(eps="inside"))
    assert (f.kind, f.severity.label) == ("epsilon", "info")
    assert abs(f.evidence["gradient"]) < 1e-6  # shown on an entry whose gradient is below sqrt(epsilon)

    def rms_inside(parameters, grads, s, beta, learning_rate, epsilon):
        for key in parameters:
            s["d" + key] = beta * s["d" + key] + (1 - beta) * grads["d" + key] ** 2
            parameters[key] = parameters[key] - learning_rate * grads["d" + key] / np.sqrt(s["d" + key] + epsilon)
        return parameters, s
    assert kinds(probe_update(rms_inside)) == [("optimizer-update", "epsilon", "info")]


def test_epsilon_missing_is_a_warning():
    (f,) = probe_update(make_adam(eps="none"))
    assert (f.kind, f.severity.label, f.evidence["problem"]) == ("epsilon", "warning", "epsilon-missing")


@pytest.mark.planted("optimizer-update")
def test_state_not_carried_over():
    (f,) = probe_update(momentum_not_carried)
    assert (f.kind, f.severity.label) == ("state", "error")
    ev = f.evidence
    assert ev["t"] == 2 and ev["optimizer"] == "momentum"
    # what it took is the step of a velocity restarted from zero: learning_rate * (1 - beta) * g
    assert ev["actual_step"] == pytest.approx(-0.05 * 0.1 * ev["gradient"])
    (f,) = probe_update(make_adam(carry=False))
    assert f.kind == "state" and f.evidence["optimizer"] == "adam"


def test_several_mistakes_each_get_their_finding():
    found = probe_update(make_adam(correct_v=False, correct_s=False, eps="inside", sign=1))
    assert [f.kind for f in found] == ["sign", "bias-correction", "epsilon"]
    assert [f.severity.label for f in found] == ["error", "error", "info"]


@pytest.mark.parametrize("func, problem, severity", [
    (momentum_swapped, "swapped-beta", "error"),
    (make_adam(exchange=True), "exchanged-betas", "error"),
    (momentum_pytorch_style, "no-one-minus-beta", "info"),
    (make_adam(t_shift=1), "t-shift", "warning"),
], ids=["swapped", "exchanged", "pytorch-momentum", "t-plus-one"])
def test_other_variants(func, problem, severity):
    (f,) = probe_update(func)
    assert (f.evidence["problem"], f.severity.label) == (problem, severity)
    assert f.kind == ("bias-correction" if problem == "t-shift" else "other")


def test_state_never_used_says_which_optimizer_it_is():
    (f,) = probe_update(momentum_uses_gradient)
    assert (f.kind, f.severity.label) == ("other", "warning")
    assert f.evidence["optimizer"] == "momentum" and f.evidence["implements"] == "gradient descent"
    assert "v never used" in f.message


def test_an_unknown_rule_is_a_warning_with_numbers():
    def update_parameters(parameters, grads, learning_rate):
        for key in parameters:
            parameters[key] = parameters[key] - learning_rate * np.tanh(grads["d" + key])
        return parameters
    (f,) = probe_update(update_parameters)
    assert (f.kind, f.severity.label, f.evidence["problem"]) == ("other", "warning", "unrecognized")
    assert f.evidence["expected_step"] != pytest.approx(f.evidence["actual_step"])


# ---------------------------------------------------------------------------------------------
# bad input: a clear finding, never a traceback


def test_unexpected_signature():
    def update_parameters(a, b, c, d, e, f, g2, h, i2, j2):
        pass
    (f,) = probe_update(update_parameters)
    assert (f.rule, f.severity.label) == ("check-inconclusive", "info")
    assert looks_like_update(update_parameters) is None


def test_a_function_that_raises():
    def update_parameters(parameters, grads, learning_rate):
        return parameters["W1"] / undefined_name  # noqa: F821
    (f,) = probe_update(update_parameters)
    assert f.rule == "user-code-error" and f.evidence["exception"] == "NameError"
    assert f.location.file.endswith("test_probes_optimizer.py") and f.location.line is not None


def test_returns_none_and_changes_nothing():
    def update_parameters(parameters, grads, learning_rate):
        for key in parameters:
            p = parameters[key]
            p = p - learning_rate * grads["d" + key]  # noqa: F841
    (f,) = probe_update(update_parameters)
    assert f.rule == "parameters-not-updated"


def test_returns_an_array():
    def update_parameters(parameters, grads, learning_rate):
        return np.zeros(3)
    (f,) = probe_update(update_parameters)
    assert f.rule == "unexpected-output"


def test_keys_it_cannot_be_given():
    def update_parameters(parameters, grads, learning_rate):
        parameters["layer1.weight"] -= learning_rate * grads["layer1.weight"]
        return parameters
    (f,) = probe_update(update_parameters)
    assert f.rule == "check-inconclusive" and "layer1.weight" in f.message


# ---------------------------------------------------------------------------------------------
# signatures


def test_signatures_are_recognized():
    assert looks_like_update(update_parameters_with_gd).optimizer == "gd"
    assert looks_like_update(update_parameters_with_momentum).optimizer == "momentum"
    assert looks_like_update(update_parameters_with_rmsprop).optimizer == "rmsprop"
    sig = looks_like_update(make_adam())
    assert isinstance(sig, UpdateSignature) and sig.optimizer == "adam" and sig.state == ("v", "s")
    sig = looks_like_update(adam_lowercase_m_v)
    assert sig.roles["v"] == "m" and sig.roles["s"] == "v" and sig.roles["learning_rate"] == "lr"
    assert looks_like_update(AdamOptimizer().update).optimizer == "adam"


@pytest.mark.parametrize("source", [
    "def forward_propagation(X, parameters): pass",
    "def backward_propagation(parameters, cache, X, Y): pass",
    "def compute_cost_with_regularization(A3, Y, parameters, lambd): pass",
    "def initialize_adam(parameters): pass",
    "def linear_forward(A, W, b): pass",
    "def relu_backward(dA, cache): pass",
    "def predict(X, y, parameters): pass",
    "def random_mini_batches(X, Y, mini_batch_size=64, seed=0): pass",
])
def test_other_functions_are_not_update_steps(source):
    namespace: dict = {}
    exec(source, namespace)
    func = next(v for k, v in namespace.items() if k != "__builtins__")
    assert looks_like_update(func) is None


def test_probe_functions_picks_the_update_steps():
    found = probe_functions({"update_parameters_with_gd": update_parameters_with_gd, "gd_plus": gd_plus,
                             "np": np, "momentum_not_carried": momentum_not_carried})
    assert sorted(f.kind for f in found) == ["sign", "state"]


# ---------------------------------------------------------------------------------------------
# nothing of the caller's changes


def test_numpy_random_state_and_the_callers_objects_are_untouched():
    def update_parameters_with_momentum(parameters, grads, v, beta, learning_rate):
        np.random.seed(123)  # user code that reseeds and draws
        np.random.rand(3)
        return momentum_not_carried(parameters, grads, v, beta, learning_rate)
    np.random.seed(2024)
    before = np.random.get_state()
    hp = {"learning_rate": 0.1, "beta": 0.8}
    shapes = {"W1": (2, 3), "b1": (2, 1)}
    hp_copy, shapes_copy = copy.deepcopy(hp), copy.deepcopy(shapes)
    (f,) = probe_update(update_parameters_with_momentum, hyperparameters=hp, shapes=shapes)
    after = np.random.get_state()
    assert f.kind == "state"
    assert before[0] == after[0] and np.array_equal(before[1], after[1]) and before[2:] == after[2:]
    assert hp == hp_copy and shapes == shapes_copy


# ---------------------------------------------------------------------------------------------
# properties: random shapes, betas, learning rates and numbers of steps


def _shapes(draw_dims):
    dims = draw_dims
    shapes = {}
    for l in range(1, len(dims)):
        shapes[f"W{l}"] = (dims[l], dims[l - 1])
        shapes[f"b{l}"] = (dims[l], 1)
    return shapes


dims_st = st.lists(st.integers(1, 4), min_size=2, max_size=4)
PROPS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.twin("optimizer-update")
@PROPS
@given(dims=dims_st, beta=st.floats(0.5, 0.99), lr=st.floats(1e-3, 0.5), steps=st.integers(2, 6),
       seed=st.integers(0, 1000))
def test_property_correct_momentum_is_silent(dims, beta, lr, steps, seed):
    found = probe_update(update_parameters_with_momentum, shapes=_shapes(dims),
                         hyperparameters={"beta": beta, "learning_rate": lr}, steps=steps, seed=seed)
    assert found == []


@pytest.mark.planted("optimizer-update")
@PROPS
@given(dims=dims_st, b1=st.floats(0.5, 0.95), b2=st.floats(0.9, 0.9999), lr=st.floats(1e-4, 0.1),
       steps=st.integers(2, 6), seed=st.integers(0, 1000))
def test_property_correct_adam_is_silent_and_a_missing_correction_is_found(dims, b1, b2, lr, steps, seed):
    hp = {"beta1": b1, "beta2": b2, "learning_rate": lr}
    shapes = _shapes(dims)
    assert probe_update(make_adam(), shapes=shapes, hyperparameters=hp, steps=steps, seed=seed) == []
    found = probe_update(make_adam(correct_v=False, correct_s=False), shapes=shapes, hyperparameters=hp,
                         steps=steps, seed=seed)
    assert [f.kind for f in found] == ["bias-correction"]
    ev = found[0].evidence
    assert ev["t"] == 1
    # at t = 1 the uncorrected step is (1 - beta1) / sqrt(1 - beta2) times Adam's (epsilon aside)
    assert ev["actual_step"] / ev["expected_step"] == pytest.approx((1 - b1) / np.sqrt(1 - b2), rel=1e-3)


@PROPS
@given(dims=dims_st, beta=st.floats(0.5, 0.99), steps=st.integers(2, 6), seed=st.integers(0, 1000))
def test_property_state_not_carried_is_found_from_t_2(dims, beta, steps, seed):
    found = probe_update(momentum_not_carried, shapes=_shapes(dims), hyperparameters={"beta": beta},
                         steps=steps, seed=seed)
    assert [(f.kind, f.evidence["t"]) for f in found] == [("state", 2)]


@PROPS
@given(dims=dims_st, b1=st.floats(0.5, 0.95), b2=st.floats(0.9, 0.9999), seed=st.integers(0, 1000))
def test_property_wrong_sign_is_found_whatever_the_optimizer(dims, b1, b2, seed):
    assume(abs(b1 - b2) > 1e-3)
    hp = {"beta1": b1, "beta2": b2, "beta": b1}
    for func in (make_adam(sign=1), gd_plus):
        found = probe_update(func, shapes=_shapes(dims), hyperparameters=hp, seed=seed)
        assert [f.kind for f in found] == ["sign"]
