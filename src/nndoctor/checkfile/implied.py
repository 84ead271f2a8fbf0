"""implied-loss: which loss a fused backward-and-update descends, when the program computes none.

Some programs never compute a cost: ``backprop(X, Y)`` works out the deltas and updates the weights
in place, and the loop prints the accuracy. There is no cost function to check the gradients
against, but the step itself is known: the update applied ``W_after - W_before = -lr * g``, so the
gradient it used is ``g = (W_before - W_after) / lr``. nndoctor checks ``g`` against the gradients
of the losses such a network is trained with (the cross-entropy of its output against the labels,
the squared error), computed numerically through the program's own forward pass. A loss whose
gradient ``g`` is, up to one factor shared by every parameter (a ``1/m`` or a learning rate written
inside the update), is the loss the program minimizes. When neither fits, the update is not the
gradient of a known loss: a derivative is wrong somewhere in the fused backward.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from nndoctor import roles as R
from nndoctor.checkfile.losses import fused_labels, losses_for
from nndoctor.checkfile.replay import _argument_names, owner_learning_rate
from nndoctor.findings import Finding, Location
from nndoctor.recorded import RecordedStep, TapeEntry
from nndoctor.usercode import definition_site


def implied_loss(step: RecordedStep, params: Mapping[str, np.ndarray], owner: Any, seed: int) -> list[Finding]:
    from nndoctor.gradcheck import check_gradients

    moved_at = next((i for i, e in enumerate(step.tape) if e.moved and e.step), None)
    if moved_at is None or moved_at == 0:
        return []
    forward, fused = step.tape[0], step.tape[moved_at]
    applied = fused.step or {}
    if set(applied) != set(params):
        return []
    lr = step.learning_rate or _learning_rate(fused) or (owner_learning_rate(owner) if owner is not None else None)
    scale = 1.0 / lr if lr else 1.0
    g = {k: -np.asarray(v, dtype=np.float64) * scale for k, v in applied.items()}
    output = R.output_of(forward.call.result)
    labels = fused_labels(fused, forward, output)
    if not isinstance(output, np.ndarray) or labels is None:
        return []

    def output_at() -> np.ndarray:
        return np.asarray(R.output_of(forward.call.func(*forward.call.args, **forward.call.kwargs)), dtype=np.float64)

    results = []
    for kind, loss in losses_for(output, labels):
        def cost(loss: Callable[[np.ndarray], float] = loss) -> float:
            return loss(output_at())

        with _at(params, step.params_at):
            check = check_gradients(cost, lambda: g, dict(params), seed=seed, style="stateful")
        factor = _shared_factor(check)
        results.append((kind, check, factor))
        if factor is not None:
            return [_fits(kind, factor, lr, fused)]
    best = min(results, key=lambda r: _worst(r[1]), default=None)
    return [_neither(fused, best, lr)] if best is not None else []


def against_implied_loss(replay: Any, seed: int) -> tuple[Any, Finding | None]:
    """A backward checked against the loss its output layer implies, when the program computes no cost:
    (the check against the loss that fits, or None when none does; the finding that says which).

    The program's normalization (a 1/m, a 1/2) cannot be known without a cost, so the loss is the one
    whose gradient the weight matrices follow up to one shared factor; the check is then made against
    that loss times that factor, and what still disagrees (a bias summed to one number, a missing
    derivative) is a real error of the backward."""
    from nndoctor.gradcheck import check_gradients

    def check(cost: Callable[..., Any]) -> Any:
        return check_gradients(cost, replay.grad_fn, replay.params, seed=seed, style=replay.style,
                               n_examples=replay.n_examples, n_classes=replay.n_classes)

    weights = R.weight_keys(replay.params)
    if [k for k, _ in replay.implied_costs] == ["program"]:
        return _against_program_cost(replay, check, weights)
    tried = []
    partial: tuple[tuple[int, int], str, Any, float] | None = None  # ((agreeing, exact), loss, cost, factor)
    for kind, cost in replay.implied_costs:
        first = check(cost)
        factor = _shared_factor(first, only=weights)
        tried.append((kind, first))
        if factor is None:
            agreeing, common = _most_common_factor(first, weights)
            ok = sum(1 for n in weights if first.parameters.get(n) is not None and first.parameters[n].status == "ok")
            if common is not None and (partial is None or (agreeing, ok) > partial[0]):
                partial = ((agreeing, ok), kind, cost, common)
            continue
        result = first if math.isclose(factor, 1.0, rel_tol=2e-3) else check(_scaled(cost, factor, replay.style))
        return result, _backward_fits(kind, factor, replay.backward or replay.grad_fn, replay.n_examples)
    if partial is not None:
        # some weight matrices follow a loss (the output layer's, typically) and others do not: that
        # loss, and the ones that disagree with it are the backward's errors
        _, kind, cost, factor = partial
        result = check(cost) if math.isclose(factor, 1.0, rel_tol=2e-3) else check(_scaled(cost, factor, replay.style))
        following = [n for n in weights if result.parameters.get(n) is not None and result.parameters[n].status == "ok"]
        return result, _backward_fits(kind, factor, replay.backward or replay.grad_fn, replay.n_examples, following)
    for kind, first in tried:
        regularized = _with_l2(replay, check, dict(replay.implied_costs)[kind], first, weights)
        if regularized is None:
            continue
        # the weights that follow the regularized loss say it is the one; the others' findings say what they lack
        result, strength = regularized
        following = [n for n in weights if result.parameters.get(n) is not None and result.parameters[n].status == "ok"]
        return result, _backward_fits(kind, 1.0, replay.backward or replay.grad_fn, replay.n_examples,
                                      following if len(following) < len(weights) else None, l2=strength)
    kind, best = min(tried, key=lambda t: _worst(t[1]))
    wrong = [n for n, p in best.parameters.items() if p.status != "ok"]
    return None, Finding(
        rule="implied-loss", severity="error",
        message=(f"The program computes no cost, and the gradients {_name(replay.backward or replay.grad_fn)} gives are not those of "
                 f"a known loss of its output: against the cross-entropy and the squared error, "
                 f"{', '.join('d' + n for n in wrong)} disagree (relative error {_worst(best):.2g} against the "
                 f"{kind}, the closest). A derivative in the backward is wrong, or it uses values from the wrong layer."),
        location=_backward_location(replay.backward or replay.grad_fn),
        evidence={"kind": "neither", "closest": kind, "relative_error": _worst(best), "parameters": wrong},
        fix=("Compute the cost the network is trained with (and print it now and then), then compare the backward "
             "with a numerical gradient of that cost; check each derivative: sigmoid'(z) = s * (1 - s), "
             "tanh'(z) = 1 - a**2, softmax with cross-entropy gives A - Y."))


def _with_l2(replay: Any, check: Callable[..., Any], cost: Callable[..., Any], first: Any,
             weights: list[str]) -> tuple[Any, float] | None:
    """(the check against ``cost`` plus an L2 penalty, its strength) when the weight matrices differ from
    the loss's gradient by one and the same multiple of themselves (dW1 += reg_lambda * W1 in the
    backward): the program trains that loss regularized. None when they do not, or it still disagrees."""
    coefficients = [first.parameters[n].coefficient for n in weights if first.parameters.get(n) is not None
                    and first.parameters[n].status != "ok" and first.parameters[n].kind == "missing-term"]
    if not coefficients or any(c is None or not math.isfinite(c) for c in coefficients) or \
            any(not math.isclose(c, coefficients[0], rel_tol=2e-2) for c in coefficients):
        return None
    strength = -float(np.median(coefficients))  # dW lacks c * W against the plain loss: the loss lacks -c/2 |W|^2
    if strength <= 0:
        return None
    names = list(weights)

    def regularized(p: Mapping[str, np.ndarray]) -> float:
        return float(cost(p)) + 0.5 * strength * sum(float(np.sum(np.square(np.asarray(p[n], dtype=np.float64))))
                                                     for n in names)
    regularized.__qualname__ = regularized.__name__ = getattr(cost, "__name__", "cost")
    result = check(regularized)
    if not any(result.parameters[n].status == "ok" for n in names if n in result.parameters):
        return None
    return result, strength


def _against_program_cost(replay: Any, check: Callable[..., Any], weights: list[str]) -> tuple[Any, Finding | None]:
    """Steps applied inside the loop checked against the program's own cost; when every weight's step is
    the same multiple of its gradient (a learning rate nndoctor could not read off the update line),
    checked again at that factor."""
    cost = replay.implied_costs[0][1]
    result = check(cost)
    factor = _shared_factor(result, only=weights)
    if factor is None or math.isclose(factor, 1.0, rel_tol=2e-3):
        return result, None
    result = check(_scaled(cost, factor, replay.style))
    return result, Finding(
        rule="implied-loss", severity="info",
        message=(f"The steps {_name(replay.grad_fn)} applies are {factor:.4g} times the gradient of the program's cost "
                 f"(a learning rate written inside the update); nndoctor checked every gradient at that factor."),
        location=_backward_location(replay.grad_fn), evidence={"kind": "program", "factor": factor},
        fix="Nothing to fix.")


def _most_common_factor(check: Any, weights: list[str]) -> tuple[int, float | None]:
    """(how many weight matrices share it, the factor most of them share with the loss's gradient)."""
    factors = []
    for name in weights:
        p = check.parameters.get(name)
        if p is not None and p.status == "ok":
            factors.append(1.0)
        elif p is not None and p.status == "mismatch" and p.kind == "scale" and p.factor:
            factors.append(float(p.factor))
    best: tuple[int, float | None] = (0, None)
    for f in factors:
        count = sum(math.isclose(g, f, rel_tol=2e-3) for g in factors)
        if count > best[0]:
            best = (count, f)
    return best


def _scaled(cost: Callable[..., Any], factor: float, style: str) -> Callable[..., Any]:
    if style == "stateful":
        return lambda: factor * R.scalar_value(R.first(cost()))
    return lambda p: factor * R.scalar_value(R.first(cost(p)))


def _name(func: Any) -> str:
    return getattr(func, "__qualname__", getattr(func, "__name__", "the backward"))


def _backward_location(func: Any) -> Location:
    where = getattr(func, "nndoctor_location", None)  # a replay of the learner's loop: the loop's line
    file, line = where if where else (definition_site(func) if func is not None else (None, None))
    return Location(function=_name(func) if func is not None else None, file=file, line=line)


def _backward_fits(kind: str, factor: float, backward: Any, examples: int | None,
                   following: list[str] | None = None, l2: float | None = None) -> Finding:
    what = "the cross-entropy of its output against the labels" if kind == "cross-entropy" else \
        "the squared error of its output against the labels"
    if l2 is not None:
        what += f" plus an L2 penalty (lambda/2) * sum(W**2) on the weight matrices, lambda = {l2:.4g}"
    if math.isclose(factor, 1.0, rel_tol=2e-3):
        per = ""
    elif examples and math.isclose(factor * examples, 1.0, rel_tol=2e-3):
        per = f" averaged over the {examples} examples"
    elif examples and math.isclose(factor * examples, 0.5, rel_tol=2e-3):
        per = f" averaged over the {examples} examples and halved"
    else:
        per = f" times {factor:.4g}"
    return Finding(
        rule="implied-loss", severity="info",
        message=(f"The program computes no cost; the weight gradients {_name(backward)} gives are those of {what}{per}, "
                 f"so nndoctor checked every gradient against that loss." if following is None else
                 f"The program computes no cost; of the weight gradients {_name(backward)} gives, those of "
                 f"{', '.join(following)} follow {what}{per}: nndoctor checked every gradient against that loss, "
                 f"and the others disagree with it (see their findings)."),
        location=_backward_location(backward),
        evidence={"kind": kind, "factor": factor, "source": "backward", "l2": l2},
        fix="Nothing to fix. Computing that loss now and then (and printing it) makes training easier to follow.")


class _at:
    """The parameters at their values of the recorded step, for the length of the analysis."""

    def __init__(self, params: Mapping[str, np.ndarray], values: Mapping[str, np.ndarray] | None) -> None:
        self.params, self.values, self.saved = params, values, None

    def __enter__(self) -> None:
        if self.values and set(self.values) == set(self.params):
            self.saved = {k: np.array(v, copy=True) for k, v in self.params.items()}
            for k, v in self.params.items():
                np.copyto(v, self.values[k])

    def __exit__(self, *exc: Any) -> None:
        if self.saved is not None:
            for k, v in self.params.items():
                np.copyto(v, self.saved[k])


def _learning_rate(entry: TapeEntry) -> float | None:
    names = _argument_names(entry.call.func)
    return R.learning_rate_in(entry.call.args, entry.call.kwargs, names)


def _shared_factor(check: Any, only: list[str] | None = None) -> float | None:
    """The factor every parameter's applied gradient (or each of ``only``) shares with the loss's
    gradient, if one does."""
    factors = []
    for name, p in check.parameters.items():
        if only is not None and name not in only:
            continue
        if p.status == "ok":
            factors.append(1.0)
        elif p.status == "mismatch" and p.kind == "scale" and p.factor:
            factors.append(float(p.factor))
        else:
            return None
    if not factors:
        return None
    first = factors[0]
    return first if all(math.isclose(f, first, rel_tol=2e-3) for f in factors) else None


def _worst(check: Any) -> float:
    errors = [p.relative_error for p in check.parameters.values() if p.relative_error is not None]
    return max(errors) if errors else math.inf


def _where(fused: TapeEntry) -> Location:
    file, line = definition_site(fused.call.func)
    return Location(function=fused.call.name, file=file, line=line)


def _fits(kind: str, factor: float, lr: float | None, fused: TapeEntry) -> Finding:
    what = "the cross-entropy of its output against the labels" if kind == "cross-entropy" else \
        "the squared error of its output against the labels"
    per = "" if math.isclose(factor, 1.0, rel_tol=2e-3) else f" (times {factor:.4g}: an average over the examples or a factor in the update)"
    return Finding(
        rule="implied-loss", severity="info",
        message=(f"The program computes no cost; the update {fused.call.name} applies is the gradient of {what}"
                 f"{per}. nndoctor checked it against that loss{'' if lr else ' (the learning rate was not found: up to a factor)'}."),
        location=_where(fused),
        evidence={"kind": kind, "factor": factor, "learning_rate": lr},
        fix="Nothing to fix. Computing that loss now and then (and printing it) makes training easier to follow.")


def _neither(fused: TapeEntry, best: tuple[str, Any, float | None], lr: float | None) -> Finding:
    kind, check, _ = best
    wrong = [n for n, p in check.parameters.items() if p.status != "ok"]
    return Finding(
        rule="implied-loss", severity="error",
        message=(f"The update {fused.call.name} applies is not the gradient of a known loss: against the "
                 f"cross-entropy and the squared error of the output, {', '.join('d' + n for n in wrong)} disagree "
                 f"(relative error {_worst(check):.2g} against the {kind}, the closest). A derivative in the fused "
                 f"backward is wrong, or it uses values from the wrong layer."),
        location=_where(fused),
        evidence={"kind": "neither", "closest": kind, "relative_error": _worst(check), "parameters": wrong,
                  "learning_rate": lr},
        fix=("Write the gradient apart from the update (a backward that returns dW1, db1, ...) and compare it with "
             "a numerical gradient of the loss, or check each derivative: sigmoid'(z) = s * (1 - s), "
             "tanh'(z) = 1 - a**2, softmax with cross-entropy gives A - Y."))
