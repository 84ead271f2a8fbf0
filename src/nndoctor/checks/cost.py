"""cost-plateau, cost-divergence, cost-oscillation, initial-cost: reading the cost curve.

The curve is the cost the user's own code computed at every iteration (not only sampled ones).
"""

from __future__ import annotations

import math

import numpy as np

from nndoctor import roles as R
from nndoctor.checks.context import Context
from nndoctor.findings import Finding
from nndoctor.numbers import fmt
from nndoctor.trace import Run

MIN_ITERATIONS = 20  # fewer iterations say nothing about the shape of a curve
PLATEAU_RTOL = 1e-4  # relative range of the second half of the run
LOW_COST_FRACTION = 0.1  # a cost below 10% of its start is converging, not stuck
DIVERGENCE_FACTOR = 1.2  # last-quarter median above the first quarter's by this factor
SPIKE_RTOL = 0.1  # a step up by more than 10% of the cost is a spike
MIN_SPIKES = 3
OSCILLATION_UP_FRACTION = 0.3
INITIAL_COST_FACTOR = 3.0  # initial cost more than 3x what an untrained net gives
CONSTANT_OUTPUT_ATOL = 2e-3  # a plateau this close to ln 2 / ln C / the label entropy


def finite_curve(run: Run) -> tuple[np.ndarray, np.ndarray]:
    """The curve training drives down (minus a log-likelihood the program maximizes), finite points."""
    idx, costs = run.objective()
    keep = np.isfinite(costs)
    return idx[keep], costs[keep]


def reference_costs(run: Run) -> dict[str, float]:
    """Costs an uninformative output gives: uniform (ln 2 / ln C) and class-frequency (entropy)."""
    refs: dict[str, float] = {}
    classes = run.output_units or 1
    refs["ln 2" if classes <= 2 else f"ln {classes}"] = math.log(max(classes, 2))
    labels = run.label_values
    if isinstance(labels, dict) and labels.get("frequencies"):
        freqs = [f for f in labels["frequencies"] if f > 0]
        if len(freqs) > 1:
            refs["the entropy of the labels"] = float(-sum(f * math.log(f) for f in freqs))
    return refs


def constant_output_reason(value: float, run: Run) -> tuple[str, float] | None:
    """The uninformative cost closest to ``value``, when it is within CONSTANT_OUTPUT_ATOL."""
    close = [(abs(value - ref), name, ref) for name, ref in reference_costs(run).items()
             if abs(value - ref) <= CONSTANT_OUTPUT_ATOL]
    return min(close)[1:] if close else None


