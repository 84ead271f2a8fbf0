"""optimizer-update: the user's update function, probed on controlled inputs.

`probe_update(func)` recognizes the update step by its signature (plain gradient descent
``(parameters, grads, learning_rate)``, momentum ``(parameters, grads, v, beta, learning_rate)``,
RMSprop ``(parameters, grads, s, beta, learning_rate, epsilon)``, Adam ``(parameters, grads, v, s,
t, learning_rate, beta1, beta2, epsilon)``, by parameter names and, for unknown names, by the
course's positions), builds a small parameter dict and a fresh gradient dict for each of `STEPS`
consecutive calls (with ``v``/``s`` starting at zeros, keyed ``dW1`` as the course does, or keyed
like the parameters when the function asks for that with a KeyError; lowercase keys likewise),
feeds back what the function returns (or the dicts it changed in place), and compares the steps it
took with the formulas of gradient descent, momentum, RMSprop and Adam, and with the usual ways of
getting them wrong (wrong sign, bias correction missing or fed back into the state, ε inside the
square root, state not carried over, β and 1 − β swapped...).

The findings say which optimizer the function implements and what differs, with the expected and
actual value of one entry at one step ``t``. A correct implementation gives no finding. Nothing
here raises; numpy's global random state and the caller's objects are left as they were.

This module runs the probe, stage after stage; each stage has its own module:

- optimizer_signature.py: recognizing the update step, and hyperparameters written into its body;
- optimizer_calls.py: the controlled inputs, and calling the function on them;
- optimizer_formulas.py: the optimizers' formulas and their usual mistakes (`Variant`);
- optimizer_compare.py: which variant the recorded steps match, and where they differ;
- optimizer_messages.py: the findings' words.
"""

from __future__ import annotations

import copy
import time
import types
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from nndoctor.findings import Finding
from nndoctor.probes import optimizer_messages as messages
from nndoctor.probes._common import name_of, parameters_of, user_code_finding
from nndoctor.probes.optimizer_calls import DEFAULT_SHAPES, STEPS, Failure, Unreadable, call_update, inputs, layouts
from nndoctor.probes.optimizer_compare import (
    SEARCH_BUDGET,
    Match,
    Observed,
    against_reference,
    at_deviation,
    cosine,
    deviation_groups,
    observe,
    search,
)
from nndoctor.probes.optimizer_formulas import DEFAULT_HYPERPARAMETERS, NEEDS, OPTIMIZERS, feasible
from nndoctor.probes.optimizer_signature import UpdateSignature, hidden_value, looks_like_update, read_signature

__all__ = [
    "UpdateSignature",
    "looks_like_update",
    "probe_update",
    "STEPS",
    "DEFAULT_HYPERPARAMETERS",
    "OPTIMIZERS",
]


class Stop(Exception):
    """The probe ends early with ``finding`` (or none)."""

    def __init__(self, finding: Finding | None) -> None:
        super().__init__("probe stopped")
        self.finding = finding


def probe_update(func: Callable[..., Any], *, name: str | None = None,
                 shapes: Mapping[str, tuple[int, ...]] | None = None,
                 hyperparameters: Mapping[str, float] | None = None,
                 steps: int = STEPS, seed: int = 0) -> list[Finding]:
    """Probe an update function; return its `optimizer-update` findings (empty when it computes
    its optimizer's formula), or a `user-code-error` / `unexpected-output` /
    `parameters-not-updated` / `check-inconclusive` finding when it cannot be compared.

    ``shapes`` (parameter key -> shape, course keys ``W1``/``b1``...), ``hyperparameters``
    (``learning_rate``, ``beta``, ``beta1``, ``beta2``, ``epsilon``: the values passed to the
    function where it takes them) and ``steps`` (consecutive calls, t = 1..steps) change the
    controlled inputs; the defaults suit every course-style function.
    """
    fname = name_of(func, name)
    try:
        return _probe(func, fname, dict(shapes or DEFAULT_SHAPES), {**DEFAULT_HYPERPARAMETERS,
                                                                     **(hyperparameters or {})},
                      max(int(steps), 2), seed)
    except Stop as stop:
        return [stop.finding] if stop.finding is not None else []
    except Exception as exc:  # noqa: BLE001 - a probe never breaks the report
        return [messages.inconclusive(func, fname, f"the optimizer probe failed ({type(exc).__name__}: {exc})")]


