"""Calling the learner's update step on controlled inputs, and recording what it did.

`inputs` makes a small parameter dict and a fresh gradient dict for each of `STEPS` consecutive
calls (a column of the first weight gets gradients far below sqrt(epsilon), where epsilon's place
shows); `layouts` are the ways of keying them (course keys ``W1``/``dW1``, ``v``/``s`` keyed
``dW1`` or like the parameters; lowercase likewise); `call_update` calls the function with them,
``v``/``s`` starting at zeros, feeding back what it returns (or the dicts it changed in place),
and records the parameters before and after each call. What it cannot use is raised: `Failure`
(the function raised), `Unreadable` (its result is not the updated parameters).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nndoctor.probes._common import guarded
from nndoctor.probes.optimizer_signature import HYPER, UpdateSignature

STEPS = 4  # consecutive calls: t = 1..4 (a state not carried over shows from t = 2)
DEFAULT_SHAPES = {"W1": (3, 4), "b1": (3, 1), "W2": (2, 3), "b2": (2, 1)}
TINY = 1e-8  # scale of the gradient entries that make epsilon's place visible


@dataclass
class Layout:
    params: tuple[str, ...]
    grads: tuple[str, ...]
    state: tuple[str, ...]
    label: str


def layouts(shapes: Mapping[str, tuple[int, ...]], stateful: bool) -> list[Layout]:
    keys = tuple(shapes)
    lower = tuple(k.lower() for k in keys)
    course = tuple("d" + k for k in keys)
    course_lower = tuple("d" + k for k in lower)
    out = [Layout(keys, course, course, "course keys (W1, dW1; v and s keyed dW1)")]
    if stateful:
        out.append(Layout(keys, course, keys, "course keys (W1, dW1; v and s keyed W1)"))
    if lower != keys:
        out.append(Layout(lower, course_lower, course_lower, "lowercase keys (w1, dw1; v and s keyed dw1)"))
        if stateful:
            out.append(Layout(lower, course_lower, lower, "lowercase keys (w1, dw1; v and s keyed w1)"))
    return out


@dataclass
class Calls:
    """What the function did over the consecutive calls."""

    layout: Layout
    before: list[dict[str, np.ndarray]] = field(default_factory=list)
    after: list[dict[str, np.ndarray]] = field(default_factory=list)
    dtype: np.dtype = field(default_factory=lambda: np.dtype(np.float64))


class Failure(Exception):
    """The function raised ``exc`` at call ``t``."""

    def __init__(self, exc: BaseException, t: int) -> None:
        super().__init__(str(exc))
        self.exc = exc
        self.t = t


class Unreadable(Exception):
    """The function's result at call ``t`` cannot be read as the updated parameters (``missing``: the
    parameter key it lacks, None when it is not a parameter dict at all)."""

    def __init__(self, result: Any, t: int, missing: str | None = None) -> None:
        super().__init__("unreadable result")
        self.result = result
        self.t = t
        self.missing = missing


def inputs(shapes: Mapping[str, tuple[int, ...]], steps: int, seed: int
           ) -> tuple[dict[str, np.ndarray], list[dict[str, np.ndarray]], np.ndarray]:
    """Parameters, one gradient dict per step (course keys), and the mask of tiny gradient entries."""
    rng = np.random.default_rng(seed)
    params = {k: rng.uniform(-1.0, 1.0, shape) for k, shape in shapes.items()}
    first = next(iter(shapes))
    grads = []
    for _ in range(steps):
        g = {}
        for k, shape in shapes.items():
            mag = rng.uniform(0.2, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
            if k == first and len(shape) == 2 and shape[1] > 1:
                mag[:, -1] *= TINY  # the last column: gradients far below sqrt(epsilon)
            g[k] = mag
        grads.append(g)
    tiny = np.concatenate([(np.zeros(shape, bool) if k != first or len(shape) != 2 or shape[1] < 2
                            else np.pad(np.zeros((shape[0], shape[1] - 1), bool), ((0, 0), (0, 1)),
                                        constant_values=True)).ravel()
                           for k, shape in shapes.items()])
    return params, grads, tiny


def _call_args(sig: UpdateSignature, values: Mapping[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    args, kwargs = [], {}
    for role, pname in sig.roles.items():
        if role not in values:
            continue
        if pname in sig.positional_only:
            continue
        kwargs[pname] = values[role]
    if sig.positional_only:
        inv = {p: r for r, p in sig.roles.items()}
        for pname in sig.positional_only:
            args.append(values[inv[pname]])
    return args, kwargs


def call_update(func: Callable[..., Any], sig: UpdateSignature, layout: Layout, shapes: Mapping[str, tuple[int, ...]],
                hp: Mapping[str, float], steps: int, seed: int) -> Calls:
    params0, grads_seq, _ = inputs(shapes, steps, seed)
    keys = list(shapes)
    params: Any = {pk: params0[k].copy() for pk, k in zip(layout.params, keys)}
    state: dict[str, Any] = {r: {sk: np.zeros(shapes[k]) for sk, k in zip(layout.state, keys)} for r in sig.state}
    calls = Calls(layout)
    for step in range(steps):
        t = step + 1
        grads = {gk: grads_seq[step][k].copy() for gk, k in zip(layout.grads, keys)}
        before = {k: np.array(params[pk], dtype=np.float64) for pk, k in zip(layout.params, keys)}
        values: dict[str, Any] = {"parameters": params, "grads": grads, "t": t, "layers": len(keys) // 2,
                                  **{r: state[r] for r in sig.state}}
        values.update({k: hp[k] for k in HYPER if k in hp and k in sig.roles})
        args, kwargs = _call_args(sig, values)
        ok, result = guarded(func, *args, **kwargs)
        if not ok:
            raise Failure(result, t)
        new_params, new_state = _parse_result(result, params, state, sig)
        if new_params is None:
            raise Unreadable(result, t)
        after = {}
        for pk, k in zip(layout.params, keys):
            value = new_params.get(pk) if isinstance(new_params, Mapping) else None
            try:
                arr = np.asarray(value, dtype=np.float64) if value is not None else None
            except (TypeError, ValueError):
                arr = None
            if arr is None or arr.shape != before[k].shape:
                raise Unreadable(result, t, missing=pk)
            after[k] = arr.copy()
            if isinstance(value, np.ndarray) and value.dtype.kind == "f" and value.dtype.itemsize < 8:
                calls.dtype = value.dtype
        calls.before.append(before)
        calls.after.append(after)
        params, state = new_params, new_state
    return calls


def _parse_result(result: Any, params: Any, state: dict[str, Any], sig: UpdateSignature
                  ) -> tuple[Any, dict[str, Any]]:
    """(parameters, state) to feed into the next call: what the function returned, or the dicts
    it was given (changed in place) for what it did not return."""
    if result is None:
        return params, state
    if isinstance(result, Mapping):
        return result, state
    if isinstance(result, (tuple, list)):
        dicts = [r for r in result if isinstance(r, Mapping)]
        if not dicts:
            return None, state
        new_state = dict(state)
        for role, d in zip(sig.state, dicts[1:]):
            new_state[role] = d
        return dicts[0], new_state
    return None, state