def plateau(run: Run) -> dict | None:
    """Where the curve went flat and stayed flat, if it did before getting low."""
    idx, costs = finite_curve(run)
    if costs.size < MIN_ITERATIONS:
        return None
    half = costs[costs.size // 2:]
    scale = max(abs(float(np.mean(half))), 1e-12)
    if (half.max() - half.min()) / scale >= PLATEAU_RTOL:
        return None
    if costs[-1] < LOW_COST_FRACTION * max(costs[0], 1e-12) or costs[-1] < 1e-3:
        return None
    final = costs[-1]
    flat = np.abs(costs - final) <= PLATEAU_RTOL * scale
    start = costs.size - 1
    while start > 0 and flat[start - 1]:
        start -= 1
    return {"iteration": int(idx[start]), "value": float(final), "first_cost": float(costs[0]),
            "iterations": int(idx[-1]), "exactly_constant": bool(np.all(half == half[0]))}


def check_plateau(run: Run, ctx: Context) -> list[Finding]:
    if run.updates_seen is False:
        return []  # nothing moved the parameters: these were evaluations, not training
    p = plateau(run)
    if p is None:
        return []
    value = p["value"]
    stuck = "exactly" if p["exactly_constant"] else "within 0.01%"
    since = "from the first iteration" if p["iteration"] == 0 else f"from iteration {p['iteration']}"
    message = (f"The cost stays {stuck} at {value:.6g} {since} to the last iteration ({p['iterations']}), "
               f"after starting at {p['first_cost']:.6g}.")
    reason = constant_output_reason(value, run)
    evidence = {"value": value, "iteration": p["iteration"], "first_cost": p["first_cost"],
                "last_iteration": p["iterations"], "exactly_constant": p["exactly_constant"]}
    if reason:
        name, ref = reason
        message += (f" That is {name} ({ref:.4f}), the cost of an output that is the same for every example: "
                    f"the network is not using its input at all.")
        evidence["constant_output"] = name
        fix = ("Find why nothing flows back: weights initialized to zeros (symmetric-init), every ReLU of a "
               "layer dead (dead-relu, often from a too high learning rate), or labels shuffled apart from "
               "the inputs. The other findings of this report name the cause when nndoctor saw it.")
    else:
        fix = ("If the gradients are not zero, the learning rate may be too small or the units saturated; "
               "if they are, see zero-gradient and dead-relu. Try a learning rate 3x larger and watch the curve.")
    return [Finding(rule="cost-plateau", message=message,
                    location=ctx.location(R.COST, iteration=p["iteration"]), evidence=evidence, fix=fix)]


def check_divergence(run: Run, ctx: Context) -> list[Finding]:
    if run.updates_seen is False:
        return []  # nothing moved the parameters: these were evaluations, not training
    idx, costs = finite_curve(run)
    if costs.size < MIN_ITERATIONS // 2:
        return []
    q = max(costs.size // 4, 1)
    first, last = float(np.median(costs[:q])), float(np.median(costs[-q:]))
    # per-example and mini-batch costs: one lucky batch is no "lowest point"; their running median is
    lowest = float(_running_median(costs).min()) if run_is_minibatch(run) else float(costs.min())
    if not (last > DIVERGENCE_FACTOR * first and last > lowest * 1.5):
        return []
    low_i = int(idx[int(np.argmin(costs))])
    lr = run.learning_rate
    return [Finding(
        rule="cost-divergence",
        message=(f"The cost goes up: its median over the last quarter of the run is {fmt(last)}, against "
                 f"{fmt(first)} over the first quarter (lowest {fmt(float(costs.min()))} at iteration {low_i})."
                 + (f" The learning rate is {lr:g}." if lr is not None else "")),
        location=ctx.location(R.COST, iteration=low_i),
        evidence={"first_quarter_median": first, "last_quarter_median": last, "lowest": float(costs.min()),
                  "lowest_iteration": low_i, "learning_rate": lr},
        fix=("Lower the learning rate (divide by 3 until the cost decreases); if it still rises, check the "
             "sign of the update (W = W - learning_rate * dW) and run a gradient check."))]


def check_oscillation(run: Run, ctx: Context) -> list[Finding]:
    if run.updates_seen is False:
        return []  # nothing moved the parameters: these were evaluations, not training
    idx, costs = finite_curve(run)
    if costs.size < MIN_ITERATIONS or run_is_minibatch(run):
        return []
    steps = np.diff(costs)
    spikes = np.flatnonzero(steps > SPIKE_RTOL * np.abs(costs[:-1]))
    up_fraction = float(np.mean(steps > 0))
    if spikes.size < MIN_SPIKES:
        return []
    q = max(costs.size // 4, 1)
    progress = float(np.median(costs[-q:])) < 0.9 * float(np.median(costs[:q]))
    worst = int(spikes[np.argmax(steps[spikes] / np.abs(costs[spikes]))])
    # the spike is the iteration whose cost jumped, compared with the one before it
    evidence = {"spikes": int(spikes.size), "up_fraction": round(up_fraction, 3),
                "largest_spike": {"iteration": int(idx[worst + 1]), "from": float(costs[worst]),
                                  "to": float(costs[worst + 1])},
                "trending_down": progress, "learning_rate": run.learning_rate}
    if progress and up_fraction < OSCILLATION_UP_FRACTION:
        return [Finding(
            rule="cost-oscillation", severity="info",
            message=(f"The cost spikes up {spikes.size} times by more than {SPIKE_RTOL:.0%} (largest: "
                     f"{fmt(costs[worst])} -> {fmt(costs[worst + 1])} at iteration {int(idx[worst + 1])}) but "
                     f"still trends down: not necessarily a bug, though steps this large are close to unstable."),
            location=ctx.location(R.COST, iteration=int(idx[worst + 1])), evidence=evidence,
            fix="If the spikes bother you, lower the learning rate a little or decay it over the iterations.")]
    return [Finding(
        rule="cost-oscillation",
        message=(f"The cost jumps up and down ({spikes.size} spikes above {SPIKE_RTOL:.0%}, {up_fraction:.0%} of "
                 f"the steps go up){' and makes little progress' if not progress else ''}: with full-batch "
                 f"gradient descent this means the steps overshoot."),
        location=ctx.location(R.COST, iteration=int(idx[worst + 1])), evidence=evidence,
        fix="Lower the learning rate (divide by 3 until the cost decreases at almost every iteration).")]


def _running_median(costs: np.ndarray) -> np.ndarray:
    width = max(5, costs.size // 20)
    if costs.size <= width:
        return np.array([float(np.median(costs))])
    windows = np.lib.stride_tricks.sliding_window_view(costs, width)
    return np.median(windows, axis=1)


def run_is_minibatch(run: Run) -> bool:
    """Mini-batch costs (and dropout's, with new masks every iteration) are noisy by nature;
    spikes there are not oscillation."""
    sizes = {it.batch for it in run.completed if it.batch}
    inputs = {it.data_id for it in run.completed if it.data_id is not None}
    return len(sizes) > 1 or len(inputs) > 1 or any(it.dropout or it.random for it in run.sampled())


def check_initial_cost(run: Run, ctx: Context) -> list[Finding]:
    idx, costs = run.costs()
    if costs.size == 0 or idx[0] != 0 or run.label_values is None or run.maximizes:
        return []  # no labels seen: a regression, whose cost has no "untrained" reference
    c0 = float(costs[0])
    if not math.isfinite(c0):
        return []  # non-finite says it, with the cause
    refs = reference_costs(run)
    name, expected = next(iter(refs.items()))
    first = next((it for it in run.completed if it.index == idx[0]), None)
    m = (first.batch if first is not None and first.batch else None) or run.examples
    if math.isfinite(c0) and m and m > 1 and abs(c0 - m * expected) <= 0.3 * m * expected and c0 > 5 * expected:
        return [Finding(
            rule="initial-cost", severity="info",
            message=(f"The cost at iteration 0 is {fmt(c0)}, about m x {name} = {m} x {expected:.4f}: your cost "
                     f"adds the losses of the {m} examples instead of averaging them."),
            location=ctx.location(R.COST, iteration=0),
            evidence={"initial_cost": c0, "expected": expected, "reference": name, "examples": m,
                      "ratio": c0 / expected},
            fix=("That is fine if your backward differentiates the same sum; if it divides by m "
                 "(dW = dZ @ A.T / m), divide the cost by m too (np.mean or / m), or the gradient check "
                 "reports a factor m."))]
    classes = run.output_units or 1
    if classes > 2 and c0 < expected / math.sqrt(classes):  # nearer ln C / C than ln C, on a log scale
        return [Finding(
            rule="initial-cost",
            message=(f"The cost at iteration 0 is {fmt(c0)}, about {name} / {classes} = {expected / classes:.4f} "
                     f"instead of {name} = {expected:.4f}: the cost averages over the {classes} classes as well as "
                     f"over the examples (np.mean of the whole matrix), so it is {classes} times too small and "
                     f"a backward computing (A - Y) / m is {classes} times its gradient."),
            location=ctx.location(R.COST, iteration=0),
            evidence={"initial_cost": c0, "expected": expected, "reference": name, "classes": classes,
                      "ratio": c0 / expected},
            fix=("Sum over the classes and average over the examples only: "
                 "cost = -np.sum(Y * np.log(A)) / m (m = number of examples)."))]
    if c0 <= INITIAL_COST_FACTOR * expected or run.cost_sees_parameters:
        return []  # a cost that gets the parameters may hold a penalty (L2): its start says nothing alone
    return [Finding(
        rule="initial-cost",
        message=(f"The cost at iteration 0 is {fmt(c0)}, where an untrained network gives about {expected:.4f} "
                 f"({name}): the network starts out confidently wrong on many examples."),
        location=ctx.location(R.COST, iteration=0),
        evidence={"initial_cost": c0, "expected": expected, "reference": name,
                  "ratio": c0 / expected},
        fix=("Initialize the weights smaller: He (randn * sqrt(2 / n_prev)) for ReLU layers, Xavier "
             "(randn * sqrt(1 / n_prev)) for tanh/sigmoid, biases at zero."))]


CHECKS = (check_plateau, check_divergence, check_oscillation, check_initial_cost)
