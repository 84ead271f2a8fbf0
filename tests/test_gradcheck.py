"""The gradient checker: each planted bug is found in its block with its kind; correct twins pass."""

import nets
import numpy as np
import pytest

import nndoctor
from nndoctor import InvalidInputError, check_gradients

DIMS = [6, 5, 4, 1]


def run(bug=None, dims=DIMS, m=20, lambd=0.0, hidden="relu", seed=1, **kwargs):
    X, Y, p = nets.problem(dims, m, seed=seed)
    cost_fn, grad_fn = nets.functions(X, Y, hidden=hidden, lambd=lambd, bug=bug)
    return check_gradients(cost_fn, grad_fn, p, seed=seed, **kwargs)


def flagged(result):
    return {name: p for name, p in result.parameters.items() if not p.ok}


@pytest.mark.twin("gradient-mismatch", "non-finite", "unexpected-output", "user-code-error", "check-inconclusive", "stochastic-cost")
@pytest.mark.parametrize("hidden", ["relu", "sigmoid", "tanh", "lrelu"])
def test_correct_network_passes(hidden):
    result = run(hidden=hidden)
    assert result.ok and result.verdict == "pass"
    assert result.findings == []
    assert all(p.relative_error < 1e-6 for p in result.parameters.values())


@pytest.mark.twin("gradient-mismatch")
def test_correct_network_with_l2_passes():
    assert run(lambd=0.7).ok


@pytest.mark.planted("gradient-mismatch")
def test_scale_is_found_with_its_factor():
    result = run(bug=("scale", 2, 2.0))
    assert set(flagged(result)) == {"W2"}
    w2 = result["W2"]
    assert w2.kind == "scale" and w2.factor == pytest.approx(2.0, rel=1e-6)
    assert w2.relative_error == pytest.approx(1 / 3, rel=1e-6)
    (finding,) = result.findings
    assert finding.rule == "gradient-mismatch" and finding.severity.label == "error"
    assert finding.location.parameter == "W2"
    assert finding.evidence["factor"] == pytest.approx(2.0, rel=1e-6)
    # the worst entries are verified numerically: analytic = 2 x numeric
    for entry in w2.worst_entries:
        assert entry.analytic == pytest.approx(2 * entry.numeric, rel=1e-4)


@pytest.mark.planted("gradient-mismatch")
def test_factor_named_as_number_of_examples():
    result = run(bug=("scale", 1, 20.0), n_examples=20)
    (finding,) = result.findings
    assert "m = 20" in finding.message and finding.evidence["factor_name"] == "m = 20"


@pytest.mark.planted("gradient-mismatch")
def test_factor_named_as_number_of_classes():
    result = run(bug=("scale", 3, 1 / 7), n_classes=7)
    (finding,) = result.findings
    assert "1/C" in finding.message


@pytest.mark.planted("gradient-mismatch")
def test_sign_flip():
    result = run(bug=("sign", 1))
    assert set(flagged(result)) == {"W1"} and result["W1"].kind == "sign"
    assert result["W1"].factor == pytest.approx(-1.0, rel=1e-6)


@pytest.mark.planted("gradient-mismatch")
def test_transpose_of_square_matrix():
    result = run(bug=("transpose", 2), dims=[6, 5, 5, 1])
    assert set(flagged(result)) == {"W2"} and result["W2"].kind == "transpose"


@pytest.mark.planted("gradient-mismatch")
def test_forgotten_l2_term_with_its_coefficient():
    result = run(bug=("forget-l2", 2), lambd=0.7, n_examples=20)
    assert set(flagged(result)) == {"W2"}
    w2 = result["W2"]
    assert w2.kind == "missing-term"
    assert w2.coefficient == pytest.approx(0.7 / 20, rel=1e-5)
    assert "lambd = 0.7" in result.findings[0].message


@pytest.mark.planted("gradient-mismatch")
def test_wrong_sigmoid_derivative_is_other_in_layer_one_only():
    result = run(bug=("sigmoid-derivative", 1), hidden="sigmoid")
    assert set(flagged(result)) == {"W1", "b1"}
    assert {p.kind for p in flagged(result).values()} == {"other"}
    assert result["W1"].worst_entries, "bisection must pin down at least one wrong entry"


@pytest.mark.planted("gradient-mismatch")
def test_single_wrong_entry_is_localized_exactly():
    result = run(bug=("entry", 1, 17), dims=[40, 30, 4, 1], m=25)
    assert set(flagged(result)) == {"W1"}
    w1 = result["W1"]
    assert w1.kind == "other"
    assert w1.worst_entries[0].index == np.unravel_index(17, (30, 40))
    assert result.findings[0].severity.label == "error"


@pytest.mark.planted("gradient-mismatch")
def test_one_wrong_entry_among_100000_is_zoomed_in_on(monkeypatch):
    """A ramp along the bisection's sign vector says where a lone wrong entry sits: a few range
    measurements instead of the 17 halvings of 100,000 entries."""
    from nndoctor.gradcheck import localize

    ranges = []
    measure = localize._range_discrepancy
    monkeypatch.setattr(localize, "_range_discrepancy", lambda *a, **k: ranges.append(1) or measure(*a, **k))
    X, Y, p = nets.problem([2000, 50, 1], 30, seed=1)
    result = check_gradients(*nets.functions(X, Y, bug=("entry", 1, 54321)), p, seed=0)
    assert set(flagged(result)) == {"W1"} and result["W1"].kind == "other"
    assert result["W1"].worst_entries[0].index == np.unravel_index(54321, (50, 2000))
    assert len(ranges) <= 7


@pytest.mark.planted("gradient-mismatch")
def test_two_wrong_entries_fall_back_to_bisection_and_the_larger_is_found(monkeypatch):
    from nndoctor.gradcheck import localize

    ranges = []
    measure = localize._range_discrepancy
    monkeypatch.setattr(localize, "_range_discrepancy", lambda *a, **k: ranges.append(1) or measure(*a, **k))
    X, Y, p = nets.problem([2000, 50, 1], 30, seed=1)
    cost_fn, grad_fn = nets.functions(X, Y, bug=("entry", 1, 54321))

    def two_wrong(params):
        grads = grad_fn(params)
        dW1 = grads["dW1"].copy()
        dW1.flat[777] += 0.3 * (abs(dW1.flat[777]) + 1e-2)
        return {**grads, "dW1": dW1}

    result = check_gradients(cost_fn, two_wrong, p, seed=0)
    assert set(flagged(result)) == {"W1"}
    assert result["W1"].worst_entries[0].index == np.unravel_index(54321, (50, 2000))
    assert len(ranges) > 16  # the zoom saw more than one entry and handed over to the halvings


