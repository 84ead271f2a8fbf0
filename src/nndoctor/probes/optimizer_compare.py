"""What the learner's update differs in: its recorded steps matched against the formulas.

`observe` flattens what the calls did into arrays (steps, gradients, parameters before and after);
`search` tries each optimizer's variants (fewest deviations first) with the hyperparameters the
function was given, or those read from it, or from grids, fitting the learning rate when it is
unknown; the first variant whose steps all agree within tolerance is the `Match`. Its deviations are
grouped into findings (`deviation_groups`, each with its kind and severity), and for each one
`at_deviation` picks the step and entry where the function differs most from the formula with
that deviation corrected; `against_reference` does the same against the correct formula when no
variant matches.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from nndoctor.findings import Severity
from nndoctor.probes.optimizer_calls import Calls
from nndoctor.probes.optimizer_formulas import DEFAULT_HYPERPARAMETERS, Variant, correct, fixed, simulate, variants
from nndoctor.probes.optimizer_signature import UpdateSignature

RTOL = 1e-5
SEARCH_BUDGET = 0.5  # seconds of formula search at most (only reached with unknown hyperparameters)

# grids for hyperparameters the function does not take as arguments (written into its body)
BETA_GRID = (0.9, 0.99, 0.999, 0.95, 0.8, 0.5)
EPSILON_GRID = (1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-10, 1e-12, 0.0)


# deviation -> (kind, severity)
DEVIATION_KIND = {
    "sign": ("sign", Severity.ERROR),
    "state": ("state", Severity.ERROR),
    "swapped-beta": ("other", Severity.ERROR),
    "exchanged-betas": ("other", Severity.ERROR),
    "no-one-minus-beta": ("other", Severity.INFO),
    "correction-fed-back": ("bias-correction", Severity.ERROR),
    "correction-missing": ("bias-correction", Severity.ERROR),
    "t-shift": ("bias-correction", Severity.WARNING),
    "epsilon-inside": ("epsilon", Severity.INFO),
    "epsilon-missing": ("epsilon", Severity.WARNING),
}
KIND_ORDER = ("sign", "state", "bias-correction", "other", "epsilon")


@dataclass
class Observed:
    grads: np.ndarray  # (T, N)
    steps: np.ndarray  # (T, N)
    before: np.ndarray  # (T, N)
    after: np.ndarray  # (T, N)
    tiny: np.ndarray  # (N,)
    entries: list[tuple[str, tuple[int, ...]]]  # flat index -> (key, index)
    dtype: np.dtype
    layout: str = ""


def observe(run: Calls, grads_seq: list[dict[str, np.ndarray]], tiny: np.ndarray,
            shapes: Mapping[str, tuple[int, ...]]) -> Observed:
    keys = list(shapes)
    flat = lambda d: np.concatenate([np.ravel(d[k]) for k in keys])  # noqa: E731
    before = np.array([flat(b) for b in run.before])
    after = np.array([flat(a) for a in run.after])
    grads = np.array([flat(g) for g in grads_seq[: len(run.before)]])
    entries = []
    for pk, k in zip(run.layout.params, keys):
        entries += [(pk, idx) for idx in np.ndindex(*shapes[k])]
    with np.errstate(all="ignore"):
        steps = after - before
    return Observed(grads, steps, before, after, tiny, entries, run.dtype, run.layout.label)


def _tolerance(obs: Observed, pred: np.ndarray) -> tuple[np.ndarray, float]:
    eps = float(np.finfo(obs.dtype).eps)
    scale = np.nanmax(np.abs(pred), axis=1, initial=0.0)[:, None]
    atol = 1e-9 * scale + 64 * eps * (np.max(np.abs(obs.before), axis=1, initial=1.0)[:, None])
    rtol = max(RTOL, 16 * eps)
    return atol, rtol


def _close(obs: Observed, pred: np.ndarray) -> np.ndarray:
    atol, rtol = _tolerance(obs, pred)
    with np.errstate(all="ignore"):
        ok = np.abs(obs.steps - pred) <= atol + rtol * np.abs(pred)
    both_nan = np.isnan(obs.steps) & np.isnan(pred)
    same_inf = np.isinf(obs.steps) & (obs.steps == pred)
    return ok | both_nan | same_inf


@dataclass
class Match:
    variant: Variant
    hp: dict[str, float]
    pred: np.ndarray
    fitted: tuple[str, ...] = ()


def _hp_grid(optimizer: str, known: Mapping[str, float]) -> list[tuple[dict[str, float], tuple[str, ...]]]:
    """Hyperparameter sets to try: the known values, the unknown ones from their grids."""
    need = {"gd": (), "momentum": ("beta",), "rmsprop": ("beta", "epsilon"),
            "adam": ("beta1", "beta2", "epsilon")}[optimizer]
    axes = []
    for name in need:
        if name in known:
            axes.append([(name, known[name])])
        else:
            grid = EPSILON_GRID if name == "epsilon" else BETA_GRID
            axes.append([(name, v) for v in grid])
    fitted = tuple(n for n in need if n not in known) + (() if "learning_rate" in known else ("learning_rate",))
    out = []
    for combo in itertools.product(*axes):
        hp = dict(combo)
        if "learning_rate" in known:
            hp["learning_rate"] = known["learning_rate"]
        out.append((hp, fitted))
    return out


def _try(obs: Observed, variant: Variant, hp: dict[str, float], fitted: tuple[str, ...]) -> Match | None:
    pred = simulate(variant, obs.grads, hp)
    if "learning_rate" in fitted:  # the learning rate is a scale: fit it (positive)
        ok = np.isfinite(pred) & np.isfinite(obs.steps)
        den = float(np.sum(pred[ok] ** 2))
        if den == 0:
            return None
        c = float(np.sum(pred[ok] * obs.steps[ok])) / den
        if not c > 0:
            return None
        pred = pred * c
        hp = {**hp, "learning_rate": c}
    if bool(np.all(_close(obs, pred))):
        return Match(variant, hp, pred, fitted)
    return None


def search(obs: Observed, candidates: Iterable[str], known_for: Callable[[str], dict[str, float]],
           deadline: float) -> Match | None:
    for optimizer in candidates:
        known = known_for(optimizer)
        grid = _hp_grid(optimizer, known)
        for variant in variants(optimizer):
            for hp, fitted in grid:
                found = _try(obs, variant, hp, fitted)
                if found is not None:
                    if "learning_rate" in fitted:  # re-fit the rounded value for a cleaner report
                        found.hp["learning_rate"] = float(f"{found.hp['learning_rate']:.6g}")
                    return found
            if time.monotonic() > deadline:
                return None
    return None


def _entry_name(obs: Observed, i: int) -> str:
    key, idx = obs.entries[i]
    return f"{key}[{', '.join(str(j) for j in idx)}]"


def _pick(obs: Observed, ref: np.ndarray, prefer_tiny: bool) -> tuple[int, int]:
    """(step index, entry) where the observed step differs most from ``ref``, at the first step
    where it differs at all; among the tiny-gradient entries or the others as asked."""
    close = _close(obs, ref)
    with np.errstate(all="ignore"):
        diff = np.abs(obs.steps - ref)
    diff = np.where(np.isnan(diff), np.inf, diff)
    rows = np.flatnonzero(~np.all(close, axis=1))
    k = int(rows[0]) if rows.size else 0
    cand = ~close[k]
    pref = cand & (obs.tiny if prefer_tiny else ~obs.tiny)
    if pref.any():
        cand = pref
    if not cand.any():
        cand = np.ones_like(cand)
    score = np.where(cand, diff[k], -1.0)
    return k, int(np.argmax(score))


def _numbers(obs: Observed, ref: np.ndarray, k: int, i: int) -> dict[str, Any]:
    expected_step = float(ref[k, i])
    actual_step = float(obs.steps[k, i])
    denom = abs(actual_step) + abs(expected_step)
    return {
        "t": k + 1,
        "parameter": obs.entries[i][0],
        "entry": _entry_name(obs, i),
        "gradient": float(obs.grads[k, i]),
        "before": float(obs.before[k, i]),
        "expected": float(obs.before[k, i] + expected_step),
        "actual": float(obs.after[k, i]),
        "expected_step": expected_step,
        "actual_step": actual_step,
        "relative_error": (abs(actual_step - expected_step) / denom) if denom > 0 and np.isfinite(denom) else None,
    }


def deviation_groups(variant: Variant) -> list[tuple[str, list[str]]]:
    """The findings ``variant``'s deviations make, in the report's order: (kind, deviations). Each
    "other" deviation is a finding of its own, and so is t + 1 beside another bias-correction one."""
    devs = variant.deviations()
    if not devs:
        return []
    groups: dict[str, list[str]] = {}
    for d in devs:
        kind, _ = DEVIATION_KIND[d]
        groups.setdefault(kind, []).append(d)
    out: list[tuple[str, list[str]]] = []
    for kind in KIND_ORDER:
        for_kind = groups.get(kind)
        if not for_kind:
            continue
        if kind == "other":  # each "other" deviation on its own
            for d in for_kind:
                out.append((kind, [d]))
        elif kind == "bias-correction" and "t-shift" in for_kind and len(for_kind) > 1:
            out.append((kind, [d for d in for_kind if d != "t-shift"]))
            out.append((kind, ["t-shift"]))
        else:
            out.append((kind, for_kind))
    return out


def at_deviation(obs: Observed, match: Match, kind: str, devs: list[str]) -> tuple[dict[str, Any], Severity]:
    """Where the function differs most from its own formula with ``devs`` corrected (the numbers of
    one entry at one step), and how severe ``devs`` are."""
    ref = simulate(fixed(match.variant, set(devs)), obs.grads, match.hp)
    k, i = _pick(obs, ref, kind == "epsilon")
    return _numbers(obs, ref, k, i), max(DEVIATION_KIND[d][1] for d in devs)


def against_reference(obs: Observed, sig: UpdateSignature, known_for: Callable[[str], dict[str, float]]
                      ) -> tuple[dict[str, Any], dict[str, float], np.ndarray]:
    """Where the function differs most from ``sig``'s correct formula: the numbers of one entry at
    one step, the hyperparameters used, and the formula's steps."""
    ref, hp = _reference(obs, sig, known_for)
    k, i = _pick(obs, ref, False)
    return _numbers(obs, ref, k, i), hp, ref


