"""zero-gradient, vanishing-gradient, exploding-gradient: per-layer gradient norms over time."""

from __future__ import annotations

import numpy as np

from nndoctor import roles as R
from nndoctor.checks.context import Context, weight_layers
from nndoctor.checks.cost import plateau
from nndoctor.checks.units import persistent_from
from nndoctor.findings import Finding
from nndoctor.numbers import fmt
from nndoctor.trace import Run

VANISHING_RATIO = 1e-3  # first layer learns 1000x slower (relative to its weights) than the last
VANISHING_ABSOLUTE = 1e-6  # or ||dW1|| / ||W1|| this small while the cost is stuck
EXPLODING_GROWTH = 1e3  # a gradient norm 1000x its value at the first iteration
MIN_SAMPLES = 2


def grad_series(run: Run, key: str) -> list[tuple[int, float, float | None]]:
    """(iteration, ||dW||, ||W||) over the sampled iterations that recorded this gradient."""
    out = []
    for it in run.sampled():
        g = it.grads.get(key)
        if g is None or g.nonfinite:
            continue
        p = it.params.get(key)
        out.append((it.index, g.norm, p.norm if p is not None else None))
    return out


def check_zero_gradient(run: Run, ctx: Context) -> list[Finding]:
    """One finding for every weight whose gradient is exactly 0 to the end of the run."""
    zero = []
    for layer, key in weight_layers(run):
        series = grad_series(run, key)
        if len(series) < MIN_SAMPLES:
            continue
        start = persistent_from([(i, g == 0.0) for i, g, _ in series])
        if start is not None:
            zero.append({"parameter": key, "layer": layer, "iteration": start, "norm_at_start": series[0][1],
                         "first_sample": series[0][0], "last_iteration": series[-1][0]})
    if not zero:
        return []
    first = min(zero, key=lambda z: (z["iteration"], z["layer"]))
    names = ", ".join(f"d{z['parameter']}" for z in zero)
    from_start = first["iteration"] == first["first_sample"]
    when = "at every iteration" if from_start else f"from iteration {first['iteration']} on"
    was = "" if from_start else f" (||d{first['parameter']}|| was {fmt(first['norm_at_start'])} at iteration {first['first_sample']})"
    layers = sorted({z["layer"] for z in zero})
    return [Finding(
        rule="zero-gradient",
        message=(f"{names} {'is' if len(zero) == 1 else 'are'} exactly 0 {when}{was}: "
                 f"layer{'s' if len(layers) > 1 else ''} {', '.join(map(str, layers))} can never change again."),
        location=ctx.location(R.BACKWARD, parameter=first["parameter"], layer=first["layer"], iteration=first["iteration"]),
        evidence={"parameters": [z["parameter"] for z in zero], "iteration": first["iteration"],
                  "norm_at_start": {z["parameter"]: z["norm_at_start"] for z in zero},
                  "last_iteration": first["last_iteration"]},
        fix=("A gradient that is exactly 0 means nothing flows back: every ReLU unit of a layer "
             "is dead, a sigmoid is saturated to exactly 0/1, or the weights were initialized to the "
             "same value (zeros). See the other findings for which; if none, check that backward "
             "really multiplies by the layer's input (dW = dZ @ A_prev.T / m)."))]


def check_vanishing(run: Run, ctx: Context) -> list[Finding]:
    layers = weight_layers(run)
    if len(layers) < 3:
        return []
    (first_layer, first_key), (_, last_key) = layers[0], layers[-1]
    firsts = {i: (g, w) for i, g, w in grad_series(run, first_key)}
    ratios = []
    for i, g_last, w_last in grad_series(run, last_key):
        if i not in firsts or not g_last:
            continue
        g_first, w_first = firsts[i]
        if not w_first or not w_last or g_first == 0.0:
            continue  # exactly zero is zero-gradient's business
        ratios.append((g_first / w_first) / (g_last / w_last))
    if len(ratios) < MIN_SAMPLES:
        return []
    ratio = float(np.median(ratios))
    relative_first = float(np.median([g / w for g, w in firsts.values() if w and g]))
    if ratio < VANISHING_RATIO:
        what = (f"relative to the size of its weights, {first_key} moves {1 / ratio:.3g} times more slowly than "
                f"{last_key} (median over {len(ratios)} sampled iterations)")
    elif relative_first < VANISHING_ABSOLUTE and plateau(run) is not None:
        what = (f"||d{first_key}|| is {relative_first:.1e} of ||{first_key}|| (median over {len(ratios)} sampled "
                f"iterations) and the cost is stuck")
    else:
        return []
    return [Finding(
        rule="vanishing-gradient",
        message=(f"The gradient reaching layer {first_layer} is tiny: {what}, so the first layers of this "
                 f"{len(layers)}-layer network barely learn."),
        location=ctx.location(R.BACKWARD, parameter=first_key, layer=first_layer),
        evidence={"ratio": ratio, "first_layer": first_key, "last_layer": last_key,
                  "relative_gradient_first": relative_first,
                  "samples": len(ratios)},
        fix=("Use ReLU (not sigmoid/tanh) in hidden layers with He initialization (randn * sqrt(2 / n_prev)); "
             "with tanh use Xavier (randn * sqrt(1 / n_prev)). Initial weights like randn * 0.01 shrink "
             "the signal at every layer of a deep network."))]


def check_exploding(run: Run, ctx: Context) -> list[Finding]:
    findings = []
    for layer, key in weight_layers(run):
        series = [(i, g) for i, g, _ in grad_series(run, key) if g > 0]
        if len(series) < MIN_SAMPLES:
            continue
        i0, g0 = series[0]
        peak_i, peak = max(series, key=lambda s: s[1])
        if peak < EXPLODING_GROWTH * g0 or not np.isfinite(peak):
            continue  # an overflowing norm is non-finite's business
        findings.append(Finding(
            rule="exploding-gradient",
            message=(f"||d{key}|| grew from {fmt(g0)} at iteration {i0} to {fmt(peak)} at iteration {peak_i} "
                     f"({peak / g0:.3g} times larger): the updates are blowing up instead of settling."),
            location=ctx.location(R.BACKWARD, parameter=key, layer=layer, iteration=peak_i),
            evidence={"parameter": key, "layer": layer, "norm_at_start": g0, "peak_norm": peak,
                      "peak_iteration": peak_i, "growth": peak / g0},
            fix=("Lower the learning rate (by 3x steps until the gradient norms stay bounded); check the "
                 "initialization scale and that the inputs are normalized.")))
    return findings


CHECKS = (check_zero_gradient, check_vanishing, check_exploding)
