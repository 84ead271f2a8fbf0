"""Each watched call, before and after it runs: its role guessed on entry and settled on exit, the
step it opens (a forward pass) and the handler its role goes to (capture.py).

`_enter` returns the call's state (a dict), handed back to `_exit` when the call returns, or to
`_raised` when it raises. Nothing here may break the learner's program: an error of nndoctor's own is
kept as an internal error, and the call goes on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from nndoctor import roles as R
from nndoctor.hooks.recognize import identify_from_call
from nndoctor.hooks.sites import ROLE_SETTLES_AFTER, Site
from nndoctor.hooks.state import DoctorState
from nndoctor.parameters import fingerprint
from nndoctor.trace import CallSite

_STEP_ROLES = frozenset({R.FORWARD, R.FORWARD_COST, R.COST_GRAD, R.BACKWARD, R.UPDATE})


class CallRecording(DoctorState):
    # ------------------------------------------------------------------- entry
    def _enter(self, site: Site, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> dict[str, Any]:
        state: dict[str, Any] = {"forward": False}
        try:
            role = self._role_on_entry(site, args, kwargs, state)
            if self._calls.depth == 0:
                self._top_call(site, args, kwargs)
            state["backwards"] = self._seen.backward_calls
            if site.fixed_role is None and args and not site.settled():
                given, _, _ = R.call_parameters(args, kwargs, site.arg_names)
                state["fingerprint"] = fingerprint(given)  # did the call move the weights it got?
            self._nest(role, state)
            calls, runs = self._calls, self._runs
            if role in (R.FORWARD, R.FORWARD_COST, R.COST_GRAD) and calls.forward_depth == 0:
                self._open_forward(site, role, args, kwargs, state)
            elif role == R.BACKWARD and runs.advance and runs.advance_reason == "forward":
                runs.advance = False  # the forward completed the step only until a backward exists
            elif role == R.BACKWARD and calls.forward_depth == 0 and (runs.it is None or runs.advance) \
                    and self._takes_data(args, kwargs, site.arg_names):
                self._open_fused(site, args, kwargs, state)
            elif role == R.UPDATE and runs.it is not None and (runs.it.sampled or not runs.run.weights):
                state["before"] = self._snapshot_params(args, kwargs, site.arg_names)
            if self.keep_calls:
                self._evidence.arguments.append((args, kwargs))
                state["stacked"] = True
            if self.keep_calls and "random" not in state and (role is None or role == R.FORWARD):
                state["random"] = _random_position()  # predict(X, parameters) that draws masks: dropout left on
            if self._taping():
                state["tape"] = self._recorder.enter(calls.depth)  # type: ignore[union-attr]
            if self.evaluations is not None:
                state["evals"] = self.evaluations.enter()
        except Exception as exc:  # noqa: BLE001 - recording must never break the user's code
            self._internal(f"before {site.name}", exc)
        return state

    def _role_on_entry(self, site: Site, args: tuple[Any, ...], kwargs: Mapping[str, Any],
                       state: dict[str, Any]) -> str | None:
        """The call counted, and its role as far as its arguments tell (None: not known yet)."""
        record = self.trace.sites.get(site.name)
        if record is None:
            record = self.trace.sites[site.name] = CallSite(site.name, site.role or R.OTHER, site.file, site.line)
        record.calls += 1
        role = site.role
        if role is None:
            role = R.predict_role(args, kwargs, self._runs.params, site.arg_names)
            if role == R.FORWARD and self._forward_known():
                role = None  # (X, parameters) in, but the forward is known: a backward or predict
        if self._step.param_ids and self._within_step(args, kwargs, site.arg_names):
            state["part"] = True  # one layer's forward or backward inside the network's
            role = None if role in _STEP_ROLES else role
        calls = self._calls
        if role in (R.FORWARD, R.FORWARD_COST) and calls.forward_depth > 0 and calls.forward_state is not None \
                and self._step_identity(args, kwargs, site.arg_names)[2] == self._step.key:
            # a forward pass on the same parameters inside the call taken for the forward
            # (train(self, X, Y) looks like one on entry): that call is the training function
            self._demote_forward()
        return role

    def _nest(self, role: str | None, state: dict[str, Any]) -> None:
        """Count the call among those running now that decide what an activation is (a layer or not)."""
        calls = self._calls
        if role == R.DERIVATIVE:
            calls.derivative_depth += 1
            state["derivative"] = True
        elif role == R.ACTIVATION:
            calls.activation_depth += 1
            state["activation"] = True
        if role == R.FORWARD and calls.forward_depth > 0 and calls.forward_state is not None \
                and calls.forward_state.get("cost_grad"):
            # the network's forward inside a cost-and-gradient wrapper: its activations are the
            # layers (each call anew); those a derivative helper computes outside it are not
            calls.nested_forwards += 1
            calls.nested_seen = True
            state["nested"] = True
            self._restart_layers()

    def _open_forward(self, site: Site, role: str, args: tuple[Any, ...], kwargs: Mapping[str, Any],
                      state: dict[str, Any]) -> None:
        """The call taken for the forward pass starts (or a forward-and-cost, or a cost-and-gradient
        call): the step it belongs to opens, unless it is still open."""
        self._complete_if_moved(args, kwargs, site.arg_names)
        opened = self._runs.it
        self._begin_step()
        self._calls.forward_depth += 1
        state["forward"] = True
        state["cost_grad"] = role == R.COST_GRAD
        self._calls.nested_seen = False
        self._calls.forward_state = state
        self._restart_layers()
        if role != R.COST_GRAD:  # its parameter vector is found from its result, at the exit
            self._on_forward_start(args, kwargs, site.arg_names)
        state["random"] = _random_position()
        if self._runs.it is not opened:
            self._opened_step(args, kwargs, site.arg_names)

    def _open_fused(self, site: Site, args: tuple[Any, ...], kwargs: Mapping[str, Any],
                    state: dict[str, Any]) -> None:
        """backprop(self, X, Y): its own forward pass and the gradients in one call: a step."""
        opened = self._runs.it
        self._begin_step()
        self._calls.forward_depth += 1  # the activations it computes are the step's layers
        state["forward"] = state["fused"] = True
        self._calls.forward_state = state
        self._restart_layers()
        self._on_forward_start(args, kwargs, site.arg_names)
        if self._runs.it is not opened:
            self._opened_step(args, kwargs, site.arg_names)

    def _restart_layers(self) -> None:
        """A forward pass starts: its layers are counted from the first."""
        self._step.layer_counter = 0
        self._step.z_layers.clear()
        if self._runs.it is not None:
            self._runs.it.activations.clear()

    def _demote_forward(self) -> None:
        """A call guessed to be the forward pass (``train(self, X, Y)`` looks like one on entry)
        ran a backward pass: it is the training function. The steps inside it are segmented
        from now on by the real forward, and the run is named after it."""
        state = self._calls.forward_state
        state["forward"] = False
        self._calls.forward_depth = 0
        self._calls.forward_state = None
        run, top = self._runs.run, self._top
        if run is not None and len(run.iterations) <= 1 and top.loop is not None:
            # called from a loop of the module: the loop's run, one step per call
            key = ("loop", top.loop, top.function)
            self._runs.key = key
            self._runs.loop_runs[key] = (run, self.budget.current if self.budget is not None else None)
        elif run is not None and len(run.iterations) <= 1 and top.label:
            run.label = self._unique_label(top.label)
            self._runs.key = ("call", top.count)

    def _forward_known(self) -> bool:
        if not self._seen.forward:  # once known, always known: no scan per call
            self._seen.forward = any(s.role in (R.FORWARD, R.FORWARD_COST) for s in self.trace.sites.values())
        return self._seen.forward

    def _taping(self) -> bool:
        return self._recorder is not None and self._recorder.active

    # -------------------------------------------------------------------- exit
    def _leave(self, state: Mapping[str, Any]) -> None:
        """The call ended: it no longer counts among those running."""
        calls = self._calls
        if state.get("forward"):
            calls.forward_depth -= 1
        if state.get("nested"):
            calls.nested_forwards -= 1
        if state.get("derivative"):
            calls.derivative_depth -= 1
        if state.get("activation"):
            calls.activation_depth -= 1
        if state.get("stacked") and self._evidence.arguments:
            self._evidence.arguments.pop()

    def _raised(self, site: Site, state: Mapping[str, Any], exc: BaseException) -> None:
        """The call raised: it is left as it was entered, and the exception recorded."""
        self._leave(state)
        if self.evaluations is not None:
            self.evaluations.discard(state.get("evals"))
        self._record_error(site, exc)

    def _exit(self, site: Site, args: tuple[Any, ...], kwargs: Mapping[str, Any], result: Any,
              state: Mapping[str, Any]) -> None:
        self._leave(state)
        self._busy = True
        try:
            if not site.probed:
                identify_from_call(site, args, kwargs, result, self.trace)
            role = self._settled_role(site, args, kwargs, result, state)
            if state.get("part") and role in _STEP_ROLES:
                role = R.OTHER  # a layer's own step: the network's forward and backward make the step
            if role in _STEP_ROLES:
                self.step_calls += 1  # an inline loop's observer steps aside when functions make the steps
            if self.evaluations is not None:
                if role in (R.FORWARD_COST, R.COST, R.COST_GRAD):
                    self.evaluations.evaluated(site.func, args, kwargs, result)
                self.evaluations.exit(state.get("evals"), site.func, site.name, args, kwargs, result)
            if self._recorder is not None:
                self._recorder.exit(state.get("tape"), role, site.func, args, kwargs, result)
                if role in (R.COST, R.FORWARD_COST):
                    self._recorder.seen_cost(site.func, args, kwargs, result, self._seen.last_forward_result)
                elif role == R.FORWARD:
                    self._seen.last_forward_result = result
            self._dispatch(role, site, args, kwargs, result, state)
        except Exception as exc:  # noqa: BLE001
            self._internal(f"after {site.name}", exc)
        finally:
            self._busy = False

    def _settled_role(self, site: Site, args: tuple[Any, ...], kwargs: Mapping[str, Any], result: Any,
                      state: Mapping[str, Any]) -> str | None:
        """The call's role, from what it received and returned (and what ran inside it)."""
        role = site.fixed_role
        if role is None and self._seen.backward_calls != state.get("backwards", self._seen.backward_calls) \
                and site.role in (None, R.OTHER) and R.cost_and_gradient(args, result) is None:
            role = R.OTHER  # it ran whole training steps: a training function, whatever it returns
            site.seen[role] = site.seen.get(role, 0) + ROLE_SETTLES_AFTER
        if role is None:
            moved = None
            if state.get("fingerprint") is not None:
                given, _, _ = R.call_parameters(args, kwargs, site.arg_names)
                now = fingerprint(given)
                moved = now is not None and not np.array_equal(now, state["fingerprint"], equal_nan=True)
            role = site.role if site.settled() else \
                R.classify_call(args, kwargs, result, self._runs.params, moved, site.arg_names)
            site.seen[role] = site.seen.get(role, 0) + 1
            self.trace.sites[site.name].role = site.role or R.OTHER
        return role

    def _dispatch(self, role: str | None, site: Site, args: tuple[Any, ...], kwargs: Mapping[str, Any],
                  result: Any, state: Mapping[str, Any]) -> None:
        """Hand the call to what its role records (capture.py)."""
        if role == R.ACTIVATION:
            self._on_activation(site, args, kwargs, result)
        elif role == R.DERIVATIVE:
            self._on_derivative(site, args, kwargs)
        elif role in (R.FORWARD, R.FORWARD_COST):
            if "random" in state and _random_position() != state["random"]:
                self._drew_random(site, args, kwargs, result)
            if role == R.FORWARD and self.keep_calls and self._runs.it is not None:
                self._evidence.note_evaluation(args, kwargs, result, self._runs.run, self._runs.params,
                                               self._runs.it, self._runs.last_trained)
            if not state.get("forward") and self._calls.forward_depth == 0 and self._runs.it is None:
                self._begin_step()  # recognized only now, from its output
                self._on_forward_start(args, kwargs, site.arg_names)
            self._on_forward_end(site, args, kwargs, result, role, bool(state.get("forward")))
        elif role == R.COST:
            self._on_cost(site, args, kwargs, result)
        elif role == R.COST_GRAD:
            self._on_cost_gradient(site, args, kwargs, result)
        elif role == R.BACKWARD:
            self._on_backward(site, args, kwargs, result)
        elif role == R.UPDATE:
            self._on_update(site, args, kwargs, result, state.get("before"))
        elif role == R.INIT:
            if self._runs.run is not None and self._runs.run.completed:
                self._close_run()  # fresh parameters: the next steps are another experiment
            params = R.first(result)
            if R.is_parameter_dict(params):
                self._runs.params = params


def _random_position() -> tuple[int, int]:
    """Where numpy's global random generator is: it moves whenever anything draws from it."""
    state = np.random.get_state()
    return int(state[1][0]), int(state[2])
