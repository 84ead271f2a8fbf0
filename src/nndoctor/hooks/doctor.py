"""The `Doctor` façade: what the learner calls (decorators, `watch`, `report`, the context manager).

The recording itself is done by the parts the class is made of, one job each:
calls.py (each watched call: role, step opening, dispatch), steps.py (step bookkeeping and tape),
runs.py (run keys and lifecycle; `stand_aside`), capture.py (statistics per iteration;
`record_inline_step`), problems.py (what went wrong). Their shared state is declared in state.py.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from nndoctor import roles as R
from nndoctor.budget import Budget
from nndoctor.evaluations import CostEvaluations
from nndoctor.hooks.calls import CallRecording
from nndoctor.hooks.capture import Capture
from nndoctor.hooks.evidence import ProbeEvidence
from nndoctor.hooks.problems import Problems
from nndoctor.hooks.runs import RunKeeping
from nndoctor.hooks.state import Nesting, OpenStep, Runs, Seen, TopCall
from nndoctor.hooks.steps import StepKeeping
from nndoctor.hooks.training_data import TrainingData
from nndoctor.hooks.wrapping import F, Watched, wrap
from nndoctor.recorded import Call, RecordedStep
from nndoctor.tape import StepRecorder
from nndoctor.trace import Iteration, Run, Trace


class Doctor(CallRecording, StepKeeping, RunKeeping, Capture, Problems):
    """Records what the user's forward, cost, backward, update and activation functions do.

    Args:
        every: compute the full statistics (activations, gradient and parameter norms, update
            sizes) every ``every`` iterations; the cost and its finiteness are watched at every
            iteration. ``every=1`` sees everything; ``every=10`` keeps the overhead negligible.
        max_iterations: stop recording after this many iterations per run (the user's code keeps
            running normally).
        trace: a path: stream the recorded statistics into this HDF5 file while training, for
            `nndoctor report PATH` later (rewritten every 5 s or so; `close()` or `report()`
            writes the rest).
    """

    def __init__(self, every: int = 1, *, max_iterations: int | None = None, budget: Budget | None = None,
                 keep_calls: bool = False, trace: str | os.PathLike[str] | None = None,
                 check_gradients: bool = True) -> None:
        if not isinstance(every, int) or every < 1:
            from nndoctor.errors import InvalidInputError

            raise InvalidInputError(f"every must be a positive integer (statistics every k iterations), not {every!r}")
        from nndoctor.tracefile import TraceWriter

        # trace="run.h5": every finished iteration is also written to that file (nndoctor report)
        self._writer = TraceWriter(trace, every=every) if trace is not None else None
        self._streamed = set()
        self.every = every
        self.max_iterations = max_iterations
        # probe mode (nndoctor check): the budget decides when a training run stops, and the first
        # complete step's calls are kept so the gradient check can replay them
        self.budget = budget
        self.keep_calls = keep_calls
        # the first complete step of each run is kept to be replayed as a gradient check at report()
        # time (check_gradients=False: not recorded, not checked); nndoctor check replays it itself
        self.check_gradients = check_gradients
        self._recorder = StepRecorder(self._step_params) if keep_calls or check_gradients else None
        self.evaluations = CostEvaluations() if keep_calls else None  # the learner's own gradient checks
        self.label_ignore = frozenset()  # keyword arguments left out of run names
        self.trace = Trace(every=every)
        self.step_calls = 0  # calls of forward, cost, backward or update roles so far
        self._internal_errors = []
        self._watched = Watched()
        self._data = TrainingData()
        self._evidence = ProbeEvidence()
        self._busy = False
        self._aside = set()  # objects a layer loop's observer reads instead (stand_aside)
        self._calls = Nesting()
        self._top = TopCall()
        self._runs = Runs()
        self._step = OpenStep()
        self._seen = Seen()

    # ---------------------------------------------------------------- recorded
    @property
    def step(self) -> RecordedStep:
        """The first complete training step the program made (probe mode: ``keep_calls=True``)."""
        return self._recorder.first() if self._recorder is not None else RecordedStep()

    @property
    def steps(self) -> list[RecordedStep]:
        """The first complete step of each run (up to a few runs)."""
        if self._recorder is None:
            return []
        self._recorder.first()
        return list(self._recorder.steps)

    @property
    def data_checks(self) -> bool:
        """Run the data checks on the X and Y each run trained on (nndoctor check runs them itself)."""
        return self._data.checks

    @data_checks.setter
    def data_checks(self, value: bool) -> None:
        self._data.checks = value

    @property
    def train_inputs(self) -> dict[int, Any]:
        """Run index -> the data its steps trained on."""
        return self._data.inputs

    @property
    def random_forwards(self) -> list[tuple[Call, Iteration]]:
        """Probe mode: the forward passes that drew random numbers, with their iteration."""
        return self._evidence.random_forwards

    @property
    def evaluation_records(self) -> list[tuple[Any, ...]]:
        """Probe mode: forward passes whose caller held labels for the same examples (evidence.py)."""
        return self._evidence.evaluation_records

    # the run and iteration being recorded, and the parameters the run trains (report() and
    # nndoctor check read them)
    @property
    def _run(self) -> Run | None:
        return self._runs.run

    @property
    def _it(self) -> Iteration | None:
        return self._runs.it

    @property
    def _params(self) -> Mapping[str, np.ndarray] | None:
        return self._runs.params

    # ----------------------------------------------------------------- decorators
    def forward(self, func: F) -> F:
        """Mark the function that maps (X, parameters) to the output (``A`` or ``(A, caches)``)."""
        return self._wrap(func, R.FORWARD)

    def cost(self, func: F) -> F:
        """Mark the function that maps the output (and labels) to the scalar cost."""
        return self._wrap(func, R.COST)

    def backward(self, func: F) -> F:
        """Mark the function that returns the gradient dict (``dW1``, ``db1``, ...)."""
        return self._wrap(func, R.BACKWARD)

    def update(self, func: F) -> F:
        """Mark the parameter update step (receives parameters, gradients, learning rate)."""
        return self._wrap(func, R.UPDATE)

    def activation(self, func: F | None = None, *, kind: str | None = None) -> Any:
        """Mark an activation function; its kind (relu, sigmoid, ...) is recognized numerically
        unless given: ``@doctor.activation(kind="relu")``."""
        if func is None:
            return lambda f: self._wrap(f, R.ACTIVATION, kind=kind)
        return self._wrap(func, R.ACTIVATION, kind=kind)

    def derivative(self, func: F | None = None, *, of: str | None = None) -> Any:
        """Mark an activation's derivative helper (``relu_backward(dA, cache)``, ``lrelu_der(z)``)."""
        if func is None:
            return lambda f: self._wrap(f, R.DERIVATIVE, derivative_of=of)
        return self._wrap(func, R.DERIVATIVE, derivative_of=of)

    def _wrap(self, func: F, role: str | None, kind: str | None = None,
              derivative_of: str | None = None) -> F:
        return wrap(self, func, role, kind, derivative_of)

    # ------------------------------------------------------------------ modules
    def watch(self, namespace: Any, names: Iterable[str] | None = None) -> Doctor:
        """Wrap every function a module (or a dict of globals) defines, in place.

        Functions call each other through the module's globals, so replacing them there is
        enough for course-style code to be watched with no decorator. `unwatch()` restores them.
        """
        self._watched.watch(namespace, names, lambda func: self._wrap(func, None, None))
        return self

    def unwatch(self) -> None:
        """Put back every function `watch` replaced."""
        self._watched.unwatch()

    def __enter__(self) -> Doctor:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.unwatch()
        self.close()

    def report(self, target: str | None = None) -> Any:
        """The diagnosis of everything recorded so far, as a `Report`."""
        from nndoctor.diagnosis import diagnose

        return diagnose(self.evidence(target))

    def evidence(self, target: str | None = None) -> Any:
        """What this Doctor recorded, for `nndoctor.diagnosis.diagnose`: the trace, the data each run
        trained on, the program's own evaluations and gradient checks, and (``check_gradients``) the
        first step of each run replayed as a gradient check."""
        from nndoctor.diagnosis import Evidence, GradientEvidence

        if self._writer is not None:
            self._stream(self._run, self._it)
            self._writer.flush(self.trace)
        evidence = Evidence(target=target, trace=self.trace, internal_errors=list(self._internal_errors),
                            datasets=self._data.datasets(self.trace), evaluation_records=list(self.evaluation_records),
                            train_inputs=dict(self.train_inputs),
                            learner_checks=list(self.evaluations.found) if self.evaluations is not None else [])
        if self.check_gradients and not self.keep_calls and self.steps:
            # watch() and the decorators: the first step of each run replayed as a gradient check, so a
            # wrong backward is never a silent PASS (nndoctor check does this itself, with more evidence)
            from nndoctor.checkfile.gradients import check_steps
            from nndoctor.guard import own_calls

            evidence.gradient = GradientEvidence()
            busy, self._busy = self._busy, True  # the replay's calls are not the program's
            try:
                with own_calls("the gradient check of the first step"):  # they write no file of the user's
                    check_steps(self, evidence.gradient, seed=0, final_params=self._params)
            finally:
                self._busy = busy
        return evidence

    def close(self) -> None:
        """Write what is left to the trace file (if any) and close it; `report()` does this too."""
        self._stream(self._runs.run, self._runs.it)
        if self._writer is not None:
            self._writer.close(self.trace)


def watch(namespace: Any, every: int = 1) -> Doctor:
    """Wrap every function of a module (or globals dict) in a new Doctor and return it."""
    return Doctor(every=every).watch(namespace)
