"""Activations and derivative helpers recognized by what they compute; the activation-derivative rule (NND102)."""

import inspect

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from nndoctor.activations import (
    Activation,
    Derivative,
    Pair,
    check_derivative,
    check_module_helpers,
    identify_activation,
    identify_derivative,
    pair_helpers,
    sample_grid,
)

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def _same_state(a, b):
    return a[0] == b[0] and np.array_equal(a[1], b[1]) and a[2:] == b[2:]


@pytest.fixture(autouse=True)
def global_random_state_is_never_touched():
    np.random.seed(20240917)
    before = np.random.get_state()
    yield
    assert _same_state(before, np.random.get_state()), "numpy's global random state changed"


def line_of(func, text):
    lines, start = inspect.getsourcelines(func)
    return start + next(i for i, line in enumerate(lines) if text in line)


# --- forward activations, course style: (A, cache) with cache = Z ---------------------------

def sigmoid(Z):
    A = 1 / (1 + np.exp(-Z))
    cache = Z
    return A, cache


def relu(Z):
    A = np.maximum(0, Z)
    assert A.shape == Z.shape
    cache = Z
    return A, cache


def tanh_course(Z):
    return np.tanh(Z), Z


def softmax_course(Z):
    e = np.exp(Z - np.max(Z, axis=0, keepdims=True))
    return e / np.sum(e, axis=0, keepdims=True), Z


# --- forward activations, plain style -------------------------------------------------------

def sigmoid_plain(z):
    return 1.0 / (1.0 + np.exp(-z))


def relu_plain(z):
    return z * (z > 0)


def lrelu(z):
    return np.where(z > 0, z, 0.01 * z)


def leaky_relu_02(x, alpha=0.2):
    return np.maximum(alpha * x, x)


def softmax_rows(logits):  # examples as rows
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def linear(z):
    return z


def elu(z, alpha=1.0):
    return np.where(z > 0, z, alpha * (np.exp(z) - 1))


def softplus(z):
    return np.log(1 + np.exp(z))


def tanh_by_hand(z):
    return (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z))


def relu_dict(Z):
    return {"Z": Z, "A": np.maximum(Z, 0)}


def relu_in_place(Z):
    Z[Z < 0] = 0
    return Z


def lrelu_loop(x):  # works on one example at a time
    out = np.zeros(x.shape)
    for i in range(len(x)):
        out[i] = x[i] if x[i] > 0 else 0.05 * x[i]
    return out


def sigmoid_shape_aware(Z):
    A = np.zeros(Z.shape)
    A[:, :] = 1 / (1 + np.exp(-Z))
    return A


@pytest.mark.parametrize("func, kind, alpha, axis, returns_cache", [
    (sigmoid, "sigmoid", None, None, True),
    (relu, "relu", None, None, True),
    (tanh_course, "tanh", None, None, True),
    (softmax_course, "softmax", None, 0, True),
    (sigmoid_plain, "sigmoid", None, None, False),
    (relu_plain, "relu", None, None, False),
    (lrelu, "leaky-relu", 0.01, None, False),
    (leaky_relu_02, "leaky-relu", 0.2, None, False),
    (softmax_rows, "softmax", None, 1, False),
    (linear, "identity", None, None, False),
    (elu, "elu", 1.0, None, False),
    (softplus, "softplus", None, None, False),
    (tanh_by_hand, "tanh", None, None, False),
    (np.tanh, "tanh", None, None, False),
    (relu_dict, "relu", None, None, True),
    (relu_in_place, "relu", None, None, False),
    (lrelu_loop, "leaky-relu", 0.05, None, False),
    (sigmoid_shape_aware, "sigmoid", None, None, False),
], ids=lambda v: getattr(v, "__name__", None))
def test_activation_is_recognized_by_what_it_computes(func, kind, alpha, axis, returns_cache):
    assert identify_activation(func) == Activation(kind, alpha, axis, returns_cache)


