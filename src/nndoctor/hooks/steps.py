"""Step bookkeeping: which parameters opened the step, whether a call is a part of it, when it is
complete, and the tape of its calls (tape.py) kept for the gradient check.

A step opens at a forward pass (calls.py) and completes at its backward, its update, a forward pass
that finds the parameters moved (an update written inline), or the forward itself when the program
has no backward.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from nndoctor import roles as R
from nndoctor.hooks.state import DoctorState
from nndoctor.parameters import fingerprint
from nndoctor.trace import Iteration


class StepKeeping(DoctorState):
    def _step_params(self) -> Mapping[str, np.ndarray] | None:
        """The parameters of the step open now, for the tape's copies."""
        if self._step.owner is not None:
            return R.parameters_of_object(self._step.owner)
        return self._runs.params

    @staticmethod
    def _step_identity(args: tuple[Any, ...], kwargs: Mapping[str, Any], names: list[str]) -> tuple[Any, Any, Any]:
        """(the parameters a forward gets, the network object holding them, what identifies them: the
        same object, dict or arrays open the next step; a fresh dict is a fresh start, another run)."""
        params, owner, kind = R.call_parameters(args, kwargs, names)
        if params is None:
            return None, None, None
        if kind in ("object", "list"):
            return params, (owner if kind == "object" else None), (kind, id(owner))
        if kind == "arrays":
            return params, None, ("arrays", tuple(id(v) for v in params.values()))
        return params, None, ("dict", id(params))

    @staticmethod
    def _takes_data(args: tuple[Any, ...], kwargs: Mapping[str, Any], names: list[str]) -> bool:
        params, owner, kind = R.call_parameters(args, kwargs, names)
        if params is None:
            return False
        inputs = list(args[1:] if owner is not None else args) + list(kwargs.values())
        return R.find_data(R.arrays_in(inputs), params) is not None

    def _within_step(self, args: tuple[Any, ...], kwargs: Mapping[str, Any], names: list[str]) -> bool:
        """The call's parameters are some of the open step's (a layer object of the network whose
        forward opened the step): its forward or backward is a part of the step, not a step."""
        step_ids = self._step.param_ids
        if not step_ids or self._runs.run is None:
            return False
        params, owner, _ = R.call_parameters(args, kwargs, names)
        if not params or owner is self._step.owner:
            return False
        ids = {id(v) for v in params.values()}
        return ids < step_ids

    def _complete_if_moved(self, args: tuple[Any, ...], kwargs: Mapping[str, Any], names: list[str]) -> None:
        """A forward pass while the step is still open: if the parameters that opened it have moved
        since (an update written inline, ``self.W[l] -= lr * dW[l]``), that step is complete."""
        it = self._runs.it
        if it is None or it.completed or self._runs.advance or self._step.fingerprint is None:
            return
        params, _, key = self._step_identity(args, kwargs, names)
        if params is None or key != self._step.key:
            return
        now = fingerprint(params)
        if now is not None and not np.array_equal(now, self._step.fingerprint, equal_nan=True):
            if self._runs.run is not None:
                self._runs.run.updates_seen = True
            self._complete(it)
            self._runs.advance, self._runs.advance_reason = True, "moved"

    def _opened_step(self, args: tuple[Any, ...], kwargs: Mapping[str, Any], names: list[str]) -> None:
        """A new step opened at this forward: remember its parameters (to see them move) and tape it."""
        params, owner, key = self._step_identity(args, kwargs, names)
        self._step.owner = owner
        self._step.key = key
        self._step.param_ids = {id(v) for v in params.values()} if params else set()
        run = self._runs.run
        watching = run is not None and not self._runs.has_signal
        self._step.fingerprint = fingerprint(params) if params is not None and watching else None
        if self._recorder is not None and run is not None:
            self._recorder.open(run.index, run.label, self._calls.depth, owner, run.learning_rate)

    def _complete(self, it: Iteration) -> None:
        """A training step finished (its backward, or its update, or a forward-only step)."""
        run = self._runs.run
        if self.evaluations is not None and run is not None and run.updates_seen:
            self.evaluations.updates += 1
        if not it.completed:
            it.completed = True
            if self._seen.backward or (run is not None and run.updates_seen):
                self._top.steps += 1  # a training step (not a forward the demotion dance completed)
            if run is not None:
                self._runs.last_trained = run
                self._data.trained(run.index)
            if self.budget is not None:
                self.budget.on_complete()
            if self._recorder is not None:
                self._recorder.complete()
