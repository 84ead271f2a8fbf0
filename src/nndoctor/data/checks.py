"""Data checks: each function takes arrays and returns a list of `Finding` (empty when all is well).

- `check_inputs(X)`: ``unnormalized-input`` (raw pixels 0-255, features in the hundreds of
  thousands, features on wildly different scales) and ``non-finite`` (NaN/inf in the data).
- `check_test_normalization(X_train, X_test)`: ``unnormalized-input`` of kind ``test-statistics``:
  the test set normalized with its own statistics, or not at all.
- `check_leakage(X_train, X_test)`: ``train-test-leakage`` (see `nndoctor.data.leakage`).
- `check_labels(Y)`: ``label-format``: binary labels outside {0, 1}, one-hot matrices on the wrong
  axis, labels that are really predictions, shapes that broadcast into an (m, m) matrix.
- `check_fit(train_error, dev_error)`: ``high-bias`` / ``high-variance`` (see `nndoctor.data.fit`).
- `check_dataset(...)`: all of the above for a train (and test) set.

What counts as "normalized enough" (`LARGE_SCALE`): every feature's root-mean-square value is at
most 10. Standardized features have 1; pixels divided by 255 (MNIST: mean 0.13, std 0.31) have
at most 1, and are *not* reported: the course divides by 255 and trains well that way. Raw pixels
(RMS ~100), prices or areas are reported.

Findings point at no function or parameter (``location`` is empty); ``evidence["array"]`` names
the array (``"train_x"``). Nothing here modifies the arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from nndoctor.data.axis import as_rows, infer_example_axis, infer_with_reason, pair_axis
from nndoctor.data.fit import BIAS_THRESHOLD, VARIANCE_THRESHOLD, LearningCurve, check_fit, learning_curve
from nndoctor.data.leakage import NEAR_TOLERANCE, check_leakage, find_duplicates
from nndoctor.errors import InvalidInputError
from nndoctor.findings import Finding, Location

__all__ = [
    "check_inputs", "check_test_normalization", "check_leakage", "check_labels", "check_fit", "check_dataset",
    "infer_example_axis", "learning_curve", "LearningCurve", "find_duplicates",
    "LARGE_SCALE", "FEATURE_SCALE_RATIO", "SMALL_SCALE", "PIXEL_MAX", "SCALE_MISMATCH_RATIO", "ZERO_MEAN_TOLERANCE",
    "SOFT_LABEL_FRACTION", "NEAR_TOLERANCE", "BIAS_THRESHOLD", "VARIANCE_THRESHOLD",
]

LARGE_SCALE = 10.0  # a feature whose RMS value is above this is far from unit scale
FEATURE_SCALE_RATIO = 100.0  # largest per-feature std / median per-feature std above this: scales differ
SMALL_SCALE = 1e-3  # all values this close to 0 (RMS): inputs shrunk too far (info)
PIXEL_MAX = 255.0
PIXEL_MIN_MAX = 64.0  # whole numbers from 0 up to at least 64 (and at most 255) are taken as 8-bit pixels
SCALE_MISMATCH_RATIO = 10.0  # test RMS / train RMS beyond this (or below its inverse): different preprocessing
ZERO_MEAN_TOLERANCE = 1e-9  # per-feature test means this close to 0 (relative): standardized with its own mean
AFFINE_TOLERANCE = 1e-3  # raw -> normalized transforms of train and test differing by more than this
SOFT_LABEL_FRACTION = 0.5  # more than half the labels strictly between 0 and 1 ...
SOFT_LABEL_VALUES = 4  # ... with more distinct values than label smoothing gives: predictions, not labels
CHUNK = 8192
LISTED = 10


# -- inputs ---------------------------------------------------------------------------------------

def check_inputs(X: Any, *, example_axis: int | None = None, name: str = "X", Y: Any = None) -> list[Finding]:
    """``unnormalized-input`` for inputs far from unit scale, ``non-finite`` for NaN/inf values.

    ``example_axis``: 0 when examples are rows, 1 when they are columns (the course); guessed from
    the shape (and from ``Y`` when given) otherwise."""
    X = _numeric(X, name)
    if X.size == 0 or X.dtype == bool:
        return []
    axis, reason = (example_axis, "given") if example_axis is not None else infer_with_reason(X, Y)
    rows, axis = as_rows(X, axis)
    stats = _stats(rows)
    findings = []
    base = {"array": name, "dtype": str(X.dtype), "shape": list(X.shape), "example_axis": axis,
            "examples": rows.shape[0], "features": rows.shape[1]}
    if stats["nonfinite"]:
        findings.append(_nonfinite(name, rows, stats, base))
        if stats["finite_count"] == 0:
            return findings
    problem = _scale_problem(X, stats)
    if problem is not None:
        findings.append(_unnormalized(name, problem, stats, base, axis, reason))
    return findings


def _stats(rows: np.ndarray) -> dict[str, Any]:
    """Per-feature mean, std and RMS over the examples, plus global figures, in blocks of rows."""
    m, n = rows.shape
    origin = np.asarray(rows[0], dtype=np.float64)
    origin = np.where(np.isfinite(origin), origin, 0.0)
    s1 = np.zeros(n)
    s2 = np.zeros(n)
    counts = np.zeros(n)
    nonfinite = 0
    first_bad = None
    lo_v, hi_v = np.inf, -np.inf
    whole = True
    floats = rows.dtype.kind in "fc"
    for start in range(0, m, CHUNK):
        block = np.asarray(rows[start:start + CHUNK], dtype=np.float64)
        if floats:
            ok = np.isfinite(block)
            bad = block.size - int(ok.sum())
            if bad:
                if first_bad is None:
                    where = np.argwhere(~ok)[0]
                    first_bad = (int(where[0]) + start, int(where[1]))
                nonfinite += bad
                block = np.where(ok, block, np.nan)
            if whole and start == 0:
                sample = block[np.isfinite(block)][:200_000]
                whole = bool(np.all(np.mod(sample, 1) == 0))
            valid = ~np.isnan(block) if bad else None
        else:
            valid = None
        if valid is None:
            shifted = block - origin
            s1 += shifted.sum(axis=0)
            s2 += np.einsum("ij,ij->j", shifted, shifted)
            counts += block.shape[0]
            lo_v, hi_v = min(lo_v, float(block.min())), max(hi_v, float(block.max()))
        else:
            shifted = np.where(valid, block - origin, 0.0)
            s1 += shifted.sum(axis=0)
            s2 += np.einsum("ij,ij->j", shifted, shifted)
            counts += valid.sum(axis=0)
            if valid.any():
                lo_v, hi_v = min(lo_v, float(np.nanmin(block))), max(hi_v, float(np.nanmax(block)))
    with np.errstate(invalid="ignore", divide="ignore"):
        shift_mean = np.where(counts > 0, s1 / np.maximum(counts, 1), 0.0)
        var = np.maximum(np.where(counts > 0, s2 / np.maximum(counts, 1), 0.0) - shift_mean ** 2, 0.0)
    mean = shift_mean + origin
    std = np.sqrt(var)
    rms = np.sqrt(var + mean ** 2)
    total = float(counts.sum())
    gmean = float((mean * counts).sum() / total) if total else float("nan")
    gvar = float(((var + (mean - gmean) ** 2) * counts).sum() / total) if total else float("nan")
    return {"mean": mean, "std": std, "rms": rms, "min": lo_v, "max": hi_v, "global_mean": gmean,
            "global_std": float(np.sqrt(max(gvar, 0.0))), "global_rms": float(np.sqrt(max(gvar + gmean ** 2, 0.0))),
            "nonfinite": nonfinite, "first_nonfinite": first_bad, "finite_count": int(total),
            "whole": whole if floats else rows.dtype.kind in "uib"}


def _scale_problem(X: np.ndarray, stats: dict[str, Any]) -> dict[str, Any] | None:
    rms, std = stats["rms"], stats["std"]
    large = np.nonzero(rms > LARGE_SCALE)[0]
    varying = std[std > 0]
    ratio = float(varying.max() / np.median(varying)) if len(varying) else 1.0
    lo, hi = stats["min"], stats["max"]
    if len(large):
        pixels = stats["whole"] and lo >= 0 and PIXEL_MIN_MAX <= hi <= PIXEL_MAX
        worst = int(large[np.argmax(rms[large])])
        return {"kind": "pixels" if pixels else "large-scale", "large": large, "worst": worst, "ratio": ratio}
    if len(varying) >= 2 and ratio > FEATURE_SCALE_RATIO:
        worst = int(np.argmax(std))
        return {"kind": "feature-scales", "large": np.zeros(0, dtype=int), "worst": worst, "ratio": ratio}
    if 0 < stats["global_rms"] < SMALL_SCALE:
        return {"kind": "small-scale", "large": np.zeros(0, dtype=int), "worst": int(np.argmax(rms)), "ratio": ratio}
    return None


def _unnormalized(name: str, problem: dict[str, Any], stats: dict[str, Any], base: dict[str, Any], axis: int,
                  reason: str) -> Finding:
    kind, large, worst = problem["kind"], problem["large"], problem["worst"]
    mean, std, rms = stats["mean"], stats["std"], stats["rms"]
    n = len(mean)
    lo, hi = stats["min"], stats["max"]
    varying = std[std > 0]
    evidence = {
        "kind": kind, **base, "min": lo, "max": hi, "mean": stats["global_mean"], "std": stats["global_std"],
        "feature_std": {"min": float(varying.min()) if len(varying) else 0.0,
                        "median": float(np.median(varying)) if len(varying) else 0.0,
                        "max": float(std.max())},
        "feature_rms_max": float(rms.max()), "features_above_scale": int(len(large)),
        "worst_feature": {"index": worst, "mean": float(mean[worst]), "std": float(std[worst]),
                          "rms": float(rms[worst])},
        "feature_scale_ratio": problem["ratio"], "large_scale": LARGE_SCALE,
        "test_statistics": None, "example_axis_reason": reason,
    }
    divide = "/ 255." if kind == "pixels" else ""
    standardize = (f"mu = {name}.mean(axis={axis}, keepdims=True); sigma = {name}.std(axis={axis}, keepdims=True) "
                   f"+ 1e-8; {name} = ({name} - mu) / sigma, and the same mu and sigma (the training set's) for the "
                   f"test set")
    if kind == "pixels":
        message = (f"{name} holds raw pixel values from {_num(lo)} to {_num(hi)} ({base['dtype']}, mean "
                   f"{stats['global_mean']:.1f}): inputs about {stats['global_rms']:.0f} times larger than in [0, 1] "
                   f"make the first layer's pre-activations huge, so sigmoid/tanh units saturate and ReLU networks "
                   f"take wild steps; the cost often does not decrease.")
        fix = (f"Divide the pixels by 255 for the training and the test set alike: {name} = {name} {divide} "
               f"(the course's recipe), or standardize them with the training statistics.")
    elif kind == "large-scale":
        shown = ", ".join(str(i) for i in large[:LISTED]) + (", ..." if len(large) > LISTED else "")
        message = (f"{len(large)} of the {n} features of {name} are far from unit scale (RMS above {LARGE_SCALE:g}): "
                   f"feature {worst} has mean {_num(mean[worst])} and standard deviation {_num(std[worst])} "
                   f"(values from {_num(lo)} to {_num(hi)} overall). Such inputs saturate the first layer "
                   f"and make gradient descent crawl along a long narrow valley. Features: {shown}.")
        fix = f"Standardize each feature with the training set's statistics: {standardize}."
    elif kind == "feature-scales":
        message = (f"The features of {name} are on very different scales: feature {worst} varies "
                   f"{problem['ratio']:.0f} times more than the typical feature (standard deviation "
                   f"{_num(std[worst])} against a median of {_num(float(np.median(varying)))}), so one learning "
                   f"rate is too large for some weights and too small for others.")
        fix = f"Standardize each feature: {standardize}."
    else:
        message = (f"The values of {name} are all tiny (RMS {_num(stats['global_rms'])}): the first layer's weights "
                   f"must grow very large before the inputs matter, which takes many iterations.")
        fix = f"Standardize the inputs to unit scale: {standardize}."
    return Finding(rule="unnormalized-input", severity="info" if kind == "small-scale" else None, message=message,
                   location=Location(), evidence=evidence, fix=fix)


def _nonfinite(name: str, rows: np.ndarray, stats: dict[str, Any], base: dict[str, Any]) -> Finding:
    example, feature = stats["first_nonfinite"]
    value = float(rows[example, feature])
    total = rows.size
    return Finding(
        rule="non-finite",
        message=(f"{name} contains {stats['nonfinite']} NaN/inf value{'s' if stats['nonfinite'] != 1 else ''} "
                 f"(of {total}); the first is {value} in example {example}, feature {feature}. One NaN in the "
                 f"inputs makes that example's activations, the cost and every gradient NaN."),
        location=Location(),
        evidence={"where": "input data", **base, "count": stats["nonfinite"], "fraction": stats["nonfinite"] / total,
                  "first": {"example": example, "feature": feature, "value": value}},
        fix=("Find where the NaN/inf come from (a division by a zero standard deviation: add 1e-8; missing "
             "values in the file) and fill or drop them before training, e.g. np.nan_to_num or removing "
             "those examples."),
    )


# -- test statistics ------------------------------------------------------------------------------

def check_test_normalization(X_train: Any, X_test: Any, *, example_axis: int | None = None,
                             raw_train: Any = None, raw_test: Any = None, train_name: str = "train_x",
                             test_name: str = "test_x") -> list[Finding]:
    """``unnormalized-input`` (kind ``test-statistics``) when the test set was normalized
    differently from the training set.

    From the normalized arrays alone: the test set's features have mean exactly 0 (to rounding)
    and one common standard deviation, the fingerprint of ``(X_test - X_test.mean()) /
    X_test.std()`` (with the training statistics the test means are small but never 0); or the
    two sets are on scales `SCALE_MISMATCH_RATIO` apart (test pixels never divided by 255).
    With the raw arrays too (``raw_train``, ``raw_test``, same examples in the same order), the
    per-feature transform raw -> normalized is fitted for each set and compared directly: any
    per-feature affine preprocessing (standardization, min-max, division) applied with other
    numbers to the test set is found."""
    A, B = _numeric(X_train, train_name), _numeric(X_test, test_name)
    axis = example_axis if example_axis is not None else _pair_or_infer(A, B)
    tr, _ = as_rows(A, axis)
    te, _ = as_rows(B, axis)
    if tr.shape[1] != te.shape[1]:
        raise InvalidInputError(f"{train_name} has {tr.shape[1]} features per example and {test_name} "
                                f"{te.shape[1]} (example_axis={axis}); they must have the same features.")
    if tr.size == 0 or te.size == 0 or tr is te or A is B:
        return []
    s_tr, s_te = _stats(tr), _stats(te)
    if not s_tr["finite_count"] or not s_te["finite_count"]:
        return []
    base = {"array": test_name, "train_array": train_name, "example_axis": axis, "features": tr.shape[1],
            "train_examples": tr.shape[0], "test_examples": te.shape[0]}
    if raw_train is not None and raw_test is not None:
        found = _compare_transforms(tr, te, raw_train, raw_test, axis, s_tr, s_te, base, train_name, test_name)
        if found is not None:
            return [found]
    ratio = s_te["global_rms"] / s_tr["global_rms"] if s_tr["global_rms"] > 0 else float("inf")
    in_range = 1 / SCALE_MISMATCH_RATIO <= ratio <= SCALE_MISMATCH_RATIO
    if s_tr["global_rms"] > 0 and s_te["global_rms"] > 0 and not in_range:
        pixels = abs(ratio - PIXEL_MAX) / PIXEL_MAX < 0.2 or abs(1 / ratio - PIXEL_MAX) / PIXEL_MAX < 0.2
        bigger, smaller = (test_name, train_name) if ratio > 1 else (train_name, test_name)
        rms_big, rms_small = (s_te, s_tr) if ratio > 1 else (s_tr, s_te)
        factor = ratio if ratio > 1 else 1 / ratio
        why = (f" (about 255: was only {smaller} divided by 255?)" if pixels else "")
        return [_test_finding(
            "different", base, s_tr, s_te,
            message=(f"{test_name} and {train_name} are on different scales: the values of {bigger} are {factor:.3g} "
                     f"times larger (RMS {_num(rms_big['global_rms'])} against {_num(rms_small['global_rms'])}){why}. "
                     f"The model "
                     f"learned weights for inputs scaled like {train_name}, so its test predictions are meaningless."),
            fix=(f"Apply exactly the same preprocessing to both sets, with the numbers computed on {train_name}: "
                 f"e.g. divide both by 255, or standardize both with {train_name}'s mean and standard deviation."),
            extra={"rms_ratio": ratio})]
    own = _own_standardized(te, s_te)
    if own is not None:
        return [_test_finding(
            "own", base, s_tr, s_te,
            message=(f"{test_name} was standardized with its own mean and standard deviation: every one of its "
                     f"{own['features']} varying features has mean exactly 0 "
                     f"(largest |mean| {own['max_abs_mean']:.1e}) "
                     f"and standard deviation {own['std']:.6g}, which only the test set's own statistics give. "
                     f"The model learned inputs shifted and scaled with {train_name}'s statistics; the test set must "
                     f"get the same shift and scale, not its own."),
            fix=(f"Compute mu and sigma on the training data once and reuse them: mu = raw_train.mean(axis={axis}, "
                 f"keepdims=True); sigma = raw_train.std(axis={axis}, keepdims=True) + 1e-8; {train_name} = "
                 f"(raw_train - mu) / sigma; {test_name} = (raw_test - mu) / sigma."),
            extra={"max_abs_test_mean": own["max_abs_mean"], "test_std": own["std"]})]
    return []


def _pair_or_infer(A: np.ndarray, B: np.ndarray) -> int:
    shared = pair_axis(A, B)
    return shared if shared is not None else infer_example_axis(A)


def _own_standardized(te: np.ndarray, s_te: dict[str, Any]) -> dict[str, Any] | None:
    m = te.shape[0]
    std, mean = s_te["std"], s_te["mean"]
    varying = std > 1e-12 * max(1.0, float(np.abs(mean).max(initial=0.0)))
    if m < 3 or varying.sum() < 1:
        return None
    mu, sd = mean[varying], std[varying]
    # means relative to the spread: exactly 0 up to the rounding of m additions
    tol = ZERO_MEAN_TOLERANCE * max(1.0, np.sqrt(m)) * float(sd.max())
    max_abs_mean = float(np.abs(mu).max())
    if max_abs_mean > max(tol, 1e-12):
        return None
    common = float(np.median(sd))
    if common <= 0 or float(np.abs(sd - common).max()) > 1e-6 * common:
        return None
    return {"features": int(varying.sum()), "max_abs_mean": max_abs_mean, "std": common}


def _compare_transforms(tr: np.ndarray, te: np.ndarray, raw_train: Any, raw_test: Any, axis: int,
                        s_tr: dict[str, Any], s_te: dict[str, Any], base: dict[str, Any], train_name: str,
                        test_name: str) -> Finding | None:
    rtr, _ = as_rows(_numeric(raw_train, "raw_train"), axis)
    rte, _ = as_rows(_numeric(raw_test, "raw_test"), axis)
    if rtr.shape != tr.shape or rte.shape != te.shape:
        raise InvalidInputError(f"raw_train {rtr.shape} and raw_test {rte.shape} must hold the same examples and "
                                f"features as {train_name} {tr.shape} and {test_name} {te.shape}.")
    a_tr, b_tr, ok_tr = _affine(rtr, tr)
    a_te, b_te, ok_te = _affine(rte, te)
    usable = ok_tr & ok_te
    if usable.sum() == 0:
        return None
    scale = np.abs(a_tr[usable]) + 1e-300
    # where does each transform put the training data's centre? compare on the raw scale
    raw_sd = np.maximum(np.asarray(rtr, dtype=np.float64).std(axis=0)[usable], 1e-12)
    d_scale = np.abs(a_te[usable] - a_tr[usable]) / scale
    d_shift = np.abs(b_te[usable] - b_tr[usable]) / (scale * raw_sd)
    differs = (d_scale > AFFINE_TOLERANCE) | (d_shift > AFFINE_TOLERANCE)
    if differs.mean() <= 0.5:
        return None
    idx = np.nonzero(usable)[0]
    worst_pos = int(np.argmax(np.maximum(d_scale, d_shift)))
    j = int(idx[worst_pos])
    # the raw value that each transform maps to 0: its centre, and the raw distance worth 1: its scale
    centre_tr, centre_te = -b_tr[j] / a_tr[j], -b_te[j] / a_te[j]
    unit_tr, unit_te = 1 / a_tr[j], 1 / a_te[j]
    raw_te = np.asarray(rte[:, j], dtype=np.float64)
    raw_mean_te, raw_std_te = float(raw_te.mean()), float(raw_te.std())
    raw_mean_tr = float(np.asarray(rtr[:, j], dtype=np.float64).mean())
    identity = abs(a_te[j] - 1) < AFFINE_TOLERANCE and abs(b_te[j]) < AFFINE_TOLERANCE * raw_sd[worst_pos]
    own = (abs(centre_te - raw_mean_te) <= 1e-6 * max(1.0, abs(raw_mean_te), raw_std_te)
           and abs(centre_tr - raw_mean_te) > 1e-6 * max(1.0, abs(raw_mean_te), raw_std_te))
    how = "none" if identity else ("own" if own else "different")
    detail = {"none": f"{test_name} was left raw while {train_name} was normalized",
              "own": f"{test_name} was centred on its own mean",
              "different": f"{test_name} got a different shift or scale than {train_name}"}[how]
    return _test_finding(
        how, base, s_tr, s_te,
        message=(f"{detail}: for {int(differs.sum())} of {int(usable.sum())} features the raw -> normalized transform "
                 f"differs between the two sets. Feature {j}: {train_name} maps raw {_num(centre_tr)} to 0 with unit "
                 f"{_num(unit_tr)}, {test_name} maps raw {_num(centre_te)} to 0 with unit {_num(unit_te)} (raw means: "
                 f"train {_num(raw_mean_tr)}, test {_num(raw_mean_te)}). The model sees the test examples shifted "
                 f"and scaled differently from what it learned."),
        fix=("Compute the normalization numbers (mean and std, or min and max) on the training set once and apply "
             "them unchanged to the test set: X_test = (raw_test - mu_train) / sigma_train."),
        extra={"features_differing": int(differs.sum()), "features_compared": int(usable.sum()),
               "feature": j, "train_transform": {"centre": float(centre_tr), "unit": float(unit_tr)},
               "test_transform": {"centre": float(centre_te), "unit": float(unit_te)},
               "raw_test_mean": raw_mean_te, "raw_train_mean": raw_mean_tr})


def _affine(raw: np.ndarray, out: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per feature, ``out = a * raw + b`` by least squares; ``ok`` where it fits exactly."""
    x = np.asarray(raw, dtype=np.float64)
    y = np.asarray(out, dtype=np.float64)
    xm, ym = x.mean(axis=0), y.mean(axis=0)
    xc, yc = x - xm, y - ym
    vx = np.einsum("ij,ij->j", xc, xc)
    with np.errstate(invalid="ignore", divide="ignore"):
        a = np.einsum("ij,ij->j", xc, yc) / vx
        b = ym - a * xm
        resid = y - (a * x + b)
        fit = np.sqrt(np.einsum("ij,ij->j", resid, resid)) <= 1e-6 * (np.sqrt(np.einsum("ij,ij->j", yc, yc)) + 1e-300)
    ok = (vx > 0) & np.isfinite(a) & np.isfinite(b) & (a != 0) & fit
    return a, b, ok


