"""parameters-not-updated and learning-rate: does the update step move the weights, and how far."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from nndoctor import roles as R
from nndoctor.checks.context import Context, weight_layers
from nndoctor.checks.cost import check_divergence, check_oscillation, finite_curve, plateau
from nndoctor.checks.units import layer_series
from nndoctor.findings import Finding, Location
from nndoctor.numbers import fmt
from nndoctor.trace import Run

MIN_SAMPLES = 3
TOO_LOW_UPDATE_RATIO = 1e-5  # ||dW step|| / ||W|| per iteration
TOO_LOW_PROGRESS = 0.01  # the cost fell by less than 1% over the probe
TOO_LOW_MIN_ITERATIONS = 50


def _grads_nonzero(run: Run) -> bool:
    return any(g.norm > 0 for it in run.sampled() for g in it.grads.values())


def check_not_updated(run: Run, ctx: Context) -> list[Finding]:
    sampled = [it for it in run.sampled() if it.param_fingerprint is not None]
    if len(sampled) < MIN_SAMPLES or not _grads_nonzero(run):
        return []
    if any(it.param_fingerprint != sampled[0].param_fingerprint for it in sampled[1:]):
        return []
    updates = [it.update for it in run.sampled() if it.update is not None]
    moved = [u for u in updates if any(c > 0 for c in u.change.values())]
    n = sampled[-1].index
    if moved:
        u = moved[0]
        message = (f"{u.function} computes new parameters, but the forward pass receives the same values at "
                   f"every iteration (0 to {n}): the result of the update is never used.")
        fix = (f"Keep what the update returns: parameters = {u.function}(parameters, grads, learning_rate); "
               f"or change the arrays in place (parameters['W1'] -= learning_rate * grads['dW1']).")
        location = ctx.location(function=u.function)
    elif updates:
        u = updates[0]
        lr = f" (learning rate {u.learning_rate:g})" if u.learning_rate is not None else ""
        message = (f"{u.function}{lr} leaves every parameter exactly as it was, although the gradients are not "
                   f"zero: the parameters are the same at every iteration from 0 to {n}.")
        fix = ("Inside the update, write the new value back into the dict the loop uses, e.g. "
               "parameters['W' + str(l)] = parameters['W' + str(l)] - learning_rate * grads['dW' + str(l)]; "
               "updating a copy or a loop variable changes nothing. Check the learning rate is not 0.")
        location = ctx.location(function=u.function)
    else:
        message = (f"The parameters the forward pass receives are the same at every iteration from 0 to {n}, "
                   f"although the gradients are not zero: nothing updates them.")
        fix = "Call the update step after the backward pass at every iteration and keep its result."
        location = ctx.location(R.FORWARD)
    return [Finding(rule="parameters-not-updated", message=message,
                    location=replace(location, iteration=0),
                    evidence={"iterations_checked": len(sampled), "last_iteration": n,
                              "update_function": updates[0].function if updates else None},
                    fix=fix)]


def layer_death(run: Run) -> dict | None:
    """A ReLU layer alive at the start that is entirely dead later: the classic too-high step.
    Not when the run had NaN/inf first (a NaN layer is broken, not dead)."""
    if any(it.cost is not None and not math.isfinite(it.cost) for it in run.completed):
        return None
    for layer in sorted(run.layer_kinds()):
        series = [(i, a) for i, a in layer_series(run, layer) if a.kind == "relu"]
        if len(series) < 2:
            continue
        first = series[0][1]
        if first.dead_units == first.units:
            continue
        died = None
        for i, a in series:
            if a.dead_units == a.units:
                died = died if died is not None else i
            else:
                died = None
        if died is not None:
            return {"layer": layer, "iteration": died, "units": first.units,
                    "dead_at_start": first.dead_units, "examples": first.examples}
    return None


def _update_ratio(run: Run, early: bool = True) -> float | None:
    ratios = []
    for it in run.sampled():
        if it.update is None:
            continue
        for key, change in it.update.change.items():
            before = it.update.before.get(key)
            if before and math.isfinite(change) and math.isfinite(before):
                ratios.append(change / before)
    if not ratios:
        return None
    return float(np.median(ratios[: max(len(ratios) // 4, 1)] if early else ratios))


def check_learning_rate(run: Run, ctx: Context) -> list[Finding]:
    if run.updates_seen is False:
        return []  # nothing moved the parameters: these were evaluations, not training
    lr = run.learning_rate
    lr_text = f"The learning rate {lr:g}" if lr is not None else "The learning rate"
    idx, costs = finite_curve(run)
    evidence: dict = {"learning_rate": lr}
    death = layer_death(run)
    if death is not None:
        layer = death["layer"]
        keys = dict((pos, key) for pos, (_, key) in enumerate(weight_layers(run), start=1))
        key = keys.get(layer)
        grad_text = ""
        if key is not None:
            norms = [(it.index, it.grads[key].norm) for it in run.sampled() if key in it.grads]
            if norms:
                evidence[f"norm_d{key}"] = [norms[0], next(((i, g) for i, g in norms if i >= death["iteration"]), norms[-1])]
                grad_text = f", so d{key} is exactly 0 from then on"
        p = plateau(run)
        stuck = f" and the cost stays at {p['value']:.6g} from iteration {p['iteration']}" if p else ""
        evidence.update(death)
        evidence["kind"] = "too-high"
        if costs.size:
            evidence["cost"] = [float(costs[0]), float(costs[-1])]
        ratio = _update_ratio(run)
        if ratio is not None:
            evidence["update_ratio_early"] = ratio
        return [Finding(
            rule="learning-rate",
            message=(f"{lr_text} is too high: at iteration {death['iteration']} every ReLU of layer {layer} "
                     f"outputs 0 for all {death['examples']} examples ({death['dead_at_start']}/{death['units']} "
                     f"dead at the start){grad_text}{stuck}. The update steps pushed the units' weights so far "
                     f"that they never activate again."),
            location=ctx.location(R.UPDATE, parameter=key, layer=layer, iteration=death["iteration"]),
            evidence=evidence,
            fix=_sweep_fix(lr, down=True))]
    if update_sign(run) is not None:
        return []  # a step in the wrong direction is not a matter of its size
    diverging = check_divergence(run, ctx) or [f for f in check_oscillation(run, ctx) if f.severity.label != "info"]
    nonfinite_after = _nonfinite_after_rise(run)
    if diverging or nonfinite_after is not None:
        evidence["kind"] = "too-high"
        ratio = _update_ratio(run)
        if ratio is not None:
            evidence["update_ratio_early"] = ratio
        if nonfinite_after is not None:
            evidence["non_finite_from"] = nonfinite_after
            what = f"the cost becomes NaN/inf at iteration {nonfinite_after} after being finite"
        else:
            symptom = diverging[0]
            evidence["symptom"] = symptom.rule
            evidence.update({k: v for k, v in symptom.evidence.items() if k not in ("learning_rate", "kind")})
            if symptom.rule == "cost-divergence":
                what = (f"the cost rises from its lowest value {fmt(symptom.evidence['lowest'])} (iteration "
                        f"{symptom.evidence['lowest_iteration']}) to a median of "
                        f"{fmt(symptom.evidence['last_quarter_median'])} over the last quarter of the run")
            else:
                progress = ("while barely going down" if not symptom.evidence.get("trending_down")
                            else "so often that the steps clearly overshoot")
                what = (f"the cost jumps up and down ({symptom.evidence['spikes']} spikes of more than 10%, "
                        f"{symptom.evidence['up_fraction']:.0%} of the steps go up) {progress}")
        return [Finding(
            rule="learning-rate",
            message=f"{lr_text} is too high: {what}.",
            location=ctx.location(R.UPDATE),
            evidence=evidence, fix=_sweep_fix(lr, down=True))]
    # too low: a steady, tiny decrease with tiny steps
    if costs.size >= TOO_LOW_MIN_ITERATIONS and costs[0] > 0:
        progress = (costs[0] - costs[-1]) / costs[0]
        ratio = _update_ratio(run, early=False)
        steady = float(np.mean(np.diff(costs) <= 0)) > 0.9
        if 0 < progress < TOO_LOW_PROGRESS and steady and ratio and ratio < TOO_LOW_UPDATE_RATIO:
            evidence.update({"kind": "too-low", "progress": progress, "update_ratio": ratio,
                             "cost": [float(costs[0]), float(costs[-1])], "iterations": int(idx[-1])})
            return [Finding(
                rule="learning-rate", severity="warning",
                message=(f"{lr_text} is too low: the cost decreases at every iteration but only by "
                         f"{progress:.2%} over {int(idx[-1])} iterations ({fmt(costs[0])} -> {fmt(costs[-1])}); "
                         f"each step changes the weights by {ratio:.1e} of their size."),
                location=ctx.location(R.UPDATE), evidence=evidence, fix=_sweep_fix(lr, down=False))]
    return []


def _nonfinite_after_rise(run: Run) -> int | None:
    """The first NaN/inf cost after finite ones, when the cost was rising before it: overflow from
    too large steps. (A cost falling steadily to NaN is a confident output hitting log(0).)"""
    idx, costs = run.costs()
    finite: list[float] = []
    for i, c in zip(idx, costs):
        if math.isfinite(c):
            finite.append(float(c))
        elif finite:
            return int(i) if unstable(finite) else None
    return None


def unstable(costs: list[float]) -> bool:
    """Finite costs that jumped up by more than 10% somewhere, or ended well above their lowest."""
    c = np.asarray(costs)
    return c.size < 2 or bool(np.any(np.diff(c) > 0.1 * np.abs(c[:-1]))) or c[-1] > 1.1 * c.min()


SIGN_DESCENT = -0.5  # median cosine between the step and -dW below this: the step climbs


def update_sign(run: Run) -> dict | None:
    """Parameters whose update moves along +dW instead of -dW, from the recorded step directions."""
    per_key: dict[str, list[float]] = {}
    for it in run.sampled():
        if it.update is not None:
            for key, cos in it.update.descent.items():
                per_key.setdefault(key, []).append(cos)
    # a program that maximizes a log-likelihood steps along +d (gradient ascent): the other way is wrong
    direction = -1.0 if run.maximizes else 1.0
    climbing = {k: float(np.median(v)) for k, v in per_key.items()
                if len(v) >= 2 and direction * np.median(v) < SIGN_DESCENT}
    if not climbing:
        return None
    return {"parameters": sorted(climbing), "cosine": climbing,
            "function": next(it.update.function for it in run.sampled() if it.update is not None)}


def check_update_sign(run: Run, ctx: Context) -> list[Finding]:
    found = update_sign(run)
    if found is None:
        return []
    names = ", ".join(found["parameters"])
    first = found["parameters"][0]
    cos = found["cosine"][first]
    return [Finding(
        rule="optimizer-update",
        message=(f"{found['function']} moves {names} along the gradient instead of against it (the step and "
                 f"-d{first} point in opposite directions: cosine {cos:.2f}): every update makes the cost "
                 f"larger, whatever the learning rate."),
        location=ctx.location(function=found["function"], parameter=first),
        evidence={"kind": "sign", "parameters": found["parameters"], "cosine": found["cosine"],
                  "learning_rate": run.learning_rate},
        fix=f"Subtract the gradient: {first} = {first} - learning_rate * d{first}.")]


def _sweep_fix(lr: float | None, down: bool) -> str:
    if lr is None:
        return ("Try learning rates a factor of about 3 apart (0.0075, 0.02, 0.06, 0.18, 0.54) and keep the one "
                "whose cost curve falls fastest without spiking.")
    factors = (1 / 3, 1 / 9, 1 / 27, 1 / 81) if down else (3, 9, 27, 81)
    values = ", ".join(f"{lr * f:.2g}" for f in factors)
    return (f"{'Lower' if down else 'Raise'} it by factors of about 3 ({values}) and keep the value whose cost "
            f"curve falls fastest without spiking.")


def check_dropped_state(ctx: Context) -> list[Finding]:
    """optimizer-update (state): the update returns its new velocity or moments, and the caller keeps
    passing the old ones (``params, _ = update_with_momentum(params, grads, v, ...)``)."""
    out = []
    for d in ctx.trace.dropped_states:
        where = f" in {d.caller}" if d.caller and d.caller != "<module>" else ""
        out.append(Finding(
            rule="optimizer-update",
            message=(f"{d.function} returns a new optimizer state (its velocity or moments), but every call gets "
                     f"the same old one back, unchanged ({d.calls} calls in a row){where}: the state is never "
                     f"carried over, so each step restarts from it. Momentum becomes plain gradient descent with "
                     f"a learning rate (1 - beta) times smaller, and Adam's moments never build up."),
            location=Location(function=d.caller if d.caller and d.caller != "<module>" else d.function,
                              file=d.file, line=d.line, iteration=d.iteration),
            evidence={"kind": "state", "update": d.function, "calls": d.calls},
            fix=(f"Keep what {d.function} returns and pass it to the next call: "
                 f"params, v = {d.function}(params, grads, v, ...).")))
    return out


def check_momentum_memory(run: Run, ctx: Context) -> list[Finding]:
    """optimizer-update (state): a momentum update whose velocity starts from zero at every call
    (``VdW = 0`` inside it). Each step is then exactly (1 - beta) times the plain gradient step, in
    its direction, at every iteration; a velocity that carries over grows toward the full step and
    turns with the past gradients."""
    steps = []
    for it in run.sampled():
        u = it.update
        if u is None or u.momentum is None or not u.learning_rate or not u.descent:
            continue
        ratios = []
        for key, cosine in u.descent.items():
            g = it.grads.get(key)
            if g is None or g.norm <= 0 or key not in u.change:
                continue
            ratios.append((cosine, u.change[key] / (u.learning_rate * g.norm)))
        if ratios:
            steps.append((it.index, u, ratios))
    if len(steps) < MIN_SAMPLES:
        return []
    momentum = steps[0][1].momentum
    expected = 1.0 - momentum  # type: ignore[operator]
    for _, u, ratios in steps:
        if u.momentum != momentum or any(c < 1 - 1e-9 or not math.isclose(r, expected, rel_tol=1e-6) for c, r in ratios):
            return []
    u = steps[0][1]
    last = steps[-1][0]
    return [Finding(
        rule="optimizer-update",
        message=(f"{u.function} gets a momentum of {momentum:g}, but its steps never remember the previous ones: at every "
                 f"iteration from {steps[0][0]} to {last} each step is exactly (1 - {momentum:g}) = {expected:g} times the "
                 f"plain gradient step, in the gradient's own direction. The velocity starts from zero at every call "
                 f"(VdW = 0 inside the update), so momentum never builds up: this is plain gradient descent with a "
                 f"learning rate {expected:g} times smaller."),
        location=replace(ctx.location(function=u.function), iteration=steps[0][0]),
        evidence={"kind": "state", "update": u.function, "momentum": momentum, "step_ratio": expected,
                  "iterations_checked": len(steps), "last_iteration": last},
        fix=(f"Create the velocities once, before the training loop (v = zeros like each parameter), pass them to "
             f"{u.function} and return them with the parameters, then pass what it returned to the next call."))]


CHECKS = (check_not_updated, check_learning_rate, check_update_sign, check_momentum_memory)
TRACE_CHECKS = (check_dropped_state,)
