"""The gradient check of a file: each training step the program made, replayed (replay.py) and
checked (nndoctor.gradcheck), read against the code's conventions (conventions.py).

The first complete step of each run is kept; a run whose step calls other functions or passes other
settings (an L2 ``lambd`` of 0.3 after one of 0: only then is the L2 gradient exercised) is checked
too, and its findings name the run. The parameters are checked as they were at that step, and a
network's own data (``self.X``) as they were then; both are put back afterwards.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from nndoctor import roles as R
from nndoctor.checkfile.conventions import read_conventions
from nndoctor.checkfile.implied import against_implied_loss
from nndoctor.checkfile.replay import NotReplayable, Replay, build_replay
from nndoctor.diagnosis.evidence import GradientEvidence
from nndoctor.findings import Finding, Location
from nndoctor.recorded import RecordedStep

MAX_CHECKED_STEPS = 3


def check_recorded_steps(probe: Any, out: GradientEvidence, seed: int) -> bool:
    """Check every distinct step the file's run recorded; True when at least one was checked."""
    return check_steps(probe.doctor, out, seed, layer_loops=probe.layer_loops, inline_loops=probe.inline_loops,
                       final_params=probe.final_params)


def check_steps(doctor: Any, out: GradientEvidence, seed: int, *, layer_loops: Any = (), inline_loops: Any = (),
                final_params: Any = None) -> bool:
    """Check every distinct step a Doctor recorded (and the loops read from a file's code), into
    ``out``; True when at least one was checked."""
    from nndoctor.checkfile.layer_loop import belongs_to

    sections: list[dict[str, Any]] = []
    checked_loops = []
    for loop in layer_loops:
        outcome = _check_layer_loop(loop, out, seed)
        if outcome is not None:
            sections.append(outcome)
            checked_loops.append(loop)
    # the Doctor's view of such a loop (one layer's call taken for the whole forward) is superseded
    kept = {r.label for r in doctor.trace.diagnosable_runs()}
    steps = [s for s in doctor.steps if s and not any(belongs_to(s, loop) for loop in checked_loops)
             and (s.run is None or s.run in kept or not kept)]
    if not steps and not sections:
        return _check_inline_loops(inline_loops, out, seed)
    checked: list[tuple[Any, ...]] = []
    several = len({s.run for s in steps}) > 1
    for step in steps:
        signature = _signature(step)
        if signature in checked or len(checked) >= MAX_CHECKED_STEPS:
            continue
        checked.append(signature)
        step.owner_forward = _forward_method(doctor, step)
        outcome = _check_step(step, out, seed, run=step.run if several else None,
                              later=_later(doctor, final_params, step))
        if outcome is not None:
            sections.append(outcome)
    if not sections:
        return False
    failing = [s for s in sections if s.get("verdict") != "pass"]
    out.section = (failing or sections)[0]
    if len(sections) > 1:
        out.section["runs_checked"] = [s.get("run") for s in sections]
    out.checked = True
    return True


def _check_layer_loop(loop: Any, out: GradientEvidence, seed: int) -> dict[str, Any] | None:
    """A loop driving layer objects one by one: its step's statements, replayed in place."""
    from nndoctor.checkfile.layer_loop import layer_replay
    from nndoctor.gradcheck import check_gradients

    result, replay = None, None
    # at the first iteration (as every replay), then, if ReLU kinks or round-off left blocks
    # undecided there (tiny initial weights, zero biases), at the parameters the loop ended with
    for at_first in (True, False):
        built = layer_replay(loop, at_first=at_first)
        if built is None:
            return None
        replay, restore = built
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                again = check_gradients(replay.cost_fn, replay.grad_fn, replay.params, seed=seed, style="stateful")
        except Exception as exc:  # noqa: BLE001 - the rest of the report must still come out
            out.add(Finding(rule="check-inconclusive", severity="warning",
                               message=f"The gradient check could not run: {type(exc).__name__}: {exc}",
                               evidence={"reason": "error", "replayed": replay.describe},
                               fix="See the message; the runtime findings above are unaffected."))
            return None
        finally:
            restore()
        if result is None or _undecided(again) < _undecided(result):
            result = again
            if not at_first:
                replay.describe += f" (at the parameters after {loop.steps} iterations)"
        if not _undecided(result) or any(p.status == "mismatch" for p in result.parameters.values()):
            break
    out.extend(result.findings)
    section = result.to_dict()
    section["replayed"] = replay.describe
    return section


def _undecided(result: Any) -> int:
    return sum(p.status == "inconclusive" for p in result.parameters.values())


