"""symmetric-init and init-scale: the weights as the run first saw them."""

from __future__ import annotations

import math

from nndoctor import roles as R
from nndoctor.checks.context import Context, weight_layers
from nndoctor.checks.cost import plateau
from nndoctor.findings import Finding
from nndoctor.numbers import fmt
from nndoctor.trace import Run

TOO_LARGE = 5.0  # std above 5x the He/Xavier target
TOO_SMALL = 0.1  # std below a tenth of it
HE = ("relu", "leaky-relu")
XAVIER = ("tanh", "sigmoid", "softmax")


def target_std(kind: str | None, fan_in: int) -> tuple[str, float] | None:
    if kind in HE:
        return "He", math.sqrt(2.0 / fan_in)
    if kind in XAVIER:
        return "Xavier", math.sqrt(1.0 / fan_in)
    return None


def check_symmetric_init(run: Run, ctx: Context) -> list[Finding]:
    layers = weight_layers(run)
    stuck = []
    for pos, (layer, key) in enumerate(layers):
        w = run.weights[key]
        if w.units < 2 or not (w.row_spread == 0.0) or pos + 1 == len(layers):
            continue  # output units differ through their labels: only hidden layers stay symmetric
        # units of a layer stay identical only if their outgoing weights are identical too
        if pos + 1 < len(layers) and not _columns_identical(run, layers[pos + 1][1]):
            continue
        stuck.append((layer, key, w))
    if not stuck:
        return []
    layer, key, w = stuck[0]
    names = ", ".join(k for _, k, _ in stuck)
    zeros = all(w.all_zero for _, _, w in stuck)
    how = "all zeros" if zeros else "the same in every row"
    return [Finding(
        rule="symmetric-init",
        message=(f"{names} {'is' if len(stuck) == 1 else 'are'} {how} at the start: all units of "
                 f"{'layer ' + str(layer) if len(stuck) == 1 else 'layers ' + ', '.join(str(l) for l, _, _ in stuck)} "
                 f"compute the same value and receive the same gradient, so they stay identical forever "
                 f"and each layer acts like a single unit."),
        location=ctx.location(R.INIT, parameter=key, layer=layer, iteration=0),
        evidence={"parameters": [k for _, k, _ in stuck], "layers": [l for l, _, _ in stuck],
                  "units": [w.units for _, _, w in stuck], "all_zero": zeros, **_curve_evidence(run)},
        fix=("Initialize weights randomly, e.g. " + "; ".join(
            f"{k} = np.random.randn{w.shape} * np.sqrt(2 / {w.fan_in})" for _, k, w in stuck)
            + " (He, for ReLU; use sqrt(1 / n_prev) for tanh). Biases may stay at zero."))]


def _columns_identical(run: Run, key: str) -> bool:
    # WeightInit keeps row spread only; identical columns (incoming from one layer) show as a
    # zero std of the next matrix when it is constant. A random next layer breaks the symmetry.
    w = run.weights[key]
    return w.std == 0.0


def _curve_evidence(run: Run) -> dict:
    p = plateau(run)
    if p is None:
        return {}
    return {"cost_plateau": p["value"], "plateau_from": p["iteration"]}


def check_init_scale(run: Run, ctx: Context) -> list[Finding]:
    """One finding per direction (too large / too small) listing every layer off its scale."""
    kinds = run.layer_kinds()
    stalled = plateau(run) is not None
    off: dict[str, list[dict]] = {"too-large": [], "too-small": []}
    for pos, (layer, key) in enumerate(weight_layers(run), start=1):
        w = run.weights[key]
        if w.std == 0.0 or not math.isfinite(w.std) or w.fan_in < 1:
            continue  # zeros are symmetric-init's business
        kind = kinds.get(pos)
        target = target_std(kind, w.fan_in)
        if target is None:
            continue
        scheme, std = target
        ratio = w.std / std
        if ratio > TOO_LARGE or ratio < TOO_SMALL:
            off["too-large" if ratio > TOO_LARGE else "too-small"].append(
                {"parameter": key, "layer": layer, "std": w.std, "target_std": std, "scheme": scheme,
                 "activation": kind, "fan_in": w.fan_in, "ratio": ratio, "shape": w.shape})
    findings = []
    for direction, layers in off.items():
        if not layers:
            continue
        large = direction == "too-large"
        # a small start trains slowly but trains; it is a problem when the cost went flat
        severity = "warning" if large or stalled else "info"
        worst = max(layers, key=lambda d: d["ratio"] if large else 1 / d["ratio"])
        factor = worst["ratio"] if large else 1 / worst["ratio"]
        names = ", ".join(d["parameter"] for d in layers)
        effect = ("the pre-activations start huge, so sigmoid/tanh units saturate and ReLU outputs blow up"
                  if large else "the signal shrinks at every layer, so the gradients are tiny and learning "
                  "is slow" + (" (the cost went flat)" if stalled else ""))
        findings.append(Finding(
            rule="init-scale", severity=severity,
            message=(f"{names} start{'s' if len(layers) == 1 else ''} {'larger' if large else 'smaller'} than the "
                     f"usual scale: {worst['parameter']} has standard deviation {fmt(worst['std'])}, {factor:.3g} "
                     f"times {'the' if large else 'below the'} {worst['scheme']} scale {fmt(worst['target_std'])} "
                     f"for a {worst['activation']} layer with fan-in {worst['fan_in']}; {effect}."),
            location=ctx.location(R.INIT, parameter=worst["parameter"], layer=worst["layer"], iteration=0),
            evidence={"kind": direction, "layers": [{k: v for k, v in d.items() if k != "shape"} for d in layers]},
            fix="; ".join(f"{d['parameter']} = np.random.randn{d['shape']} * np.sqrt({2 if d['scheme'] == 'He' else 1}"
                          f" / {d['fan_in']})" for d in layers)
            + " (He for ReLU layers, Xavier for tanh/sigmoid layers).",
        ))
    return findings


CHECKS = (check_symmetric_init, check_init_scale)
