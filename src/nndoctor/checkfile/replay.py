"""The gradient check of a file: replaying the training step the program made.

The hooks kept the first complete step's calls (recorded.py): the forward (with the data, the
parameters and any extra argument such as ``keep_prob``), the cost, and the backward. Every argument
of the cost and the backward is traced back to where it came from, by identity: the parameters, a
part of what the forward returned (``AL``, ``caches``, ``cache["A2"]``, an attribute of a returned
object), or a value that stays the same (``Y``, ``lambd``). Replaying the step with other parameter
values gives ``cost_fn(params)`` and ``grad_fn(params)`` for `check_gradients`, so the check tests
exactly what the learner trains, with the same extra arguments and, through the checker's
random-state replay, the same dropout masks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from nndoctor import roles as R
from nndoctor.recorded import Call, RecordedStep

MAX_DEPTH = 3  # how deep an argument is looked for inside what the forward returned


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
    owner: Any = None  # the object a stateful network keeps its parameters on
    owner_state: dict[str, Any] | None = None  # its attributes at the recorded step


Path = tuple[tuple[str, Any], ...]


def find_path(target: Any, root: Any, depth: int = MAX_DEPTH) -> Path | None:
    """Where ``target`` (by identity) sits inside ``root``: () for root itself, else a path of
    ("item", i), ("key", k) and ("attr", name) steps through tuples, lists, dicts and objects."""
    if target is root:
        return ()
    if depth == 0 or isinstance(root, (np.ndarray, str, bytes, int, float, bool)) or root is None:
        return None
    if isinstance(root, (tuple, list)):
        children = [(("item", i), v) for i, v in enumerate(root)]
    elif isinstance(root, Mapping):
        children = [(("key", k), v) for k, v in root.items()]
    elif hasattr(root, "__dict__") and not callable(root) and type(root).__module__ != "builtins":
        children = [(("attr", k), v) for k, v in vars(root).items()]
    else:
        return None
    for step, child in children:  # shallow matches first
        if child is target:
            return (step,)
    for step, child in children:
        sub = find_path(target, child, depth - 1)
        if sub is not None:
            return (step, *sub)
    return None


def follow(root: Any, path: Path) -> Any:
    for kind, ref in path:
        root = getattr(root, ref) if kind == "attr" else root[ref]
    return root


def build_replay(step: RecordedStep) -> Replay:
    forward = step.get(R.FORWARD) or step.get(R.FORWARD_COST)
    backward = step.get(R.BACKWARD)
    if forward is None or backward is None:
        missing = "a forward pass" if forward is None else "a backward pass returning gradients"
        raise NotReplayable(f"the program ran no {missing} in the same training step")
    cost = step.get(R.COST)
    combined = step.get(R.FORWARD) is None and R.is_scalar(R.first(forward.result))

    params = next((d for d in R.dicts_in(forward.inputs) if R.is_parameter_dict(d)), None)
    owner = None
    if params is None and forward.args:
        owner, params = forward.args[0], R.parameters_of_object(forward.args[0])
    if params is None:
        raise NotReplayable("the forward pass received no parameter dict and keeps no weights on itself")

    def source(value: Any) -> tuple[str, Any]:
        """Where an argument of the cost or the backward comes from."""
        if value is params:
            return "params", None
        if owner is not None and value is owner:
            return "constant", value
        path = find_path(value, forward.result)
        if path is not None and not isinstance(value, (int, float, str, bool)) and value is not None:
            return "output", path
        return "constant", value

    b_sources = _sources(backward, source)
    c_sources = None
    if cost is not None and not combined:
        c_sources = _sources(cost, source)
    elif not combined:
        raise NotReplayable("the program ran no cost function in the same training step")

    def run_forward(p: Any) -> Any:
        args = [p if a is params else a for a in forward.args]
        kwargs = {k: (p if v is params else v) for k, v in forward.kwargs.items()}
        return forward.func(*args, **kwargs)

    def fill(sources: tuple[list[Any], dict[str, Any]], p: Any, out: Any) -> tuple[list[Any], dict[str, Any]]:
        def value(src: tuple[str, Any]) -> Any:
            kind, ref = src
            return p if kind == "params" else (follow(out, ref) if kind == "output" else ref)
        return [value(s) for s in sources[0]], {k: value(s) for k, s in sources[1].items()}

    def cost_value(p: Any) -> Any:
        out = run_forward(p)
        if combined:
            return R.first(out)
        args, kwargs = fill(c_sources, p, out)  # type: ignore[arg-type]
        return cost.func(*args, **kwargs)  # type: ignore[union-attr]

    def gradients(p: Any) -> Any:
        out = run_forward(p)
        args, kwargs = fill(b_sources, p, out)
        result = backward.func(*args, **kwargs)
        if owner is not None and not R.gradient_entries(R.first(result) if not isinstance(result, Mapping)
                                                        else result, params):
            return R.gradients_of_object(owner, params)  # a method that fills self.grads
        return result

    point = step.params_at
    checked_at = point if owner is None and isinstance(point, Mapping) and set(point) == set(params) else params
    names = f"{_name(forward.func)} -> {_name(cost.func) + ' / ' if c_sources else ''}{_name(backward.func)}"
    cost_value.__qualname__ = cost_value.__name__ = \
        f"{_name(forward.func)} -> {_name(cost.func) if c_sources else 'cost'}"  # type: ignore[union-attr]
    gradients.__qualname__ = gradients.__name__ = _name(backward.func)
    gradients.__wrapped__ = backward.func  # type: ignore[attr-defined]  # findings point at the learner's backward
    cost_value.__wrapped__ = forward.func  # type: ignore[attr-defined]
    examples, classes = _sizes(forward.inputs, params, R.first(forward.result))
    if owner is not None:
        return Replay(lambda: cost_value(params), lambda: gradients(params), params, "stateful", names,
                      examples, classes, owner, step.owner_state)
    return Replay(cost_value, gradients, checked_at, "pure", names, examples, classes)


def _sources(call: Call, source: Callable[[Any], tuple[str, Any]]) -> tuple[list[Any], dict[str, Any]]:
    return [source(a) for a in call.args], {k: source(v) for k, v in call.kwargs.items()}


def _name(func: Any) -> str:
    return getattr(func, "__qualname__", getattr(func, "__name__", "?"))


def _sizes(inputs: list[Any], params: Mapping[str, np.ndarray], out: Any) -> tuple[int | None, int | None]:
    data = R.find_data(R.arrays_in(inputs), params)
    if data is None:
        return None, None
    X, axis = data
    m = int(X.shape[axis])
    classes = None
    if isinstance(out, np.ndarray) and out.ndim == 2 and m in out.shape:
        classes = int(out.shape[1 - axis]) if out.shape[axis] == m else None
    return m, classes
