"""The numbers kept of an iteration's arrays: activation statistics, histograms, weight
initializations, label frequencies. Plain functions of the arrays (and the run's layout)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from nndoctor import roles as R
from nndoctor.hooks.sites import InlineSite, Site
from nndoctor.trace import ActivationStats, Run, WeightInit

SIGMOID_TAIL = 0.01  # sigmoid output below 0.01 or above 0.99: slope s(1-s) < 0.0099, |z| > 4.6
TANH_TAIL = 0.99  # |tanh| above 0.99: slope 1 - a^2 < 0.02, |z| > 2.65
HISTOGRAM_BINS = 20


def first_array(args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> np.ndarray | None:
    for a in list(args) + list(kwargs.values()):
        if isinstance(a, np.ndarray):
            return a
    return None


def histogram(A: np.ndarray) -> tuple[float, float, list[int]] | None:
    finite = A if np.isfinite(A).all() else A[np.isfinite(A)]
    if finite.size == 0:
        return None
    low, high = float(finite.min()), float(finite.max())
    width = (high - low) / HISTOGRAM_BINS or 1.0
    # equal bins by integer division and a bincount: several times cheaper than np.histogram
    bins = np.minimum(((finite - low) / width).astype(np.int64), HISTOGRAM_BINS - 1).ravel()
    return low, high, np.bincount(bins, minlength=HISTOGRAM_BINS).tolist()


def label_summary(arrays: list[np.ndarray]) -> dict[str, Any] | None:
    """Class frequencies of the labels among a cost's arguments: 0/1 vectors or one-hot columns."""
    for Y in arrays:
        if Y.size == 0 or Y.dtype.kind not in "biuf":
            continue
        values = np.unique(Y)
        if not np.all(np.isin(values, (0, 1))):
            continue
        if Y.ndim == 2 and min(Y.shape) > 1:
            sums = Y.sum(axis=0) if np.all(Y.sum(axis=0) == 1) else (Y.sum(axis=1) if np.all(Y.sum(axis=1) == 1) else None)
            if sums is None:
                continue
            class_axis = 0 if np.all(Y.sum(axis=0) == 1) else 1
            freqs = Y.mean(axis=1 - class_axis)
            return {"kind": "one-hot", "frequencies": [float(f) for f in freqs]}
        p = float(np.mean(Y))
        return {"kind": "binary", "frequencies": [1 - p, p]}
    return None


def units_axis(A: np.ndarray, run: Run | None) -> int | None:
    """The axis of A that holds units: the other one than the examples axis."""
    if A.ndim != 2:
        return None
    if run is not None and run.examples is not None:
        if run.example_axis is not None and A.shape[run.example_axis] == run.examples:
            return 1 - run.example_axis
        if A.shape[1] == run.examples:
            return 0
        if A.shape[0] == run.examples:
            return 1
    return 0


def activation_stats(site: Site | InlineSite, layer: int, A: np.ndarray, Z: np.ndarray | None,
                     run: Run | None) -> ActivationStats:
    axis = units_axis(A, run)
    units = A.shape[axis] if axis is not None else A.size
    examples = A.shape[1 - axis] if axis is not None else 1
    finite_mask = np.isfinite(A)
    nonfinite = int(A.size - finite_mask.sum())
    Af = A if nonfinite == 0 else np.where(finite_mask, A, 0.0)
    dead = 0
    saturated = 0.0
    if site.kind == "relu" and axis is not None:
        # a unit is dead when it outputs exactly 0 for every example (NaN units are not "dead")
        dead = int(np.count_nonzero(np.all(A == 0, axis=1 - axis)))
    elif site.kind == "sigmoid" and nonfinite < A.size:  # over the finite entries only
        saturated = float(np.sum(((A < SIGMOID_TAIL) | (A > 1 - SIGMOID_TAIL)) & finite_mask) / (A.size - nonfinite))
    elif site.kind == "tanh" and nonfinite < A.size:
        saturated = float(np.sum((np.abs(Af) > TANH_TAIL) & finite_mask) / (A.size - nonfinite))
    z_bad, z_std = 0, float("nan")
    if isinstance(Z, np.ndarray) and Z.dtype.kind == "f":
        z_mask = np.isfinite(Z)
        z_bad = int(Z.size - z_mask.sum())
        z_std = float(np.std(Z[z_mask])) if z_mask.any() else float("nan")
    return ActivationStats(layer=layer, kind=site.kind, function=site.name, units=int(units),
                           examples=int(examples), dead_units=dead, saturated_fraction=saturated,
                           mean=float(np.mean(Af)), std=float(np.std(Af)), nonfinite=nonfinite,
                           input_nonfinite=z_bad, input_std=z_std)


