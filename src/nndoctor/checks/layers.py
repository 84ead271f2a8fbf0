"""activation-mismatch, output-activation and activation-derivative: the layers' activations
as the forward and backward passes actually used them."""

from __future__ import annotations

from collections import Counter

from nndoctor import roles as R
from nndoctor.checks.context import Context
from nndoctor.findings import Finding
from nndoctor.trace import Run


def check_activation_mismatch(run: Run, ctx: Context) -> list[Finding]:
    for it in run.sampled():
        if not it.derivatives or not it.activations:
            continue
        forward = {a.layer: a for a in it.activations}
        n_layers = max(forward)
        # derivative calls run from the output layer down; the cache identity gives the layer
        # directly, the call order is the fallback when the helper got a copy
        ordered = [d.layer for d in it.derivatives]
        if any(layer is None for layer in ordered) and len(ordered) == n_layers:
            ordered = list(range(n_layers, 0, -1))
        findings = []
        for d, layer in zip(it.derivatives, ordered):
            if layer is None or d.of is None or layer not in forward:
                continue
            f = forward[layer]
            if f.kind is None or f.kind == d.of:
                continue
            findings.append(Finding(
                rule="activation-mismatch",
                message=(f"Layer {layer}'s forward pass used {f.kind} ({f.function}), but its backward pass calls "
                         f"{d.function}, the derivative of {d.of}: the gradients of layer {layer} and of every layer "
                         f"before it are computed for a network you are not running."),
                location=ctx.location(function=d.function, layer=layer, iteration=it.index),
                evidence={"layer": layer, "forward": f.kind, "forward_function": f.function,
                          "backward": d.of, "backward_function": d.function, "iteration": it.index},
                fix=(f"Use the same activation in both passes for layer {layer}: pass the layer's activation "
                     f"to the backward step from the same place the forward reads it (for example store it in "
                     f"the cache), instead of a separate default or attribute.")))
        if findings:
            return findings
    return []


def check_output_activation(run: Run, ctx: Context) -> list[Finding]:
    counts = Counter(len(it.activations) for it in run.sampled() if it.activations)
    if not counts:
        return []
    n_calls = counts.most_common(1)[0][0]
    n_weights = len(run.weights)
    it = next(it for it in run.sampled() if len(it.activations) == n_calls)
    acts = sorted(it.activations, key=lambda a: a.layer)
    out = acts[-1]
    where = ctx.location(R.FORWARD, layer=out.layer, iteration=it.index)
    if n_weights and n_calls > n_weights:
        extra = acts[n_weights - 1:]
        chain = " then ".join(f"{a.kind or a.function}" for a in extra)
        where = ctx.location(R.FORWARD, layer=n_weights, iteration=it.index)  # the output layer
        return [Finding(
            rule="output-activation",
            message=(f"The forward pass applies {n_calls} activations for {n_weights} weight layers: the output "
                     f"layer's values go through {chain}. A hidden-layer activation is also applied to the "
                     f"output (the layer loop runs one step too far, or ReLU comes before the "
                     f"{extra[-1].kind or 'output'} activation)."),
            location=where,
            evidence={"activations": [a.kind for a in acts], "weight_layers": n_weights,
                      "activation_calls": n_calls},
            fix=("Apply the hidden activation only to layers 1 .. L-1 (for l in range(1, L)) and give the last "
                 "layer's linear output Z_L straight to sigmoid/softmax."))]
    units = run.output_units or out.units
    if out.kind in ("relu", "leaky-relu", "identity") and _uses_log_cost(run):
        return [Finding(
            rule="output-activation",
            message=(f"The output layer uses {out.kind} ({out.function}), but the cross-entropy cost needs "
                     f"probabilities in (0, 1): {out.kind} outputs are unbounded{' and often exactly 0' if out.kind == 'relu' else ''}, "
                     f"so log(A) and log(1 - A) are NaN or inf and the loss does not measure accuracy."),
            location=where,
            evidence={"output_activation": out.kind, "units": units},
            fix=("Use sigmoid on the last layer for a yes/no output, softmax for several classes; keep ReLU for "
                 "hidden layers only."))]
    if out.kind == "softmax" and units == 1:
        return [Finding(
            rule="output-activation",
            message=("The output layer applies softmax to a single unit: softmax over one value is always 1, so "
                     "the prediction never depends on the input."),
            location=where, evidence={"output_activation": "softmax", "units": 1},
            fix="For a binary output use sigmoid on the single unit (or softmax over 2 units with one-hot labels).")]
    return []


def _uses_log_cost(run: Run) -> bool:
    """Classification: the cost received 0/1 or one-hot labels (a regression may end in ReLU)."""
    return run.label_values is not None


def check_activation_derivatives(ctx: Context) -> list[Finding]:
    """Each derivative helper the hooks saw, against its forward twin."""
    from nndoctor.activations.derivative_check import check_module_helpers

    functions = dict(ctx.trace.module_functions)
    if not functions:
        return []
    findings = check_module_helpers(functions, ctx.trace.helper_shapes)
    layers_by_helper: dict[str, set[int]] = {}
    for run in ctx.runs:
        for it in run.sampled():
            for d in it.derivatives:
                if d.layer is not None:
                    layers_by_helper.setdefault(d.function, set()).add(d.layer)
    out = []
    for f in findings:
        name = f.evidence.get("function")
        if name in layers_by_helper and not f.evidence.get("layers"):
            f = Finding(rule=f.rule, message=f.message, severity=f.severity, location=f.location,
                        evidence={**f.evidence, "layers": sorted(layers_by_helper[name])}, fix=f.fix)
        out.append(f)
    return out


CHECKS = (check_activation_mismatch, check_output_activation)
TRACE_CHECKS = (check_activation_derivatives,)
