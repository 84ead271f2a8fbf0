"""The mini-batch probe (nndoctor.probes.probe_minibatches): builders that drop, repeat or misalign
examples are named with the right kind and numbers, correct builders are silent, bad input gives a
clear finding."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nndoctor.probes import MinibatchSignature, looks_like_minibatch_builder, probe_functions, probe_minibatches

# ---------------------------------------------------------------------------------------------
# builders, right and wrong


def random_mini_batches(X, Y, mini_batch_size=64, seed=0):
    np.random.seed(seed)
    m = X.shape[1]
    mini_batches = []
    permutation = list(np.random.permutation(m))
    shuffled_X = X[:, permutation]
    shuffled_Y = Y[:, permutation].reshape((1, m))
    num_complete_minibatches = math.floor(m / mini_batch_size)
    for k in range(0, num_complete_minibatches):
        mini_batch_X = shuffled_X[:, k * mini_batch_size:(k + 1) * mini_batch_size]
        mini_batch_Y = shuffled_Y[:, k * mini_batch_size:(k + 1) * mini_batch_size]
        mini_batches.append((mini_batch_X, mini_batch_Y))
    if m % mini_batch_size != 0:
        mini_batch_X = shuffled_X[:, num_complete_minibatches * mini_batch_size:]
        mini_batch_Y = shuffled_Y[:, num_complete_minibatches * mini_batch_size:]
        mini_batches.append((mini_batch_X, mini_batch_Y))
    return mini_batches


def _cut(X, Y, size, overlap=0):
    m = X.shape[1]
    return [(X[:, k:k + size + overlap], Y[:, k:k + size + overlap]) for k in range(0, m, size)]


def y_own_permutation(X, Y, mini_batch_size=64, seed=0):
    np.random.seed(seed)
    m = X.shape[1]
    return _cut(X[:, np.random.permutation(m)], Y[:, np.random.permutation(m)], mini_batch_size)


def only_x_shuffled(X, Y, mini_batch_size=64, seed=0):
    np.random.seed(seed)
    return _cut(X[:, np.random.permutation(X.shape[1])], Y, mini_batch_size)


def overlapping_slices(X, Y, mini_batch_size=64, seed=0):
    np.random.seed(seed)
    p = np.random.permutation(X.shape[1])
    return _cut(X[:, p], Y[:, p], mini_batch_size, overlap=1)


def with_replacement(X, Y, mini_batch_size=64, seed=0):
    np.random.seed(seed)
    m = X.shape[1]
    p = np.random.randint(0, m, m)
    return _cut(X[:, p], Y[:, p], mini_batch_size)


def last_batch_negative_zero(X, Y, mini_batch_size=64, seed=0):
    """X[:, -(m % size):] is the whole set when m % size == 0."""
    np.random.seed(seed)
    m = X.shape[1]
    p = np.random.permutation(m)
    X, Y = X[:, p], Y[:, p]
    n = m // mini_batch_size
    out = [(X[:, k * mini_batch_size:(k + 1) * mini_batch_size], Y[:, k * mini_batch_size:(k + 1) * mini_batch_size])
           for k in range(n)]
    out.append((X[:, -(m % mini_batch_size):], Y[:, -(m % mini_batch_size):]))
    return out


def remainder_dropped(X, Y, mini_batch_size=64, seed=0):
    np.random.seed(seed)
    m = X.shape[1]
    p = np.random.permutation(m)
    X, Y = X[:, p], Y[:, p]
    return [(X[:, k * mini_batch_size:(k + 1) * mini_batch_size], Y[:, k * mini_batch_size:(k + 1) * mini_batch_size])
            for k in range(m // mini_batch_size)]


def constant_seed(X, Y, mini_batch_size=64, seed=0):
    np.random.seed(0)  # the seed argument never used
    p = np.random.permutation(X.shape[1])
    return _cut(X[:, p], Y[:, p], mini_batch_size)


def no_shuffle(X, Y, batch_size=64):
    return _cut(X, Y, batch_size)


def get_batches(x, y, batch_size=32, rng=None):
    """Examples as rows, a Generator, batches yielded."""
    rng = rng or np.random.default_rng()
    idx = rng.permutation(len(x))
    for k in range(0, len(x), batch_size):
        yield x[idx[k:k + batch_size]], y[idx[k:k + batch_size]]


def make_batches(X, Y, batch_size=64):
    """No seed: draws from numpy's global generator; returns (X_batches, Y_batches)."""
    m = X.shape[1]
    p = np.random.permutation(m)
    xs = [X[:, p[k:k + batch_size]] for k in range(0, m, batch_size)]
    ys = [Y[:, p[k:k + batch_size]] for k in range(0, m, batch_size)]
    return xs, ys