def test_a_cost_moving_in_coarse_steps_is_seen_along_a_line():
    from nndoctor.gradcheck.joint import quantized
    from nndoctor.gradcheck.numeric import Line

    smooth = Line(lambda s: 0.6931471805599453 + 0.37 * s + 0.01 * s * s, 0.37, 0.6931471805599453)
    flat = Line(lambda s: 0.6931471805599453, 0.37, 0.6931471805599453)
    narrow = Line(lambda s: float(np.float32(0.6931472 + 0.37 * s)), 0.37, float(np.float32(0.6931472)))
    for line in (smooth, flat, narrow):
        for t in (1e-7, -1e-7, 2e-7, -2e-7):
            line.at(t)
    assert not quantized(smooth)
    assert quantized(flat)  # the same value at different steps
    assert quantized(narrow)  # every value a float32 number


@pytest.mark.planted("gradient-mismatch")
def test_flat_bias_gradient_is_a_shape_finding():
    result = run(bug=("flat-db", 1))
    b1 = result["b1"]
    assert b1.status == "shape" and b1.gradient_shape == (5,)
    (finding,) = result.findings
    assert finding.evidence["kind"] == "shape"
    assert finding.evidence["values"] == "match-after-reshape"
    assert "keepdims=True" in finding.fix


@pytest.mark.planted("gradient-mismatch")
def test_transposed_shape_says_values_match_after_transpose():
    X, Y, p = nets.problem(DIMS, 20, seed=1)
    cost_fn, grad_fn = nets.functions(X, Y)

    def transposed(params):
        grads = grad_fn(params)
        grads["dW2"] = grads["dW2"].T
        return grads

    result = check_gradients(cost_fn, transposed, p, seed=0)
    assert result["W2"].status == "shape"
    assert result.findings[0].evidence["values"] == "match-after-transpose"


@pytest.mark.planted("gradient-mismatch")
def test_missing_gradient_is_named():
    result = run(bug=("drop", "dW2"))
    assert result["W2"].status == "missing"
    (finding,) = result.findings
    assert finding.evidence["kind"] == "missing" and "'dW2'" in finding.message
    assert all(p.ok for n, p in result.parameters.items() if n != "W2")


@pytest.mark.planted("non-finite")
def test_nan_in_gradient_is_non_finite():
    result = run(bug=("nan", 1))
    assert result["W1"].status == "non-finite"
    (finding,) = result.findings
    assert finding.rule == "non-finite" and finding.evidence["first_index"] == [0, 0]


def test_dA_and_dZ_entries_are_ignored_and_lowercase_keys_work():
    X, Y, p = nets.problem(DIMS, 20, seed=1)
    cost_fn, grad_fn = nets.functions(X, Y)
    lower = {k.lower(): v for k, v in p.items()}

    def course(q):
        return {k.replace("w", "W"): v for k, v in q.items()}

    def cost_lower(q):
        return cost_fn(course(q))

    def grad_lower(q):  # returns dw1, db1, ..., da1, dz1 (lowercase, with non-parameter entries)
        return {k.lower(): v for k, v in grad_fn(course(q)).items()}

    result = check_gradients(cost_lower, grad_lower, lower, seed=0)
    assert result.ok and set(result.parameters) == set(lower)


def test_nested_and_list_parameters():
    X, Y, p = nets.problem(DIMS, 20, seed=1)
    cost_fn, grad_fn = nets.functions(X, Y)
    nested = {"layers": [{"weight": p[f"W{l}"], "bias": p[f"b{l}"]} for l in (1, 2, 3)]}

    def flat(q):
        return {f"{k}{l + 1}": q["layers"][l]["weight" if k == "W" else "bias"] for l in range(3) for k in "Wb"}

    def grads(q):
        g = grad_fn(flat(q))
        return {"layers": [{"weight": g[f"dW{l}"], "bias": g[f"db{l}"]} for l in (1, 2, 3)]}

    result = check_gradients(lambda q: cost_fn(flat(q)), grads, nested, seed=0)
    assert result.ok and "layers.0.weight" in result.parameters

    as_list = [p[k] for k in ("W1", "b1", "W2", "b2", "W3", "b3")]
    names = ["W1", "b1", "W2", "b2", "W3", "b3"]
    result = check_gradients(
        lambda q: cost_fn(dict(zip(names, q))),
        lambda q: [grad_fn(dict(zip(names, q)))["d" + n] for n in names],
        as_list, seed=0,
    )
    assert result.ok and list(result.parameters) == ["0", "1", "2", "3", "4", "5"]


class TinyNet:
    """Class-based network: cost() and gradients() read self.params (stateful style)."""

    def __init__(self, bug=None):
        self.X, self.Y, self.params = nets.problem(DIMS, 20, seed=3)
        self.bug = bug

    def cost(self):
        return nets.cost(nets.forward(self.X, self.params)[0], self.Y)

    def gradients(self):
        AL, caches = nets.forward(self.X, self.params)
        return nets.backward(AL, self.Y, caches, self.params, bug=self.bug)


def test_stateful_style_checks_and_restores_arrays():
    net = TinyNet()
    before = {k: v.copy() for k, v in net.params.items()}
    ids = {k: id(v) for k, v in net.params.items()}
    result = check_gradients(net.cost, net.gradients, net.params, seed=0)
    assert result.style == "stateful" and result.ok
    assert all(np.array_equal(before[k], net.params[k]) for k in before)
    assert all(id(net.params[k]) == ids[k] for k in ids)
    bad = check_gradients(TinyNet(("scale", 3, 0.5)).cost, TinyNet(("scale", 3, 0.5)).gradients,
                          TinyNet().params, seed=0)
    assert bad.style == "stateful"


@pytest.mark.planted("gradient-mismatch")
def test_stateful_planted_bug():
    net = TinyNet(("sign", 2))
    result = check_gradients(net.cost, net.gradients, net.params, seed=0)
    assert set(flagged(result)) == {"W2"} and result["W2"].kind == "sign"


@pytest.mark.planted("stochastic-cost", "gradient-mismatch")
def test_dropout_network_is_checked_with_replayed_masks():
    X, Y, p = nets.problem(DIMS, 30, seed=1)
    cost_fn, grad_fn = nets.functions(X, Y, keep_prob=0.7)
    np.random.seed(11)
    state = np.random.get_state()
    result = check_gradients(cost_fn, grad_fn, p, seed=0)
    assert result.stochastic and result.ok
    assert [f.rule for f in result.findings] == ["stochastic-cost"]
    assert result.findings[0].severity.label == "info" and result.findings[0].evidence["replayed"] is True
    after = np.random.get_state()
    assert after[0] == state[0] and np.array_equal(after[1], state[1]) and after[2:] == state[2:]
    buggy = nets.functions(X, Y, keep_prob=0.7, bug=("scale", 2, 3.0))
    result = check_gradients(*buggy, p, seed=0)
    assert set(flagged(result)) == {"W2"} and result["W2"].kind == "scale"


