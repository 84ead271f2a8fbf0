"""Run keys and the run lifecycle: which run a step belongs to, opening the run and its next
iteration, closing it, and the budget of probe mode (nndoctor check) at each.

A step made at the module level belongs to "main"; a step inside a top-level call (``model(...)``)
to that call; a module-level loop calling a one-step function (``grads = net.gradient(x, t)``) makes
one run, resumed after evaluation calls, unless one call makes several steps (then that call is a
run of its own). Finished iterations are handed to the trace file (``Doctor(trace=...)``) as the run
goes on.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from nndoctor.budget import ProbeBudgetReached
from nndoctor.hooks.sites import Site
from nndoctor.hooks.state import DoctorState
from nndoctor.trace import Iteration, Run


class RunKeeping(DoctorState):
    # ---------------------------------------------------------------- run keys
    def _top_call(self, site: Site, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
        """The program calls a watched function itself (not from another watched one)."""
        top = self._top
        top.count += 1
        top.label = _call_label(site, args, kwargs, self.label_ignore)
        top.function = site.name
        top.steps = 0
        top.loop = self._module_loop()

    def _run_key(self) -> tuple[Any, str]:
        """Which run a step belongs to: a step called from the top level (a module-level loop)
        belongs to "main"; a step inside a top-level call (``model(...)``) to that call."""
        top = self._top
        loop = top.loop if self._calls.depth > 0 else self._module_loop()
        if loop is not None:
            # in a loop of the module: its iterations are the run's steps (grads = net.gradient(x, t)),
            # unless one call of it makes several steps (for lr in rates: model(X, Y, lr)): that call
            # is a run of its own
            if self._calls.depth > 0 and top.steps >= 1:
                key = ("call", top.count)
                run = self._runs.run
                loop_key = ("loop", loop, top.function)
                if run is not None and self._runs.key == loop_key and self._runs.first_call == top.count:
                    self._runs.key = key  # the run began with this call: it is the call's
                    run.label = self._unique_label(top.label or "main")
                    self._runs.loop_runs.pop(loop_key, None)
                return key, top.label or "main"
            return ("loop", loop, top.function), "main"
        if self._calls.depth == 0:
            return ("main",), "main"
        return ("call", top.count), top.label or "main"

    def _module_loop(self) -> int | None:
        """The loop of the program's module level the current call is made from, if any."""
        if self.budget is None:
            return None
        frame = sys._getframe(1)
        while frame is not None and frame.f_code.co_name != "<module>":
            frame = frame.f_back
        if frame is None or frame.f_globals.get("__name__") != "__main__":
            return None
        return self.budget.loop_around(frame)

    def _unique_label(self, label: str) -> str:
        used = {r.label for r in self.trace.runs if r is not self._runs.run}
        if label not in used:
            return label
        n = 2
        while f"{label} #{n}" in used:
            n += 1
        return f"{label} #{n}"

    # ------------------------------------------------------ runs and iterations
    def _begin_step(self) -> None:
        """A forward pass starts: open a new iteration unless the current one is still open."""
        key, label = self._run_key()
        self._switch_run(key, label)
        if self._runs.it is None or self._runs.advance:
            self._next_iteration()

    def _switch_run(self, key: Any, label: str) -> None:
        """Make the run of the steps under ``key`` the current one: resumed, started afresh or new."""
        runs = self._runs
        resumed = runs.loop_runs.get(key) if runs.key != key else None
        if resumed is not None and resumed[0] is not runs.run:
            # a module-level loop's step function again, after an evaluation call (loss = net.loss(x, t)):
            # its run goes on where it was
            if runs.run is not None and runs.run.completed:
                self._close_run()
            runs.run, runs.key = resumed[0], key
            runs.it = resumed[0].iterations[-1] if resumed[0].iterations else None
            runs.advance = runs.it is not None
            if self.budget is not None:
                self.budget.current = resumed[1]
        elif runs.run is not None and runs.key != key:
            if runs.run.completed:
                self._close_run()
            else:  # nothing trained under the old key (a predict() call): start afresh in its place
                fresh = Run(index=runs.run.index, label=self._unique_label(label), updates_seen=False)
                self.trace.runs[runs.run.index] = runs.run = fresh
                runs.it = None
                runs.key = key
                if self.budget is not None:
                    self.budget.new_run()
        if runs.run is None:
            runs.run = Run(index=len(self.trace.runs), label=self._unique_label(label), updates_seen=False)
            runs.key = key
            runs.first_call = self._top.count
            self.trace.runs.append(runs.run)
            if self.budget is not None:
                self.budget.new_run()
            if key[0] == "loop":
                runs.loop_runs[key] = (runs.run, self.budget.current if self.budget is not None else None)

    def _next_iteration(self) -> None:
        """The current iteration is complete (or there is none): the next one opens."""
        runs = self._runs
        run = runs.run
        index = (runs.it.index + 1) if (runs.it is not None and runs.it.completed) else \
            (runs.it.index if runs.it is not None else 0)
        if self.budget is not None:
            try:
                self.budget.on_step(index)
            except ProbeBudgetReached:  # a stopping run that went on training: stopped by force
                runs.advance = False
                self._close_run()
                raise
        if runs.it is not None and not runs.it.completed and runs.it in run.iterations:
            run.iterations.remove(runs.it)  # an evaluation-only forward: not a training step
        self._stream(run, runs.it)
        runs.it = Iteration(index=index, sampled=index % self.every == 0 or index == 1)
        if self.max_iterations is None or index < self.max_iterations:
            run.iterations.append(runs.it)  # past the budget: computed but not stored
        runs.advance = False
        self._step.z_layers.clear()

    def _current_run(self) -> Run:
        if self._runs.run is None:
            self._begin_step()
        return self._runs.run  # type: ignore[return-value]

    def _inline_run(self, loop: Any) -> Run:
        """The run of a training loop written inline (checkfile/inline.py): the current one if it is
        that loop's, else a new one."""
        key = ("inline", loop.loop)
        if self._runs.run is not None and self._runs.key != key:
            self._close_run()
        if self._runs.run is None:
            label = "main" if not any(r.label == "main" for r in self.trace.runs) else f"the loop at line {loop.line}"
            self._runs.run = Run(index=len(self.trace.runs), label=self._unique_label(label), updates_seen=True)
            self._runs.key = key
            self.trace.runs.append(self._runs.run)
            if self.budget is not None:
                self.budget.new_run()
        return self._runs.run

    def _close_run(self) -> None:
        if self.budget is not None:
            if self._runs.run is not None and self.budget.current is not None:
                self._runs.run.cut_short = self.budget.current.stopping
            self.budget.end_run()
        if self._recorder is not None:
            self._recorder.finish()
        self._runs.has_signal = False
        self._step.fingerprint = None
        self._stream(self._runs.run, self._runs.it)
        self._runs.run = None
        self._runs.it = None
        self._runs.advance = False
        self._runs.params = None

    def stand_aside(self, objects: Iterable[Any]) -> None:
        """A loop driving these layer objects one by one is the training loop (checkfile/layer_loop.py):
        its iterations are the steps, and the objects' own method calls are no longer read as steps
        (one layer's forward is not the network's). The run those calls made so far is dropped."""
        self._aside.update(id(o) for o in objects)
        run = self._runs.run
        if run is None:
            return
        if self._recorder is not None:
            self._recorder.forget(run.label)
        if run in self.trace.runs:
            self.trace.runs.remove(run)
        if self.budget is not None:
            self.budget.end_run()
        self._runs.run, self._runs.it, self._runs.advance, self._runs.params = None, None, False, None
        self._runs.has_signal = False
        self._step.owner = None
        self._step.fingerprint = None
        self._step.param_ids = set()

    # -------------------------------------------------------------- trace file
    def _stream(self, run: Run | None, it: Iteration | None) -> None:
        """Hand a finished iteration to the trace file, once."""
        if self._writer is None or run is None or it is None or not it.completed:
            return
        key = (run.index, it.index)
        stored = self.max_iterations is None or it.index < self.max_iterations  # past it: not kept
        if key not in self._streamed and stored:
            self._streamed.add(key)
            try:
                self._writer.write(run, it, self.trace)
            except Exception as exc:  # noqa: BLE001 - a full disk must not stop the training
                self._internal("writing the trace", exc)
                self._writer = None


def _call_label(site: Site, args: tuple[Any, ...], kwargs: Mapping[str, Any],
                ignore: frozenset[str] = frozenset()) -> str:
    """``model(initialization="zeros", learning_rate=0.3)``: the short arguments that tell runs apart."""
    shown = [f"{k}={v!r}" for k, v in kwargs.items()
             if isinstance(v, (str, int, float, bool)) and not isinstance(v, np.ndarray) and k not in ignore]
    return f"{site.name}({', '.join(shown)})"
