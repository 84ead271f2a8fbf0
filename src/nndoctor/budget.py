"""How much of the author's program `nndoctor check` runs: iterations per training run, seconds.

The program runs whole, as its author runs it; only training is cut short. A training run that has
done its iterations (or used its share of the time) is *stopping*: the loops that drive it break at
their next iteration (see checkfile/transform.py), so the training function returns normally with
what it has trained and the program goes on.

Which loops drive a run: a loop breaks when its last iteration both began after the run's first
step and completed a training step. The epoch and mini-batch loops of the run qualify. A loop over
experiments does not (its iteration began before the run started), so the next experiment still
trains; nor does a loop after training that only predicts (it completes no training step).

If a stopping run keeps training (a loop nndoctor could not instrument), it is stopped by raising
`ProbeBudgetReached` through it, as a last resort. Past the hard deadline every loop iteration and
every watched call raises `ProbeStopped` (again and again, so a learner's ``except:`` cannot swallow
it), and what was measured so far is reported.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class ProbeBudgetReached(BaseException):
    """Raised through the user's training loop when a run has done its iterations and its loops
    could not be broken. A BaseException, so that a learner's ``except Exception`` lets it through."""


class ProbeStopped(BaseException):
    """Raised through the user's code when the check's time is up."""


# "program" while the learner's code may run; "report" while the finished report is put together and
# written (the check process's time-limit alarm lets that finish)
PHASE = "program"

_NO_ITERABLE = object()
EXTRA_STEPS = 3  # steps a stopping run may still complete before it is stopped by force
MIN_STEPS_BEFORE_TIME_CAP = 10  # a run stopped for time still gets this many steps


@dataclass
class RunBudget:
    """One training run's share: when it started, and whether (and why) it is stopping."""

    first_event: int
    started: float
    completed: int = 0  # its training steps that completed
    extended: bool = False  # left to run to its end (the author's full run, see _may_finish)
    stopping: str | None = None  # "iterations" | "time" | "deadline"
    completions_at_stop: int = 0
    loops_broken: int = 0
    forced: bool = False