@pytest.mark.planted("stochastic-cost")
@pytest.mark.parametrize("cached_normal", [False, True])
def test_draws_from_numpys_global_state_are_seen_even_from_a_cached_normal(cached_normal):
    """Whether numpy's global state moved is read from its MT19937 words in place; a normal cached
    by an earlier randn() is drawn without moving them, and that draw is seen too."""
    X, Y, p = nets.problem(DIMS, 30, seed=1)
    cost_fn, grad_fn = nets.functions(X, Y)
    np.random.seed(5)
    if cached_normal:
        np.random.randn()  # leaves the second normal of the pair cached
    state = np.random.get_state()
    noisy = check_gradients(lambda q: cost_fn(q) + 1e-3 * np.random.randn(), grad_fn, p, seed=0)
    assert noisy.stochastic and [f.rule for f in noisy.findings] == ["stochastic-cost"]
    assert noisy.ok and noisy.findings[0].evidence["replayed"] is True  # seen at once, so replayed
    quiet = check_gradients(cost_fn, grad_fn, p, seed=0)
    assert not quiet.stochastic and quiet.ok
    after = np.random.get_state()
    assert np.array_equal(after[1], state[1]) and after[2:] == state[2:]


def test_numpys_state_is_put_back_whole_even_when_only_a_cached_normal_changed():
    """Code that reseeds and draws one normal leaves the MT19937 words as they were but a normal
    cached: the state is put back whole at the end, whatever the quick look at the words says."""
    from nndoctor.gradcheck.randomstate import RandomState

    np.random.seed(0)
    np.random.randn(2)  # no normal cached
    before = np.random.get_state()
    state = RandomState([])
    np.random.seed(0)
    np.random.randn(1)  # the same words again, one normal cached
    state.restore()
    after = np.random.get_state()
    assert np.array_equal(after[1], before[1]) and after[2:] == before[2:]


def test_the_line_of_a_gradient_is_not_taken_from_another_file(tmp_path, monkeypatch):
    """Two submissions of one exercise compile to code objects that compare equal; the line each
    assigns dW2 on is read from its own file (the lookup is cached per file)."""
    import importlib

    from nndoctor.usercode import assignment_line

    body = "    y = x\n    grads = {}\n    grads[\"dW2\"] = y\n    return grads\n"
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "submission_a.py").write_text("def backward(x):\n    # grads[\"dW2\"] = x  (old)\n" + body)
    (tmp_path / "b" / "submission_b.py").write_text("def backward(x):\n\n" + body)
    monkeypatch.syspath_prepend(str(tmp_path / "a"))
    monkeypatch.syspath_prepend(str(tmp_path / "b"))
    a, b = importlib.import_module("submission_a"), importlib.import_module("submission_b")
    assert assignment_line(a.backward, "dW2") == 2  # the commented-out line comes first there
    assert assignment_line(b.backward, "dW2") == 5


@pytest.mark.planted("stochastic-cost", "gradient-mismatch")
def test_a_generator_the_cost_keeps_is_replayed_and_left_as_it_was():
    """Dropout masks drawn from a generator the functions keep (a closure, self.rng) are replayed at
    every evaluation like numpy's global state, and the generator ends where it started."""
    X, Y, p = nets.problem(DIMS, 30, seed=1)
    gen = np.random.default_rng(0)
    before = gen.bit_generator.state
    result = check_gradients(*nets.functions(X, Y, keep_prob=0.7, rng_factory=lambda: gen), p, seed=0)
    assert result.stochastic and result.ok, str(result)
    assert [f.rule for f in result.findings] == ["stochastic-cost"]
    assert result.findings[0].severity.label == "info" and "PCG64" in result.findings[0].message
    assert gen.bit_generator.state == before
    buggy = check_gradients(*nets.functions(X, Y, keep_prob=0.7, rng_factory=lambda: gen, bug=("scale", 2, 3.0)), p,
                            seed=0)
    assert set(flagged(buggy)) == {"W2"} and buggy["W2"].kind == "scale"
    assert gen.bit_generator.state == before


def fresh_entropy():
    return np.random.default_rng()  # a new generator from the OS on every call: nothing to replay


@pytest.mark.planted("stochastic-cost")
def test_randomness_that_cannot_be_replayed_is_inconclusive_not_a_bug():
    X, Y, p = nets.problem(DIMS, 30, seed=1)
    cost_fn, grad_fn = nets.functions(X, Y, keep_prob=0.7, rng_factory=fresh_entropy)
    result = check_gradients(cost_fn, grad_fn, p, seed=0)
    assert not result.ok and result.verdict == "inconclusive"
    assert [f.rule for f in result.findings] == ["stochastic-cost"]
    assert result.findings[0].severity.label == "warning"


def test_float32_parameters_are_checked_in_float64_when_possible():
    X, Y, p = nets.problem(DIMS, 20, seed=1, dtype=np.float32)
    result = check_gradients(*nets.functions(X, Y), p, seed=0)
    assert result.ok and "float64" in result.precision
    assert all(v.dtype == np.float32 for v in p.values())
    bad = check_gradients(*nets.functions(X, Y, bug=("scale", 2, 1.5)), p, seed=0)
    assert set(flagged(bad)) == {"W2"}


def test_float32_native_finds_a_gross_error_without_false_alarm():
    X, Y, p = nets.problem([5, 4, 1], 20, seed=2, dtype=np.float32, scale=0.5)
    for k in p:
        if k.startswith("b"):
            p[k] += 1.0  # keep pre-activations away from the ReLU kink
    cost_fn, grad_fn = nets.functions(X, Y)
    good = check_gradients(cost_fn, grad_fn, p, seed=0, precision="native")
    assert good.precision == "float32"
    assert not any(f.severity.label == "error" for f in good.findings)
    bad = check_gradients(*nets.functions(X, Y, bug=("scale", 1, 2.0)), p, seed=0, precision="native")
    assert "W1" in flagged(bad) and bad["W1"].kind == "scale"


def test_full_textbook_mode_matches_directional_verdicts():
    result = run(bug=("scale", 2, 2.0), method="full")
    assert set(flagged(result)) == {"W2"} and result["W2"].kind == "scale"
    assert result["W2"].relative_error == pytest.approx(1 / 3, rel=1e-5)
    # the cost at the start (deterministic: evaluated once), then two per entry
    assert result.evaluations == 1 + 2 * sum(v.size for v in nets.problem(DIMS, 20, seed=1)[2].values())