def _test_finding(how: str, base: dict[str, Any], s_tr: dict[str, Any], s_te: dict[str, Any], *, message: str,
                  fix: str, extra: dict[str, Any]) -> Finding:
    evidence = {"kind": "test-statistics", **base, "test_statistics": how,
                "train": {"mean": s_tr["global_mean"], "std": s_tr["global_std"], "rms": s_tr["global_rms"]},
                "test": {"mean": s_te["global_mean"], "std": s_te["global_std"], "rms": s_te["global_rms"]}, **extra}
    return Finding(rule="unnormalized-input", message=message, location=Location(), evidence=evidence, fix=fix)


# -- labels ---------------------------------------------------------------------------------------

def check_labels(Y: Any, *, predictions: Any = None, X: Any = None, example_axis: int | None = None,
                 n_outputs: int | None = None, name: str = "Y") -> list[Finding]:
    """``label-format`` for labels the cost cannot use as they are (field guide cases 16 and 20).

    - ``predictions-as-labels``: the labels are floats strictly between 0 and 1 with many distinct
      values (sigmoid or softmax outputs), or ``Y`` is the ``predictions`` array itself, or the
      two were swapped (``predictions`` all 0/1, ``Y`` soft);
    - ``binary-values``: two label values that are not {0, 1} ({-1, 1}, {1, 2}, {0, 255}) where
      binary cross-entropy expects 0/1 (an error when ``n_outputs == 1``, else a warning);
    - ``class-indices``: class numbers 0..C-1 for a single sigmoid output, or class numbers beyond
      the ``n_outputs`` units;
    - ``one-hot-orientation``: a one-hot matrix with the examples on the other axis than ``X``
      (or ``example_axis``, or ``predictions``) uses;
    - ``shape``: ``Y`` and ``predictions`` broadcast into a bigger array (``(m, 1)`` against
      ``(1, m)`` gives an ``(m, m)`` cost), or ``Y`` has another number of examples than ``X``.
    """
    Y = _numeric(Y, name)
    if Y.size == 0:
        return []
    if Y.dtype.kind == "f" and not np.isfinite(Y).all():
        bad = int((~np.isfinite(Y)).sum())
        first = tuple(int(i) for i in np.argwhere(~np.isfinite(Y))[0])
        return [Finding(rule="non-finite", location=Location(),
                        message=(f"{name} contains {bad} NaN/inf label{'s' if bad != 1 else ''} "
                                 f"(first at index {first})."),
                        evidence={"where": "labels", "array": name, "count": bad, "first": list(first)},
                        fix="Fix or drop the examples whose labels are missing before training.")]
    P = None if predictions is None else np.asarray(predictions)
    base = {"array": name, "shape": list(Y.shape), "dtype": str(Y.dtype)}
    found: list[Finding] = []
    # the example axis the rest of the code uses
    axis = example_axis
    x_arr = None
    if X is not None:
        x_arr = np.asarray(X)
        if axis is None:
            axis = infer_example_axis(x_arr, Y)
    if P is not None:
        f = _against_predictions(Y, P, base, name)
        if f is not None:
            return [f]
    if x_arr is not None and x_arr.ndim >= 1:
        m = x_arr.shape[_norm_axis(axis, x_arr.ndim)]
        counts = {Y.size} if (Y.ndim == 1 or (Y.ndim == 2 and 1 in Y.shape)) else set(Y.shape)
        if m not in counts:
            return [Finding(rule="label-format", location=Location(),
                            message=(f"{name} has shape {Y.shape} but the inputs have {m} examples "
                                     f"(X {x_arr.shape}, example axis {axis}): labels and examples do not line up."),
                            evidence={"kind": "shape", **base, "examples": m, "inputs_shape": list(x_arr.shape)},
                            fix="Give one label per example, in the same order as the inputs.")]
    soft = _soft(Y)
    if soft is not None:
        found.append(Finding(
            rule="label-format", location=Location(),
            message=(f"{name} looks like predictions, not labels: {soft['fraction']:.0%} of its values lie strictly "
                     f"between 0 and 1 ({soft['distinct']} distinct values from {_num(soft['min'])} to "
                     f"{_num(soft['max'])}). Training against the model's own outputs teaches it nothing: accuracy "
                     f"stays near chance (50% for two classes)."),
            evidence={"kind": "predictions-as-labels", **base, **soft},
            fix=(f"Pass the true labels (0/1, or one-hot) as {name}: compute_cost(AL, Y) with Y = the data set's "
                 f"labels, not the predictions AL (check the order of the arguments).")))
        return found
    values = np.unique(Y)
    vector = Y.ndim == 1 or (Y.ndim == 2 and 1 in Y.shape)
    if vector:
        found += _vector_labels(Y, values, base, name, n_outputs, P)
    elif Y.ndim == 2:
        found += _matrix_labels(Y, values, base, name, axis, n_outputs, P)
    return found