def kinds(findings):
    return [(f.rule, f.kind, f.severity.label, f.evidence.get("problem")) for f in findings]


# ---------------------------------------------------------------------------------------------
# correct builders are silent


@pytest.mark.twin("mini-batch")
@pytest.mark.parametrize("func", [random_mini_batches, get_batches, make_batches], ids=lambda f: f.__name__)
def test_correct_builders_give_no_finding(func):
    assert probe_minibatches(func) == []


# ---------------------------------------------------------------------------------------------
# planted mistakes


@pytest.mark.planted("mini-batch")
def test_y_shuffled_with_its_own_permutation():
    (f,) = probe_minibatches(y_own_permutation)
    assert (f.rule, f.kind, f.severity.label) == ("mini-batch", "misaligned", "error")
    ev = f.evidence
    assert ev["problem"] == "separate-permutations" and ev["examples"] == 148 and ev["batch_size"] == 64
    assert ev["fraction"] > 0.9 and ev["misaligned"] == round(ev["fraction"] * 148)
    bad = ev["first_bad"]
    assert bad["x_example"] != bad["y_example"]
    assert "ln 2" in f.message and "permutation" in f.fix
    assert f.location.function == "y_own_permutation" and f.location.line is not None


def test_only_x_shuffled():
    (f,) = probe_minibatches(only_x_shuffled)
    assert f.kind == "misaligned" and f.evidence["problem"] == "only-x-shuffled"


@pytest.mark.planted("mini-batch")
def test_overlapping_slices_repeat_examples():
    (f,) = probe_minibatches(overlapping_slices)
    assert (f.kind, f.severity.label) == ("coverage", "error")
    ev = f.evidence
    # m = 148, size 64: batches of 65, 65, 20; the first example of batches 2 and 3 is seen twice
    assert ev["batch_sizes"] == [65, 65, 20] and ev["expected_batch_sizes"] == [64, 64, 20]
    assert ev["repeated_count"] == 2 and ev["missing_count"] == 0 and len(ev["repeated"]) == 2


def test_sampling_with_replacement_drops_and_repeats():
    (f,) = probe_minibatches(with_replacement)
    ev = f.evidence
    assert f.kind == "coverage" and ev["missing_count"] > 0 and ev["repeated_count"] > 0
    assert f"{ev['missing_count']} of the 148 examples never appear" in f.message


def test_last_batch_sliced_with_minus_zero():
    (f,) = probe_minibatches(last_batch_negative_zero)
    ev = f.evidence
    assert f.kind == "coverage" and ev["examples"] == 128 and ev["batch_size"] == 32
    assert ev["repeated_count"] == 128 and ev["batch_sizes"] == [32, 32, 32, 32, 128]


def test_remainder_dropped_is_info_only():
    (f,) = probe_minibatches(remainder_dropped)
    assert (f.kind, f.severity.label, f.evidence["problem"]) == ("coverage", "info", "remainder-dropped")
    assert f.evidence["dropped"] == 148 % 64


def test_same_batches_every_seed_and_no_shuffle_are_info():
    assert kinds(probe_minibatches(constant_seed)) == [("mini-batch", None, "info", "same-batches")]
    assert kinds(probe_minibatches(no_shuffle)) == [("mini-batch", None, "info", "no-shuffle")]


# ---------------------------------------------------------------------------------------------
# bad input


