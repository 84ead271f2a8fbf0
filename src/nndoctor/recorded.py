"""The first complete training step, as the program made it: what the gradient check replays.

Unlike the trace (trace.py: a few numbers per iteration), this keeps references to the learner's
own functions and arguments, and copies of the parameters as they were at that step.
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

    @property
    def inputs(self) -> list[Any]:
        return list(self.args) + list(self.kwargs.values())


@dataclass
class RecordedStep:
    """role (forward, forward+cost, cost, backward, update) -> the outermost call of that role in the
    step, plus the state the step started from."""

    calls: dict[str, Call] = field(default_factory=dict)
    params_at: dict[str, np.ndarray] | None = None  # copies, taken before the update changed them
    # a network that keeps its data on itself (self.X, self.Y): its attributes then (references)
    owner_state: dict[str, Any] | None = None

    def get(self, role: str) -> Call | None:
        return self.calls.get(role)

    def __bool__(self) -> bool:
        return bool(self.calls)