def _against_predictions(Y: np.ndarray, P: np.ndarray, base: dict[str, Any], name: str) -> Finding | None:
    if P is Y or (P.shape == Y.shape and P.dtype.kind == "f" and np.array_equal(P, Y)
                  and not np.all((Y == 0) | (Y == 1))):
        return Finding(rule="label-format", location=Location(),
                       message=(f"{name} is the predictions array itself: the cost compares the model's outputs with "
                                f"themselves, so there is nothing to learn."),
                       evidence={"kind": "predictions-as-labels", **base, "same_array": True},
                       fix=f"Pass the data set's true labels as {name}.")
    try:
        joint = np.broadcast_shapes(Y.shape, P.shape)
    except ValueError:
        if Y.ndim == 2 and Y.T.shape == P.shape and np.all((Y == 0) | (Y == 1)):
            return None  # transposed one-hot labels: the one-hot check says so
        return Finding(rule="label-format", location=Location(),
                       message=f"{name} {Y.shape} and the predictions {P.shape} cannot be combined element by element.",
                       evidence={"kind": "shape", **base, "predictions_shape": list(P.shape)},
                       fix=f"Reshape {name} to the predictions' shape {P.shape}.")
    if joint != P.shape and P.size > 1:
        return Finding(rule="label-format", location=Location(),
                       message=(f"{name} has shape {Y.shape} and the predictions {P.shape}: numpy broadcasts them into "
                                f"a {joint} array, so the cost and A - Y mix every example with every other one, "
                                f"without any error."),
                       evidence={"kind": "shape", **base, "predictions_shape": list(P.shape),
                                 "broadcast_shape": list(joint)},
                       fix=f"Reshape {name} to {P.shape}: {name} = {name}.reshape({', '.join(map(str, P.shape))}).")
    if P.dtype.kind in "fiub" and np.all((P == 0) | (P == 1)) and _soft(Y) is not None:
        return Finding(rule="label-format", location=Location(),
                       message=(f"The labels and the predictions look swapped: the 'predictions' are all 0/1 while "
                                f"{name} holds values strictly between 0 and 1."),
                       evidence={"kind": "predictions-as-labels", **base, "swapped": True},
                       fix="Call the cost with the predictions first and the labels second: compute_cost(AL, Y).")
    return None