def test_returns_an_array_instead_of_pairs():
    def random_mini_batches(X, Y, mini_batch_size=64, seed=0):
        return np.stack([X[:, :64], X[:, 64:128]])
    (f,) = probe_minibatches(random_mini_batches)
    assert f.rule == "unexpected-output" and "(2, 5, 64)" in f.message


def test_a_builder_that_raises():
    def random_mini_batches(X, Y, mini_batch_size=64, seed=0):
        return X[:, undefined_permutation]  # noqa: F821
    (f,) = probe_minibatches(random_mini_batches)
    assert f.rule == "user-code-error" and f.evidence["exception"] == "NameError"
    assert f.location.file.endswith("test_probes_minibatch.py")


def test_unexpected_signature():
    def random_mini_batches(a, b, c, d, e):
        pass
    (f,) = probe_minibatches(random_mini_batches)
    assert (f.rule, f.severity.label) == ("check-inconclusive", "info")


# ---------------------------------------------------------------------------------------------
# signatures


def test_signatures_are_recognized():
    sig = looks_like_minibatch_builder(random_mini_batches)
    assert isinstance(sig, MinibatchSignature)
    assert sig.roles == {"X": "X", "Y": "Y", "size": "mini_batch_size", "seed": "seed"}
    assert looks_like_minibatch_builder(get_batches).roles["rng"] == "rng"
    assert looks_like_minibatch_builder(make_batches) is not None


@pytest.mark.parametrize("source", [
    "def compute_cost(AL, Y): pass",
    "def predict(X, y, parameters): pass",
    "def backward_propagation(X, Y, cache): pass",
    "def model(X, Y, learning_rate=0.1, mini_batch_size=64, num_epochs=10): pass",
    "def update_parameters(parameters, grads, learning_rate): pass",
])
def test_other_functions_are_not_batch_builders(source):
    namespace: dict = {}
    exec(source, namespace)
    func = next(v for k, v in namespace.items() if k != "__builtins__")
    assert looks_like_minibatch_builder(func) is None


def test_probe_functions_picks_the_builders():
    found = probe_functions({"random_mini_batches": random_mini_batches, "y_own_permutation": y_own_permutation,
                             "compute_cost": lambda AL, Y: 0.0})
    assert [f.kind for f in found] == ["misaligned"]


# ---------------------------------------------------------------------------------------------
# nothing of the caller's changes


def test_numpy_random_state_is_untouched():
    def shuffles_in_place(X, Y, mini_batch_size=64, seed=0):
        np.random.seed(seed)
        np.random.shuffle(X.T)  # shuffles the columns of the array it was given
        np.random.seed(seed)
        np.random.shuffle(Y.T)
        return _cut(X, Y, mini_batch_size)
    np.random.seed(99)
    before = np.random.get_state()
    assert probe_minibatches(shuffles_in_place) == []
    after = np.random.get_state()
    assert before[0] == after[0] and np.array_equal(before[1], after[1]) and before[2:] == after[2:]


# ---------------------------------------------------------------------------------------------
# properties: any m and batch size


config_st = st.tuples(st.integers(20, 300), st.integers(1, 9)).map(
    lambda t: (t[0], max(1, t[0] // (t[1] + 1)), (1, 2)))
PROPS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.twin("mini-batch")
@PROPS
@given(config=config_st)
def test_property_correct_builder_is_silent(config):
    assert probe_minibatches(random_mini_batches, configs=(config,)) == []


@pytest.mark.planted("mini-batch")
@PROPS
@given(config=config_st)
def test_property_separate_permutations_are_misaligned(config):
    found = probe_minibatches(y_own_permutation, configs=(config,))
    assert [f.kind for f in found] == ["misaligned"]
    assert found[0].evidence["examples"] == config[0]


@PROPS
@given(config=config_st)
def test_property_overlapping_slices_are_coverage_errors(config):
    m, size, _ = config
    found = probe_minibatches(overlapping_slices, configs=(config,))
    assert [(f.kind, f.severity.label) for f in found] == [("coverage", "error")]
    # every batch but the last takes one example of the next one
    assert found[0].evidence["repeated_count"] == math.ceil(m / size) - 1