def test_sample_grid_has_negatives_zero_and_kink_neighbours():
    Z = sample_grid()
    assert Z.shape == (4, 25) and Z.dtype == np.float64
    assert Z.min() <= -6 and Z.max() >= 6 and (Z == 0).any()
    assert (np.abs(Z[Z != 0]) < 1e-5).sum() >= 2


def returns_a_string(z):
    return "relu"


def two_required(Z, W):
    return W @ Z


def constant(z):
    return np.zeros_like(z)


def raises(z):
    raise ValueError("no")


def wrong_shape(Z):
    return np.maximum(Z, 0).sum(axis=0)


def keyword_only(z, *, alpha):
    return np.where(z > 0, z, alpha * z)


def softmax_whole_array(z):
    e = np.exp(z)
    return e / e.sum()


@pytest.mark.parametrize("func", [returns_a_string, two_required, constant, raises, wrong_shape, keyword_only,
                                  softmax_whole_array, np.ones_like, np.linalg.norm, 3, None, Activation],
                         ids=lambda f: getattr(f, "__name__", repr(f)))
def test_non_activations_are_none(func):
    assert identify_activation(func) is None


def talkative_relu(z):
    print("relu called")
    np.random.seed(1)  # e.g. a dropout helper reseeding numpy
    noise = np.random.randn(*z.shape) * 0
    return np.maximum(z, 0) + noise


def test_never_prints_and_restores_the_random_state(capsys):
    state = np.random.get_state()
    assert identify_activation(talkative_relu).kind == "relu"
    assert check_derivative(relu_der, talkative_relu) is None
    assert capsys.readouterr() == ("", "")
    assert _same_state(state, np.random.get_state())


def training_loop(X):
    cost = 0.0
    while True:  # a function that never returns is stopped by the line budget
        cost += 1


def asks_for_input(z):
    return float(input("alpha? ")) * z


def test_runaway_and_interactive_functions_are_stopped():
    assert identify_activation(training_loop) is None
    assert identify_activation(asks_for_input) is None
    assert identify_derivative(training_loop) is None


# --- derivative helpers -----------------------------------------------------------------------

def relu_backward(dA, cache):
    Z = cache
    dZ = np.array(dA, copy=True)
    dZ[Z <= 0] = 0
    assert dZ.shape == Z.shape
    return dZ


def sigmoid_backward(dA, cache):
    Z = cache
    s = 1 / (1 + np.exp(-Z))
    dZ = dA * s * (1 - s)
    return dZ


def tanh_backward(dA, cache):
    return dA * (1 - np.tanh(cache) ** 2)


def relu_der(z):
    return (z > 0).astype(float)


def relu_der_ge(z):  # another convention at the kink: never a bug
    return np.where(z >= 0, 1.0, 0.0)


def lreluDer(z):
    return np.where(z > 0, 1, 0.01)


def leaky_relu_der_02(x, alpha=0.2):
    return np.where(x >= 0, 1.0, alpha)


def sigmoid_derivative(z):
    s = sigmoid_plain(z)
    return s * (1 - s)


def tanh_prime(z):
    return 1 - np.tanh(z) ** 2


def sigmoid_prime(a):  # in terms of the output
    return a * (1 - a)


def dtanh(a):
    return 1 - a ** 2


def elu_der(z):
    return np.where(z > 0, 1.0, np.exp(z))


def softplus_grad(z):
    return 1 / (1 + np.exp(-z))


def linear_backward_act(dA, cache):
    return dA


def sigmoid_backward_tuple_last(dA, cache):
    linear_cache, Z = cache
    s = 1 / (1 + np.exp(-Z))
    return dA * s * (1 - s)


def sigmoid_backward_tuple_first(dA, cache):
    Z = cache[0]
    s = 1 / (1 + np.exp(-Z))
    return dA * s * (1 - s)


def sigmoid_backward_from_output(dA, A):
    return dA * A * (1 - A)


def relu_grad(Z, dA):  # the other order
    return dA * (Z > 0)


def tanh_prime_float32(z):
    t = np.tanh(z.astype(np.float32))
    return 1 - t * t


def tanh_float32(z):
    return np.tanh(z.astype(np.float32))