def _check_inline_loops(inline_loops: Any, out: GradientEvidence, seed: int) -> bool:
    """Training loops written inline: their body up to the update, replayed (inline.py)."""
    from nndoctor.checkfile.inline import inline_replay
    from nndoctor.gradcheck import check_gradients

    for loop in inline_loops:
        if not loop.steps:
            continue
        replay = inline_replay(loop)
        if replay is None:
            continue
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            try:
                if replay.implied_costs:  # no cost, or a step added as computed: the loss it descends
                    result, note = against_implied_loss(replay, seed)
                    if note is not None:
                        out.add(note)
                    if result is None:
                        return True
                else:
                    result = check_gradients(replay.cost_fn, replay.grad_fn, replay.params, seed=seed, style="pure")
            except Exception as exc:  # noqa: BLE001 - the rest of the report must still come out
                out.add(Finding(rule="check-inconclusive", severity="warning",
                                   message=f"The gradient check could not run: {type(exc).__name__}: {exc}",
                                   evidence={"reason": "error", "replayed": replay.describe},
                                   fix="See the message; the runtime findings above are unaffected."))
                continue
        out.extend(result.findings)
        section = result.to_dict()
        section["replayed"] = replay.describe
        out.section = section
        out.checked = True
        return True
    return False


def _signature(step: RecordedStep) -> tuple[Any, ...]:
    """What makes two runs' steps different for the gradient check: the functions they call and the
    plain settings they pass (lambd, keep_prob, the activation's name)."""
    parts = []
    for entry in step.tape:
        settings = tuple(repr(a) for a in entry.call.inputs if isinstance(a, (int, float, str, bool)) or a is None)
        parts.append((entry.call.name, settings))
    return tuple(parts)


def _forward_method(doctor: Any, step: RecordedStep) -> str | None:
    """The forward method of the class whose fused backprop(x, y) opens the step, as the program's own
    calls showed it (Network.feedforward, called by evaluate)."""
    opening = step.tape[0].call if step.tape else None
    owner = opening.args[0] if opening is not None and opening.args else None
    if owner is None or not hasattr(owner, "__dict__"):
        return None
    prefix = f"{type(owner).__qualname__}."
    for site in doctor.trace.sites.values():
        if site.role == R.FORWARD and site.name.startswith(prefix) and site.name != opening.name:
            return site.name[len(prefix):]
    return None


def _later(doctor: Any, final_params: Any, step: RecordedStep) -> tuple[Any, int] | None:
    """(the parameters the step's run ended with, its iterations), for a check the first step left
    undecided: only for the program's last training run, whose parameters are the Doctor's last."""
    runs = doctor.trace.diagnosable_runs()
    if not runs or runs[-1].label != step.run or final_params is None:
        return None
    return final_params, len(runs[-1].completed)


def _check_step(step: RecordedStep, out: GradientEvidence, seed: int, run: str | None,
                later: tuple[Any, int] | None = None) -> dict[str, Any] | None:
    from nndoctor.gradcheck import check_gradients

    try:
        replay = build_replay(step)
    except NotReplayable as exc:
        out.add(_located(Finding(
            rule="check-inconclusive", severity="info", message=f"The gradient check was skipped: {exc}.",
            evidence={"reason": "not-replayable", "detail": str(exc)},
            fix="Nothing is wrong in itself; a backward function that returns the gradients lets nndoctor check "
                "them."), run))
        return None
    if replay.implied:
        from nndoctor.checkfile.implied import implied_loss

        with _as_at_the_step(replay, step), warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            found = implied_loss(step, replay.params, replay.owner, seed)
        out.extend(_located(f, run) for f in found)
        return {"verdict": "implied", "replayed": replay.describe, "findings": [f.rule for f in found]} if found else None
    with _as_at_the_step(replay, step):
        try:
            # the learner's code runs again here: its overflow warnings are not news (the findings say it)
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                if replay.implied_costs:
                    result, note = against_implied_loss(replay, seed)
                    if note is not None:
                        out.add(_located(note, run))
                    if result is None:
                        return None
                else:
                    result = check_gradients(replay.cost_fn, replay.grad_fn, replay.params, seed=seed,
                                             style=replay.style, n_examples=replay.n_examples,
                                             n_classes=replay.n_classes)
        except Exception as exc:  # noqa: BLE001 - the rest of the report must still come out
            out.add(_located(Finding(
                rule="check-inconclusive", severity="warning",
                message=f"The gradient check could not run: {type(exc).__name__}: {exc}",
                evidence={"reason": "error", "replayed": replay.describe},
                fix="See the message; the runtime findings above are unaffected."), run))
            return None
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            findings = (_unrolled_in_the_other_order(replay, result, seed) if replay.reordered is not None
                        else list(result.findings))
    if later is not None and _undecided(result) and not any(p.status == "mismatch" for p in result.parameters.values()):
        again = _at_later_parameters(replay, step, later[0], seed)
        if again is not None and _undecided(again) < _undecided(result):
            # tiny initial weights put the first step's gradients under the cost's round-off (or the
            # pre-activations on the ReLU kinks): the same functions, checked where training left them
            result, findings = again, list(again.findings)
            replay.describe += f" (at the parameters after {later[1]} iterations)"
    findings = read_conventions(result, findings, replay.n_examples, replay.backward)
    out.extend(_located(f, run) for f in findings)
    section = result.to_dict()
    section["replayed"] = replay.describe
    if run is not None:
        section["run"] = run
    return section


