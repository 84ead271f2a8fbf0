"""The hypothesis strategies of nndoctor.testing: shapes fit, values are finite, kinks are reached,
impossible bounds are refused with a sentence."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from nndoctor.errors import InvalidInputError
from nndoctor.testing import strategies as nst

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _shapes(problem):
    """Parameter shapes the layout promises."""
    out = {}
    for layer in range(1, len(problem.dims)):
        n_prev, n = problem.dims[layer - 1], problem.dims[layer]
        column = problem.layout == "column"
        out[f"W{layer}"] = (n, n_prev) if column else (n_prev, n)
        out[f"b{layer}"] = (n, 1) if column else (1, n)
    return out


@SETTINGS
@given(problem=nst.problems(layout=None, dtype=None, init=None, labels="binary", max_layers=4))
def test_binary_problems_fit_together(problem):
    n_x, n_y, m = problem.dims[0], problem.dims[-1], problem.m
    assert problem.X.shape == ((n_x, m) if problem.layout == "column" else (m, n_x))
    assert problem.Y.shape == ((n_y, m) if problem.layout == "column" else (m, n_y))
    assert {k: v.shape for k, v in problem.parameters.items()} == _shapes(problem)
    for array in (problem.X, problem.Y, *problem.parameters.values()):
        assert array.dtype == problem.dtype
        assert np.all(np.isfinite(array))
    assert set(np.unique(problem.Y)) <= {0.0, 1.0}
    Z = problem.pre_activations()
    assert len(Z) == problem.L and Z[-1].shape == problem.Y.shape  # a forward pass runs and fits Y
    assert all(np.all(np.isfinite(z)) for z in Z)


@SETTINGS
@given(problem=nst.problems(labels="one-hot", layout=None, max_examples=10))
def test_one_hot_problems_have_one_class_per_example(problem):
    class_axis = 0 if problem.layout == "column" else 1
    assert problem.dims[-1] >= 2
    assert problem.Y.shape[class_axis] == problem.dims[-1]
    assert np.all(problem.Y.sum(axis=class_axis) == 1)


@SETTINGS
@given(dims=nst.layer_dims(min_layers=2, max_layers=4, min_units=3, max_units=5, min_features=2, max_features=2, n_y=3))
def test_layer_dims_respect_their_bounds(dims):
    assert 3 <= len(dims) <= 5
    assert dims[0] == 2 and dims[-1] == 3
    assert all(3 <= d <= 5 for d in dims[1:-1])


@SETTINGS
@given(data=st.data(), layout=nst.layouts(), n=st.integers(1, 5))
def test_batches_and_labels_follow_the_layout(data, layout, n):
    X = data.draw(nst.batches(n, min_examples=2, max_examples=6, layout=layout, dtype=np.float32))
    m = X.shape[1] if layout == "column" else X.shape[0]
    assert X.shape == ((n, m) if layout == "column" else (m, n)) and X.dtype == np.float32
    Y = data.draw(nst.binary_labels(m, n_outputs=2, layout=layout, both_classes=True))
    per_output = Y if layout == "column" else Y.T
    assert per_output.shape == (2, m) and np.all((per_output.min(axis=1) == 0) & (per_output.max(axis=1) == 1))
    Yc = data.draw(nst.one_hot_labels(max(m, 3), 3, layout=layout, all_classes=True))
    counts = Yc.sum(axis=1 if layout == "column" else 0)
    assert counts.shape == (3,) and np.all(counts >= 1)


@SETTINGS
@given(keep_prob=nst.keep_probs(min_value=0.3, max_value=1.0, allow_one=False), dtype=nst.float_dtypes(float16=True))
def test_keep_probs_and_dtypes(keep_prob, dtype):
    assert 0.3 <= keep_prob < 1.0
    assert dtype in (np.float64, np.float32, np.float16)


@pytest.mark.parametrize("init, expected", [("he", np.sqrt(2 / 400)), ("xavier", np.sqrt(1 / 400)),
                                            ("glorot", np.sqrt(2 / 700))])
def test_parameters_are_he_or_xavier_scaled(init, expected):
    @settings(max_examples=3, deadline=None, derandomize=True, database=None)
    @given(params=nst.parameters([400, 300, 1], init=init, bias_scale=0.0))
    def check(params):
        assert params["W1"].shape == (300, 400) and params["b1"].shape == (300, 1)
        assert abs(params["W1"].std() / expected - 1) < 0.02  # 120,000 draws: the sample std is within 1%
        assert not params["b1"].any()

    check()


def test_row_layout_parameters_are_transposed():
    @settings(max_examples=3, deadline=None, derandomize=True, database=None)
    @given(params=nst.parameters(nst.layer_dims(n_x=4, n_y=2, min_layers=2, max_layers=2), layout="row",
                                 names=("w", "b")))
    def check(params):
        assert params["w1"].shape[0] == 4 and params["b1"].shape[0] == 1
        assert params["w2"].shape[1] == 2 and params["b2"].shape == (1, 2)

    check()


def _slack(problem):
    """Per kink, the rounding a placement cannot beat, relative to the unit's scale: the new bias is
    stored in the problem's dtype, so Z = W.a + b lands within a few eps of |b| + |W.a| of its target."""
    eps = float(np.finfo(problem.dtype).eps)
    Z = problem.pre_activations()
    inputs = [problem.X.astype(np.float64)] + [nst.activate(z, problem.hidden) for z in Z[:-1]]
    column = problem.layout == "column"
    out = []
    for layer, unit, _example in problem.kinks:
        W, b = problem.parameters[f"W{layer}"], problem.parameters[f"b{layer}"]
        bias = float(b[unit, 0] if column else b[0, unit])
        scale = nst.unit_scale(W, inputs[layer - 1], unit, column)
        out.append(8 * eps * (abs(bias) + 2 * scale) / scale)
    return out