def softmax_backward(dA, cache):
    Z = cache
    A, _ = softmax_course(Z)
    return A * (dA - np.sum(dA * A, axis=0, keepdims=True))


def softmax_backward_rows(dA, cache):
    A = softmax_rows(cache)
    return A * (dA - np.sum(dA * A, axis=1, keepdims=True))


@pytest.mark.parametrize("func, expected", [
    (relu_backward, Derivative("relu", "z", "dA,cache", None, "Z")),
    (sigmoid_backward, Derivative("sigmoid", "z", "dA,cache", None, "Z")),
    (tanh_backward, Derivative("tanh", "z", "dA,cache", None, "Z")),
    (relu_der, Derivative("relu", "z", "z")),
    (lreluDer, Derivative("leaky-relu", "z", "z", 0.01)),
    (leaky_relu_der_02, Derivative("leaky-relu", "z", "z", 0.2)),
    (sigmoid_derivative, Derivative("sigmoid", "z", "z")),
    (tanh_prime, Derivative("tanh", "z", "z")),
    (sigmoid_prime, Derivative("sigmoid", "a", "z")),
    (dtanh, Derivative("tanh", "a", "z")),
    (elu_der, Derivative("elu", "z", "z", 1.0)),
    (softplus_grad, Derivative("softplus", "z", "z")),
    (linear_backward_act, Derivative("identity", "z", "dA,cache", None, "Z")),
    (sigmoid_backward_tuple_last, Derivative("sigmoid", "z", "dA,cache", None, "(A, Z)")),
    (sigmoid_backward_tuple_first, Derivative("sigmoid", "z", "dA,cache", None, "(Z, A)")),
    (sigmoid_backward_from_output, Derivative("sigmoid", "a", "dA,cache", None, "A")),
    (relu_grad, Derivative("relu", "z", "cache,dA", None, "Z")),
], ids=lambda v: getattr(v, "__name__", None))
def test_derivative_helper_is_recognized_for_every_signature(func, expected):
    assert identify_derivative(func) == expected


def sigmoid_derivative_field_guide(z):
    return sigmoid_plain(z) * sigmoid_plain(1 - z)


def test_buggy_helper_is_a_derivative_of_nothing_known():
    assert identify_derivative(sigmoid_derivative_field_guide) == Derivative(None, "z", "z")


@pytest.mark.parametrize("func", [returns_a_string, two_required, raises, keyword_only, np.linalg.norm, None,
                                  lambda dA, cache, activation: dA, lambda z, alpha: z])
def test_odd_functions_are_not_derivative_helpers(func):
    assert identify_derivative(func) is None


# --- checking helpers against their twins -------------------------------------------------------

CORRECT_TWINS = [
    (relu_backward, relu),
    (relu_backward, relu_plain),
    (sigmoid_backward, sigmoid),
    (tanh_backward, tanh_course),
    (tanh_backward, np.tanh),
    (relu_der, relu),
    (relu_der_ge, relu_plain),
    (lreluDer, lrelu),
    (leaky_relu_der_02, leaky_relu_02),
    (sigmoid_derivative, sigmoid),
    (tanh_prime, tanh_by_hand),
    (sigmoid_prime, sigmoid_plain),
    (dtanh, np.tanh),
    (elu_der, elu),
    (softplus_grad, softplus),
    (linear_backward_act, linear),
    (sigmoid_backward_tuple_last, sigmoid),
    (sigmoid_backward_tuple_first, sigmoid),
    (sigmoid_backward_from_output, sigmoid),
    (relu_grad, relu),
    (tanh_prime_float32, tanh_float32),
    (softmax_backward, softmax_course),
    (softmax_backward_rows, softmax_rows),
    (lambda dA, cache: dA, softmax_course),  # pass-through, combined with cross-entropy elsewhere
]


@pytest.mark.twin("activation-derivative")
@pytest.mark.parametrize("helper, forward", CORRECT_TWINS, ids=lambda v: getattr(v, "__name__", None))
def test_correct_twins_are_never_flagged(helper, forward):
    assert check_derivative(helper, forward) is None