def _probe(func: Callable[..., Any], fname: str, shapes: dict[str, tuple[int, ...]], hp_in: dict[str, float],
           steps: int, seed: int) -> list[Finding]:
    sig = read_signature(func, strict=False)
    if sig is None:
        params = parameters_of(func)
        names = ", ".join(p.name for p in params) if params else "?"
        raise Stop(messages.inconclusive(
            func, fname, f"its arguments ({names}) are not those of an update step (the parameters, the gradients, "
                         f"and the learning rate and optimizer state where it takes them)"))
    target = func
    if sig.internal_state:  # a method of an optimizer object: probe a copy, never the user's object
        try:
            target = types.MethodType(func.__func__, copy.deepcopy(func.__self__))
        except Exception:  # noqa: BLE001
            raise Stop(messages.inconclusive(func, fname, "its object cannot be copied, and probing it would "
                                                          "change it")) from None
    hp = {k: v for k, v in hp_in.items() if k in sig.roles}
    _, grads_seq, tiny = inputs(shapes, steps, seed)
    run = None
    first_error: tuple[BaseException, int] | None = None
    key_errors = []
    for layout in layouts(shapes, bool(sig.state)):
        this = target
        if sig.internal_state:
            this = types.MethodType(func.__func__, copy.deepcopy(func.__self__))
        try:
            run = call_update(this, sig, layout, shapes, hp, steps, seed)
            break
        except Unreadable as bad:
            raise Stop(messages.unexpected(this, fname, bad.result, bad.t, bad.missing)) from None
        except Failure as failure:
            if isinstance(failure.exc, KeyError) and failure.t == 1:
                key_errors.append(failure.exc)
                continue
            first_error = (failure.exc, failure.t)
            break
    if run is None:
        if first_error is not None:
            exc, t = first_error
            raise Stop(user_code_finding(func, fname, exc, f"probed as an update step, call t = {t}"))
        keys = ", ".join(sorted({repr(e.args[0]) if e.args else "?" for e in key_errors}))
        raise Stop(messages.inconclusive(
            func, fname, f"it looks up keys the probe's dicts do not have ({keys}) with course-style and lowercase "
                         f"keys (W1, b1, dW1 / w1, b1, dw1)",
            "Key the parameters W1, b1, ... and the gradients dW1, db1, ... (or lowercase), as the course does."))
    obs = observe(run, grads_seq, tiny, shapes)
    if not np.any(obs.steps != 0) and np.all(np.isfinite(obs.steps)):
        return [messages.not_updated(func, fname, sig, obs)]

    def known_for(optimizer: str) -> dict[str, float]:
        out: dict[str, float] = {}
        for role in ("learning_rate", "epsilon"):
            v = hp.get(role, hidden_value(func, role))
            if v is not None:
                out[role] = v
        if optimizer == "adam":
            roles = {"beta1": "beta1", "beta2": "beta2"}
        elif optimizer == "momentum":
            roles = {"beta": "beta1" if sig.optimizer == "adam" else "beta"}
        elif optimizer == "rmsprop":
            roles = {"beta": "beta2" if sig.optimizer == "adam" else "beta"}
        else:
            roles = {}
        for mine, theirs in roles.items():
            v = hp.get(theirs, hidden_value(func, theirs))
            if v is not None:
                out[mine] = v
        return out

    order = [sig.optimizer] + [o for o in OPTIMIZERS if o != sig.optimizer and
                               (sig.internal_state or feasible(o, sig.state))]
    deadline = time.monotonic() + SEARCH_BUDGET
    match = search(obs, [sig.optimizer], known_for, deadline)
    if match is None:
        match = search(obs, order[1:], known_for, deadline)
        other = match.variant.optimizer if match is not None else None
        if match is not None and (sig.internal_state or (
                sig.named_as in (None, other) and NEEDS[other] == len(sig.state))):
            # an optimizer object keeps its own state, and a one-state function whose name says nothing
            # may be momentum or RMSprop: judge it as the optimizer it is
            return _deviation_findings(func, fname, replace(sig, optimizer=other), obs, match)
        if match is not None and match.variant.optimizer != sig.optimizer:
            nums, hp_used, _ = against_reference(obs, sig, known_for)
            return [messages.other_optimizer(func, fname, sig, obs, match, nums, hp_used)]
        nums, hp_used, ref = against_reference(obs, sig, known_for)
        fitted = () if "learning_rate" in known_for(sig.optimizer) else ("learning_rate",)
        return [messages.unmatched(func, fname, sig, obs, nums, hp_used, fitted, cosine(obs, ref))]
    return _deviation_findings(func, fname, sig, obs, match)


def _deviation_findings(func: Callable[..., Any], fname: str, sig: UpdateSignature, obs: Observed, match: Match
                        ) -> list[Finding]:
    """One finding per group of ``match``'s deviations (none for a correct formula)."""
    findings = []
    for kind, devs in deviation_groups(match.variant):
        nums, severity = at_deviation(obs, match, kind, devs)
        findings.append(messages.deviation_finding(func, fname, sig, obs, match, kind, devs, nums, severity))
    return findings