def test_relative_difference_is_the_course_formula():
    g = np.array([1.0, 2.0, 3.0])
    assert nndoctor.relative_difference(g, g) == 0.0
    assert nndoctor.relative_difference(2 * g, g) == pytest.approx(1 / 3)
    assert nndoctor.relative_difference({"a": g}, {"a": -g}) == pytest.approx(1.0)
    assert nndoctor.relative_difference(np.zeros(2), np.zeros(2)) == 0.0
    with pytest.raises(InvalidInputError):
        nndoctor.relative_difference(g, g[:2])


def test_evaluations_do_not_grow_with_parameter_count():
    small = run(dims=[4, 3, 1], m=10)
    large = run(dims=[400, 60, 1], m=10)
    assert small.ok and large.ok
    # the starting point, then one forward difference along each of two combined directions (a
    # central one where the forward one does not settle it): whatever the number and size of blocks
    deep = run(dims=[4] + [6] * 12 + [1], m=10, hidden="tanh")
    assert deep.ok and len(deep.parameters) == 26
    for result in (small, large, deep):
        assert 1 + 2 <= result.evaluations <= 1 + 2 * 2 and result.gradient_calls == 1


@pytest.mark.parametrize("bug", [("scale", 2, 2.0), ("sign", 1), ("entry", 1, 3)])
def test_a_wrong_block_is_localized_and_named_in_few_evaluations(bug):
    """The cost of a failure: the joint test, its confirmation, the search, the block alone, the
    kind and the worst entries, about 25 evaluations whatever the seed (it was 34-52 before the
    confirmations were made cheaper, docs/gradient-check.md)."""
    X, Y, p = nets.problem([40, 30, 4, 1], 20, seed=1)
    for seed in range(4):
        result = check_gradients(*nets.functions(X, Y, bug=bug), p, seed=seed)
        assert result.verdict == "fail" and len(flagged(result)) == 1
        assert result.evaluations <= 30 and result.gradient_calls <= 2


# --- bad input -------------------------------------------------------------------------------

def test_empty_params_is_a_clear_error():
    with pytest.raises(InvalidInputError, match="empty"):
        check_gradients(lambda p: 0.0, lambda p: {}, {})


def test_integer_arrays_are_a_clear_error():
    with pytest.raises(InvalidInputError, match="dtype int"):
        check_gradients(lambda p: 0.0, lambda p: {}, {"W1": np.ones((2, 2), dtype=int)})


def test_non_array_parameter_is_a_clear_error():
    with pytest.raises(InvalidInputError, match="not a numpy array"):
        check_gradients(lambda p: 0.0, lambda p: {}, {"W1": [[1.0, 2.0]]})


def test_invalid_method_and_style():
    params = {"W": np.ones(2)}
    with pytest.raises(InvalidInputError):
        check_gradients(lambda p: 0.0, lambda p: p, params, method="fast")
    with pytest.raises(InvalidInputError):
        check_gradients(lambda p: 0.0, lambda p: p, params, style="weird")
    with pytest.raises(InvalidInputError):
        check_gradients("cost", lambda p: p, params)


@pytest.mark.planted("unexpected-output")
def test_cost_returning_an_array_is_an_unexpected_output_finding():
    params = {"W": np.ones((2, 3))}
    result = check_gradients(lambda p: p["W"].sum(axis=0), lambda p: {"dW": np.ones((2, 3))}, params)
    (finding,) = result.findings
    assert finding.rule == "unexpected-output" and "shape (3,)" in finding.message
    assert not result.ok


@pytest.mark.twin("unexpected-output")
def test_cost_as_one_element_array_and_tuple_is_accepted():
    params = {"W": np.array([[1.0, -2.0]])}
    result = check_gradients(lambda p: (np.sum(p["W"] ** 2, keepdims=True), "cache"),
                             lambda p: {"dW": 2 * p["W"]}, params, seed=0)
    assert result.ok


@pytest.mark.planted("non-finite")
def test_nan_cost_at_start_is_a_non_finite_finding():
    params = {"W": np.ones(3)}
    result = check_gradients(lambda p: float("inf"), lambda p: {"dW": np.ones(3)}, params)
    (finding,) = result.findings
    assert finding.rule == "non-finite" and finding.evidence["array"] == "cost"
    assert "log(0)" in finding.fix


def raising_backward(params):
    grads = {"dW": 2 * params["W"]}
    return grads["db"]  # KeyError: the user's own line


@pytest.mark.planted("user-code-error")
def test_grad_fn_that_raises_is_reported_with_its_line():
    result = check_gradients(lambda p: float(np.sum(p["W"] ** 2)), raising_backward, {"W": np.ones(3)})
    (finding,) = result.findings
    assert finding.rule == "user-code-error"
    assert finding.evidence["exception"] == "KeyError"
    assert finding.location.function == "raising_backward"
    assert finding.location.file.endswith("test_gradcheck.py")
    assert finding.location.line == raising_backward.__code__.co_firstlineno + 2


@pytest.mark.planted("unexpected-output")
def test_grad_fn_returning_none():
    result = check_gradients(lambda p: float(np.sum(p["W"] ** 2)), lambda p: None, {"W": np.ones(3)})
    assert result.findings[0].rule == "unexpected-output" and "returned None" in result.findings[0].message


def test_parameter_not_used_in_cost():
    params = {"W": np.ones(3), "unused": np.ones(2)}
    result = check_gradients(lambda p: float(np.sum(p["W"] ** 2)),
                             lambda p: {"dW": 2 * p["W"], "dunused": np.ones(2)}, params, seed=0)
    assert result["W"].ok and result["unused"].status == "mismatch"
    assert "does not change" in result.findings[0].message


@pytest.mark.planted("gradient-mismatch")
def test_all_zero_gradient_is_scale_zero():
    params = {"W": np.array([[0.5, -1.0, 2.0]])}
    result = check_gradients(lambda p: float(np.sum(np.sin(p["W"]))), lambda p: {"dW": np.zeros((1, 3))},
                             params, seed=0)
    assert result["W"].kind == "scale" and result["W"].factor == 0.0
    assert "all zeros" in result.findings[0].message


def test_epsilon_in_cost_is_at_most_a_warning():
    """log(A + 1e-3) in the cost while the backward ignores it: real, small, not an error."""
    X, Y, p = nets.problem(DIMS, 20, seed=1)

    def cost_fn(q):
        AL, _ = nets.forward(X, q)
        return -np.sum(Y * np.log(AL + 1e-5) + (1 - Y) * np.log(1 - AL + 1e-5)) / 20

    _, grad_fn = nets.functions(X, Y)
    result = check_gradients(cost_fn, grad_fn, p, seed=0)
    assert not any(f.severity.label == "error" for f in result.findings)


def test_seed_makes_the_check_reproducible():
    a = run(bug=("sigmoid-derivative", 1), hidden="sigmoid", seed=4)
    b = run(bug=("sigmoid-derivative", 1), hidden="sigmoid", seed=4)
    assert a.evaluations == b.evaluations
    assert [w.index for w in a["W1"].worst_entries] == [w.index for w in b["W1"].worst_entries]


