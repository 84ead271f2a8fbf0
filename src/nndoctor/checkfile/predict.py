"""stochastic-forward: does the file's prediction give the same answer twice?

After the program ran, its own ``predict`` (only when the program called it) is called twice with
the same data and the parameters training ended with. Dropout left on at prediction time (or any noise in inference)
makes the two answers differ; numpy's random state moves on between the calls, as it would
between two real predictions, and is put back afterwards.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import os
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from nndoctor.checkfile.data import X_NAMES, Y_NAMES
from nndoctor.findings import Finding, Location
from nndoctor.roles import is_parameter_dict
from nndoctor.usercode import definition_site

PARAMETER_NAMES = ("parameters", "params", "param", "weights", "theta", "p", "model", "network")


def probe_predict(namespace: Mapping[str, Any], params: Mapping[str, np.ndarray] | None, data: Any,
                  called: Callable[[str, Any], bool]) -> list[Finding]:
    """``called(name, func)``: the program called this learner's function (nndoctor calls nothing else)."""
    if not params or data is None or not is_parameter_dict(params):
        return []
    findings = []
    for name, func in namespace.items():
        if "predict" not in name.lower() or not inspect.isfunction(func) or not called(name, func):
            continue
        call = _arguments(func, params, data)
        if call is None:
            continue
        first, second = _twice(func, call)
        if first is None or second is None or _same(first, second):
            continue
        changed = _changed(first, second)
        file, line = definition_site(func)
        findings.append(Finding(
            rule="stochastic-forward",
            message=(f"{name} gave different outputs for the same input and parameters ({changed}): the "
                     f"prediction is random, most likely because dropout is still on when predicting."),
            location=Location(function=name, file=file, line=line),
            evidence={"function": name, "changed": changed},
            fix=("Predict with the forward pass without dropout (forward_propagation, or keep_prob=1): "
                 "dropout is a training-time regularizer only; inverted dropout already rescaled the "
                 "activations during training.")))
    return findings


def _arguments(func: Any, params: Mapping[str, np.ndarray], data: Any) -> dict[str, Any] | None:
    kwargs: dict[str, Any] = {}
    for p in inspect.signature(func).parameters.values():
        name = p.name.lower()
        if name in X_NAMES or name.startswith("x"):
            kwargs[p.name] = data.X
        elif name in Y_NAMES or name.startswith("y"):
            kwargs[p.name] = data.Y
        elif name in PARAMETER_NAMES:
            kwargs[p.name] = {k: np.array(v, copy=True) for k, v in params.items()}
        elif p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            return None
    return kwargs


def _twice(func: Any, kwargs: dict[str, Any]) -> tuple[Any, Any]:
    state = np.random.get_state()
    try:
        with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet), \
                contextlib.redirect_stderr(io.StringIO()), warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            first = np.array(_output(func(**kwargs)), copy=True)
            second = np.array(_output(func(**kwargs)), copy=True)
        return first, second
    except Exception:  # noqa: BLE001 - a predict that cannot run here says nothing about randomness
        return None, None
    finally:
        np.random.set_state(state)


def _output(value: Any) -> Any:
    return value[0] if isinstance(value, tuple) and value else value


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))


def _changed(a: np.ndarray, b: np.ndarray) -> str:
    if a.shape != b.shape or a.size == 0:
        return f"shapes {a.shape} and {b.shape}"
    differ = int(np.count_nonzero(a != b))
    return f"{differ} of {a.size} values differ between two calls"