def sigmoid_backward_field_guide(dA, cache):
    Z = cache
    s = 1 / (1 + np.exp(-Z))
    dZ = dA * s * (1 / (1 + np.exp(-(1 - Z))))   # sigmoid(z) * sigmoid(1 - z)
    return dZ


@pytest.mark.planted("activation-derivative")
def test_field_guide_wrong_sigmoid_derivative_is_found_with_its_numbers():
    # the reference values: sigmoid(0) * sigmoid(1) = 0.5 * 0.7311 = 0.3655 where sigmoid'(0) = 0.25;
    # at z = 1 it gives sigmoid(1) * sigmoid(0) = 0.3655 too, where sigmoid'(1) = 0.1966
    assert sigmoid_derivative_field_guide(np.array(0.0)) == pytest.approx(0.365529, abs=1e-6)
    assert sigmoid_derivative_field_guide(np.array(2.0)) == pytest.approx(0.236883, abs=1e-6)

    finding = check_derivative(sigmoid_backward_field_guide, sigmoid,
                               helper_name="sigmoid_backward", forward_name="sigmoid")
    assert finding is not None
    assert finding.rule == "activation-derivative" and finding.code == "NND102"
    assert finding.severity.label == "error"
    assert finding.message.startswith("sigmoid_backward is not the derivative of sigmoid: at z = 1.0 it returns "
                                      "0.3655, the derivative is 0.1966 (at z = 0: 0.3655 instead of 0.25)")
    ev = finding.evidence
    assert ev["function"] == "sigmoid_backward" and ev["forward"] == "sigmoid"
    assert ev["max_relative_error"] == pytest.approx(0.1690 / 0.25, rel=1e-2)
    worst = ev["worst_points"][0]
    assert worst["z"] == 1.0
    assert worst["helper"] == pytest.approx(0.365529, abs=1e-6)
    assert worst["numeric"] == pytest.approx(0.196612, abs=1e-6)
    assert ev["at_zero"]["helper"] == pytest.approx(0.365529, abs=1e-6)
    assert ev["at_zero"]["numeric"] == pytest.approx(0.25, abs=1e-9)
    assert "recognized_as" not in ev
    assert "s * (1 - s)" in finding.fix
    loc = finding.location
    assert loc.function == "sigmoid_backward" and loc.file.endswith("test_activations.py")
    assert loc.line == line_of(sigmoid_backward_field_guide, "dZ = dA * s")
    assert finding.to_dict()["code"] == "NND102"


def test_field_guide_bug_in_one_argument_style():
    finding = check_derivative(sigmoid_derivative_field_guide, sigmoid_plain)
    assert finding is not None
    assert "at z = 1.0 it returns 0.3655, the derivative is 0.1966" in finding.message
    assert finding.location.line == line_of(sigmoid_derivative_field_guide, "return")


def relu_backward_no_mask(dA, cache):
    dZ = np.array(dA, copy=True)   # forgot dZ[Z <= 0] = 0
    return dZ


def test_relu_backward_that_forgets_the_mask():
    finding = check_derivative(relu_backward_no_mask, relu, helper_name="relu_backward")
    assert finding is not None and finding.severity.label == "error"
    ev = finding.evidence
    assert ev["recognized_as"] == "identity"
    assert all(p["z"] < 0 and p["helper"] == 1.0 and p["numeric"] == pytest.approx(0.0, abs=1e-9)
               for p in ev["worst_points"])
    assert "at z = -1.0 it returns 1, the derivative is 0" in finding.message
    assert "dZ[Z <= 0] = 0" in finding.fix
    assert finding.location.line == line_of(relu_backward_no_mask, "dZ = np.array")


def lreluDer_wrong_alpha(z):
    return np.where(z > 0, 1, 0.02)


