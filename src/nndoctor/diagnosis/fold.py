"""One cause, one finding, across every checker: the single place findings are folded.

`diagnose` calls `fold` once, on everything the checkers found. First the table of
`consolidate.EXPLAINS` ("X is explained by Y" within one run: a layer that died from a too-high
learning rate also has zero gradients and a flat cost); then the relations between checkers, as
named steps, in this order:

1. one exception seen twice (by the hooks and by the statement it interrupted) is one finding; one
   probe finding per function, kind and rule;
2. an error entering at layer L makes the gradients of layers 1..L-1 wrong too: one finding;
3. the same missing L2 term or factor in several parameters: one finding listing them;
4. a wrong derivative helper, an activation mismatch, an extra activation or a forgotten dropout
   mask absorbs the gradient disagreements it causes (the gradient check confirms it); a reading
   of the code's shape that would make the gradients wrong (an activation mismatch, a mask not
   reapplied) while the gradient check finds every gradient right is a note that says so;
5. while a gradient is wrong, the training curve's errors are its symptoms: warnings that say so;
6. raw (unnormalized) inputs explain dead, saturated or unstable units: notes that say so;
7. where gradients vanish, the gradient check's doubts are notes; an undecided block is a note
   whenever some other block could be verified.
"""

from __future__ import annotations

import re
from typing import Any

from nndoctor.diagnosis.consolidate import consolidate
from nndoctor.findings import Finding, Report
from nndoctor.roles import layer_of

DYNAMICS = ("learning-rate", "cost-oscillation", "cost-divergence", "cost-plateau", "exploding-gradient")
RAW_INPUT_SYMPTOMS = ("dead-relu", "saturated-activation", "learning-rate", "cost-oscillation",
                      "cost-divergence", "exploding-gradient")


def _weight_layers(report: Report) -> dict[str, int]:
    """Parameter name -> its layer number: from the name (W2 -> 2, weights[1] -> 2), else, for layer
    objects (layers[2].weights), the order of the layer objects that hold weights."""
    check = report.sections.get("gradient_check")
    names = list(check.get("parameters", {})) if isinstance(check, dict) else []
    names += [f.location.parameter for f in report.findings if f.location.parameter and f.location.parameter not in names]
    # layer objects in a list (layers[2].weights) by index; named ones (dense1.weights) in the order
    # the check lists them, which is the order the forward reaches them
    holders = sorted(dict.fromkeys(n.rsplit(".", 1)[0] for n in names if "." in n),
                     key=lambda h: [int(i) for i in re.findall(r"\[(\d+)\]", h)] or [0])
    out = {}
    for n in names:
        number = layer_of(n)
        if number is None and "." in n and n.rsplit(".", 1)[0] in holders:
            number = holders.index(n.rsplit(".", 1)[0]) + 1
        if number is not None:
            out[n] = number
    return out


def _one_unrolled_vector(report: Report) -> bool:
    check = report.sections.get("gradient_check")
    params = check.get("parameters") if isinstance(check, dict) else None
    return isinstance(params, dict) and len(params) == 1 and \
        len((next(iter(params.values())) or {}).get("shape") or [0, 0]) == 1


def fold(report: Report) -> None:
    for step in (_symptoms_into_causes, _one_finding_per_exception, _one_probe_finding_per_function,
                 _group_propagated_mismatches, _code_readings_the_numbers_contradict, _group_same_defect,
                 _fold_into_activation_findings, _zero_gradient_is_the_wrong_gradient,
                 _random_prediction_from_a_wrong_mask, _defer_to_gradient_bugs,
                 defer_to_raw_inputs,
                 _quiet_checks_where_gradients_vanish, _inconclusive_blocks_are_notes):
        step(report)


def amend(f: Finding, *, severity: str | None = None, note: str = "", fix: str | None = None,
          evidence: dict[str, Any] | None = None) -> Finding:
    """The same finding with another severity, a sentence added, or more evidence."""
    return Finding(rule=f.rule, severity=severity or f.severity, location=f.location,
                   message=f"{f.message} {note}" if note else f.message, fix=fix if fix is not None else f.fix,
                   evidence={**f.evidence, **(evidence or {})})


def _symptoms_into_causes(report: Report) -> None:
    """The table, within each run (findings of different runs never explain each other)."""
    runs: dict[str | None, list[Finding]] = {}
    for f in report.findings:
        runs.setdefault(f.location.run, []).append(f)
    kept = {id(f) for group in runs.values() for f in consolidate(group)}
    report.findings[:] = [f for f in report.findings if id(f) in kept]