def _soft(Y: np.ndarray) -> dict[str, Any] | None:
    if Y.dtype.kind != "f":
        return None
    flat = Y.ravel()
    inside = (flat > 0) & (flat < 1)
    fraction = float(inside.mean())
    if fraction <= SOFT_LABEL_FRACTION:
        return None
    distinct = int(np.unique(flat[inside][:100_000]).size)
    if distinct <= SOFT_LABEL_VALUES:
        return None  # label smoothing (0.1 / 0.9) or a few soft classes
    return {"fraction": fraction, "distinct": distinct, "min": float(flat.min()), "max": float(flat.max())}


def _vector_labels(Y: np.ndarray, values: np.ndarray, base: dict[str, Any], name: str, n_outputs: int | None,
                   P: np.ndarray | None) -> list[Finding]:
    shown = values[:LISTED].tolist()
    if np.all((values == 0) | (values == 1)):
        return []
    sigmoid = n_outputs == 1 or (P is not None and (P.ndim == 1 or 1 in P.shape))
    whole = bool(np.all(np.mod(values, 1) == 0))
    if len(values) == 2 and not (not whole and values.min() >= 0 and values.max() <= 1):  # 0.1/0.9: smoothing
        lo, hi = values.tolist()
        fix = f"{name} = ({name} == {_num(hi)}).astype(int), which maps {_num(lo)} to 0 and {_num(hi)} to 1"
        return [Finding(
            rule="label-format", severity="error" if sigmoid else "warning", location=Location(),
            message=(f"{name} holds the two values {{{_num(lo)}, {_num(hi)}}}, but binary cross-entropy "
                     f"-(y log a + (1 - y) log(1 - a)) expects 0 and 1: with other values the cost can go negative "
                     f"and its gradient A - Y points the wrong way."),
            evidence={"kind": "binary-values", **base, "values": shown, "n_outputs": n_outputs},
            fix=f"Map the labels to 0/1: {fix}.")]
    if whole and len(values) > 2:
        count = int(values.max()) + 1
        if sigmoid:
            return [Finding(
                rule="label-format", location=Location(),
                message=(f"{name} holds {len(values)} classes ({', '.join(_num(v) for v in shown)}"
                         f"{', ...' if len(values) > LISTED else ''}) but the network has a single sigmoid output, "
                         f"which can only say 0 or 1."),
                evidence={"kind": "class-indices", **base, "values": shown, "classes": len(values),
                          "n_outputs": n_outputs},
                fix=(f"Use {count} output units with softmax and one-hot labels: Y_onehot = np.eye({count})"
                     f"[{name}.reshape(-1).astype(int)].T, shape ({count}, m).")) ]
        if n_outputs is not None and n_outputs > 1 and (values.min() < 0 or values.max() >= n_outputs):
            return [Finding(
                rule="label-format", location=Location(),
                message=(f"{name} holds class numbers from {_num(values.min())} to {_num(values.max())} but the "
                         f"network has {n_outputs} outputs (classes 0 to {n_outputs - 1})."),
                evidence={"kind": "class-indices", **base, "values": shown, "n_outputs": n_outputs},
                fix=f"Number the classes 0 to {n_outputs - 1}, or give the output layer {count} units.")]
    return []