# --- precision follows the cost, not only the dtypes ------------------------------------------

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cost_computed_in_float32_inside_gives_no_false_alarm(dtype):
    """The code casts to float32 inside but returns a Python float and float64 gradients: the
    tolerance must follow the cost's measured round-off, not the dtype of what comes back."""
    for seed in range(6):
        X, Y, p = nets.problem(DIMS, 20, seed=seed, dtype=dtype)
        result = check_gradients(*nets.functions(X, Y, internal=np.float32), p, seed=seed)
        assert not any(f.severity.label == "error" for f in result.findings), str(result)
        assert result.precision.startswith("float32 ("), result.precision
        assert "round-off" in result.precision


def test_cost_computed_in_float32_inside_still_finds_a_planted_bug():
    """On a cost this noisy the steps must be large, and some other block may be left undecided by
    the kinks they cross: never reported wrong."""
    X, Y, p = nets.problem(DIMS, 20, seed=1)
    for seed in range(3):
        result = check_gradients(*nets.functions(X, Y, internal=np.float32, bug=("scale", 2, 2.0)), p, seed=seed)
        assert {n for n, q in result.parameters.items() if q.status in ("mismatch", "suspicious")} == {"W2"}
        assert result["W2"].kind == "scale" and result["W2"].factor == pytest.approx(2.0, rel=1e-3)
        assert [f.severity.label for f in result.findings if f.rule == "gradient-mismatch"] == ["error"]


def test_precision_is_named_when_the_check_stops_early():
    inf_cost = check_gradients(lambda p: float("inf"), lambda p: {"dW": np.ones(3)}, {"W": np.ones(3)})
    assert inf_cost.precision == "float64"
    narrow = check_gradients(lambda p: float("inf"), lambda p: {"dW": np.ones(3, np.float32)},
                             {"W": np.ones(3, np.float32)})
    assert narrow.precision == "float64 (float32 parameters evaluated in float64)"
    raised = check_gradients(lambda p: float(np.sum(p["W"] ** 2)), raising_backward, {"W": np.ones(3)})
    assert raised.precision == "float64"
    X, Y, p = nets.problem(DIMS, 30, seed=1)
    random_cost = check_gradients(*nets.functions(X, Y, keep_prob=0.7, rng_factory=fresh_entropy), p, seed=0)
    assert random_cost.precision == "float64"
    assert "(directional, float64)" in str(random_cost)


# --- the off-kink confirmation ----------------------------------------------------------------

SMOOTH = [20, 10, 5, 1]


def test_small_real_error_on_a_smooth_net_is_not_withdrawn_as_a_kink():
    """A tanh net has no kinks. With these seeds one agreeing direction at the moved point used to
    withdraw a real error of relative size 5e-5 as an 'exact-kink' artefact."""
    X, Y, p = nets.problem(SMOOTH, 30, seed=7)
    for seed in (18, 30, 121, 127):
        result = check_gradients(*nets.functions(X, Y, hidden="tanh", bug=("spread", 1, 1e-4, 0)), p, seed=seed)
        assert result["W1"].status in ("mismatch", "suspicious"), str(result)
        assert [f.rule for f in result.findings] == ["gradient-mismatch"], str(result)


def test_exact_relu_kink_is_still_withdrawn():
    """The twin: zero first-layer weights and biases put every pre-activation exactly on the kink,
    where relu'(0) = 0 matches no finite difference; that is not reported as a wrong gradient."""
    for seed in (1, 3):
        X, Y, p = nets.problem(DIMS, 20, seed=seed)
        p["W1"][:] = 0.0
        p["b1"][:] = 0.0
        result = check_gradients(*nets.functions(X, Y), p, seed=seed)
        assert not any(f.severity.label == "error" for f in result.findings), str(result)
        assert any(f.evidence.get("reason") == "exact-kink" for f in result.findings), str(result)


# --- severity of an unnamed error -------------------------------------------------------------

def test_severity_of_an_unnamed_error_does_not_depend_on_the_seed():
    """An error spread over every entry, 5x above the error level (relative 5e-4), is an error for
    every seed (44, 49, 108 gave warnings from a two-direction estimate); one 20x below the level
    (5e-6) never is."""
    X, Y, p = nets.problem(SMOOTH, 30, seed=7)
    for r, expected in ((1e-3, {"error"}), (1e-5, {"warning"})):
        seen = set()
        for seed in (44, 49, 108, 0, 3, 6):
            result = check_gradients(*nets.functions(X, Y, hidden="tanh", bug=("spread", 1, r, 0)), p, seed=seed)
            seen |= {f.severity.label for f in result.findings if f.rule == "gradient-mismatch"}
        assert seen == expected, (r, seen)


# --- messages, verdicts, worst entries --------------------------------------------------------

def test_factor_near_one_is_printed_with_enough_digits():
    result = run(bug=("scale", 2, 1.0004))
    (finding,) = result.findings
    assert result["W2"].kind == "scale"
    assert "dW2 is 1.0004 x the numerical gradient" in finding.message
    assert " 1 x " not in finding.message and "factor 1.0004" in finding.fix
    assert nndoctor.gradcheck.messages.fmt_factor(0.99999) == "0.99999"
    assert nndoctor.gradcheck.messages.fmt_factor(2.0) == "2"


def test_number_of_classes_reads_naturally():
    result = run(bug=("scale", 3, 7.0), n_classes=7)
    (finding,) = result.findings
    assert finding.message.startswith("dW3 is 7 x the numerical gradient of the cost (relative error 0.75), "
                                      "a factor of C = 7 (the number of classes): the cost averages")
    assert "classes x" not in finding.message
    assert finding.evidence["factor_name"] == "C = 7 (the number of classes)"


def test_suspicious_parameter_makes_the_check_suspicious_not_inconclusive():
    X, Y, p = nets.problem(DIMS, 20, seed=1)

    def cost_fn(q):  # log(A + 1e-5): a small, real disagreement the backward ignores
        AL, _ = nets.forward(X, q)
        return -np.sum(Y * np.log(AL + 1e-5) + (1 - Y) * np.log(1 - AL + 1e-5)) / 20

    result = check_gradients(cost_fn, nets.functions(X, Y)[1], p, seed=0)
    assert any(q.status == "suspicious" for q in result.parameters.values())
    assert result.verdict == "suspicious" and result.to_report().verdict == "warn"
    assert result.to_dict()["verdict"] == "suspicious"
    assert "'suspicious'" in nndoctor.ParameterCheck.__doc__


