"""The gradient check of a file: replaying the training step the probe recorded.

The hooks kept the last complete step's calls: the forward (with the data, the parameters and any
extra argument such as ``keep_prob``), the cost, and the backward. Every argument of the cost and
the backward is traced back to where it came from: an output of the forward (``AL``, ``caches``),
the parameters, or a value that stays the same (``Y``, ``lambd``). Replaying the step with other
parameter values gives ``cost_fn(params)`` and ``grad_fn(params)`` for `check_gradients`, so the
check tests exactly what the learner trains, with the same extra arguments and, through the
checker's random-state replay, the same dropout masks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from nndoctor import roles as R


class NotReplayable(Exception):
    """The recorded step cannot be replayed; the message says what is missing."""


@dataclass
class Replay:
    cost_fn: Callable[..., Any]
    grad_fn: Callable[..., Any]
    params: Any
    style: str  # "pure" or "stateful"
    describe: str  # e.g. "L_model_forward -> compute_cost / L_model_backward"
    n_examples: int | None
    n_classes: int | None


def build_replay(calls: Mapping[str, Any]) -> Replay:
    forward = calls.get(R.FORWARD) or calls.get(R.FORWARD_COST)
    backward = calls.get(R.BACKWARD)
    if forward is None or backward is None:
        missing = "a forward pass" if forward is None else "a backward pass returning gradients"
        raise NotReplayable(f"the probe saw no {missing} in the same training step")
    f_func, f_args, f_kwargs, f_result = forward
    b_func, b_args, b_kwargs, b_result = backward
    cost = calls.get(R.COST)
    combined = R.FORWARD_COST in calls and R.is_scalar(R.first(f_result))

    f_inputs = list(f_args) + list(f_kwargs.values())
    params = next((d for d in R.dicts_in(f_inputs) if R.is_parameter_dict(d)), None)
    owner = None
    if params is None and f_args:
        owner, params = f_args[0], R.parameters_of_object(f_args[0])
    if params is None:
        raise NotReplayable("the forward pass received no parameter dict and keeps no weights on itself")
    outputs = list(f_result) if isinstance(f_result, tuple) else [f_result]

    def source(value: Any) -> tuple[str, Any]:
        """Where an argument of the cost or the backward comes from."""
        if value is params:
            return "params", None
        for i, out in enumerate(outputs):
            if value is out:
                return "output", i
        return "constant", value

    b_sources = ([source(a) for a in b_args], {k: source(v) for k, v in b_kwargs.items()})
    c_sources = None
    if cost is not None and not combined:
        c_func, c_args, c_kwargs, _ = cost
        c_sources = ([source(a) for a in c_args], {k: source(v) for k, v in c_kwargs.items()})
    elif not combined:
        raise NotReplayable("the probe saw no cost function in the same training step")

    def run_forward(p: Any) -> list[Any]:
        args = [p if a is params else a for a in f_args]
        kwargs = {k: (p if v is params else v) for k, v in f_kwargs.items()}
        result = f_func(*args, **kwargs)
        return list(result) if isinstance(result, tuple) else [result]

    def fill(sources: tuple[list, dict], p: Any, outs: list[Any]) -> tuple[list, dict]:
        def value(src: tuple[str, Any]) -> Any:
            kind, ref = src
            return p if kind == "params" else (outs[ref] if kind == "output" else ref)
        return [value(s) for s in sources[0]], {k: value(s) for k, s in sources[1].items()}

    def cost_value(p: Any) -> Any:
        outs = run_forward(p)
        if combined:
            return outs[0]
        args, kwargs = fill(c_sources, p, outs)  # type: ignore[arg-type]
        return c_func(*args, **kwargs)

    def gradients(p: Any) -> Any:
        outs = run_forward(p)
        args, kwargs = fill(b_sources, p, outs)
        result = b_func(*args, **kwargs)
        if owner is not None and not R.gradient_entries(R.first(result) if not isinstance(result, Mapping)
                                                        else result, params):
            return R.gradients_of_object(owner, params)  # a method that fills self.grads
        return result

    point = calls.get("params_at")
    if owner is None and isinstance(point, Mapping) and set(point) == set(params):
        checked_at = point  # the parameters as they were at that step
    else:
        checked_at = params
    names = f"{_name(f_func)} -> {_name(c_func) + ' / ' if c_sources else ''}{_name(b_func)}"
    cost_value.__qualname__ = cost_value.__name__ = f"{_name(f_func)} -> {_name(c_func) if c_sources else 'cost'}"
    gradients.__qualname__ = gradients.__name__ = _name(b_func)
    gradients.__wrapped__ = b_func  # type: ignore[attr-defined]  # findings point at the learner's backward
    cost_value.__wrapped__ = f_func  # type: ignore[attr-defined]
    examples, classes = _sizes(f_inputs, params, outputs)
    if owner is not None:
        return Replay(lambda: cost_value(params), lambda: gradients(params), params, "stateful", names,
                      examples, classes)
    return Replay(cost_value, gradients, checked_at, "pure", names, examples, classes)


def _name(func: Any) -> str:
    return getattr(func, "__qualname__", getattr(func, "__name__", "?"))


def _sizes(inputs: list[Any], params: Mapping[str, np.ndarray], outputs: list[Any]) -> tuple[int | None, int | None]:
    data = R.find_data(R.arrays_in(inputs), params)
    if data is None:
        return None, None
    X, axis = data
    m = int(X.shape[axis])
    out = outputs[0]
    classes = None
    if isinstance(out, np.ndarray) and out.ndim == 2 and m in out.shape:
        classes = int(out.shape[1 - axis]) if out.shape[axis] == m else None
    return m, classes