def _matrix_labels(Y: np.ndarray, values: np.ndarray, base: dict[str, Any], name: str, axis: int | None,
                   n_outputs: int | None, P: np.ndarray | None) -> list[Finding]:
    if not np.all((values == 0) | (values == 1)):
        return []
    cols_one_hot = bool(np.all(Y.sum(axis=0) == 1))  # each column one example: (C, m)
    rows_one_hot = bool(np.all(Y.sum(axis=1) == 1))  # each row one example: (m, C)
    if cols_one_hot == rows_one_hot:
        return []
    label_axis = 1 if cols_one_hot else 0  # the axis of Y that indexes examples
    classes = Y.shape[0] if cols_one_hot else Y.shape[1]
    expected = None
    source = None
    if P is not None and P.ndim == 2 and P.shape == Y.T.shape and P.shape != Y.shape:
        expected, source = (0 if label_axis == 1 else 1), f"the predictions {P.shape}"
    elif axis is not None:
        expected, source = (1 if axis >= 1 else 0), ("examples as columns" if axis >= 1 else "examples as rows")
    if n_outputs is not None and n_outputs != classes and n_outputs == Y.shape[label_axis]:
        expected, source = (0 if label_axis == 1 else 1), f"{n_outputs} outputs"
    if expected is None or expected == label_axis:
        return []
    want = Y.T.shape
    return [Finding(
        rule="label-format", location=Location(),
        message=(f"{name} is one-hot with the examples as {'columns' if label_axis == 1 else 'rows'} {Y.shape}, but "
                 f"the rest of the code uses {source}: the labels must be {want} ({classes} classes). Transposed "
                 f"labels make the cost compare each example with the wrong class, or fail on the shapes."),
        evidence={"kind": "one-hot-orientation", **base, "classes": classes, "expected_shape": list(want),
                  "because": source},
        fix=f"Transpose the labels: {name} = {name}.T  # {want}.")]


