"""Calls of the learner's that evaluate the cost again and again without training: their own
gradient check (``gradient_check_n``, ``eval_numerical_gradient``, a loop that nudges each weight).

While the program runs, every watched call keeps a count of the cost evaluations made inside it and
the first few of them, with copies of what they were given. A call that evaluated the cost at least
`MIN_EVALUATIONS` times, trained nothing meanwhile and returned a number is a learner's gradient
check; what it perturbed (the weights or the data), by how much, and what it returned are what
checks/learner_check.py compares with nndoctor's own check.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

MIN_EVALUATIONS = 4
SAMPLES = 7  # the unperturbed evaluation and the first three +/- pairs
MAX_COPY_BYTES = 16 * 2**20


@dataclass
class Evaluation:
    func: Callable[..., Any]
    inputs: list[Any]  # copies of the arrays and dicts of arrays it got (None for anything else)
    value: float | None


@dataclass
class LearnerCheck:
    func: Callable[..., Any]
    name: str
    args: tuple[Any, ...]
    kwargs: Mapping[str, Any]
    result: Any
    evaluations: int
    samples: list[Evaluation] = field(default_factory=list)


@dataclass
class _Frame:
    evaluations: int = 0
    samples: list[Evaluation] = field(default_factory=list)
    updates: int = 0


class CostEvaluations:
    def __init__(self) -> None:
        self._stack: list[_Frame] = []
        self.found: list[LearnerCheck] = []
        self.updates = 0  # updates seen so far (a training function evaluates the cost too)

    def enter(self) -> _Frame:
        frame = _Frame(updates=self.updates)
        self._stack.append(frame)
        return frame

    def discard(self, frame: _Frame | None) -> None:
        if frame is not None and self._stack and self._stack[-1] is frame:
            self._stack.pop()

    def evaluated(self, func: Callable[..., Any], args: tuple[Any, ...], kwargs: Mapping[str, Any], value: Any) -> None:
        """A cost evaluation, made inside every call on the stack but its own."""
        frames = self._stack[:-1]
        if not frames:
            return
        sample = None
        if any(len(f.samples) < SAMPLES for f in frames):
            sample = Evaluation(func, [_copy(a) for a in list(args) + list(kwargs.values())], _scalar(value))
        for f in frames:
            f.evaluations += 1
            if sample is not None and len(f.samples) < SAMPLES:
                f.samples.append(sample)

    def exit(self, frame: _Frame | None, func: Callable[..., Any], name: str, args: tuple[Any, ...],
             kwargs: Mapping[str, Any], result: Any) -> None:
        if frame is None:
            return
        self.discard(frame)
        if frame.evaluations >= MIN_EVALUATIONS and frame.updates == self.updates and len(self.found) < 4:
            self.found.append(LearnerCheck(func, name, tuple(args), dict(kwargs), result, frame.evaluations,
                                           frame.samples))


def _copy(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.copy() if value.nbytes <= MAX_COPY_BYTES else None
    if isinstance(value, Mapping) and all(isinstance(v, np.ndarray) for v in value.values()):
        if sum(v.nbytes for v in value.values()) > MAX_COPY_BYTES:
            return None
        return {k: v.copy() for k, v in value.items()}
    return None


def _scalar(value: Any) -> float | None:
    value = value[0] if isinstance(value, tuple) and value else value
    try:
        return float(np.asarray(value).reshape(-1)[0]) if np.size(value) == 1 else None
    except (TypeError, ValueError):
        return None