def test_leaky_relu_derivative_with_the_wrong_alpha():
    finding = check_derivative(lreluDer_wrong_alpha, lrelu, helper_name="lreluDer", forward_name="lrelu")
    assert finding is not None
    ev = finding.evidence
    assert ev["recognized_as"] == "leaky-relu" and ev["helper_alpha"] == 0.02 and ev["alpha"] == 0.01
    assert ev["max_relative_error"] == pytest.approx(0.01, rel=1e-6)
    assert "alpha = 0.02, but lrelu uses alpha = 0.01" in finding.message
    assert "0.01" in finding.fix


def tanh_prime_no_square(z):
    return 1 - np.tanh(z)


def test_tanh_derivative_without_the_square():
    finding = check_derivative(tanh_prime_no_square, np.tanh, forward_name="tanh")
    assert finding is not None and "recognized_as" not in finding.evidence
    assert "1 - tanh(z)**2" in finding.fix
    for p in finding.evidence["worst_points"]:
        assert p["helper"] == pytest.approx(1 - np.tanh(p["z"]), abs=1e-12)
        assert p["numeric"] == pytest.approx(1 - np.tanh(p["z"]) ** 2, abs=1e-8)


def sigmoid_backward_tanh_formula(dA, cache):
    return dA * (1 - np.tanh(cache) ** 2)


def test_helper_that_differentiates_another_activation_says_which():
    finding = check_derivative(sigmoid_backward_tanh_formula, sigmoid, helper_name="sigmoid_backward")
    assert finding.evidence["recognized_as"] == "tanh"
    assert "derivative of tanh" in finding.message


def sigmoid_backward_forgets_dA(dA, cache):
    s = 1 / (1 + np.exp(-cache))
    return s * (1 - s)


def test_helper_that_forgets_to_multiply_by_dA():
    finding = check_derivative(sigmoid_backward_forgets_dA, sigmoid, helper_name="sigmoid_backward")
    assert finding is not None and finding.severity.label == "error"
    assert finding.evidence["problem"] == "ignores-dA"
    assert finding.message.startswith("sigmoid_backward ignores dA")
    p = finding.evidence["worst_points"][0]
    assert p["numeric"] == pytest.approx(p["dA"] * p["helper"], rel=1e-9)
    assert "dZ = dA *" in finding.fix


def relu_backward_adds_dA(dA, cache):
    return dA + (cache > 0) - 1


def test_helper_that_misuses_dA():
    finding = check_derivative(relu_backward_adds_dA, relu)
    assert finding is not None and finding.evidence["problem"] == "misuses-dA"


def sigmoid_derivative_in_a_named_z(z):
    return z * (1 - z)


def test_output_formula_with_a_parameter_named_z_is_a_warning():
    finding = check_derivative(sigmoid_derivative_in_a_named_z, sigmoid)
    assert finding is not None and finding.severity.label == "warning"
    assert finding.evidence["problem"] == "expects-activation-output"
    # the same formula with a parameter named a or x is fine
    assert check_derivative(sigmoid_prime, sigmoid) is None


def softmax_backward_diagonal_only(dA, cache):
    A, _ = softmax_course(cache)
    return dA * A * (1 - A)


def test_softmax_backward_must_be_the_vector_jacobian_product():
    finding = check_derivative(softmax_backward_diagonal_only, softmax_course)
    assert finding is not None and finding.evidence["forward_kind"] == "softmax"
    assert "np.sum(dA * A, axis=0" in finding.fix


def undefined_name(z):
    return s * (1 - s)  # noqa: F821


@pytest.mark.parametrize("helper, forward", [
    (raises, sigmoid), (sigmoid_backward, raises), (undefined_name, sigmoid), (sigmoid_backward, two_required),
    (two_required, sigmoid), (relu_der, constant), (relu_der, softmax_whole_array), (keyword_only, relu),
    (training_loop, relu), (relu_der, 3), (None, relu),
], ids=lambda f: getattr(f, "__name__", repr(f)))
def test_pairs_that_cannot_be_checked_give_no_finding(helper, forward):
    assert check_derivative(helper, forward) is None


# --- pairing a module's helpers with their twins ----------------------------------------------

def nonlin(x, deriv=False):
    if deriv:
        return x * (1 - x)
    return 1 / (1 + np.exp(-x))