def test_worst_entries_only_list_entries_that_disagree():
    # one wrong entry: the textbook loop used to list it with two entries that agree exactly
    result = run(bug=("entry", 1, 17), dims=[40, 30, 4, 1], m=25, method="full")
    assert [w.index for w in result["W1"].worst_entries] == [np.unravel_index(17, (30, 40))]
    # a factor on a gradient with an entry the cost ignores: that entry (0 vs 0) is not "worst"
    params = {"W": np.array([[0.5, -1.0, 2.0]])}
    result = check_gradients(lambda p: float(np.sum(np.sin(p["W"][0, :2]))),
                             lambda p: {"dW": 2 * np.array([[np.cos(p["W"][0, 0]), np.cos(p["W"][0, 1]), 0.0]])},
                             params, seed=0)
    assert result["W"].kind == "scale"
    assert sorted(w.index for w in result["W"].worst_entries) == [(0, 0), (0, 1)]
    assert all(w.error > 0 for w in result["W"].worst_entries)


def test_relative_difference_matches_dicts_by_key():
    W1, b1 = np.arange(6.0).reshape(2, 3), np.ones((2, 1))
    grads = {"db1": b1, "dW1": W1, "dA1": np.ones(4)}  # course order: backward fills db before dW
    assert nndoctor.relative_difference({"W1": W1, "b1": b1}, {"b1": b1, "W1": W1}) == 0.0
    assert nndoctor.relative_difference(grads, {"W1": W1, "b1": b1}) == 0.0
    assert nndoctor.relative_difference({"W1": W1, "b1": b1}, grads) == 0.0
    assert nndoctor.relative_difference(grads, {"W1": W1, "b1": 2 * b1}) == pytest.approx(
        np.linalg.norm(b1) / (np.linalg.norm(np.r_[W1.ravel(), b1.ravel()]) + np.linalg.norm(np.r_[W1.ravel(), 2 * b1.ravel()])))
    with pytest.raises(InvalidInputError, match="same keys"):
        nndoctor.relative_difference({"W1": W1}, {"W2": W1})


def test_inconclusive_rule_page_matches_the_code():
    from nndoctor.gradcheck.messages import (
        inconclusive_finding,
        kink_finding,
        not_checkable_finding,
        stochastic_finding,
    )

    page = nndoctor.get_rule("check-inconclusive").doc
    reasons = {inconclusive_finding("W1", 6, 1.0, reason, nndoctor.Location()).evidence["reason"]
               for reason in ("kink", "roundoff", "truncation")}
    reasons.add(kink_finding("W1", 0.1, nndoctor.Location()).evidence["reason"])
    reasons.add(not_checkable_finding("mask", "parameter 'mask' is a boolean array", True).evidence["reason"])
    for reason in reasons:
        assert f'`"{reason}"`' in page, reason
    for key in ("relative_error", "attempts", "error_bound"):
        assert f"`{key}`" in page
    # a random cost that cannot be replayed is a stochastic-cost warning, never this rule
    assert stochastic_finding(1.0, 2.0, False, "cost").rule == "stochastic-cost"
    assert "could not be replayed (see `stochastic-cost`)" not in page


# --- where the user's code is -----------------------------------------------------------------

def test_user_frames_are_everything_but_nndoctor_the_stdlib_and_third_party(monkeypatch):
    import os
    import sysconfig

    from nndoctor import usercode

    site = os.path.join(os.sep, "venv", "lib", "python3.11", "site-packages")
    monkeypatch.setattr(usercode, "_PACKAGE_DIR", os.path.join(site, "nndoctor"))  # installed, not editable
    stdlib = sysconfig.get_paths()["stdlib"]
    user = {
        os.path.join(site, "nndoctor", "examples", "gradcheck_planted_errors.py"): True,  # bundled examples
        os.path.join(os.sep, "home", "me", "model.py"): True,
        "<ipython-input-3-5a1b2c>": True,
        os.path.join(site, "nndoctor", "gradcheck", "api.py"): False,
        os.path.join(site, "numpy", "core", "fromnumeric.py"): False,
        os.path.join(os.sep, "usr", "lib", "python3", "dist-packages", "scipy", "optimize.py"): False,
        os.path.join(stdlib, "functools.py"): False,
        "<frozen importlib._bootstrap>": False,
    }
    assert {path: usercode._is_user_frame(path) for path in user} == user


def test_installed_example_keeps_the_line_of_its_gradient(tmp_path, monkeypatch):
    """nndoctor installed into site-packages (not editable): its bundled examples are still the
    user's code, so a finding points at the line that computes the wrong gradient."""
    import importlib.util

    from nndoctor import usercode

    package = tmp_path / "site-packages" / "nndoctor"
    (package / "examples").mkdir(parents=True)
    source = package / "examples" / "tiny_model.py"
    source.write_text(
        "import numpy as np\n"
        "\n"
        "def cost(p):\n"
        "    return float(np.sum(np.sin(p['W'])))\n"
        "\n"
        "def backward(W):\n"
        "    dW = 2 * np.cos(W)\n"
        "    return {'dW': dW}\n"
        "\n"
        "def grad(p):\n"
        "    return backward(p['W'])\n"
    )
    monkeypatch.setattr(usercode, "_PACKAGE_DIR", str(package))
    spec = importlib.util.spec_from_file_location("tiny_model", source)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = check_gradients(module.cost, module.grad, {"W": np.array([0.5, -1.0, 2.0])}, seed=0)
    (finding,) = result.findings
    assert finding.location.function == "backward" and finding.location.line == 7
    assert finding.location.file.endswith("tiny_model.py")


# --- nothing skipped silently (what cannot be checked is listed, with the reason) ------------------

@pytest.mark.planted("check-inconclusive")
def test_what_cannot_be_checked_is_listed_with_its_reason():
    X, Y, p = nets.problem(DIMS, 20, seed=1)
    cost_fn, grad_fn = nets.functions(X, Y)
    weights = {k: p[k] for k in p}
    params = {**weights, "mask": np.ones(3, dtype=bool), "steps": np.arange(3), "phase": np.ones(2, complex),
              "lr": 0.01, "again": p["W1"]}

    def cost(q):
        return cost_fn({k: q[k] for k in weights})

    def grad(q):
        return grad_fn({k: q[k] for k in weights})

    result = check_gradients(cost, grad, params, seed=0)
    assert all(result[k].ok for k in weights), str(result)
    skipped = {n: q.note for n, q in result.parameters.items() if q.status == "not-checked"}
    assert set(skipped) == {"mask", "steps", "phase", "lr", "again"}
    assert "boolean" in skipped["mask"] and "dtype int" in skipped["steps"]
    assert "complex" in skipped["phase"] and "not a numpy array" in skipped["lr"]
    assert "same array as 'W1'" in skipped["again"]
    reasons = {f.location.parameter: f for f in result.findings}
    assert set(reasons) == set(skipped)
    assert all(f.rule == "check-inconclusive" and f.evidence["reason"] == "not-checkable" for f in reasons.values())
    assert reasons["lr"].severity.label == "info" and reasons["mask"].severity.label == "warning"