@SETTINGS
@given(problem=nst.problems(near_kinks=True, min_layers=2, max_layers=4, layout=None, dtype=None, max_examples=6))
def test_kinks_are_actually_reached(problem):
    """Every hidden layer has units whose pre-activation sits within kink_distance of 0."""
    assert {layer for layer, _, _ in problem.kinks} == set(range(1, problem.L))
    for distance, slack in zip(problem.kink_distances(), _slack(problem)):
        assert distance <= nst.KINK_DISTANCE[1] * 1.01 + slack


@SETTINGS
@given(problem=nst.problems(near_kinks=True, kink_distance=(1e-12, 1e-10), min_layers=2, max_layers=3))
def test_kinks_can_be_placed_closer(problem):
    distances = problem.kink_distances()
    assert distances
    for distance, slack in zip(distances, _slack(problem)):
        assert distance <= 1e-10 * 1.01 + slack


def test_near_kinks_move_pre_activations_from_far_to_near():
    """A kink placed on purpose really moved a pre-activation: without the move, hardly any is that close."""
    near = []

    @settings(max_examples=30, deadline=None, derandomize=True, database=None)
    @given(problem=nst.problems(near_kinks=True, min_layers=2, max_layers=2, kink_distance=(1e-9, 1e-8)))
    def check(problem):
        near.append(min(problem.kink_distances()) < 1e-8 * 1.01)

    check()
    assert all(near)


@SETTINGS
@given(problem=nst.problems(near_kinks=False, max_examples=4))
def test_no_kinks_when_switched_off(problem):
    assert problem.kinks == []


def test_drawn_kinks_reach_both_kinds_of_problem():
    seen = set()

    @settings(max_examples=40, deadline=None, derandomize=True, database=None)
    @given(problem=nst.problems(min_layers=2, max_layers=2))
    def check(problem):
        seen.add(bool(problem.kinks))

    check()
    assert seen == {True, False}


def test_a_small_problem_prints_its_arrays_and_a_large_one_its_recipe():
    small = nst.Problem(np.array([[0.5, -1.0]]), np.array([[1.0, 0.0]]),
                        {"W1": np.array([[0.25]]), "b1": np.zeros((1, 1))},
                        [1, 1], "column", np.dtype(np.float64), "he", "relu", "binary", 7)
    assert repr(small) == ("Problem(dims=[1, 1], m=2, layout='column', dtype=float64, init='he', labels='binary', "
                           "seed=7, X=[[0.5, -1]], Y=[[1, 0]], W1=[[0.25]], b1=[[0]])")
    big = nst.Problem(np.zeros((50, 3)), np.zeros((1, 3)), {"W1": np.zeros((1, 50)), "b1": np.zeros((1, 1))},
                      [50, 1], "column", np.dtype(np.float64), "he", "relu", "binary", 7)
    assert repr(big).endswith("seed=7)")


@pytest.mark.parametrize("build, match", [
    (lambda: nst.layer_dims(min_layers=3, max_layers=2), "min_layers=3 is above max_layers=2"),
    (lambda: nst.layer_dims(min_units=0), "min_units=0 is below 1"),
    (lambda: nst.layer_dims(max_units=2.5), "max_units must be an integer"),
    (lambda: nst.problems(min_examples=9, max_examples=8), "min_examples=9 is above max_examples=8"),
    (lambda: nst.problems(labels="one-hot", n_y=1), "one-hot labels need at least 2 classes"),
    (lambda: nst.problems(dims=[3, 1], labels="one-hot"), "at least 2 output units"),
    (lambda: nst.problems(dims=[3]), "at least two layer sizes"),
    (lambda: nst.problems(layout="diagonal"), "layout must be 'column'"),
    (lambda: nst.problems(kink_distance=(1e-3, 1e-6)), r"kink_distance=\(0.001, 1e-06\) is impossible"),
    (lambda: nst.problems(kink_distance=(0, 1e-6)), "0 < nearest <= farthest < 1"),
    (lambda: nst.problems(hidden="softmax"), "hidden must be one of"),
    (lambda: nst.parameters([3, 2], init="lecun"), "init must be one of"),
    (lambda: nst.parameters([3, 2], dtype=np.int64), "not a float dtype"),
    (lambda: nst.parameters([3, 2], names=("W", "W")), "two different non-empty strings"),
    (lambda: nst.batches(3, layout="column", scale=0), "scale must be a positive finite number"),
    (lambda: nst.keep_probs(min_value=0.0), "min_value=0.0 is not a keep probability"),
    (lambda: nst.keep_probs(max_value=1.5), "cannot exceed 1"),
    (lambda: nst.keep_probs(min_value=0.9, max_value=0.8), "min_value=0.9 is above max_value=0.8"),
    (lambda: nst.keep_probs(min_value=1.0, allow_one=False), "allow_one=False excludes 1.0"),
    (lambda: nst.one_hot_labels(5, 1), "one-hot labels need at least 2 classes"),
    (lambda: nst.one_hot_labels(2, 3, all_classes=True), "m=2 < n_classes=3"),
    (lambda: nst.binary_labels(1, both_classes=True), "needs at least 2 examples"),
    (lambda: nst.float_dtypes(float64=False, float32=False), "no dtype is left"),
])
def test_impossible_bounds_are_refused_when_the_strategy_is_built(build, match):
    with pytest.raises(nst.InvalidStrategyArguments, match=match) as info:
        build()
    assert isinstance(info.value, InvalidArgument) and isinstance(info.value, ValueError)
    assert isinstance(info.value, InvalidInputError)