def my_elu_v2(z):
    return np.where(z > 0, z, np.expm1(z))


def expo_linear_backward(dA, cache):
    return dA * np.where(cache > 0, 1.0, np.exp(cache))


def test_pairs_by_name_computation_and_flag():
    calls = []

    def model(X, num_iterations=3000):
        calls.append("model")
        return X

    def model_backward(dA, cache):
        calls.append("model_backward")
        return dA

    module = {
        "sigmoid": sigmoid, "sigmoid_backward": sigmoid_backward, "relu": relu, "relu_backward": relu_backward,
        "lrelu": lrelu, "lreluDer": lreluDer, "tanh_forward": tanh_course, "dtanh": dtanh,
        "sigmoidPrime": sigmoid_prime, "leaky_relu_derivative": lreluDer,
        "backward_of_tanh": tanh_backward, "my_elu_v2": my_elu_v2, "expo_linear_backward": expo_linear_backward,
        "nonlin": nonlin, "model": model, "model_backward": model_backward,
        "linear_forward": lambda A, W, b: W @ A + b, "linear_backward": lambda dZ, cache: dZ,
        "np": np, "CONSTANT": 3,
    }
    pairs = {p.helper_name: (p.forward_name, p.matched_by) for p in pair_helpers(module)}
    assert pairs == {
        "sigmoid_backward": ("sigmoid", "name"),
        "relu_backward": ("relu", "name"),
        "lreluDer": ("lrelu", "name"),
        "dtanh": ("tanh_forward", "name"),
        "sigmoidPrime": ("sigmoid", "name"),
        "leaky_relu_derivative": ("lrelu", "name"),
        "backward_of_tanh": ("tanh_forward", "name"),
        "expo_linear_backward": ("my_elu_v2", "computation"),
        "nonlin(deriv=True)": ("nonlin", "flag"),
    }
    assert calls == []  # training-like functions are never called
    assert all(isinstance(p, Pair) for p in pair_helpers(module))


@pytest.mark.planted("activation-derivative")
def test_module_check_reports_only_the_buggy_helpers():
    module = {
        "sigmoid": sigmoid, "sigmoid_backward": sigmoid_backward_field_guide,
        "relu": relu, "relu_backward": relu_backward,
        "lrelu": lrelu, "lreluDer": lreluDer_wrong_alpha,
        "tanh": np.tanh, "tanh_prime": tanh_prime, "nonlin": nonlin,
        "softplus": softplus, "softplus_grad": undefined_name,
        "elu": elu, "elu_backward": raises,
    }
    findings = check_module_helpers(module)
    got = {(f.rule, f.location.function) for f in findings}
    assert got == {("activation-derivative", "sigmoid_backward"), ("activation-derivative", "lreluDer"),
                   ("user-code-error", "softplus_grad")}
    (error,) = [f for f in findings if f.rule == "user-code-error"]
    assert error.evidence["exception"] == "NameError"
    assert error.location.line == line_of(undefined_name, "return s")


def nonlin_wrong(x, deriv=False):
    if deriv:
        return x * (1 + x)
    return 1 / (1 + np.exp(-x))


def test_flag_style_helper_is_checked_on_its_branch():
    (finding,) = check_module_helpers({"nonlin": nonlin_wrong})
    assert finding.evidence["function"] == "nonlin(deriv=True)" and finding.evidence["input"] == "z"
    assert finding.location.function == "nonlin_wrong"
    assert finding.location.line == line_of(nonlin_wrong, "return x * (1 + x)")


@pytest.mark.twin("activation-derivative")
def test_module_check_on_a_correct_module_is_silent():
    module = {name: f for name, f in globals().items() if callable(f) and name in {
        "sigmoid", "sigmoid_backward", "relu", "relu_backward", "lrelu", "lreluDer", "sigmoid_prime", "dtanh",
        "nonlin", "elu", "elu_der", "softplus", "softplus_grad", "softmax_course"}}
    module["tanh"] = np.tanh
    assert len(pair_helpers(module)) >= 7
    assert check_module_helpers(module) == []


