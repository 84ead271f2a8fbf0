"""Invariants of the gradient checker over random architectures (hypothesis)."""

import nets
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nndoctor import check_gradients

# derandomize: CI runs the same examples every time; wider random runs are done by hand (max_examples=300)
SETTINGS = settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])

dims_strategy = st.lists(st.integers(1, 8), min_size=1, max_size=3).flatmap(
    lambda hidden: st.tuples(st.integers(1, 10), st.just(hidden))
).map(lambda t: [t[0], *t[1], 1])


@pytest.mark.twin("gradient-mismatch")
@SETTINGS
@given(dims=dims_strategy, m=st.integers(1, 12), seed=st.integers(0, 2**16),
       hidden=st.sampled_from(["relu", "tanh", "sigmoid", "lrelu"]))
def test_correct_random_networks_never_fail(dims, m, seed, hidden):
    X, Y, p = nets.problem(dims, m, seed=seed)
    result = check_gradients(*nets.functions(X, Y, hidden=hidden), p, seed=seed)
    assert not any(f.severity.label == "error" for f in result.findings), str(result)


@pytest.mark.planted("gradient-mismatch")
@SETTINGS
@given(dims=dims_strategy, m=st.integers(2, 12), seed=st.integers(0, 2**16),
       kind=st.sampled_from(["scale", "sign"]), data=st.data())
def test_planted_factor_is_found_in_exactly_its_block(dims, m, seed, kind, data):
    X, Y, p = nets.problem(dims, m, seed=seed)
    layers = len(dims) - 1
    layer = data.draw(st.integers(1, layers), label="layer")
    factor = data.draw(st.sampled_from([2.0, 0.5, 3.0, 10.0]), label="factor")
    bug = ("scale", layer, factor) if kind == "scale" else ("sign", layer)
    # a gradient that is exactly zero has no factor to find
    _, clean_grad = nets.functions(X, Y)
    if not np.any(clean_grad(p)[f"dW{layer}"]):
        return
    result = check_gradients(*nets.functions(X, Y, bug=bug), p, seed=seed)
    wrong = {name for name, q in result.parameters.items() if q.status in ("mismatch", "suspicious")}
    assert f"W{layer}" in wrong, str(result)
    assert wrong == {f"W{layer}"}, str(result)
    assert result[f"W{layer}"].kind in (kind, "other"), str(result)


@SETTINGS
@given(dims=dims_strategy, m=st.integers(1, 12), seed=st.integers(0, 2**16),
       keep_prob=st.sampled_from([1.0, 0.8]))
def test_parameters_and_global_random_state_untouched(dims, m, seed, keep_prob):
    X, Y, p = nets.problem(dims, m, seed=seed)
    copies = {k: v.copy() for k, v in p.items()}
    np.random.seed(seed)
    state = np.random.get_state()
    check_gradients(*nets.functions(X, Y, keep_prob=keep_prob, bug=("scale", 1, 2.0)), p, seed=seed)
    after = np.random.get_state()
    assert after[0] == state[0] and np.array_equal(after[1], state[1]) and after[2:] == state[2:]
    for k in p:
        assert p[k].tobytes() == copies[k].tobytes()


@pytest.mark.twin("gradient-mismatch")
@SETTINGS
@given(seed=st.integers(0, 2**16), width=st.integers(20, 60))
def test_kink_heavy_relu_networks_give_no_false_alarm(seed, width):
    """Zero biases and many units put pre-activations near the ReLU kink along every direction."""
    X, Y, p = nets.problem([8, width, width, 1], 40, seed=seed)
    for key in p:
        if key.startswith("b"):
            p[key][:] = 0.0
    result = check_gradients(*nets.functions(X, Y), p, seed=seed)
    assert not any(f.severity.label == "error" for f in result.findings), str(result)


@pytest.mark.planted("gradient-mismatch")
@SETTINGS
@given(seed=st.integers(0, 2**16), lambd=st.floats(0.05, 2.0), data=st.data())
def test_forgotten_l2_is_found_with_its_coefficient(seed, lambd, data):
    dims = [5, 6, 4, 1]
    layer = data.draw(st.integers(1, 3), label="layer")
    X, Y, p = nets.problem(dims, 15, seed=seed)
    result = check_gradients(*nets.functions(X, Y, lambd=lambd, bug=("forget-l2", layer)), p, seed=seed)
    q = result[f"W{layer}"]
    assert q.status in ("mismatch", "suspicious")
    if q.kind == "missing-term":
        assert abs(q.coefficient - lambd / 15) <= 1e-4 * lambd / 15
    # the others are never blamed (a very noisy cost may leave one inconclusive, never wrong)
    assert all(r.status in ("ok", "inconclusive") for name, r in result.parameters.items() if name != f"W{layer}")


@pytest.mark.twin("gradient-mismatch")
def test_saturated_output_cost_noise_gives_no_false_alarm():
    """An output sigmoid within ~1e-9 of 1 on a label-0 example: log(1 - A) carries round-off far
    above float64's, which the check measures instead of reading it as a wrong gradient."""
    X, Y, p = nets.problem([10, 8, 1, 1], 10, seed=332)
    for seed in (332, 0, 1, 2, 3):
        result = check_gradients(*nets.functions(X, Y, hidden="relu"), p, seed=seed)
        assert not any(f.severity.label == "error" for f in result.findings), str(result)


@pytest.mark.planted("gradient-mismatch")
@pytest.mark.parametrize("layer", [1, 2, 3])
def test_planted_scale_on_a_saturated_output_is_still_found(layer):
    """The wider bounds of a noisy cost still leave a wrong factor plainly visible."""
    X, Y, p = nets.problem([10, 8, 1, 1], 10, seed=332)
    for seed in (332, 0):
        result = check_gradients(*nets.functions(X, Y, hidden="relu", bug=("scale", layer, 2.0)), p, seed=seed)
        assert result[f"W{layer}"].kind == "scale" and result[f"W{layer}"].factor == pytest.approx(2.0, rel=1e-3)
        assert [f.location.parameter for f in result.findings if f.severity.label == "error"] == [f"W{layer}"]