def _at_later_parameters(replay: Replay, step: RecordedStep, final: Any, seed: int) -> Any:
    from nndoctor.gradcheck import check_gradients

    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            if replay.style == "stateful":
                with _as_at_the_step(replay, step, values=False):  # the learner's arrays as training left them
                    return check_gradients(replay.cost_fn, replay.grad_fn, replay.params, seed=seed, style="stateful",
                                           n_examples=replay.n_examples, n_classes=replay.n_classes)
            if not isinstance(final, Mapping) or set(map(str, final)) != set(map(str, replay.params)):
                return None
            values = {k: np.array(final[k], copy=True) for k in replay.params}
            if any(values[k].shape != np.shape(v) for k, v in replay.params.items()):
                return None
            with _as_at_the_step(replay, step, values=False):
                return check_gradients(replay.cost_fn, replay.grad_fn, type(replay.params)(values), seed=seed,
                                       style="pure", n_examples=replay.n_examples, n_classes=replay.n_classes)
    except Exception:  # noqa: BLE001 - the first check's result stands
        return None


def _unrolled_in_the_other_order(replay: Replay, result: Any, seed: int) -> list[Finding]:
    """A block of an unrolled vector whose gradient only agrees when read in the other memory order
    (C vs Fortran): unrolled one way, rolled back the other, so its entries come back transposed."""
    from nndoctor.gradcheck import check_gradients

    findings = list(result.findings)
    for name, p in result.parameters.items():
        if p.status != "mismatch" or p.kind != "other":
            continue
        again = check_gradients(replay.cost_fn, replay.reordered(name), {name: replay.params[name]},  # type: ignore[misc]
                                seed=seed, style="stateful")
        if not again.ok:
            continue
        old = next((f for f in findings if f.rule == "gradient-mismatch" and f.location.parameter == name), None)
        findings = [f for f in findings if f is not old]
        findings.append(Finding(
            rule="gradient-mismatch",
            message=(f"d{name} is unrolled in the other memory order than {name} is rolled back from the vector "
                     f"(C order one way, Fortran order the other): its entries come back transposed, so the "
                     f"optimizer moves {name}'s entries along each other's gradients."),
            location=old.location if old is not None else Location(parameter=name),
            evidence={"kind": "transpose", "relative_error": p.relative_error, "order": "unrolled vs rolled back"},
            fix=(f"Unroll the gradient exactly as the parameters: if {name} = theta[...].reshape(shape, order='F'), "
                 f"write d{name}.ravel(order='F') (or use C order in both places).")))
    return findings


def _located(finding: Finding, run: str | None) -> Finding:
    return finding.with_location(run=run) if run is not None else finding


class _as_at_the_step:
    """The network as it was at the recorded step, for the length of the check: its parameters'
    values, and the data it keeps on itself (a predict() after training may have replaced self.X with
    the test set). Its parameter containers (self.weights, self.layers) stay the learner's."""

    def __init__(self, replay: Replay, step: RecordedStep, values: bool = True) -> None:
        self.replay, self.step, self.values = replay, step, values
        self.saved_values: dict[str, np.ndarray] | None = None
        self.saved_state: dict[str, Any] | None = None

    def __enter__(self) -> None:
        replay, first = self.replay, self.step.params_at
        if replay.owner is not None and replay.owner_state is not None:
            self.saved_state = dict(vars(replay.owner))
            holding = {re.split(r"[.\[]", str(k))[0] for k in replay.params}
            vars(replay.owner).update({k: v for k, v in replay.owner_state.items() if k not in holding})
        if self.values and replay.style == "stateful" and isinstance(first, dict) and set(first) == set(replay.params):
            self.saved_values = {k: np.array(v, copy=True) for k, v in replay.params.items()}
            for k, v in replay.params.items():
                np.copyto(v, first[k])

    def __exit__(self, *exc: Any) -> None:
        if self.saved_values is not None:
            for k, v in self.replay.params.items():
                np.copyto(v, self.saved_values[k])
        if self.saved_state is not None:
            vars(self.replay.owner).clear()
            vars(self.replay.owner).update(self.saved_state)
