"""The state the Doctor's parts share, grouped by what it is about, each group with its keeper.

`Nesting` (calls.py): where the program is among the watched calls running now.
`TopCall` (runs.py keys runs on it): the program's own call of a watched function running now.
`Runs` (runs.py): the run and iteration being recorded, and the module-level loops' runs.
`OpenStep` (steps.py, capture.py): the step open now, its parameters and its layers.
`Seen` (calls.py, capture.py): what the program's calls have shown so far, across steps and runs.
`DoctorState` declares every field of the Doctor, for the modules that read them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from nndoctor.budget import Budget
    from nndoctor.evaluations import CostEvaluations
    from nndoctor.hooks.evidence import ProbeEvidence
    from nndoctor.hooks.training_data import TrainingData
    from nndoctor.hooks.wrapping import Watched
    from nndoctor.tape import StepRecorder
    from nndoctor.trace import Iteration, Run, Trace
    from nndoctor.tracefile import TraceWriter


@dataclass(slots=True, eq=False)
class Nesting:
    """Where the program is among the watched calls running now."""

    depth: int = 0  # watched calls running now
    forward_depth: int = 0  # inside the call taken for the step's forward pass
    forward_state: dict[str, Any] | None = None  # that call's entry state ("cost_grad", "fused", ...)
    derivative_depth: int = 0  # inside a derivative helper
    activation_depth: int = 0  # inside an activation (tanh(z) called by hidden(z))
    nested_forwards: int = 0  # forwards running inside a cost-and-gradient wrapper
    nested_seen: bool = False  # the wrapper running now called the network's forward already


@dataclass(slots=True, eq=False)
class TopCall:
    """The program's current top-level call of a watched function (``model(X, Y, lr)``)."""

    count: int = 0  # top-level calls so far: the current one's number
    label: str | None = None  # its short arguments, ``model(learning_rate=0.3)``: a run's name
    function: str | None = None  # the function it calls
    loop: int | None = None  # the module-level loop it is made in
    steps: int = 0  # steps it completed


@dataclass(slots=True, eq=False)
class Runs:
    """The run and iteration being recorded (the trace holds every run)."""

    run: Run | None = None
    it: Iteration | None = None
    advance: bool = False  # the iteration is complete: the next forward opens the next one
    advance_reason: str = ""  # what completed it: "forward", "backward", "update", "moved"
    key: Any = None  # which run the steps belong to (runs.py, _run_key)
    first_call: int = 0  # the top-level call the run began in
    # a module-level loop's run per step function, to go on with after an evaluation call
    loop_runs: dict[tuple[Any, ...], tuple[Run, Any]] = field(default_factory=dict)
    has_signal: bool = False  # the run's steps end with a recognized backward or update
    params: Mapping[str, np.ndarray] | None = None  # the parameters the run trains, as last seen
    last_trained: Run | None = None  # the run of the last completed step


@dataclass(slots=True, eq=False)
class OpenStep:
    """The step open now: the parameters that opened it (the same ones open the next) and its layers."""

    owner: Any = None  # the network object a step's forward was a method of
    key: Any = None  # what identifies the parameters that opened it (steps.py, _step_identity)
    fingerprint: tuple[float, ...] | None = None  # of those parameters, at the opening
    param_ids: set[int] = field(default_factory=set)  # their arrays: a layer holding some is a part
    layer_counter: int = 0  # the layers the forward pass went through so far
    z_layers: dict[int, int] = field(default_factory=dict)  # id of a layer's input or output -> its layer
    act_outputs: dict[int, np.ndarray] = field(default_factory=dict)  # layer -> output, for dropout masks


@dataclass(slots=True, eq=False)
class Seen:
    """What the program's calls have shown so far, across steps and runs."""

    forward: bool = False  # a forward function is known (once known, always known)
    backward: bool = False  # a backward function ran: it, not the forward, completes a step
    backward_calls: int = 0
    last_forward_result: Any = None  # probe mode: what a cost computed outside a step consumed
    last_theta: tuple[float, ...] | None = None  # a cost-and-gradient call's parameter vector
    last_gradients: Any = None  # what the last backward returned (an update's other dicts are its state)


class DoctorState:
    """Every field of a `Doctor` (set in its ``__init__``), declared for the modules that share them."""

    # settings
    every: int
    max_iterations: int | None
    budget: Budget | None  # probe mode (nndoctor check): decides when a training run stops
    keep_calls: bool  # probe mode: calls kept for the checks that replay them
    check_gradients: bool
    label_ignore: frozenset[str]  # keyword arguments left out of run names
    # what is recorded
    trace: Trace
    evaluations: CostEvaluations | None  # the learner's own gradient checks
    step_calls: int  # calls of forward, cost, backward or update roles so far
    _recorder: StepRecorder | None  # the first complete step of each run, to replay
    _writer: TraceWriter | None
    _streamed: set[tuple[int, int]]  # (run, iteration) handed to the writer
    _internal_errors: list[str]
    _data: TrainingData
    _evidence: ProbeEvidence
    _watched: Watched
    # where the program is
    _busy: bool  # nndoctor itself is calling (recognizing, replaying): record nothing
    _aside: set[int]  # objects a layer loop's observer reads instead (stand_aside)
    _calls: Nesting
    _top: TopCall
    _runs: Runs
    _step: OpenStep
    _seen: Seen

