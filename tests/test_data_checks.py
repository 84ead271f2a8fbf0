"""Data and generalization rules: each planted data problem is found with its numbers, and each
clean twin (standardized data, pixels divided by 255, a disjoint split) gets no finding.

The real data sets in ../shared/data (or /work/shared/data) are used when present."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from nndoctor import InvalidInputError, Report
from nndoctor.data import (
    check_dataset,
    check_fit,
    check_inputs,
    check_labels,
    check_leakage,
    check_test_normalization,
    find_duplicates,
    infer_example_axis,
    learning_curve,
    load_h5,
)
from nndoctor.data.checks import LARGE_SCALE

ROOT = Path(__file__).resolve().parent.parent
DATA_DIRS = (ROOT.parent / "shared" / "data", Path("/work/shared/data"))


def shared(name: str) -> Path:
    for folder in DATA_DIRS:
        if (folder / name).exists():
            return folder / name
    pytest.skip(f"{name} not found in {', '.join(map(str, DATA_DIRS))}")


def frozen(*arrays):
    """Read-only arrays: a check that writes into its input raises."""
    for a in arrays:
        a.flags.writeable = False
    return arrays if len(arrays) > 1 else arrays[0]


def kinds(findings, rule=None):
    return [f.evidence.get("kind") for f in findings if rule is None or f.rule == rule]


@pytest.fixture(scope="module")
def mnist():
    with np.load(shared("mnist_t10k.npz")) as d:
        return d["x"].reshape(len(d["x"]), -1), d["y"]


@pytest.fixture(scope="module")
def cats():
    return load_h5(shared("train_catvnoncat.h5")), load_h5(shared("test_catvnoncat.h5"))


def pixels(m=120, n=784, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(n, m), dtype=np.uint8)  # examples as columns


# -- example axis ---------------------------------------------------------------------------------

@pytest.mark.parametrize("shape, axis", [((12288, 209), 1), ((209, 12288), 0), ((2, 400), 1), ((211, 2), 0),
                                         ((784, 10000), 1), ((10000, 784), 0), ((784, 64), 1), ((5, 5), 1),
                                         ((209, 64, 64, 3), 0)])
def test_example_axis_from_the_shape(shape, axis):
    assert infer_example_axis(np.zeros(shape, dtype=np.uint8)) == axis


def test_example_axis_from_the_labels():
    X = np.zeros((30, 30))
    assert infer_example_axis(X, np.zeros((1, 30))) == 1
    assert infer_example_axis(X, np.zeros((30, 1))) == 0
    assert infer_example_axis(np.zeros((3, 400)), np.zeros(3)) == 0  # 3 examples of 400 features
    assert infer_example_axis(np.zeros((5, 64, 64, 3, 7)), np.zeros(7)) == 4


# -- unnormalized-input ---------------------------------------------------------------------------

@pytest.mark.planted("unnormalized-input")
def test_raw_pixels_are_named_with_their_range():
    X = frozen(pixels())
    [f] = check_inputs(X, name="train_x")
    assert f.rule == "unnormalized-input" and f.code == "NND601" and f.severity.label == "warning"
    assert f.evidence["kind"] == "pixels" and f.evidence["array"] == "train_x"
    assert f.evidence["min"] == 0 and f.evidence["max"] == 255 and f.evidence["dtype"] == "uint8"
    assert f.evidence["example_axis"] == 1 and f.evidence["examples"] == 120
    assert "0 to 255" in f.message and "/ 255" in f.fix
    assert f.location.parameter is None and f.location.function is None


def test_pixels_stored_as_floats_are_still_pixels_and_rows_give_the_same_answer():
    X = pixels().astype(np.float64)
    assert kinds(check_inputs(X)) == ["pixels"]
    assert kinds(check_inputs(X.T, example_axis=0)) == ["pixels"]


@pytest.mark.twin("unnormalized-input")
def test_pixels_divided_by_255_and_standardized_data_are_clean():
    rng = np.random.default_rng(1)
    assert check_inputs(pixels() / 255.0) == []
    assert check_inputs(rng.standard_normal((20, 500))) == []
    assert check_inputs(rng.standard_normal((500, 20)) * 3 + 2) == []  # not exactly standard: fine


def test_real_mnist_digits_scaled_by_255_are_not_flagged_and_raw_ones_are(mnist):
    X, _ = mnist
    assert check_inputs(X / 255.0, example_axis=0) == []  # mean 0.13, std 0.31: normalized enough
    assert check_inputs(X.T / 255.0) == []
    [f] = check_inputs(X, example_axis=0, name="x_train")
    assert f.evidence["kind"] == "pixels" and f.evidence["features"] == 784


def test_features_in_the_hundreds_of_thousands_are_large_scale_with_the_feature_named():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((5, 300))
    X[3] = rng.normal(250_000, 80_000, 300)  # a price
    [f] = check_inputs(X, name="X")
    assert f.evidence["kind"] == "large-scale" and f.evidence["worst_feature"]["index"] == 3
    assert f.evidence["features_above_scale"] == 1 and f.evidence["worst_feature"]["rms"] > LARGE_SCALE
    assert "feature 3" in f.message and "mean" in f.fix


def test_feature_scales_and_small_scale():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((6, 400)) * 0.01
    X[0] *= 500  # std 5 against 0.01
    assert kinds(check_inputs(X)) == ["feature-scales"]
    [f] = check_inputs(rng.standard_normal((6, 400)) * 1e-5)
    assert f.evidence["kind"] == "small-scale" and f.severity.label == "info"


def test_nan_in_the_inputs_is_non_finite_with_its_place():
    X = np.random.default_rng(4).standard_normal((8, 50))
    X[2, 17] = np.nan
    found = check_inputs(X, example_axis=1, name="train_x")
    assert [f.rule for f in found] == ["non-finite"]
    assert found[0].evidence["first"] == {"example": 17, "feature": 2, "value": pytest.approx(np.nan, nan_ok=True)}
    assert found[0].evidence["count"] == 1


def test_inputs_are_not_modified():
    X = pixels()
    before = X.copy()
    check_inputs(X)
    assert np.array_equal(X, before)


# -- test statistics ------------------------------------------------------------------------------

def _raw_sets(seed=5):
    rng = np.random.default_rng(seed)
    scale = rng.uniform(1, 50, size=(10, 1))
    train = rng.normal(100, 1, size=(10, 300)) * scale
    test = rng.normal(101, 1.3, size=(10, 80)) * scale  # a slightly different distribution
    return train, test


def test_test_set_standardized_with_its_own_statistics():
    raw_tr, raw_te = _raw_sets()
    mu, sd = raw_tr.mean(axis=1, keepdims=True), raw_tr.std(axis=1, keepdims=True)
    X_tr = (raw_tr - mu) / sd
    own = (raw_te - raw_te.mean(axis=1, keepdims=True)) / raw_te.std(axis=1, keepdims=True)
    right = (raw_te - mu) / sd
    [f] = check_test_normalization(*frozen(X_tr, own))
    assert f.rule == "unnormalized-input" and f.evidence["kind"] == "test-statistics"
    assert f.evidence["test_statistics"] == "own" and f.evidence["max_abs_test_mean"] < 1e-9
    assert "its own mean" in f.message and "mu" in f.fix
    assert check_test_normalization(X_tr, right) == []
    # ddof=1 standardization has the same fingerprint
    own1 = (raw_te - raw_te.mean(axis=1, keepdims=True)) / raw_te.std(axis=1, ddof=1, keepdims=True)
    assert kinds(check_test_normalization(X_tr, own1)) == ["test-statistics"]


def test_with_the_raw_arrays_any_other_transform_of_the_test_set_is_found():
    raw_tr, raw_te = _raw_sets()
    lo, hi = raw_tr.min(axis=1, keepdims=True), raw_tr.max(axis=1, keepdims=True)
    X_tr = (raw_tr - lo) / (hi - lo)
    own_minmax = (raw_te - raw_te.min(axis=1, keepdims=True)) / np.ptp(raw_te, axis=1, keepdims=True)
    [f] = check_test_normalization(X_tr, own_minmax, raw_train=raw_tr, raw_test=raw_te)
    assert f.evidence["test_statistics"] == "different" and f.evidence["features_differing"] == 10
    assert check_test_normalization(X_tr, (raw_te - lo) / (hi - lo), raw_train=raw_tr, raw_test=raw_te) == []
    mu, sd = raw_tr.mean(axis=1, keepdims=True), raw_tr.std(axis=1, keepdims=True)
    own = (raw_te - raw_te.mean(axis=1, keepdims=True)) / sd
    [g] = check_test_normalization((raw_tr - mu) / sd, own, raw_train=raw_tr, raw_test=raw_te)
    assert g.evidence["test_statistics"] == "own"


def test_test_pixels_never_divided_by_255():
    tr, te = pixels(seed=6), pixels(m=40, seed=7)
    [f] = check_test_normalization(tr / 255.0, te)
    assert f.evidence["test_statistics"] == "different" and "255" in f.message
    assert f.evidence["rms_ratio"] == pytest.approx(255, rel=0.1)
    assert check_test_normalization(tr / 255.0, te / 255.0) == []


def test_feature_count_mismatch_is_a_clear_error():
    with pytest.raises(InvalidInputError, match="features"):
        check_test_normalization(np.zeros((5, 10)), np.zeros((6, 3)), example_axis=1)


# -- train-test-leakage ---------------------------------------------------------------------------

def test_exact_and_near_duplicates_are_counted_and_located(mnist):
    X, _ = mnist
    rng = np.random.default_rng(8)
    train, test = X[:6000], X[6000:8000].copy()
    test[[5, 99, 1500]] = train[[10, 20, 30]]  # exact copies
    noisy = np.clip(train[[40, 50]].astype(int) + rng.integers(-1, 2, size=(2, 784)), 0, 255)
    test[[7, 8]] = noisy  # re-encoded copies: +-1 grey level
    d = find_duplicates(train, test, example_axis=0)
    assert sorted(map(tuple, d.exact.tolist())) == [(5, 10), (99, 20), (1500, 30)]
    assert sorted(map(tuple, d.near.tolist())) == [(7, 40), (8, 50)]
    [f] = check_leakage(*frozen(train, test), example_axis=0, train_name="x_train", test_name="x_test")
    assert f.rule == "train-test-leakage" and f.code == "NND602"
    assert f.evidence["duplicates"] == 5 and f.evidence["exact"] == 3 and f.evidence["near"] == 2
    assert f.evidence["test_indices"] == [5, 7, 8, 99, 1500]
    assert {"test_index": 5, "train_index": 10, "exact": True} in f.evidence["pairs"]
    assert f.severity.label == "warning"  # 5 of 2000: probably from the data set itself
    assert "5 of the 2000 examples of x_test" in f.message and "setdiff1d" in f.fix


@pytest.mark.twin("train-test-leakage")
def test_a_disjoint_split_of_real_digits_is_clean_in_both_layouts(mnist):
    X, _ = mnist
    assert check_leakage(X[:5000], X[5000:], example_axis=0) == []
    assert check_leakage(X[:5000].T / 255.0, X[5000:].T / 255.0) == []  # columns, guessed


@pytest.mark.planted("train-test-leakage")
@pytest.mark.twin("train-test-leakage")
def test_an_overlapping_split_is_an_error():
    rng = np.random.default_rng(9)
    X = rng.standard_normal((40, 1000))
    perm = rng.permutation(1000)
    train, test = X[:, perm[:900]], X[:, perm[800:]]  # the page's example: 100 shared
    [f] = check_leakage(train, test)
    assert f.severity.label == "error" and f.evidence["exact"] == 100 and f.evidence["fraction"] == 0.5
    assert check_leakage(X[:, perm[:800]], X[:, perm[800:]]) == []


def test_the_training_set_passed_as_the_test_set():
    X = np.random.default_rng(10).standard_normal((30, 200))
    [f] = check_leakage(X, X)
    assert f.evidence["same_array"] and f.severity.label == "error" and "itself" in f.message
    [g] = check_leakage(X, X.copy())
    assert g.evidence["same_array"]


def test_copies_in_another_dtype_or_with_negative_zero_are_exact():
    X = np.random.default_rng(11).standard_normal((200, 32)).astype(np.float32)
    test = np.vstack([X[:3].astype(np.float64), np.random.default_rng(12).standard_normal((5, 32))])
    assert find_duplicates(X, test, example_axis=0).exact.tolist() == [[0, 0], [1, 1], [2, 2]]
    Z = np.zeros((10, 20))
    Z[:, 0] = np.arange(10)
    W = Z[3:5].copy()
    W[:, 5] = -0.0
    assert find_duplicates(Z, W, example_axis=0).exact.tolist() == [[0, 3], [1, 4]]


def test_few_features_exact_copies_are_only_a_warning_and_near_is_not_searched():
    rng = np.random.default_rng(13)
    X = rng.standard_normal((2, 300))
    test = np.hstack([X[:, :30], rng.standard_normal((2, 20))])
    [f] = check_leakage(X, test)
    assert f.severity.label == "warning" and not f.evidence["near_checked"] and "by chance" in f.message


def test_real_cat_data_has_one_test_image_in_the_training_set(cats):
    train, test = cats
    [f] = check_leakage(train.X, test.X)
    assert f.evidence["pairs"] == [{"test_index": 17, "train_index": 146, "exact": True}]
    assert f.evidence["fraction"] == 0.02 and f.severity.label == "warning"


def test_leakage_at_a_larger_size_is_found_exactly():
    rng = np.random.default_rng(14)
    train = rng.integers(0, 256, size=(20000, 784), dtype=np.uint8)
    test = rng.integers(0, 256, size=(3000, 784), dtype=np.uint8)
    test[::300] = train[:10]
    d = find_duplicates(train, test, example_axis=0)
    assert d.exact[:, 0].tolist() == list(range(0, 3000, 300)) and d.exact[:, 1].tolist() == list(range(10))
    assert len(d.near) == 0


# -- label-format ---------------------------------------------------------------------------------

@pytest.mark.planted("label-format")
@pytest.mark.twin("label-format")
def test_predictions_passed_as_labels():
    rng = np.random.default_rng(15)
    A = 1 / (1 + np.exp(-rng.standard_normal((1, 209))))
    [f] = check_labels(A, name="train_y")
    assert f.rule == "label-format" and f.code == "NND605" and f.evidence["kind"] == "predictions-as-labels"
    assert f.severity.label == "error" and "predictions" in f.message and f.evidence["array"] == "train_y"
    [g] = check_labels(A, predictions=A)
    assert g.evidence["same_array"]
    Y = (rng.random((1, 209)) < 0.5).astype(float)
    [h] = check_labels(A, predictions=Y)
    assert h.evidence.get("swapped")
    assert check_labels(Y, predictions=A) == []
    assert check_labels(np.where(Y == 1, 0.9, 0.1)) == []  # label smoothing


@pytest.mark.planted("label-format")
@pytest.mark.twin("label-format")
def test_binary_labels_outside_0_1():
    Y = np.where(np.random.default_rng(16).random((1, 50)) < 0.5, -1, 1)
    [f] = check_labels(Y)
    assert f.evidence["kind"] == "binary-values" and f.evidence["values"] == [-1, 1] and f.severity.label == "warning"
    [g] = check_labels(Y, n_outputs=1)
    assert g.severity.label == "error" and "astype(int)" in g.fix
    assert check_labels((Y + 1) // 2, n_outputs=1) == []
    assert check_labels(((Y + 1) // 2).astype(bool)) == []


@pytest.mark.planted("label-format")
@pytest.mark.twin("label-format")
def test_class_numbers_for_one_sigmoid_output():
    Y = np.arange(100).reshape(1, 100) % 10
    [f] = check_labels(Y, n_outputs=1)
    assert f.evidence["kind"] == "class-indices" and f.evidence["classes"] == 10 and "np.eye(10)" in f.fix
    assert check_labels(Y) == [] and check_labels(Y, n_outputs=10) == []
    assert kinds(check_labels(Y, n_outputs=6)) == ["class-indices"]


@pytest.mark.planted("label-format")
@pytest.mark.twin("label-format")
def test_one_hot_labels_on_the_wrong_axis():
    rng = np.random.default_rng(17)
    onehot_rows = np.eye(6)[rng.integers(0, 6, 120)]  # (120, 6)
    X_cols = rng.random((64, 120))
    [f] = check_labels(onehot_rows, X=X_cols)
    assert f.evidence["kind"] == "one-hot-orientation" and f.evidence["expected_shape"] == [6, 120]
    assert f.fix.startswith("Transpose")
    assert check_labels(onehot_rows.T, X=X_cols) == []
    assert check_labels(onehot_rows, X=X_cols.T) == []  # examples as rows: (m, C) is right
    assert kinds(check_labels(onehot_rows, predictions=rng.random((6, 120)))) == ["one-hot-orientation"]


@pytest.mark.planted("label-format")
@pytest.mark.twin("label-format")
def test_labels_that_broadcast_into_an_m_by_m_cost():
    Y = (np.arange(209) % 2).reshape(209, 1)
    A = np.full((1, 209), 0.5)
    [f] = check_labels(Y, predictions=A)
    assert f.evidence["kind"] == "shape" and f.evidence["broadcast_shape"] == [209, 209]
    assert check_labels(Y.reshape(1, -1), predictions=A) == []
    assert check_labels(Y.ravel(), predictions=A) == []  # (209,) against (1, 209) stays (1, 209)
    [g] = check_labels(Y.reshape(1, -1)[:, :200], X=np.zeros((5, 209)), example_axis=1)
    assert g.evidence["kind"] == "shape"


def test_nan_labels():
    Y = np.array([[0.0, 1.0, np.nan]])
    assert [f.rule for f in check_labels(Y)] == ["non-finite"]


# -- high-bias / high-variance --------------------------------------------------------------------

@pytest.mark.parametrize("train, dev, rules", [
    pytest.param(0.15, 0.16, ["high-bias"], id="high_bias", marks=pytest.mark.planted("high-bias")),
    pytest.param(0.01, 0.11, ["high-variance"], id="high_variance", marks=pytest.mark.planted("high-variance")),
    pytest.param(0.15, 0.30, ["high-bias", "high-variance"], id="high_bias-high_variance",
                 marks=pytest.mark.planted("high-bias", "high-variance")),
    pytest.param(0.005, 0.01, [], id="twin-high_bias-high_variance", marks=pytest.mark.twin("high-bias", "high-variance")),
    # case 2: train accuracy 1.0, test 0.74
    pytest.param(0.0, 0.26, ["high-variance"], id="high_variance-case_2", marks=pytest.mark.planted("high-variance")),
])
def test_the_field_guide_bias_variance_table(train, dev, rules):
    found = check_fit(train, dev)
    assert [f.rule for f in found] == rules
    for f in found:
        assert f.evidence["train_error"] == train and f.evidence["dev_error"] == dev
        assert f.evidence["both"] == (len(rules) == 2)
        assert f"{100 * train:.1f}%" in f.message


def test_fit_options_base_error_accuracy_and_significance():
    assert check_fit(0.15, 0.16, base_error=0.14) == []
    assert [f.rule for f in check_fit(0.99, 0.89, accuracy=True)] == ["high-variance"]
    assert [f.rule for f in check_fit(0.0, 0.06)] == ["high-variance"]
    assert check_fit(0.0, 0.06, dev_examples=50) == []  # 3 of 50 images: within noise
    [f] = check_fit(0.0, 0.28, dev_examples=50, train_examples=209, parameters=1_000_000)
    assert f.evidence["dev_standard_error"] == pytest.approx(np.sqrt(0.28 * 0.72 / 50))
    assert "1,000,000 parameters" in f.message
    with pytest.raises(InvalidInputError, match="pass 0.15"):
        check_fit(15, 16)


def test_learning_curve_trend_and_plot():
    curve = learning_curve([1000, 250, 500], [0.01, 0.0, 0.005], [0.08, 0.20, 0.12])
    assert curve.sizes == (250, 500, 1000) and curve.trend == "gap-shrinking"
    [f] = curve.findings()
    assert f.rule == "high-variance" and "more data helps" in f.message
    assert f.evidence["learning_curve"]["sizes"] == [250, 500, 1000]
    flat = learning_curve([100, 1000], [0.14, 0.16], [0.22, 0.17])
    assert flat.trend == "flat" and "more data will not help" in flat.findings()[0].message
    assert flat.to_svg().startswith("<svg")


# -- everything together --------------------------------------------------------------------------

def test_check_dataset_on_the_real_cat_data(cats):
    train, test = cats
    found = check_dataset(train.X, train.Y, test.X, test.Y)
    assert [f.rule for f in found] == ["train-test-leakage"]
    raw_train = load_h5(shared("train_catvnoncat.h5"), scale=False)
    raw_test = load_h5(shared("test_catvnoncat.h5"), scale=False)
    found = check_dataset(raw_train.X, raw_train.Y, raw_test.X, raw_test.Y)
    assert [(f.rule, f.evidence.get("kind")) for f in found] == [("unnormalized-input", "pixels"),
                                                                  ("train-test-leakage", None)]
    mixed = check_dataset(train.X, train.Y, raw_test.X, test.Y)
    assert ("unnormalized-input", "test-statistics") in [(f.rule, f.evidence.get("kind")) for f in mixed]


def test_check_dataset_on_the_2d_regularization_data():
    scipy_io = pytest.importorskip("scipy.io")
    d = scipy_io.loadmat(str(shared("data.mat")))
    assert check_dataset(d["X"].T, d["y"].T, d["Xval"].T, d["yval"].T) == []
    assert check_dataset(d["X"], d["y"], d["Xval"], d["yval"]) == []  # rows


def test_findings_go_into_a_json_report():
    X = pixels()
    Y = np.where(np.arange(120) % 2, 1, -1).reshape(1, 120)
    report = Report(target="data", findings=check_dataset(X, Y, X[:, :30]))
    data = json.loads(json.dumps(report.to_dict()))
    rules = {f["rule"] for f in data["findings"]}
    assert rules == {"unnormalized-input", "label-format", "train-test-leakage"}
    assert data["verdict"] == "fail"


def test_checks_leave_numpy_global_random_state_alone():
    state = np.random.get_state()[1].copy()
    X = np.random.default_rng(18).standard_normal((40, 300))
    check_dataset(X, (X[0:1] > 0).astype(int), X[:, :50].copy())
    assert np.array_equal(state, np.random.get_state()[1])


def test_a_learning_curve_report_draws_the_curve():
    from nndoctor.data import learning_curve
    from nndoctor.render import render_html

    report = learning_curve([100, 200, 400], [0.01, 0.02, 0.03], [0.2, 0.15, 0.12]).to_report("curve")
    assert [f.rule for f in report.findings] == ["high-variance"]
    page = render_html(report)
    assert "<h2>Learning curve</h2>" in page and page.count("<svg") == 1