@pytest.mark.parametrize("array, words", [(np.ones(3, dtype=bool), "boolean"), (np.ones(3, complex), "complex"),
                                          (np.ones(3, dtype=np.int32), "dtype int32")])
def test_nothing_checkable_says_why(array, words):
    with pytest.raises(InvalidInputError, match=words):
        check_gradients(lambda p: 0.0, lambda p: {}, {"W": array})


def test_worst_entries_must_not_be_negative():
    with pytest.raises(InvalidInputError, match="worst_entries"):
        run(worst_entries=-1)
    with pytest.raises(InvalidInputError, match="seed"):
        check_gradients(lambda p: 0.0, lambda p: {}, {"W": np.ones(2)}, seed=-1)


@pytest.mark.planted("unexpected-output")
def test_integer_cost_is_named():
    params = {"W": np.array([0.5, 1.5])}
    result = check_gradients(lambda p: int(np.sum(p["W"] ** 2)), lambda p: {"dW": 2 * p["W"]}, params, seed=0)
    (finding,) = result.findings
    assert finding.rule == "unexpected-output" and "integer" in finding.message and "whole number" in finding.message
    assert not result.ok


def test_cost_that_turns_nan_under_the_steps_is_named():
    """Finite at the parameters, NaN as soon as W moves one way: sqrt of a value that is exactly 0."""
    params = {"W": np.array([1.0, 2.0]), "V": np.array([0.3, -0.2])}

    def cost(p):
        with np.errstate(invalid="ignore"):
            return float(np.sqrt(p["W"][0] - 1.0) + np.sum(p["V"] ** 2))

    def grad(p):
        return {"dW": np.zeros(2), "dV": 2 * p["V"]}

    result = check_gradients(cost, grad, params, seed=0)
    assert result["V"].ok
    assert result["W"].status == "inconclusive"
    (finding,) = [f for f in result.findings if f.location.parameter == "W"]
    assert finding.rule == "non-finite" and "NaN or inf as soon as W moves" in finding.message
    assert finding.severity.label == "warning"


# --- the stateful style with the user's own arrays in lists and layer objects ---------------------

class Layer:
    def __init__(self, W, b):
        self.W, self.b = W, b


class LayeredNet:
    """Weights on layer objects in a list; the check gets a plain dict of those very arrays."""

    def __init__(self, bug=None):
        self.X, self.Y, p = nets.problem(DIMS, 20, seed=3)
        self.layers = [Layer(p[f"W{l}"], p[f"b{l}"]) for l in (1, 2, 3)]
        self.bug = bug

    def params(self):
        return {f"layers.{i}.{n}": getattr(layer, n) for i, layer in enumerate(self.layers) for n in ("W", "b")}

    def _as_dict(self):
        return {f"{n}{i + 1}": getattr(layer, n) for i, layer in enumerate(self.layers) for n in ("W", "b")}

    def cost(self):
        return nets.cost(nets.forward(self.X, self._as_dict())[0], self.Y)

    def gradients(self):
        p = self._as_dict()
        AL, caches = nets.forward(self.X, p)
        g = nets.backward(AL, self.Y, caches, p, bug=self.bug)
        return {f"layers.{i}.{n}": g[f"d{n}{i + 1}"] for i in range(3) for n in ("W", "b")}


@pytest.mark.parametrize("bug, wrong", [(None, set()), (("sign", 2), {"layers.1.W"})])
def test_stateful_layer_objects_are_checked_in_place_and_restored(bug, wrong):
    net = LayeredNet(bug)
    arrays = net.params()
    before = {k: (v.copy(), id(v)) for k, v in arrays.items()}
    result = check_gradients(net.cost, net.gradients, arrays, seed=0)
    assert result.style == "stateful"
    assert {n for n, q in result.parameters.items() if not q.ok} == wrong, str(result)
    for k, v in net.params().items():
        assert id(v) == before[k][1] and v.tobytes() == before[k][0].tobytes()


# --- the profiler and the memory ------------------------------------------------------------------

def test_a_profiler_is_left_as_it_was():
    import sys

    calls = []

    def profiler(frame, event, arg):
        calls.append(event)

    sys.setprofile(profiler)
    try:
        result = run(bug=("scale", 2, 2.0))
        assert sys.getprofile() is profiler
    finally:
        sys.setprofile(None)
    assert result["W2"].kind == "scale" and calls


