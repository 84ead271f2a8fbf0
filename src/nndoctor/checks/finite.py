"""non-finite: the first NaN or inf, in the order a training step computes things."""

from __future__ import annotations

import math
from dataclasses import replace

from nndoctor import roles as R
from nndoctor.checks.context import Context
from nndoctor.checks.updates import unstable
from nndoctor.findings import Finding
from nndoctor.numbers import fmt
from nndoctor.trace import Iteration, Run


def first_nonfinite(it: Iteration) -> tuple[str, dict] | None:
    """Where the first NaN/inf of an iteration is, following the order of a step:
    parameters, pre-activations and activations layer by layer, cost, gradients."""
    for key, p in it.params.items():
        if p.nonfinite:
            return "parameter", {"array": key, "count": p.nonfinite, "size": p.size}
    for a in sorted(it.activations, key=lambda a: a.layer):
        if a.input_nonfinite:
            return "pre-activation", {"array": f"Z{a.layer}", "layer": a.layer, "count": a.input_nonfinite,
                                      "function": a.function}
        if a.nonfinite:
            return "activation", {"array": f"A{a.layer}", "layer": a.layer, "count": a.nonfinite,
                                  "function": a.function}
    if it.cost is not None and not math.isfinite(it.cost):
        return "cost", {"array": "cost", "value": it.cost}
    for key, g in it.grads.items():
        if g.nonfinite:
            return "gradient", {"array": f"d{key}", "parameter": key, "count": g.nonfinite, "size": g.size}
    return None


def check_non_finite(run: Run, ctx: Context) -> list[Finding]:
    for it in run.completed:
        hit = first_nonfinite(it)
        if hit is None:
            continue
        where, info = hit
        idx, costs = run.costs()
        finite_before = [c for i, c in zip(idx, costs) if i < it.index and math.isfinite(c)]
        output = max((a for a in it.activations), key=lambda a: a.layer, default=None)
        message, fix = _explain(where, info, it, finite_before, output)
        role = {"parameter": R.UPDATE if it.index > 0 else R.INIT, "cost": R.COST,
                "gradient": R.BACKWARD}.get(where, R.FORWARD)
        location = ctx.location(function=info["function"]) if "function" in info else ctx.location(role)
        location = replace(location, iteration=it.index, layer=info.get("layer"),
                           parameter=info.get("parameter") or (info["array"] if where == "parameter" else None))
        evidence = {"iteration": it.index, "where": where, **info,
                    "last_finite_cost": finite_before[-1] if finite_before else None}
        return [Finding(rule="non-finite", message=message, location=location, evidence=evidence, fix=fix)]
    return []


def _explain(where: str, info: dict, it: Iteration, finite_before: list[float], output) -> tuple[str, str]:
    at = f"at iteration {it.index}"
    if where == "cost":
        value = fmt(info["value"])
        if output is not None and output.kind == "sigmoid" and output.saturated_fraction > 0 and not finite_before:
            return (f"The cost is {value} {at}: the output sigmoid returns exactly 0 or 1 for some examples "
                    f"({output.saturated_fraction:.0%} of outputs are in the tails), and log(0) = -inf "
                    f"in the cross-entropy.",
                    "Initialize the weights smaller (He: randn * sqrt(2 / n_prev)) so the output does not "
                    "start saturated; compute the cost from the logits in a stable way, or clip A to "
                    "[1e-12, 1 - 1e-12] only as a guard.")
        if finite_before and not unstable(finite_before):
            return (f"The cost becomes {value} {at} after falling steadily to {fmt(finite_before[-1])}: the "
                    f"network became so confident that its output is exactly 0 or 1 for some examples, and "
                    f"the cross-entropy takes log(0) (0 * log(0) is NaN in numpy).",
                    "Compute the cost in a numerically stable way, e.g. from the logits: "
                    "np.mean(np.logaddexp(0, Z) - Y * Z) for a sigmoid output, or clip A to "
                    "[1e-12, 1 - 1e-12] before the log; the backward dZ = A - Y needs no change.")
        if finite_before:
            return (f"The cost becomes {value} {at} after being {fmt(finite_before[-1])}, and it had been "
                    f"jumping up before: training diverged.",
                    "Lower the learning rate (by 3x steps) until the cost decreases smoothly.")
        return (f"The cost is {value} {at}, before any update: the cost formula itself produces it "
                f"(log of 0 or of a negative number, or a division by 0).",
                "Print the output A at iteration 0: if some values are exactly 0 or 1 the initialization "
                "is too large; if some are negative the output layer is not a sigmoid/softmax.")
    if where == "parameter":
        if it.index == 0:
            return (f"{info['array']} already contains {info['count']} NaN/inf values before the first "
                    f"forward pass: the initialization produced them.",
                    "Check the initialization (division by zero, sqrt of a negative, log of 0).")
        return (f"{info['array']} contains {info['count']} NaN/inf values {at}: an update step wrote them.",
                "Lower the learning rate; a NaN parameter never recovers.")
    if where in ("pre-activation", "activation"):
        return (f"{info['array']} (layer {info['layer']}) contains {info['count']} NaN/inf values {at}"
                f"{' after the cost was ' + fmt(finite_before[-1]) if finite_before else ''}: the values "
                f"overflowed in the forward pass.",
                "Lower the learning rate and check the initialization scale; in softmax subtract the "
                "column maximum before np.exp; write sigmoid so that np.exp cannot overflow.")
    return (f"The gradient {info['array']} contains {info['count']} NaN/inf values {at} while the cost is "
            f"finite: the backward pass divides by zero or takes log/sqrt of a bad value.",
            f"Look at the line that computes {info['array']}: divisions by A or (1 - A) give inf when the "
            f"output is exactly 0 or 1; compute dZ = A - Y directly for sigmoid + cross-entropy.")


CHECKS = (check_non_finite,)