def _one_probe_finding_per_function(report: Report) -> None:
    """An update or mini-batch builder the runtime rules and the probes both judged: said once."""
    seen = set()
    kept = []
    for f in report.findings:
        if f.rule in ("optimizer-update", "mini-batch"):
            key = (f.rule, f.kind, f.location.function)
            if key in seen:
                continue
            seen.add(key)
        kept.append(f)
    report.findings[:] = kept


def _one_finding_per_exception(report: Report) -> None:
    seen = set()
    kept = []
    for f in report.findings:
        if f.rule == "user-code-error" and "exception" in f.evidence:
            key = (f.evidence.get("exception"), f.evidence.get("exception_message"))
            if key in seen:
                continue
            seen.add(key)
        kept.append(f)
    report.findings[:] = kept


def _group_propagated_mismatches(report: Report) -> None:
    """Keep layer L's findings when the mismatching parameters are exactly the layers 1..L: the
    learner starts at the top, where the error enters."""
    mismatches = [f for f in report.findings if f.rule == "gradient-mismatch" and f.location.parameter]
    layers = {layer_of(f.location.parameter) for f in mismatches}
    if len(mismatches) < 3 or None in layers or layers != set(range(1, max(layers) + 1)):
        return
    top = max(layers)
    below = [f for f in mismatches if layer_of(f.location.parameter) < top]
    # a wrong dZ travels down as errors of no simple form; a missing term or a factor does not travel
    if any(f.kind != "other" for f in below):
        return
    names = [f.location.parameter for f in below]
    report.findings[:] = [
        amend(f, note=(f"The gradients of every layer before it ({', '.join(names)}) are wrong too: backpropagation "
                       f"carries an error in layer {top} down to them, so fix layer {top} first."),
              evidence={"also_wrong_below": names}) if f in mismatches and f not in below else f
        for f in report.findings if f not in below]


def _code_readings_the_numbers_contradict(report: Report) -> None:
    """A backward that differentiates another activation, or forgets the dropout mask, gives wrong
    gradients: when the gradient check of the same step verified every one of them, the code was
    misread (a mask applied through a cached activation, say), and the finding says so as a note."""
    check = report.sections.get("gradient_check")
    if not isinstance(check, dict) or check.get("verdict") != "pass":
        return
    if any(f.rule == "gradient-mismatch" for f in report.findings):
        return
    note = ("The gradient check of the same training step finds every gradient in agreement with the cost, "
            "so this reading of the code does not change your gradients; look at it only if the code is not "
            "what you meant.")
    report.findings[:] = [
        amend(f, severity="info", note=note, evidence={"gradient_check": "agrees"})
        if f.severity.label != "info" and (f.rule == "activation-mismatch" or (
            f.rule == "dropout-mask" and f.kind == "not-reapplied")) else f
        for f in report.findings]


def _group_same_defect(report: Report) -> None:
    groups: dict[tuple, list[Finding]] = {}
    for f in report.findings:
        if f.rule != "gradient-mismatch" or f.kind not in ("missing-term", "scale"):
            continue
        value = f.evidence.get("coefficient" if f.kind == "missing-term" else "factor")
        if isinstance(value, (int, float)) and value:
            key = (f.kind, f.severity, float(f"{float(value):.3g}"))  # the same value to 3 digits
            groups.setdefault(key, []).append(f)
    for members in (m for m in groups.values() if len(m) > 1):
        first, names = members[0], [f.location.parameter for f in members]
        what = "each of their gradients lacks its own such term" if first.kind == "missing-term" else "the same factor"
        grouped = amend(first, note=f"The same holds for {', '.join(names[1:])}: {what}.",
                        fix=f"{first.fix} Likewise for {', '.join(names[1:])}.", evidence={"parameters": names})
        report.findings[:] = [grouped if f is first else f for f in report.findings if f not in members[1:]]


def _fold_into_activation_findings(report: Report) -> None:
    causes = [f for f in report.findings if f.severity.label == "error" and (
        f.rule in ("activation-derivative", "activation-mismatch", "output-activation")
        or (f.rule == "dropout-mask" and f.kind in ("not-reapplied", "scale")))]
    for cause in causes:
        if cause.rule == "activation-derivative":
            # a derivative helper used nobody knows where explains a mismatch of one unrolled vector
            # that holds every layer (theta, the params a scipy wrapper gets)
            top = max(cause.evidence.get("layers") or [99 if _one_unrolled_vector(report) else 0])
        elif cause.rule == "output-activation":
            top = cause.evidence.get("weight_layers") or cause.location.layer or 0
        elif cause.rule == "dropout-mask":
            top = (cause.location.layer or 0) + 1  # the mask of layer l enters the gradient of W(l+1) too
        else:
            top = cause.location.layer or 0
        kinds = None if cause.rule == "dropout-mask" else ("other",)  # a forgotten mask can look like a factor
        layers = _weight_layers(report)
        folded = [f for f in report.findings if f.rule == "gradient-mismatch" and (kinds is None or f.kind in kinds)
                  and f.location.parameter and layers.get(f.location.parameter, 99 if top < 99 else 1) <= top
                  and f.location.run in (None, cause.location.run)]
        if not folded:
            continue
        names = sorted({f.location.parameter for f in folded}
                       | {n for f in folded for n in f.evidence.get("also_wrong_below", [])})
        confirmed = amend(cause, note=f"The gradient check confirms it: {', '.join('d' + n for n in names)} "
                                      f"disagree with the cost.", evidence={"gradient_check": names})
        report.findings[:] = [confirmed if f is cause else f for f in report.findings if f not in folded]