def test_python_m_cprofile_on_a_script_that_checks(tmp_path):
    import subprocess
    import sys

    script = tmp_path / "check.py"
    script.write_text(
        "import numpy as np, nndoctor\n"
        "p = {'W': np.array([1.0, 2.0])}\n"
        "r = nndoctor.check_gradients(lambda q: float(np.sum(q['W'] ** 3)), lambda q: {'dW': 3 * q['W'] ** 2}, p, seed=0)\n"
        "print(r.verdict)\n")
    done = subprocess.run([sys.executable, "-m", "cProfile", str(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("pass")


@pytest.mark.parametrize("dims, most", [([2000, 50, 1], 3.0), ([12000, 50, 1], 2.0)])
def test_peak_memory_is_a_small_multiple_of_the_parameters(dims, most):
    """The check's own memory, beyond what one forward+backward of the user's code takes: at most
    twice the parameters (working copy, two float32 directions), three times up to HOLD_GRADIENTS
    entries (4 MB), where the gradients are kept through the joint test. Nothing is kept alive
    afterwards."""
    import gc
    import tracemalloc

    from nndoctor.gradcheck.point import HOLD_GRADIENTS

    X, Y, p = nets.problem(dims, 4, seed=0)
    assert (sum(v.size for v in p.values()) <= HOLD_GRADIENTS) == (most == 3.0)
    cost_fn, grad_fn = nets.functions(X, Y)
    size = sum(v.nbytes for v in p.values())
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        grad_fn(p)
        user = tracemalloc.get_traced_memory()[1] - base
        gc.disable()  # a reference cycle would keep evaluations' copies alive until the collector ran
        tracemalloc.reset_peak()
        result = check_gradients(cost_fn, grad_fn, p, seed=0)
        peak = tracemalloc.get_traced_memory()[1] - base
        del result
        left = tracemalloc.get_traced_memory()[0] - base
    finally:
        gc.enable()
        tracemalloc.stop()
    assert peak - user <= most * size, (peak / size, user / size)
    assert left <= 0.1 * size, left / size


@pytest.mark.twin("gradient-mismatch")
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_vanishing_gradients_of_a_deep_tiny_network_are_never_called_wrong(seed):
    """[40, 20, 10, 10, 10, 1] with weights * 0.01 and zero biases: the first layers' gradients are
    1e-5 of the last's, and the pre-activations of layers 3 and 4 are 1e-5..1e-7 with some exactly
    0. Weighed fully, those blocks would be moved by 10 times their own size; what cannot be
    measured is left undecided, and no block is called wrong."""
    rng = np.random.default_rng(seed)
    dims = [40, 20, 10, 10, 10, 1]
    X = rng.standard_normal((40, 300))
    Y = (rng.random((1, 300)) < 0.5).astype(float)
    p = {}
    for layer in range(1, len(dims)):
        p[f"W{layer}"] = rng.standard_normal((dims[layer], dims[layer - 1])) * 0.01
        p[f"b{layer}"] = np.zeros((dims[layer], 1))
    cost_fn, grad_fn = nets.functions(X, Y)
    result = check_gradients(cost_fn, grad_fn, p, seed=seed)
    assert not any(f.rule in ("gradient-mismatch", "non-finite") for f in result.findings), str(result)
    assert result["b5"].ok  # the one gradient of a measurable size is vouched for


@pytest.mark.twin("gradient-mismatch")
@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_pre_activations_exactly_on_the_kink_are_never_called_wrong(seed):
    """Zero biases and an example whose inputs are all 0: every first-layer pre-activation of that
    example is exactly 0. A central difference there is the average of the one-sided slopes at
    every step, a steady disagreement with relu'(0) = 0, whose bend does not show it when the
    units' jumps cancel. The backward pass is right; it is never called wrong."""
    rng = np.random.default_rng(seed)
    X, Y, p = nets.problem([6, 5, 4, 1], 20, seed=seed)
    X[:, :3] = 0.0
    for name in ("b1", "b2", "b3"):
        p[name][:] = 0.0
    cost_fn, grad_fn = nets.functions(X, Y)
    result = check_gradients(cost_fn, grad_fn, p, seed=int(rng.integers(100)))
    assert not any(f.rule == "gradient-mismatch" for f in result.findings), str(result)


@pytest.mark.twin("gradient-mismatch")
def test_a_bias_of_units_sitting_exactly_on_their_kink_is_not_called_wrong():
    """Found by the testing strategies' exact kinks (hypothesis 6.170): three examples, a ReLU unit
    of layer 2 exactly at 0 on two of them, next to a first-layer unit exactly at 0. The central
    difference of b2 averages the two slopes at every step (relative 0.08 away from relu'(0) = 0),
    a disagreement of no known form; a little way off the kinks it agrees: a note, not an error."""
    X = np.array([[2.3786048845323617, 1.0696034165063661, -0.8888763246810304]])
    Y = np.array([[1.0, 0.0, 0.0]])
    p = {"W1": np.array([[0.19110188513505177], [-1.9622397367618054]]),
         "b1": np.array([[-0.20440322924125853], [0.10047737245687226]]),
         "W2": np.array([[-0.16681981400035506, -0.7443159783713772], [0.7701614080840019, -1.4370995935056285],
                         [-0.2837815783423708, -1.4893526429277388]]),
         "b2": np.array([[0.04173041824180417], [0.05160349893601801], [2.7473579110779203]]),
         "W3": np.array([[1.8344833523954314, 0.2510938014162137, 0.4710970468835752]]),
         "b3": np.array([[-0.047480292223697575]])}
    cost_fn, grad_fn = nets.functions(X, Y)
    result = check_gradients(cost_fn, grad_fn, p, seed=0)
    assert not any(f.rule == "gradient-mismatch" for f in result.findings), str(result)
    # a real error next to the same kinks still stands
    wrong = check_gradients(cost_fn, lambda q: {**grad_fn(q), "db2": grad_fn(q)["db2"] * 1.7}, p, seed=0)
    assert "b2" in flagged(wrong), str(wrong)


def test_a_wrong_single_number_is_not_called_a_stray_factor():
    """Any wrong single number is some multiple of the right one: a (1, 1) bias off by a factor
    without a name is 'other'; one off by a named factor (2) keeps 'scale'."""
    def with_b3_times(factor):
        def bug(grads, _params):
            grads["db3"] = grads["db3"] * factor
            return grads
        return bug

    X, Y, p = nets.problem(DIMS, 20, seed=1)
    for factor, kind in ((7.37, "other"), (2.0, "scale")):
        cost_fn, plain = nets.functions(X, Y)
        corrupt = with_b3_times(factor)
        result = check_gradients(cost_fn, lambda q, plain=plain, corrupt=corrupt: corrupt(plain(q), q), p, seed=1)
        assert set(flagged(result)) == {"b3"}
        assert result["b3"].kind == kind
        message = next(f.message for f in result.findings if f.rule == "gradient-mismatch")
        assert ("stray factor" in next(f.fix for f in result.findings if f.rule == "gradient-mismatch")) == (kind == "scale")
        assert "not a constant factor" not in message


# --- the directions are numpy's float32 uniforms, whatever way they are computed ------------------

def _reference_parts(seed, sizes, k, blocks, weights):
    """Direction k's parts drawn block by block with numpy's own float32 uniforms: each block from
    its word of the stream seeded with (seed, k), moved to [-√3, √3) and weighted."""
    words = np.concatenate([[0], np.cumsum([(n + 1) // 2 for n in sizes])])
    parts = {}
    for b in blocks:
        bits = np.random.PCG64(np.random.SeedSequence((seed, k)))
        bits.advance(int(words[b]))
        part = np.random.Generator(bits).random(sizes[b], dtype=np.float32)
        part -= np.float32(0.5)
        part *= np.float32(2.0 * np.sqrt(3.0) * (1.0 if weights is None else weights[b]))
        parts[b] = part
    return parts


@pytest.mark.parametrize("sizes, blocks", [
    ([3, 5, 5], [1, 2]), ([4, 6, 1, 2], [0, 1, 2, 3]), ([1000, 64, 70001, 64, 5, 2], [5, 2, 0]),
    ([140000, 1, 2], [0, 1, 2]), ([7], [0]), ([2, 2, 2, 2], [0, 2, 3]),
])
def test_directions_are_numpys_float32_uniforms_block_by_block(sizes, blocks):
    from nndoctor.gradcheck.directions import Directions
    from nndoctor.gradcheck.evaluator import Combined

    weights = {b: [1.0, 3.7e-5, 1e-40, 250.0][b % 4] for b in range(len(sizes))}
    for k, w in ((1, None), (2, weights)):
        expected = _reference_parts(11, sizes, k, blocks, w)
        drawn = Directions(11, sizes).blocks(k, blocks, weights=w)
        assert all(drawn[b].tobytes() == expected[b].tobytes() for b in blocks)
        ordered = sorted(blocks)
        into = Combined(sizes, ordered)
        Directions(11, sizes).blocks(k, ordered, into=into, weights=w)
        assert all(into.part(b).tobytes() == expected[b].tobytes() for b in ordered)