def weight_inits(params: Mapping[str, np.ndarray], example_axis: int | None,
                 n_inputs: int | None = None) -> dict[str, WeightInit]:
    inits = {}
    n_prev = n_inputs
    for key in R.weight_keys(params):
        W = np.asarray(params[key], dtype=np.float64)
        # column-major W (n_out, n_in): units are rows; row-major W (n_in, n_out): units are columns;
        # followed from the input size when it is known (a rows layout may still keep W as (n_out, n_in))
        axis = 0 if example_axis in (None, 1) else 1
        if n_prev is not None and W.shape[0] != W.shape[1]:
            if W.shape[1] == n_prev:
                axis = 0
            elif W.shape[0] == n_prev:
                axis = 1
        units, fan_in = W.shape[axis], W.shape[1 - axis]
        n_prev = units
        rows = W if axis == 0 else W.T
        spread = float(np.max(np.abs(rows - rows[:1]))) if rows.size and np.isfinite(rows).all() else float("nan")
        inits[str(key)] = WeightInit(name=str(key), shape=tuple(W.shape), fan_in=int(fan_in), units=int(units),
                                     std=float(np.std(W)), mean=float(np.mean(W)), row_spread=spread,
                                     all_zero=bool(np.all(W == 0)))
    return inits



def update_change(old: Mapping[str, np.ndarray], after: Mapping[str, Any], grads: Mapping[str, Any],
                  known: Mapping[str, Any]) -> tuple[dict[str, float], dict[str, float]]:
    """(how far an update moved each parameter: the norm of its step, the cosine between the step and
    minus the gradient) from the parameters before (copies) and after it; ``known``: the gradients'
    statistics where the backward took them."""
    change, descent = {}, {}
    for k, v in after.items():
        key = str(k)
        if key in old and np.shape(v) == old[key].shape:
            step = (np.asarray(v, dtype=np.float64) - old[key]).ravel()
            change[key] = float(np.linalg.norm(step))
            g = grads.get(key)
            if g is not None and change[key] > 0:
                g = np.asarray(g, dtype=np.float64).ravel()
                stats = known.get(key)  # the backward's statistics already hold its norm
                g_norm = stats.norm if stats is not None else float(np.linalg.norm(g))
                if g_norm > 0 and np.isfinite(g_norm) and np.isfinite(change[key]):
                    descent[key] = float(-(step @ g) / (change[key] * g_norm))
    return change, descent


def inline_change(before: Mapping[str, np.ndarray], after: Mapping[str, np.ndarray],
                  grads: Mapping[str, np.ndarray]) -> tuple[dict[str, float], dict[str, float]]:
    """The same, for a step of a training loop written inline (its own variables before and after)."""
    change, descent = {}, {}
    for k, b in before.items():
        a = after.get(k)
        if a is None or a.shape != b.shape:
            continue
        step = (np.asarray(a, dtype=np.float64) - b).ravel()
        change[k] = float(np.linalg.norm(step))
        g = grads.get(k)
        if g is not None and g.shape == b.shape and change[k] > 0:
            gn = float(np.linalg.norm(g))
            if gn > 0 and np.isfinite(gn):
                descent[k] = float(-(step @ np.asarray(g, dtype=np.float64).ravel()) / (change[k] * gn))
    return change, descent