# -- all at once ----------------------------------------------------------------------------------

def check_dataset(X_train: Any, Y_train: Any = None, X_test: Any = None, Y_test: Any = None, *,
                  example_axis: int | None = None, n_outputs: int | None = None, near: bool = True,
                  names: Sequence[str] = ("train_x", "train_y", "test_x", "test_y")) -> list[Finding]:
    """Every data check that applies to a training set and, when given, a test set."""
    x_name, y_name, tx_name, ty_name = names
    Xa = _numeric(X_train, x_name)
    axis = example_axis
    if axis is None:
        if X_test is not None:
            shared = pair_axis(Xa, np.asarray(X_test))
            axis = shared if shared is not None else infer_example_axis(Xa, Y_train)
        else:
            axis = infer_example_axis(Xa, Y_train)
    findings = check_inputs(Xa, example_axis=axis, name=x_name)
    if Y_train is not None:
        findings += check_labels(Y_train, X=Xa, example_axis=axis, n_outputs=n_outputs, name=y_name)
    if X_test is not None:
        Xb = _numeric(X_test, tx_name)
        trained_scale = not any(f.rule == "unnormalized-input" for f in findings)
        test_inputs = check_inputs(Xb, example_axis=axis, name=tx_name)
        mismatch = check_test_normalization(Xa, Xb, example_axis=axis, train_name=x_name, test_name=tx_name)
        # the same raw pixels in both sets: one finding for the training set says it; a test set
        # that alone is raw is the test-statistics finding
        findings += [f for f in test_inputs if f.rule != "unnormalized-input" or (trained_scale and not mismatch)]
        findings += mismatch
        findings += check_leakage(Xa, Xb, example_axis=axis, near=near, train_name=x_name, test_name=tx_name)
        if Y_test is not None:
            findings += check_labels(Y_test, X=Xb, example_axis=axis, n_outputs=n_outputs, name=ty_name)
    return findings


# -- helpers --------------------------------------------------------------------------------------

def _numeric(X: Any, name: str) -> np.ndarray:
    try:
        arr = np.asarray(X)
    except Exception as exc:  # noqa: BLE001 - any failure to convert is the caller's input
        raise InvalidInputError(f"{name} cannot be read as a numpy array: {exc}") from None
    if arr.dtype.kind not in "biuf":
        raise InvalidInputError(f"{name} has dtype {arr.dtype}; data checks need numbers (build it with "
                                f"np.array(..., dtype=float)).")
    return arr


def _norm_axis(axis: int | None, ndim: int) -> int:
    if axis is None:
        return 0
    return axis + ndim if axis < 0 else min(axis, ndim - 1)


def _num(x: Any) -> str:
    x = float(x)
    if not np.isfinite(x):
        return str(x)
    if x == int(x) and abs(x) < 1e6:
        return str(int(x))
    if 1e-3 <= abs(x) < 1e5:
        return f"{x:.4g}"
    return f"{x:.3g}"
