"""stochastic-forward: does the program's prediction give the same answer twice?

While the program ran, the hooks noted every forward pass that drew random numbers from numpy's
generator (recorded in ``Doctor.random_forwards``). In a training step that is dropout doing its
job; in a call that trains nothing (a ``predict`` after training, an accuracy printed at the end)
it means the prediction is random. To be sure, that very call is made again twice, with the same
arguments: when the two outputs differ, the prediction is random. numpy's random state moves on
between the two calls, as it would between two real predictions, and is put back afterwards.
"""

from __future__ import annotations

import contextlib
import io
import os
import warnings
from typing import Any

import numpy as np

from nndoctor import roles as R
from nndoctor.findings import Finding, Location
from nndoctor.usercode import definition_site


def check_random_predictions(random_forwards: list[tuple[Any, Any]]) -> list[Finding]:
    findings = []
    seen: set[Any] = set()
    for call, iteration in random_forwards:
        if iteration.completed or call.func in seen:
            continue  # dropout during training is what dropout is for
        seen.add(call.func)
        first, second = _twice(call)
        if first is None or second is None or _same(first, second):
            continue
        changed = _changed(first, second)
        file, line = definition_site(call.func)
        findings.append(Finding(
            rule="stochastic-forward",
            message=(f"{call.name} gave different outputs for the same input and parameters ({changed}): the "
                     f"prediction is random, most likely because dropout is still on when predicting."),
            location=Location(function=call.name, file=file, line=line),
            evidence={"function": call.name, "changed": changed},
            fix=("Predict with the forward pass without dropout (forward_propagation, keep_prob=1, or a "
                 "training=False flag): dropout is a training-time regularizer only; inverted dropout already "
                 "rescaled the activations during training.")))
    if len(findings) > 1:  # predict -> predict_proba -> forward: one cause, said once, at the outermost call
        names = [f.location.function for f in findings]
        last = findings[-1]
        return [Finding(rule=last.rule, message=last.message, location=last.location, fix=last.fix,
                        evidence={**last.evidence, "functions": names})]
    return findings


def _twice(call: Any) -> tuple[Any, Any]:
    state = np.random.get_state()
    try:
        with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet), \
                contextlib.redirect_stderr(io.StringIO()), warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            first = np.array(R.output_of(call.func(*call.args, **call.kwargs)), dtype=float, copy=True)
            second = np.array(R.output_of(call.func(*call.args, **call.kwargs)), dtype=float, copy=True)
        return first, second
    except Exception:  # noqa: BLE001 - a prediction that cannot run again says nothing about randomness
        return None, None
    finally:
        np.random.set_state(state)


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=True))


def _changed(a: np.ndarray, b: np.ndarray) -> str:
    if a.shape != b.shape or a.size == 0:
        return f"shapes {a.shape} and {b.shape}"
    differ = int(np.count_nonzero(a != b))
    return f"{differ} of {a.size} values differ between two calls"
