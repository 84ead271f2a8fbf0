"""A training step as the program made it: what the gradient check replays.

Unlike the trace (trace.py: a few numbers per iteration), this keeps references to the learner's
own functions and arguments, and copies of the parameters as they were at that step.

The *tape* is every call the step made at its own level (the forward, the cost, the backward, the
update, and whatever else: ``loss.backward(probs, y)``, ``model.backward(grad)``), in order, with
whether the call moved the parameters. Replaying the calls before the update, with the parameters
set to other values, gives the cost and the gradients at those values, whatever shape the code has.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Call:
    """One call of a learner's function: the function (unwrapped), its arguments and its result."""

    func: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: Mapping[str, Any]
    result: Any
    outputs: tuple[int, ...] = ()  # positions of arguments a forward pass had produced (a cost's input)

    @property
    def inputs(self) -> list[Any]:
        return list(self.args) + list(self.kwargs.values())

    @property
    def name(self) -> str:
        return getattr(self.func, "__qualname__", getattr(self.func, "__name__", "?"))


@dataclass
class TapeEntry:
    role: str
    call: Call
    moved: bool = False  # the call changed the parameters (an update, or a backward that updates)
    # what the call did to the parameters, when it moved them: after - before, per parameter
    step: dict[str, np.ndarray] | None = None


@dataclass
class RecordedStep:
    """role (forward, forward+cost, cost, backward, update) -> the outermost call of that role in the
    step, the tape of the whole step, and the state the step started from."""

    calls: dict[str, Call] = field(default_factory=dict)
    tape: list[TapeEntry] = field(default_factory=list)
    params_at: dict[str, np.ndarray] | None = None  # copies, taken before the update changed them
    # a network that keeps its data on itself (self.X, self.Y): its attributes then (references)
    owner_state: dict[str, Any] | None = None
    # a cost the program computes outside the step (once per epoch, on all the data), when the step
    # itself computes none: the replay evaluates it on the step's own batch
    cost_elsewhere: Call | None = None
    run: str | None = None  # the label of the run the step belongs to
    # the name of the network object's forward method the program calls elsewhere (evaluate ->
    # feedforward), for a fused backprop(x, y) that comes with no cost
    owner_forward: str | None = None
    learning_rate: float | None = None

    def get(self, role: str) -> Call | None:
        return self.calls.get(role)

    def __bool__(self) -> bool:
        return bool(self.calls) or bool(self.tape)


Path = tuple[tuple[str, Any], ...]
MAX_DEPTH = 3  # how deep a value is looked for inside another


def find_path(target: Any, root: Any, depth: int = MAX_DEPTH) -> Path | None:
    """Where ``target`` (by identity) sits inside ``root``: () for root itself, else a path of
    ("item", i), ("key", k) and ("attr", name) steps through tuples, lists, dicts and objects."""
    if target is root:
        return ()
    if depth == 0 or root is None or isinstance(root, (np.ndarray, str, bytes, int, float, bool)):
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