def test_module_functions_that_raise_never_crash():
    module = {"relu": raises, "relu_backward": raises, "sigmoid": sigmoid, "sigmoid_backward": training_loop,
              "tanh": "not a function", "dtanh": dtanh, 3: relu}
    assert check_module_helpers(module) == []


# --- properties -----------------------------------------------------------------------------------

@SETTINGS
@given(alpha=st.floats(1e-3, 0.5, exclude_max=True), course_style=st.booleans())
def test_leaky_relu_alpha_is_recovered(alpha, course_style):
    state = np.random.get_state()

    def leaky(Z):
        A = np.where(Z > 0, Z, alpha * Z)
        return (A, Z) if course_style else A

    act = identify_activation(leaky)
    assert act.kind == "leaky-relu" and act.returns_cache == course_style
    assert act.alpha == pytest.approx(alpha, rel=1e-9)
    d = identify_derivative(lambda z: np.where(z > 0, 1.0, alpha))
    assert d.of == "leaky-relu" and d.alpha == pytest.approx(alpha, rel=1e-9)
    assert _same_state(state, np.random.get_state())


def _helper_for(kind, style, alpha):
    derivs = {
        "relu": lambda z: (z > 0) * 1.0,
        "leaky-relu": lambda z: np.where(z > 0, 1.0, alpha),
        "sigmoid": lambda z: sigmoid_plain(z) * (1 - sigmoid_plain(z)),
        "tanh": lambda z: 1 - np.tanh(z) ** 2,
        "elu": lambda z: np.where(z > 0, 1.0, alpha * np.exp(z)),
        "softplus": sigmoid_plain,
        "identity": np.ones_like,
    }
    g = derivs[kind]
    if style == "z":
        return g
    if style == "dA,cache":
        return lambda dA, cache: dA * g(cache)
    return lambda dA, cache: dA * g(cache[1])  # (linear_cache, activation_cache)


def _forward_for(kind, alpha, course_style):
    forwards = {
        "relu": lambda z: np.maximum(z, 0),
        "leaky-relu": lambda z: np.where(z > 0, z, alpha * z),
        "sigmoid": sigmoid_plain,
        "tanh": np.tanh,
        "elu": lambda z: np.where(z > 0, z, alpha * np.expm1(z)),
        "softplus": lambda z: np.logaddexp(0, z),
        "identity": lambda z: z * 1.0,
    }
    f = forwards[kind]
    return (lambda Z: (f(Z), Z)) if course_style else f


@pytest.mark.twin("activation-derivative")
@SETTINGS
@given(kind=st.sampled_from(["relu", "leaky-relu", "sigmoid", "tanh", "elu", "softplus", "identity"]),
       style=st.sampled_from(["z", "dA,cache", "tuple-cache"]), alpha=st.floats(0.001, 3.0),
       course_style=st.booleans())
def test_correct_helpers_are_never_flagged(kind, style, alpha, course_style):
    assume(kind != "leaky-relu" or abs(alpha - 1.0) > 1e-6)  # a leaky ReLU with alpha = 1 is the identity
    state = np.random.get_state()
    helper = _helper_for(kind, style, alpha)
    forward = _forward_for(kind, alpha, course_style)
    assert check_derivative(helper, forward) is None
    d = identify_derivative(helper)
    assert d is not None and d.of == kind
    assert _same_state(state, np.random.get_state())


@pytest.mark.planted("activation-derivative")
@SETTINGS
@given(kind=st.sampled_from(["relu", "leaky-relu", "sigmoid", "tanh", "elu", "softplus"]),
       factor=st.sampled_from([0.5, 2.0, -1.0]), alpha=st.floats(0.01, 0.5))
def test_scaled_helpers_are_always_flagged(kind, factor, alpha):
    good = _helper_for(kind, "dA,cache", alpha)
    finding = check_derivative(lambda dA, cache: factor * good(dA, cache), _forward_for(kind, alpha, True))
    assert finding is not None and finding.severity.label == "error"