def cosine(obs: Observed, ref: np.ndarray) -> float:
    """Cosine between the function's steps and ``ref`` over their finite entries (NaN if undefined)."""
    ok = np.isfinite(obs.steps) & np.isfinite(ref)
    with np.errstate(all="ignore"):
        return float(np.sum(obs.steps[ok] * ref[ok]) /
                     (np.linalg.norm(obs.steps[ok]) * np.linalg.norm(ref[ok]) or np.nan))


def _reference(obs: Observed, sig: UpdateSignature, known_for: Callable[[str], dict[str, float]]
               ) -> tuple[np.ndarray, dict[str, float]]:
    """The correct formula's steps, with the hyperparameters known (else their usual values)."""
    opt = sig.optimizer
    hp = {**DEFAULT_HYPERPARAMETERS, **known_for(opt)}
    if opt == "rmsprop" and "beta" not in known_for(opt):
        hp["beta"] = 0.9
    pred = simulate(correct(opt), obs.grads, hp)
    if "learning_rate" not in known_for(opt):
        ok = np.isfinite(pred) & np.isfinite(obs.steps)
        den = float(np.sum(pred[ok] ** 2))
        c = abs(float(np.sum(pred[ok] * obs.steps[ok]))) / den if den else 1.0
        pred = pred * (c or 1.0)
        hp["learning_rate"] = c
    return pred, hp
