"""dead-relu and saturated-activation: units that stopped passing gradient back."""

from __future__ import annotations

from nndoctor.checks.context import Context
from nndoctor.findings import Finding
from nndoctor.trace import Run

DEAD_FRACTION = 0.5  # a layer with at least half its ReLU units dead on every example
SATURATED_FRACTION = 0.5  # at least half a layer's sigmoid/tanh outputs in the flat tails


def layer_series(run: Run, layer: int) -> list[tuple[int, object]]:
    """(iteration, ActivationStats) of one layer over the sampled iterations."""
    out = []
    for it in run.sampled():
        for a in it.activations:
            if a.layer == layer:
                out.append((it.index, a))
                break
    return out


def layers_of(run: Run) -> list[int]:
    return sorted(run.layer_kinds())


MIN_PERSISTENT_SAMPLES = 2


def persistent_from(flags: list[tuple[int, bool]]) -> int | None:
    """The first iteration from which a condition held at every later sample (at least
    MIN_PERSISTENT_SAMPLES of them, or the whole run when it has fewer), or None."""
    start, held = None, 0
    for index, flag in flags:
        if flag:
            start = index if start is None else start
            held += 1
        else:
            start, held = None, 0
    return start if held >= min(MIN_PERSISTENT_SAMPLES, len(flags)) else None


def check_dead_relu(run: Run, ctx: Context) -> list[Finding]:
    findings = []
    for layer in layers_of(run):
        series = [(i, a) for i, a in layer_series(run, layer) if a.kind == "relu"]
        if not series:
            continue
        start = persistent_from([(i, a.dead_units >= DEAD_FRACTION * a.units) for i, a in series])
        if start is None:
            continue
        first_i, first = series[0]
        last_i, last = series[-1]
        whole = last.dead_units == last.units
        what = "all" if whole else f"{last.dead_units} of the {last.units}"
        since = "from the first iteration" if start == first_i else f"from iteration {start} on"
        collapse = first.dead_units < DEAD_FRACTION * first.units
        message = (f"{what.capitalize()} ReLU unit{'s' if last.units > 1 else ''} of layer {layer} output"
                   f"{'s' if last.units == 1 else ''} 0 for all {last.examples} examples {since}, so "
                   f"{'no gradient reaches the layers below' if whole else 'those units no longer learn'}.")
        if collapse:
            message += (f" At iteration {first_i} only {first.dead_units} of {first.units} were dead: the units "
                        f"died during training.")
        fix = ("Lower the learning rate (try 3x smaller steps until the units stay alive), and initialize "
               "ReLU layers with He scaling (randn * sqrt(2 / n_prev)) and zero biases."
               if collapse else
               "Initialize ReLU layers with He scaling (randn * sqrt(2 / n_prev)) and zero or small "
               "positive biases; check that the inputs are normalized. Leaky ReLU cannot die.")
        findings.append(Finding(
            rule="dead-relu",
            severity="error" if whole else None,  # a dead layer passes no gradient back at all
            message=message,
            location=ctx.location(function=last.function, layer=layer, iteration=start),
            evidence={"layer": layer, "dead_units": last.dead_units, "units": last.units,
                      "examples": last.examples, "iteration": start,
                      "dead_units_at_start": first.dead_units, "last_iteration": last_i},
            fix=fix))
    return findings


def check_saturated(run: Run, ctx: Context) -> list[Finding]:
    findings = []
    layers = layers_of(run)
    if not layers:
        return findings
    output = layers[-1]
    for layer in layers:
        series = [(i, a) for i, a in layer_series(run, layer) if a.kind in ("sigmoid", "tanh")]
        if not series:
            continue
        kind = series[0][1].kind
        if layer == output:
            # a confident output layer is the goal of training; only a start in the tails is a problem
            i0, a0 = series[0]
            if i0 != 0 or a0.saturated_fraction < SATURATED_FRACTION or a0.units > 1 and kind != "sigmoid":
                continue
            findings.append(Finding(
                rule="saturated-activation",
                message=(f"The output {kind} of layer {layer} is already in its flat tails for "
                         f"{a0.saturated_fraction:.0%} of the examples at iteration 0, before any training: "
                         f"the network starts out confidently wrong on many examples and its gradients are tiny."),
                location=ctx.location(function=a0.function, layer=layer, iteration=0),
                evidence={"layer": layer, "activation": kind, "saturated_fraction": round(a0.saturated_fraction, 4),
                          "iteration": 0, "pre_activation_std": a0.input_std},
                fix="Initialize the weights smaller (He: randn * sqrt(2 / n_prev) for ReLU layers, "
                    "Xavier: randn * sqrt(1 / n_prev) for tanh/sigmoid) so the output starts near 0.5."))
            continue
        half = series[len(series) // 2:]
        mean_sat = sum(a.saturated_fraction for _, a in half) / len(half)
        if mean_sat < SATURATED_FRACTION:
            continue
        start = persistent_from([(i, a.saturated_fraction >= SATURATED_FRACTION) for i, a in series])
        last = series[-1][1]
        tail = "below 0.01 or above 0.99" if kind == "sigmoid" else "beyond +-0.99"
        findings.append(Finding(
            rule="saturated-activation",
            message=(f"{_percent(mean_sat)} of layer {layer}'s {kind} outputs are in the flat tails ({tail}) "
                     f"over the second half of the run, where the slope is almost 0: the gradients through "
                     f"this layer are tiny{', so it and the layers before it' if layer > 1 else ', so it'} "
                     f"barely learn."),
            location=ctx.location(function=last.function, layer=layer, iteration=start),
            evidence={"layer": layer, "activation": kind, "saturated_fraction": round(mean_sat, 4),
                      "iteration": start, "pre_activation_std": last.input_std},
            fix=("Scale the initial weights with Xavier (randn * sqrt(1 / n_prev)), normalize the inputs, "
                 "or use ReLU in hidden layers; a lower learning rate keeps pre-activations from growing.")))
    return findings


def _percent(fraction: float) -> str:
    """'99.7%' rather than a rounded '100%' that is not true."""
    text = f"{fraction:.0%}"
    return f"{fraction:.1%}" if text in ("100%", "0%") and 0 < fraction < 1 else text


CHECKS = (check_dead_relu, check_saturated)