def _defer_to_gradient_bugs(report: Report) -> None:
    wrong = [f.location.parameter for f in report.findings if f.rule == "gradient-mismatch"
             and f.severity.label == "error" and f.location.parameter]
    # a wrong derivative or activation the gradient check confirmed makes those gradients wrong too
    wrong += [n for f in report.findings if f.severity.label == "error" for n in f.evidence.get("gradient_check") or []]
    if not wrong:
        return
    note = f"This may only be a consequence of the wrong gradient ({', '.join('d' + p for p in wrong)}): fix that first."
    # a cost that turns NaN during training (after iteration 0) diverged on the wrong gradient too
    report.findings[:] = [amend(f, severity="info", note=note, evidence={"may_be_caused_by": "gradient-mismatch"})
                          if f.severity.label == "error" and (f.rule in DYNAMICS or (
                              f.rule == "non-finite" and (f.location.iteration or 0) > 0))
                          else f for f in report.findings]


def _zero_gradient_is_the_wrong_gradient(report: Report) -> None:
    """A gradient that is exactly zero at every iteration while the gradient check says the backward
    never fills it is one bug, reported once: the gradient check's."""
    wrong = {f.location.parameter for f in report.findings if f.rule == "gradient-mismatch"
             and f.severity.label == "error" and f.location.parameter}
    report.findings[:] = [f for f in report.findings
                          if not (f.rule == "zero-gradient" and f.location.parameter in wrong)]


def _random_prediction_from_a_wrong_mask(report: Report) -> None:
    """A mask drawn with randn drops units even at keep_prob = 1: the random prediction that follows
    is the same bug, said once, inside the dropout finding."""
    masks = [f for f in report.findings if f.rule == "dropout-mask" and f.kind == "keep-rate"]
    random = [f for f in report.findings if f.rule == "stochastic-forward"
              and any(f.location.function in (m.location.function, *(f.evidence.get("functions") or [])) for m in masks)]
    if not masks or not random:
        return
    note = ("With such a mask even keep_prob = 1 drops units: the prediction made with it is random too "
            "(two calls on the same input differ).")
    first = masks[0]
    report.findings[:] = [amend(f, note=note, evidence={"random_prediction": True}) if f is first else f
                          for f in report.findings if f not in random]


def defer_to_raw_inputs(report: Report) -> None:
    if not any(f.rule == "unnormalized-input" and f.severity.label != "info" for f in report.findings):
        return
    note = "The inputs are not normalized (see unnormalized-input): fix that first."
    report.findings[:] = [amend(f, severity="info", note=note, evidence={"may_be_caused_by": "unnormalized-input"})
                          if f.rule in RAW_INPUT_SYMPTOMS and f.severity.label != "info" else f
                          for f in report.findings]


def _quiet_checks_where_gradients_vanish(report: Report) -> None:
    if not any(f.rule == "vanishing-gradient" or (f.rule == "init-scale" and f.kind == "too-small"
                                                  and f.severity.label == "warning") for f in report.findings):
        return
    note = "(The gradients here are tiny, see vanishing-gradient: the check is at the limit of what it can measure.)"
    report.findings[:] = [
        amend(f, severity="info", note=note)
        if f.severity.label == "warning" and (f.rule == "check-inconclusive" or
                                              (f.rule == "gradient-mismatch" and f.evidence.get("marginal")))
        else f for f in report.findings]


def _inconclusive_blocks_are_notes(report: Report) -> None:
    check = report.sections.get("gradient_check")
    statuses = [p.get("status") for p in check.get("parameters", {}).values()] if isinstance(check, dict) else []
    if not statuses or all(s == "inconclusive" for s in statuses):
        return
    report.findings[:] = [amend(f, severity="info") if f.rule == "check-inconclusive" and f.evidence.get("parameter")
                          and f.severity.label == "warning" else f for f in report.findings]
