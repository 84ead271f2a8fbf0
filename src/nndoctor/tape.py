"""Recording a training step's calls as they happen, for the gradient check to replay.

The Doctor opens a step at a forward pass, tells the recorder about every call the step makes at
its own level, and says when the step completed. The recorder keeps the first complete step of each
run (several runs with different settings may differ: an L2 term that only a lambda > 0 exercises),
with copies of the parameters taken before each call, so that a call which moved them is known and
what it applied is measured (``after - before``: the gradient a fused backward-and-update applied).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from nndoctor import roles as R
from nndoctor.parameters import fingerprint
from nndoctor.recorded import Call, RecordedStep, TapeEntry, find_path

MAX_STEPS = 4  # runs whose first step is kept (a notebook of experiments)
MAX_TAPE = 64  # calls kept per step (a step that makes more is a loop over examples: its first ones)
MAX_COPY_BYTES = 64 * 2**20  # parameters copied before each call only below this size


def _trains(step: RecordedStep) -> bool:
    """A step with a backward, a cost-and-gradient call or an update in it (not a lone evaluation)."""
    return any(e.role in (R.BACKWARD, R.COST_GRAD, R.UPDATE) or e.moved for e in step.tape)


class StepRecorder:
    def __init__(self, params_now: Callable[[], Mapping[str, np.ndarray] | None]) -> None:
        self._params_now = params_now
        self.steps: list[RecordedStep] = []
        self.cost_elsewhere: Call | None = None
        self._open: RecordedStep | None = None
        self._depth: int | None = None
        self._complete = False
        self._runs: set[int] = set()
        self._run: int | None = None
        self._weak: dict[int, RecordedStep] = {}  # run -> its kept step, when that step trained nothing

    @property
    def active(self) -> bool:
        return self._open is not None

    def open(self, run_index: int, run_label: str, depth: int, owner: Any, learning_rate: float | None) -> None:
        """A step opens at a forward pass called at ``depth``."""
        self.finish()
        if (run_index in self._runs and not self._weak.get(run_index)) or len(self.steps) >= MAX_STEPS:
            return
        params = self._params_now()
        if not params:
            return
        self._open = RecordedStep(params_at={k: np.array(v, copy=True) for k, v in params.items()},
                                  owner_state=dict(vars(owner)) if owner is not None else None,
                                  run=run_label, learning_rate=learning_rate)
        self._depth, self._complete, self._run = depth, False, run_index

    def enter(self, depth: int) -> dict[str, Any] | None:
        """A call starts: the token to hand back to `exit`, or None when it is not at the step's level."""
        step = self._open
        if step is None or depth != self._depth or len(step.tape) >= MAX_TAPE:
            return None
        params = self._params_now()
        if not params:
            return None
        token: dict[str, Any] = {"fingerprint": fingerprint(params)}
        if sum(v.nbytes for v in params.values()) <= MAX_COPY_BYTES:
            token["before"] = {k: np.array(v, copy=True) for k, v in params.items()}
        return token

    def exit(self, token: dict[str, Any] | None, role: str | None, func: Callable[..., Any], args: tuple[Any, ...],
             kwargs: Mapping[str, Any], result: Any) -> None:
        step = self._open
        if token is None or step is None:
            return
        params = self._params_now() or {}
        moved = not np.array_equal(fingerprint(params) or (), token["fingerprint"] or (), equal_nan=True)
        applied = None
        before = token.get("before")
        if moved and before is not None:
            applied = {k: np.asarray(v, dtype=np.float64) - before[k] for k, v in params.items()
                       if k in before and np.shape(v) == before[k].shape}
        call = Call(func, tuple(args), dict(kwargs), result)
        role = role or R.OTHER
        step.tape.append(TapeEntry(role, call, moved, applied))
        known = step.calls.get(role)
        if known is None:
            step.calls[role] = call

    def seen_cost(self, func: Callable[..., Any], args: tuple[Any, ...], kwargs: Mapping[str, Any], result: Any,
                  forward_result: Any = None) -> None:
        """A cost computed anywhere (once per epoch on all the data, say): kept for a step that has
        none, with which of its arguments the forward pass just before produced."""
        if self.cost_elsewhere is None:
            outputs = tuple(i for i, a in enumerate(args) if isinstance(a, np.ndarray) and forward_result is not None
                            and find_path(a, forward_result) is not None)
            self.cost_elsewhere = Call(func, tuple(args), dict(kwargs), result, outputs)

    def single(self, run_index: int, run_label: str, func: Callable[..., Any], args: tuple[Any, ...],
               kwargs: Mapping[str, Any], result: Any, params: dict[str, np.ndarray]) -> None:
        """A step that is one call (a cost-and-gradient function): kept whole, with its parameters."""
        self.finish()
        if run_index in self._runs or len(self.steps) >= MAX_STEPS:
            return
        step = RecordedStep(params_at=params, run=run_label)
        call = Call(func, tuple(args), dict(kwargs), result)
        step.tape.append(TapeEntry(R.COST_GRAD, call))
        step.calls[R.COST_GRAD] = call
        self.steps.append(step)
        self._runs.add(run_index)

    def forget(self, run_label: str) -> None:
        """Drop what was recorded of a run the Doctor no longer reads as one (Doctor.stand_aside, hooks/runs.py)."""
        self._open = None
        self._complete = False
        gone = [s for s in self.steps if s.run == run_label]
        self.steps = [s for s in self.steps if s.run != run_label]
        self._weak = {k: v for k, v in self._weak.items() if v not in gone}
        if self._run is not None:
            self._runs.discard(self._run)

    def complete(self) -> None:
        if self._open is not None:
            self._complete = True

    def finish(self) -> None:
        """The open step ends (the next one opens, or the run ends): keep it if it completed."""
        step, self._open = self._open, None
        if step is not None and self._complete and step.tape and self._run is not None:
            step.cost_elsewhere = self.cost_elsewhere
            weak = not _trains(step)
            kept = self._weak.get(self._run)
            if kept is not None:  # the run's first step only evaluated (a cost printed before training)
                if not weak:
                    self.steps[self.steps.index(kept)] = step
                    self._weak.pop(self._run)
            else:
                self.steps.append(step)
                self._runs.add(self._run)
                if weak:
                    self._weak[self._run] = step
        self._complete = False

    def first(self) -> RecordedStep:
        self.finish()
        if self.steps and self.steps[0].cost_elsewhere is None:
            self.steps[0].cost_elsewhere = self.cost_elsewhere
        return self.steps[0] if self.steps else RecordedStep()
