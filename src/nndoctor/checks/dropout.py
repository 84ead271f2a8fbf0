"""dropout-mask: inverted dropout done wrong, from the masks the forward pass kept."""

from __future__ import annotations

import math

from nndoctor import roles as R
from nndoctor.checks.context import Context
from nndoctor.findings import Finding
from nndoctor.trace import Run

KEEP_RATE_SIGMAS = 5.0  # binomial standard deviations a kept fraction may stray from keep_prob
KEEP_RATE_SLACK = 0.005
FROZEN_SAMPLES = 3  # the same mask at this many sampled iterations is frozen


def check_dropout(run: Run, ctx: Context) -> list[Finding]:
    layers: dict[int, list] = {}
    for it in run.sampled():
        for layer, s in it.dropout.items():
            layers.setdefault(layer, []).append((it.index, s))
    findings = []

    for layer, series in sorted(layers.items()):
        p = series[0][1].keep_prob
        distinct = {s.fingerprint: s for _, s in series}.values()  # a frozen mask is one draw, not many
        n = sum(s.size for s in distinct)
        kept = sum(s.kept * s.size for s in distinct) / n
        bound = KEEP_RATE_SIGMAS * math.sqrt(p * (1 - p) / n) + KEEP_RATE_SLACK
        where = ctx.location(R.FORWARD, layer=layer, iteration=series[0][0])
        if abs(kept - p) > bound:
            randn = 0.5 * (1 + math.erf(p / math.sqrt(2)))  # what rand**n** < keep_prob keeps
            hint = (f" That is what np.random.randn(...) < keep_prob keeps ({randn:.1%}): the mask must come "
                    f"from np.random.rand (uniform in [0, 1)).") if abs(kept - randn) <= bound else ""
            findings.append(Finding(
                rule="dropout-mask",
                message=(f"Layer {layer}'s dropout keeps {kept:.1%} of the units while keep_prob is {p:g} "
                         f"(over {n} mask entries; chance alone stays within {bound:.1%}).{hint}"),
                location=where,
                evidence={"kind": "keep-rate", "layer": layer, "kept_fraction": kept, "keep_prob": p,
                          "entries": n, "bound": bound},
                fix="Draw the mask as D = np.random.rand(*A.shape) < keep_prob, then A = A * D / keep_prob."))
        prints = {s.fingerprint for _, s in series}
        if len(series) >= FROZEN_SAMPLES and len(prints) == 1:
            findings.append(Finding(
                rule="dropout-mask", severity="warning",
                message=(f"Layer {layer} drops exactly the same units at every checked iteration "
                         f"({len(series)} iterations from {series[0][0]} to {series[-1][0]}): the mask is drawn "
                         f"with the same seed each time, so dropout is a fixed pruning, not a regularizer."),
                location=where,
                evidence={"kind": "frozen-mask", "layer": layer, "iterations": [i for i, _ in series]},
                fix="Do not call np.random.seed inside the forward pass; seed once, before training."))
        scaled = [s.scaled for _, s in series if s.scaled is not None]
        if scaled and scaled.count(False) > len(scaled) / 2:
            findings.append(Finding(
                rule="dropout-mask",
                message=(f"Layer {layer}'s activations are masked but not divided by keep_prob = {p:g}: their "
                         f"expected size shrinks by {p:g} during training but not at prediction time, so the "
                         f"network sees differently scaled inputs when it predicts."),
                location=where, evidence={"kind": "scale", "layer": layer, "keep_prob": p},
                fix=f"Inverted dropout: A{layer} = A{layer} * D{layer} / keep_prob (and dA{layer} / keep_prob in backward)."))
        reapplied = [s.reapplied for _, s in series if s.reapplied is not None]
        if reapplied and reapplied.count(False) > len(reapplied) / 2:
            findings.append(Finding(
                rule="dropout-mask",
                message=(f"The backward pass does not apply layer {layer}'s dropout mask to dA{layer}: gradient "
                         f"flows into units the forward pass switched off, so the gradients are those of "
                         f"another network."),
                location=ctx.location(R.BACKWARD, layer=layer, iteration=series[0][0]),
                evidence={"kind": "not-reapplied", "layer": layer, "keep_prob": p},
                fix=f"In the backward pass: dA{layer} = dA{layer} * D{layer} / keep_prob, with the D{layer} the "
                    f"forward pass stored in the cache."))

    return findings


CHECKS = (check_dropout,)