@dataclass
class Budget:
    iterations: int = 300
    run_seconds: float = 6.0  # a run's share of the time when its iterations are slow
    soft_seconds: float = 18.0  # after this, every run stops at its next step
    hard_seconds: float = 26.0  # after this, the program is stopped where it is
    clock: Callable[[], float] = time.monotonic
    started: float = 0.0
    events: int = 0  # loop iterations and steps, in order
    completions: int = 0  # training steps completed (a backward or an update finished)
    stopped_runs: int = 0  # runs that were cut short (any way)
    forced_runs: int = 0  # runs that had to be stopped by raising through them
    current: RunBudget | None = None
    hard_stop: bool = False
    _loops: dict[tuple[int, int], tuple[int, int]] = field(default_factory=dict)
    observers: dict[int, Callable[[Any], None]] = field(default_factory=dict)  # loop id -> called at each tick
    full_run_seconds: float = 4.0  # a run that would finish within this much more time is left to finish
    _ticks: dict[tuple[int, int], int] = field(default_factory=dict)  # loop instance -> iterations started
    _totals: dict[tuple[int, int], int] = field(default_factory=dict)  # loop instance -> its length
    _last_tick: tuple[int, int] | None = None
    _entered: dict[tuple[int, int], int] = field(default_factory=dict)  # loop instance -> event it started at
    _frame_loops: dict[int, list[int]] = field(default_factory=dict)  # frame -> loops it ticked, latest last

    def __post_init__(self) -> None:
        self.started = self.clock()

    # ------------------------------------------------------------- loops (checkfile/transform.py)
    def enter_loop(self, loop: int, iterable: Any = _NO_ITERABLE) -> Any:
        """A new instance of a loop starts; a for loop's iterable is handed back, its length noted."""
        key = (id(sys._getframe(1)), loop)
        self._loops.pop(key, None)
        self._ticks[key] = 0
        self._entered[key] = self.events
        self._totals.pop(key, None)
        if iterable is _NO_ITERABLE:
            return None
        try:
            self._totals[key] = len(iterable)
        except Exception:  # noqa: BLE001 - a generator has no length: the loop just has none
            pass
        return iterable

    def tick(self, loop: int) -> bool:
        """A loop iteration starts: True when the loop must break (it drives a stopping run)."""
        self.check_deadline()
        frame = sys._getframe(1)
        if loop in self.observers:  # a training loop written inline: its last iteration is a step
            self.observers[loop](frame)
        key = (id(frame), loop)
        self.events += 1
        self._ticks[key] = self._ticks.get(key, 0) + 1
        loops = self._frame_loops.setdefault(id(frame), [])
        if not loops or loops[-1] != loop:
            if loop in loops:
                loops.remove(loop)
            loops.append(loop)
        self._last_tick = key
        run = self.current
        if run is not None and run.stopping is not None:
            last = self._loops.get(key)
            if last is not None and last[0] > run.first_event and self.completions > last[1]:
                run.loops_broken += 1
                return True
        self._loops[key] = (self.events, self.completions)
        return False

    def loop_around(self, frame: Any) -> int | None:
        """The innermost instrumented loop of ``frame`` whose body holds the line it is running, if any."""
        from nndoctor.checkfile.transform import LOOPS

        line = frame.f_lineno
        for loop in reversed(self._frame_loops.get(id(frame), [])):
            node = LOOPS.get(loop)
            if node is not None and node.lineno <= line <= (node.end_lineno or node.lineno):
                return loop
        return None

    def check_deadline(self) -> None:
        if self.hard_stop or self.clock() - self.started > self.hard_seconds:
            self.hard_stop = True
            raise ProbeStopped()

    # ------------------------------------------------------------- steps (the Doctor)
    def new_run(self) -> RunBudget:
        self.events += 1
        self.current = RunBudget(first_event=self.events, started=self.clock())
        return self.current

    def on_step(self, index: int) -> None:
        """A training step ``index`` (0-based) of the current run starts. Raises `ProbeBudgetReached`
        when a stopping run goes on training regardless (its loops could not be broken)."""
        self.check_deadline()
        run = self.current or self.new_run()
        self.events += 1
        if run.stopping is not None and self.completions - run.completions_at_stop > EXTRA_STEPS:
            run.forced = True
            self.forced_runs += 1
            raise ProbeBudgetReached(index)

    def on_complete(self) -> None:
        """A training step of the current run completed: is the run's share used up?"""
        self.completions += 1
        run = self.current
        if run is None:
            return
        run.completed += 1
        if run.stopping is not None:
            return
        now = self.clock()
        reason = None
        if run.completed >= self.iterations and not run.extended:
            reason = None if self._may_finish(run, now) else "iterations"
        elif now - self.started > self.soft_seconds:
            reason = "deadline"
        elif now - run.started > self.run_seconds and run.completed >= MIN_STEPS_BEFORE_TIME_CAP:
            reason = "time"
        if reason is not None:
            run.stopping = reason
            run.completions_at_stop = self.completions
            self.stopped_runs += 1

    def _may_finish(self, run: RunBudget, now: float) -> bool:
        """The author's whole run, when little is left of it: a full-batch loop (one step per
        iteration) whose remaining iterations fit in `full_run_seconds` and before the soft deadline.
        Its train and dev errors then mean what the author's do."""
        key = self._last_tick
        total = self._totals.get(key) if key is not None else None
        done = self._ticks.get(key, 0) if key is not None else 0
        if not total or not done or abs(done - run.completed) > 2:
            return False
        if self._entered.get(key, 0) > run.first_event:
            return False  # a loop that started after the run's first step (mini-batches of an epoch)
        per_step = (now - run.started) / max(run.completed, 1)
        left = (total - done) * per_step
        if left > self.full_run_seconds or now + left > self.started + self.soft_seconds * 0.8:
            return False
        run.extended = True
        return True

    def end_run(self) -> None:
        self.current = None

    @property
    def elapsed(self) -> float:
        return self.clock() - self.started
