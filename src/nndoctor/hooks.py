"""Watching the user's own functions while they train: `Doctor` and its decorators.

    doctor = nndoctor.Doctor()

    @doctor.forward
    def L_model_forward(X, parameters): ...

    doctor.watch(my_module)      # or: wrap every function a module defines, no decorators
    ...train as usual...
    print(doctor.report())

A wrapped function keeps its signature, docstring, return value and exceptions; the hooks only
read the arrays that flow through it and keep a few numbers per iteration (trace.py). Roles
(forward, cost, backward, update, activation, derivative helper) are given by the decorator or
recognized: activations and derivative helpers by sampling them numerically when wrapped, the
others from what each call receives and returns (roles.py).
"""

from __future__ import annotations

import contextlib
import copy
import functools
import inspect
import io
import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import numpy as np

from nndoctor import dropout
from nndoctor import roles as R
from nndoctor.budget import Budget, ProbeBudgetReached, ProbeStopped
from nndoctor.evaluations import CostEvaluations
from nndoctor.parameters import fingerprint
from nndoctor.recorded import Call, RecordedStep
from nndoctor.tape import StepRecorder
from nndoctor.trace import (
    ActivationStats,
    ArrayStats,
    CallSite,
    DerivativeCall,
    DroppedState,
    Iteration,
    Problem,
    RecordedError,
    Run,
    Trace,
    UpdateStats,
    WeightInit,
)
from nndoctor.usercode import NOT_THE_LEARNERS_ERROR, UserCodeError, definition_site, display_path, function_name

F = TypeVar("F", bound=Callable[..., Any])
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_STEP_ROLES = frozenset({R.FORWARD, R.FORWARD_COST, R.COST_GRAD, R.BACKWARD, R.UPDATE})


SIGMOID_TAIL = 0.01  # sigmoid output below 0.01 or above 0.99: slope s(1-s) < 0.0099, |z| > 4.6
TANH_TAIL = 0.99  # |tanh| above 0.99: slope 1 - a^2 < 0.02, |z| > 2.65
_DERIVATIVE_NAME = re.compile(
    r"(backward|deriv|prime|_grad|_der$|_der_|[a-z]Der|^d_?(relu|lrelu|leaky|sigmoid|sig|tanh|softmax|act))", re.I)
ROLE_SETTLES_AFTER = 3  # a recognized role is trusted after this many consistent calls


class _InlineSite:
    """What the statistics of an activation computed inline need of a function: its kind and a name."""

    def __init__(self, kind: str) -> None:
        self.kind, self.name = kind, kind


class _Site:
    """Per wrapped function: its name, definition site, role (given or recognized)."""

    def __init__(self, func: Callable[..., Any], role: str | None, kind: str | None,
                 derivative_of: str | None = None) -> None:
        self.func = func
        self.name = function_name(func)
        self.file, self.line = definition_site(func)
        if role is None and getattr(func, "__name__", "") in ("__init__", "__repr__", "__str__", "__len__"):
            role = R.OTHER  # building or showing an object is never a training step
        self.fixed_role = role
        self.declared_role = None if role == R.OTHER else role  # given by a decorator (None: recognized)
        self.kind = kind
        self.derivative_of = derivative_of
        self.seen: dict[str, int] = {}
        # recognized from its first call (an activation's kind, a helper's derivative) unless given
        self.probed = role is not None and not (role == R.ACTIVATION and kind is None) \
            and not (role == R.DERIVATIVE and derivative_of is None)
        try:
            self.arg_names = list(inspect.signature(func).parameters)
        except (TypeError, ValueError):
            self.arg_names = []

    @property
    def role(self) -> str | None:
        if self.fixed_role is not None:
            return self.fixed_role
        if not self.seen:
            return None
        role, count = max(self.seen.items(), key=lambda kv: kv[1])
        return role

    def settled(self) -> bool:
        if self.fixed_role is not None:
            return True
        if len(self.seen) == 1 and max(self.seen.values()) >= ROLE_SETTLES_AFTER:
            self.fixed_role = next(iter(self.seen))  # trusted from now on: no more per-call work
            return True
        return False


class Doctor:
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
        self._streamed: set[tuple[int, int]] = set()
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
        self._step_owner: Any = None  # the network object a step's forward was a method of
        self._step_key: Any = None  # which parameters opened the step (the same ones open the next)
        self._open_fingerprint: tuple[float, ...] | None = None  # of those parameters, at the opening
        self._step_param_ids: set[int] = set()
        # the data checks on the X/Y a run trains on (nndoctor check runs them itself, with the test set)
        self.data_checks = True
        self._data: dict[int, dict[str, Any]] = {}
        self.label_ignore: frozenset[str] = frozenset()  # keyword arguments left out of run names
        self.trace = Trace(every=every)
        self._originals: list[tuple[Any, str, Any]] = []  # (namespace, name, original) to restore
        self._depth = 0
        self._forward_depth = 0
        self._busy = False
        self._aside: set[int] = set()  # objects a layer loop's observer reads instead (stand_aside)
        self._run: Run | None = None
        self._it: Iteration | None = None
        self._advance = False
        self._advance_reason = ""
        self._backward_seen = False
        self._layer_counter = 0
        self._z_layers: dict[int, int] = {}
        self._params: Mapping[str, np.ndarray] | None = None
        self._top_calls = 0
        self._backward_calls = 0
        self._derivative_depth = 0
        self._top_function: str | None = None  # the function of the current top-level call
        self._top_loop: int | None = None  # the module-level loop the current top-level call is made in
        self._steps_this_top = 0  # steps the current top-level call completed
        self._run_first_call = 0  # the top-level call the current run began in
        # a module-level loop's run per step function, to go on with after an evaluation call
        self._loop_runs: dict[tuple[Any, ...], tuple[Run, Any]] = {}
        self._nested_forwards = 0  # forwards running inside a cost-and-gradient wrapper
        self._nested_seen = False  # the wrapper running now called the network's forward already
        self._activation_depth = 0
        self._has_forward = False
        self._act_outputs: dict[int, np.ndarray] = {}
        self._forward_state: dict[str, Any] | None = None
        self._top_label: str | None = None
        self._run_key_value: Any = None
        self._internal_errors: list[str] = []
        self._run_has_signal = False  # the run's steps end with a recognized backward or update
        self._last_forward_result: Any = None  # probe mode: what a cost computed outside a step consumed
        self._last_theta: tuple[float, ...] | None = None
        self._state_seen: dict[str, Any] = {}  # update -> (state it got, whether it returned a new one, calls)
        self._last_gradients: Any = None  # what the last backward returned (an update's other dicts are its state)
        # probe mode: forward passes that drew random numbers, with their iteration (a prediction
        # with dropout left on never completes a training step)
        self.random_forwards: list[tuple[Call, Iteration]] = []
        # probe mode: (X, output, labels, iteration, example axis) of forward passes whose caller holds
        # labels for the same examples; the ones that trained nothing are evaluations
        self.evaluation_records: list[tuple[Any, ...]] = []
        self._arguments: list[tuple[tuple[Any, ...], Mapping[str, Any]]] = []
        self._last_trained: Run | None = None
        self.step_calls = 0  # calls of forward, cost, backward or update roles so far
        self._current_X: Any = None
        self.train_inputs: dict[int, Any] = {}  # run index -> the data its steps trained on

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

    def _step_params(self) -> Mapping[str, np.ndarray] | None:
        if self._step_owner is not None:
            return R.parameters_of_object(self._step_owner)
        return self._params

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

    # ------------------------------------------------------------------ modules
    def watch(self, namespace: Any, names: Iterable[str] | None = None) -> Doctor:
        """Wrap every function a module (or a dict of globals) defines, in place.

        Functions call each other through the module's globals, so replacing them there is
        enough for course-style code to be watched with no decorator. `unwatch()` restores them.
        """
        is_class = inspect.isclass(namespace)
        space = namespace if isinstance(namespace, dict) else vars(namespace)
        module_name = namespace.__module__ if is_class else space.get("__name__")
        chosen = set(names) if names is not None else None
        for name, obj in list(space.items()):
            if chosen is not None and name not in chosen:
                continue
            static = is_class and isinstance(obj, staticmethod)
            func = obj.__func__ if static else obj
            if not inspect.isfunction(func) or getattr(func, "__nndoctor_wrapped__", False):
                continue
            if chosen is None and func.__module__ != module_name:
                continue  # imported helpers (np.dot, another module's function) stay as they are
            # what a function is (an activation, a derivative helper) is recognized from its
            # calls, when the program makes them: nothing is called here
            wrapped = self._wrap(func, None, None)
            if static:
                wrapped = staticmethod(wrapped)
            self._originals.append((namespace if is_class else space, name, obj))
            if is_class:
                setattr(namespace, name, wrapped)
            else:
                space[name] = wrapped
        return self

    def unwatch(self) -> None:
        """Put back every function `watch` replaced."""
        for space, name, original in reversed(self._originals):
            if isinstance(space, dict):
                space[name] = original
            else:
                setattr(space, name, original)
        self._originals.clear()

    def __enter__(self) -> Doctor:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.unwatch()
        self.close()

    @contextlib.contextmanager
    def _not_recording(self) -> Any:
        """While nndoctor samples a function, the watched functions it calls record nothing."""
        busy, self._busy = self._busy, True
        try:
            yield
        finally:
            self._busy = busy

    def _identify_from_call(self, site: _Site, args: tuple[Any, ...], kwargs: Mapping[str, Any], result: Any) -> None:
        """What a function is, from its first call that maps arrays to an array of the same shape:
        an activation (``relu(Z)``, ``layer.forward(x)`` of an activation layer) or a derivative
        helper (``relu_backward(dA, cache)``, ``sigmoid_prime(z)``). To tell them apart it is called
        again on test values shaped like the program's own arrays (nothing else is ever called)."""
        out = R.first(result)
        if not isinstance(out, np.ndarray) or out.dtype.kind not in "fc":
            site.probed = True
            return
        shape = out.shape
        same = [i for i, a in enumerate(args) if isinstance(a, np.ndarray) and a.shape == shape]
        held = [i for i, a in enumerate(args) if isinstance(a, (tuple, list, Mapping))
                and any(isinstance(v, np.ndarray) and v.shape == shape
                        for v in (a.values() if isinstance(a, Mapping) else a))]
        if not same and not held:
            site.probed = True  # not elementwise (a forward pass, a loss): nothing to recognize
            return
        site.probed = True
        from nndoctor import activations

        func = site.func
        prefix = tuple(a for a in args[:1] if not isinstance(a, (np.ndarray, tuple, list, Mapping)))
        if prefix and len(same) >= 2:
            # a layer object's backward (bprop(self, inputs, outputs, grads)): read what it applied
            # from the values it got and gave, without calling it (it reads its own state)
            of = activations.derivative_from_values(out, [args[i] for i in same])
            if of is not None and site.fixed_role is None:
                site.fixed_role, site.derivative_of = R.DERIVATIVE, of
                self.trace.sites[site.name].role = R.DERIVATIVE
            return
        if prefix:
            try:  # a method: tried on a shallow copy of its object, so what it stores (self.inputs) stays put
                prefix = (copy.copy(prefix[0]),)
            except Exception:  # noqa: BLE001 - an object that cannot be copied is not tried at all
                return
        target = functools.partial(func, *prefix) if prefix else func  # a method: bound to (a copy of) its object
        rest = args[len(prefix):]
        role = kind = of = None
        with _quiet(), self._not_recording(), activations.inputs_shaped_like(shape):
            if len(same) == 1 and not held and site.fixed_role != R.DERIVATIVE:
                position = same[0] - len(prefix)

                def bound(z: Any, _call: Any = target) -> Any:
                    call = list(rest)
                    call[position] = z
                    return _call(*call, **kwargs)

                bound.__name__, bound.__qualname__ = func.__name__, func.__qualname__
                act = activations.identify_activation(bound)
                if act is not None:
                    role, kind = R.ACTIVATION, act.kind
                    target = bound
            if role is None and not kwargs and site.fixed_role != R.ACTIVATION:
                der = activations.identify_derivative(target)
                # a helper that matches no known derivative is still one when its name says so (a buggy one)
                if der is not None and (der.of is not None or _DERIVATIVE_NAME.search(function_name(func))):
                    role, of = R.DERIVATIVE, der.of
        if role is None:
            return
        if site.fixed_role is None:
            site.fixed_role = role
            self.trace.sites[site.name].role = role
        site.kind = site.kind or kind
        site.derivative_of = site.derivative_of or of
        name = getattr(func, "__name__", site.name)
        self.trace.module_functions[name] = target
        self.trace.helper_shapes[name] = tuple(int(n) for n in shape)

    # ------------------------------------------------------------------ report
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
                            datasets=self._datasets(), evaluation_records=list(self.evaluation_records),
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

    def _datasets(self) -> list[Any]:
        """The X and Y each completed run trained on, for the data checks (nndoctor.data)."""
        from nndoctor.diagnosis import DataSet

        runs = {r.index: r for r in self.trace.runs}
        several = len(self.trace.runs) > 1
        out = []
        for index, seen in self._data.items():
            run = runs.get(index)
            if run is not None and run.completed:
                out.append(DataSet(seen["X"], seen.get("Y"), example_axis=run.example_axis, n_outputs=run.output_units,
                                   near=False, run=run.label if several else None))
        return out

    # ----------------------------------------------------------------- wrapping
    def _wrap(self, func: F, role: str | None, kind: str | None = None,
              derivative_of: str | None = None) -> F:
        site = _Site(func, role, kind, derivative_of)
        if role in (R.ACTIVATION, R.DERIVATIVE):
            # decorated helpers are checked like watched ones (activation-derivative pairs them);
            # their kind is recognized at their first call, on arrays shaped like the program's
            self.trace.module_functions.setdefault(getattr(func, "__name__", site.name), func)
        doctor = self

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if doctor.budget is not None:
                doctor.budget.check_deadline()  # past the time limit, every watched call stops
            if doctor._busy:  # called by nndoctor itself (e.g. while recognizing): no recording
                return func(*args, **kwargs)
            if doctor._aside and args and id(args[0]) in doctor._aside:
                try:  # a layer loop's object: its loop's iterations are the steps (stand_aside)
                    return func(*args, **kwargs)
                except BaseException as exc:
                    doctor._record_error(site, exc)
                    raise
            if site.fixed_role == R.OTHER and doctor._depth > 0 and not doctor._taping():
                # a settled helper inside a step (linear_forward, ...): nothing to record but its
                # nesting and its exceptions; this keeps the hooks cheap on chatty course code
                doctor._depth += 1
                try:
                    return func(*args, **kwargs)
                except BaseException as exc:
                    doctor._record_error(site, exc)
                    raise
                finally:
                    doctor._depth -= 1
            state = doctor._enter(site, args, kwargs)
            doctor._depth += 1
            try:
                result = func(*args, **kwargs)
            except BaseException as exc:
                doctor._depth -= 1
                doctor._leave_forward(site, state)
                if state.get("stacked") and doctor._arguments:
                    doctor._arguments.pop()
                if doctor.evaluations is not None:
                    doctor.evaluations.discard(state.get("evals"))
                doctor._record_error(site, exc)
                raise
            doctor._depth -= 1
            doctor._exit(site, args, kwargs, result, state)
            return result

        wrapper.__nndoctor_wrapped__ = True  # type: ignore[attr-defined]
        wrapper.__nndoctor_site__ = site  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    # ----------------------------------------------------------- call tracking
    def _enter(self, site: _Site, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> dict[str, Any]:
        state: dict[str, Any] = {"forward": False}
        try:
            record = self.trace.sites.get(site.name)
            if record is None:
                record = self.trace.sites[site.name] = CallSite(site.name, site.role or R.OTHER, site.file, site.line)
            record.calls += 1
            role = site.role
            if role is None:
                role = R.predict_role(args, kwargs, self._params, site.arg_names)
                if role == R.FORWARD and self._forward_known():
                    role = None  # (X, parameters) in, but the forward is known: a backward or predict
            if self._step_param_ids and self._within_step(args, kwargs, site.arg_names):
                state["part"] = True  # one layer's forward or backward inside the network's
                role = None if role in _STEP_ROLES else role
            if role in (R.FORWARD, R.FORWARD_COST) and self._forward_depth > 0 and self._forward_state is not None \
                    and self._step_identity(args, kwargs, site.arg_names)[2] == self._step_key:
                # a forward pass on the same parameters inside the call taken for the forward
                # (train(self, X, Y) looks like one on entry): that call is the training function
                self._demote_forward()
            if self._depth == 0:
                self._top_calls += 1
                self._top_label = _call_label(site, args, kwargs, self.label_ignore)
                self._top_function = site.name
                self._steps_this_top = 0
                self._top_loop = self._module_loop()
            state["backwards"] = self._backward_calls
            if site.fixed_role is None and args and not site.settled():
                given, _, _ = R.call_parameters(args, kwargs, site.arg_names)
                state["fingerprint"] = fingerprint(given)  # did the call move the weights it got?
            if role == R.DERIVATIVE:
                self._derivative_depth += 1
                state["derivative"] = True
            elif role == R.ACTIVATION:
                self._activation_depth += 1
                state["activation"] = True
            if role == R.FORWARD and self._forward_depth > 0 and self._forward_state is not None \
                    and self._forward_state.get("cost_grad"):
                # the network's forward inside a cost-and-gradient wrapper: its activations are the
                # layers (each call anew); those a derivative helper computes outside it are not
                self._nested_forwards += 1
                self._nested_seen = True
                state["nested"] = True
                self._layer_counter = 0
                self._z_layers.clear()
                if self._it is not None:
                    self._it.activations.clear()
            if role in (R.FORWARD, R.FORWARD_COST, R.COST_GRAD) and self._forward_depth == 0:
                self._complete_if_moved(args, kwargs, site.arg_names)
                opened = self._it
                self._begin_step()
                self._forward_depth += 1
                state["forward"] = True
                state["cost_grad"] = role == R.COST_GRAD
                self._nested_seen = False
                self._forward_state = state
                self._layer_counter = 0
                self._z_layers.clear()
                if self._it is not None:
                    self._it.activations.clear()
                if role != R.COST_GRAD:  # its parameter vector is found from its result, at the exit
                    self._on_forward_start(args, kwargs, site.arg_names)
                state["random"] = _random_position()
                if self._it is not opened:
                    self._opened_step(args, kwargs, site.arg_names)
            elif role == R.BACKWARD and self._advance and self._advance_reason == "forward":
                self._advance = False  # the forward completed the step only until a backward exists
            elif role == R.BACKWARD and self._forward_depth == 0 and (self._it is None or self._advance) \
                    and self._takes_data(args, kwargs, site.arg_names):
                # backprop(self, X, Y): its own forward pass and the gradients in one call: a step
                opened = self._it
                self._begin_step()
                self._forward_depth += 1  # the activations it computes are the step's layers
                state["forward"] = state["fused"] = True
                self._forward_state = state
                self._layer_counter = 0
                self._z_layers.clear()
                if self._it is not None:
                    self._it.activations.clear()
                self._on_forward_start(args, kwargs, site.arg_names)
                if self._it is not opened:
                    self._opened_step(args, kwargs, site.arg_names)
            elif role == R.UPDATE and self._it is not None and (self._it.sampled or not self._run.weights):
                state["before"] = self._snapshot_params(args, kwargs, site.arg_names)
            if self.keep_calls:
                self._arguments.append((args, kwargs))
                state["stacked"] = True
            if self.keep_calls and "random" not in state and (role is None or role == R.FORWARD):
                state["random"] = _random_position()  # predict(X, parameters) that draws masks: dropout left on
            if self._taping():
                state["tape"] = self._recorder.enter(self._depth)  # type: ignore[union-attr]
            if self.evaluations is not None:
                state["evals"] = self.evaluations.enter()
        except Exception as exc:  # noqa: BLE001 - recording must never break the user's code
            self._internal(f"before {site.name}", exc)
        return state

    def _taping(self) -> bool:
        return self._recorder is not None and self._recorder.active

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
        step_ids = self._step_param_ids
        if not step_ids or self._run is None:
            return False
        params, owner, _ = R.call_parameters(args, kwargs, names)
        if not params or owner is self._step_owner:
            return False
        ids = {id(v) for v in params.values()}
        return ids < step_ids

    def _complete_if_moved(self, args: tuple[Any, ...], kwargs: Mapping[str, Any], names: list[str]) -> None:
        """A forward pass while the step is still open: if the parameters that opened it have moved
        since (an update written inline, ``self.W[l] -= lr * dW[l]``), that step is complete."""
        it = self._it
        if it is None or it.completed or self._advance or self._open_fingerprint is None:
            return
        params, _, key = self._step_identity(args, kwargs, names)
        if params is None or key != self._step_key:
            return
        now = fingerprint(params)
        if now is not None and not np.array_equal(now, self._open_fingerprint, equal_nan=True):
            if self._run is not None:
                self._run.updates_seen = True
            self._complete(it)
            self._advance, self._advance_reason = True, "moved"

    def _opened_step(self, args: tuple[Any, ...], kwargs: Mapping[str, Any], names: list[str]) -> None:
        """A new step opened at this forward: remember its parameters (to see them move) and tape it."""
        params, owner, key = self._step_identity(args, kwargs, names)
        self._step_owner = owner
        self._step_key = key
        self._step_param_ids = {id(v) for v in params.values()} if params else set()
        watching = self._run is not None and not self._run_has_signal
        self._open_fingerprint = fingerprint(params) if params is not None and watching else None
        if self._recorder is not None and self._run is not None:
            self._recorder.open(self._run.index, self._run.label, self._depth, owner, self._run.learning_rate)

    def _demote_forward(self) -> None:
        """A call guessed to be the forward pass (``train(self, X, Y)`` looks like one on entry)
        ran a backward pass: it is the training function. The steps inside it are segmented
        from now on by the real forward, and the run is named after it."""
        state = self._forward_state
        state["forward"] = False
        self._forward_depth = 0
        self._forward_state = None
        if self._run is not None and len(self._run.iterations) <= 1 and self._top_loop is not None:
            # called from a loop of the module: the loop's run, one step per call
            key = ("loop", self._top_loop, self._top_function)
            self._run_key_value = key
            self._loop_runs[key] = (self._run, self.budget.current if self.budget is not None else None)
        elif self._run is not None and len(self._run.iterations) <= 1 and self._top_label:
            self._run.label = self._unique_label(self._top_label)
            self._run_key_value = ("call", self._top_calls)

    def _layer_by_size(self, A: Any, counted: int) -> int:
        """The layer an activation belongs to: the next weight matrix (from the counted position on)
        whose number of units matches A's. When a layer's activation is written inline
        (``np.tanh(Z1)``) the count alone would give the next helper call that layer's number."""
        run = self._run
        if run is None or not run.weights or not isinstance(A, np.ndarray) or A.ndim != 2:
            return counted
        axis = _units_axis(A, run)
        if axis is None:
            return counted
        units = A.shape[axis]
        sizes = [w.units for w in run.weights.values()]
        for position in range(counted, len(sizes) + 1):
            if sizes[position - 1] == units:
                return position
        return counted

    def _forward_known(self) -> bool:
        if not self._has_forward:  # once known, always known: no scan per call
            self._has_forward = any(s.role in (R.FORWARD, R.FORWARD_COST) for s in self.trace.sites.values())
        return self._has_forward

    def _leave_forward(self, site: _Site, state: Mapping[str, Any]) -> None:
        if state.get("forward"):
            self._forward_depth -= 1
        if state.get("nested"):
            self._nested_forwards -= 1
        if state.get("derivative"):
            self._derivative_depth -= 1
        if state.get("activation"):
            self._activation_depth -= 1

    def _exit(self, site: _Site, args: tuple[Any, ...], kwargs: Mapping[str, Any], result: Any,
              state: Mapping[str, Any]) -> None:
        self._leave_forward(site, state)
        if state.get("stacked") and self._arguments:
            self._arguments.pop()
        self._busy = True
        try:
            if not site.probed:
                self._identify_from_call(site, args, kwargs, result)
            role = site.fixed_role
            if role is None and self._backward_calls != state.get("backwards", self._backward_calls) \
                    and site.role in (None, R.OTHER) and R.cost_and_gradient(args, result) is None:
                role = R.OTHER  # it ran whole training steps: a training function, whatever it returns
                site.seen[role] = site.seen.get(role, 0) + ROLE_SETTLES_AFTER
            if role is None:
                moved = None
                if state.get("fingerprint") is not None:
                    given, _, _ = R.call_parameters(args, kwargs, site.arg_names)
                    now = fingerprint(given)
                    moved = now is not None and not np.array_equal(now, state["fingerprint"], equal_nan=True)
                role = site.role if site.settled() else R.classify_call(args, kwargs, result, self._params, moved, site.arg_names)
                site.seen[role] = site.seen.get(role, 0) + 1
                self.trace.sites[site.name].role = site.role or R.OTHER
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
                    self._recorder.seen_cost(site.func, args, kwargs, result, self._last_forward_result)
                elif role == R.FORWARD:
                    self._last_forward_result = result
            if role == R.ACTIVATION:
                self._on_activation(site, args, kwargs, result)
            elif role == R.DERIVATIVE:
                self._on_derivative(site, args, kwargs)
            elif role in (R.FORWARD, R.FORWARD_COST):
                if "random" in state and _random_position() != state["random"]:
                    self._drew_random(site, args, kwargs, result)
                if role == R.FORWARD and self.keep_calls and self._it is not None:
                    self._note_evaluation(args, kwargs, result)
                if not state.get("forward") and self._forward_depth == 0 and self._it is None:
                    self._begin_step()  # recognized only now, from its output
                    self._on_forward_start(args, kwargs, site.arg_names)
                self._on_forward_end(site, args, kwargs, result, role, bool(state.get("forward")))
            elif role == R.COST:
                self._on_cost(args, kwargs, result, site)
            elif role == R.COST_GRAD:
                self._on_cost_gradient(site, args, kwargs, result)
            elif role == R.BACKWARD:
                self._on_backward(site, args, kwargs, result)
            elif role == R.UPDATE:
                self._on_update(site, args, kwargs, result, state.get("before"))
            elif role == R.INIT:
                if self._run is not None and self._run.completed:
                    self._close_run()  # fresh parameters: the next steps are another experiment
                params = R.first(result)
                if R.is_parameter_dict(params):
                    self._params = params
        except Exception as exc:  # noqa: BLE001
            self._internal(f"after {site.name}", exc)
        finally:
            self._busy = False

    # ------------------------------------------------------------ iterations
    def _run_key(self) -> tuple[Any, str]:
        """Which run a step belongs to: a step called from the top level (a module-level loop)
        belongs to "main"; a step inside a top-level call (``model(...)``) to that call."""
        loop = self._top_loop if self._depth > 0 else self._module_loop()
        if loop is not None:
            # in a loop of the module: its iterations are the run's steps (grads = net.gradient(x, t)),
            # unless one call of it makes several steps (for lr in rates: model(X, Y, lr)): that call
            # is a run of its own
            if self._depth > 0 and self._steps_this_top >= 1:
                key = ("call", self._top_calls)
                run = self._run
                loop_key = ("loop", loop, self._top_function)
                if run is not None and self._run_key_value == loop_key and self._run_first_call == self._top_calls:
                    self._run_key_value = key  # the run began with this call: it is the call's
                    run.label = self._unique_label(self._top_label or "main")
                    self._loop_runs.pop(loop_key, None)
                return key, self._top_label or "main"
            return ("loop", loop, self._top_function), "main"
        if self._depth == 0:
            return ("main",), "main"
        return ("call", self._top_calls), self._top_label or "main"

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

    def _begin_step(self) -> None:
        """A forward pass starts: open a new iteration unless the current one is still open."""
        key, label = self._run_key()
        resumed = self._loop_runs.get(key) if self._run_key_value != key else None
        if resumed is not None and resumed[0] is not self._run:
            # a module-level loop's step function again, after an evaluation call (loss = net.loss(x, t)):
            # its run goes on where it was
            if self._run is not None and self._run.completed:
                self._close_run()
            self._run, self._run_key_value = resumed[0], key
            self._it = resumed[0].iterations[-1] if resumed[0].iterations else None
            self._advance = self._it is not None
            if self.budget is not None:
                self.budget.current = resumed[1]
        elif self._run is not None and self._run_key_value != key:
            if self._run.completed:
                self._close_run()
            else:  # nothing trained under the old key (a predict() call): start afresh in its place
                fresh = Run(index=self._run.index, label=self._unique_label(label), updates_seen=False)
                self.trace.runs[self._run.index] = self._run = fresh
                self._it = None
                self._run_key_value = key
                if self.budget is not None:
                    self.budget.new_run()
        if self._run is None:
            self._run = Run(index=len(self.trace.runs), label=self._unique_label(label), updates_seen=False)
            self._run_key_value = key
            self._run_first_call = self._top_calls
            self.trace.runs.append(self._run)
            if self.budget is not None:
                self.budget.new_run()
            if key[0] == "loop":
                self._loop_runs[key] = (self._run, self.budget.current if self.budget is not None else None)
        run = self._run
        if self._it is None or self._advance:
            index = (self._it.index + 1) if (self._it is not None and self._it.completed) else \
                (self._it.index if self._it is not None else 0)
            if self.budget is not None:
                try:
                    self.budget.on_step(index)
                except ProbeBudgetReached:  # a stopping run that went on training: stopped by force
                    self._advance = False
                    self._close_run()
                    raise
            if self._it is not None and not self._it.completed and self._it in run.iterations:
                run.iterations.remove(self._it)  # an evaluation-only forward: not a training step
            self._stream(run, self._it)
            self._it = Iteration(index=index, sampled=index % self.every == 0 or index == 1)
            if self.max_iterations is None or index < self.max_iterations:
                run.iterations.append(self._it)  # past the budget: computed but not stored
            self._advance = False
            self._z_layers.clear()

    def _current_run(self) -> Run:
        if self._run is None:
            self._begin_step()
        return self._run  # type: ignore[return-value]

    def _unique_label(self, label: str) -> str:
        used = {r.label for r in self.trace.runs if r is not self._run}
        if label not in used:
            return label
        n = 2
        while f"{label} #{n}" in used:
            n += 1
        return f"{label} #{n}"

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

    def close(self) -> None:
        """Write what is left to the trace file (if any) and close it; `report()` does this too."""
        self._stream(self._run, self._it)
        if self._writer is not None:
            self._writer.close(self.trace)

    def _complete(self, it: Iteration) -> None:
        """A training step finished (its backward, or its update, or a forward-only step)."""
        if self.evaluations is not None and self._run is not None and self._run.updates_seen:
            self.evaluations.updates += 1
        if not it.completed:
            it.completed = True
            if self._backward_seen or (self._run is not None and self._run.updates_seen):
                self._steps_this_top += 1  # a training step (not a forward the demotion dance completed)
            if self._run is not None:
                self._last_trained = self._run
                if self._current_X is not None:
                    self.train_inputs.setdefault(self._run.index, self._current_X)
            if self.budget is not None:
                self.budget.on_complete()
            if self._recorder is not None:
                self._recorder.complete()

    def _close_run(self) -> None:
        if self.budget is not None:
            if self._run is not None and self.budget.current is not None:
                self._run.cut_short = self.budget.current.stopping
            self.budget.end_run()
        if self._recorder is not None:
            self._recorder.finish()
        self._run_has_signal = False
        self._open_fingerprint = None
        self._stream(self._run, self._it)
        self._run = None
        self._it = None
        self._advance = False
        self._params = None

    def _on_forward_start(self, args: tuple[Any, ...], kwargs: Mapping[str, Any], names: list[str] | None = None) -> None:
        inputs = list(args) + list(kwargs.values())
        it, run = self._it, self._run
        if it is not None and not it.sampled and run is not None and run.weights and run.examples is not None:
            # an unsampled step: the layout is known; only the identity of X (mini-batches) is kept
            it.data_id = next((id(a) for a in inputs if isinstance(a, np.ndarray)), None)
            it.batch = run.examples
            known = self._params
            if known is not None and any(a is known for a in inputs):
                return
        params, _, _ = R.call_parameters(args, kwargs, names)  # a dict, on self, or separate arrays
        if params is None:
            return
        self._params = params
        run = self._current_run()
        it = self._it
        if it is not None:
            # full batch passes the same X every iteration; mini-batches pass new arrays
            it.data_id = next((id(a) for a in inputs if isinstance(a, np.ndarray)), None)
        if run.weights and it is not None and not it.sampled and run.examples is not None:
            return  # layout and weights are known; unsampled iterations record only the cost
        data = R.find_data(R.arrays_in(inputs) or (R.arrays_on(args[0], params) if args else []), params)
        if data is not None:
            X, axis = data
            self._current_X = X
            if run.examples is None or not run.completed:  # the layout of the training data, not a later predict's
                run.examples, run.example_axis = int(X.shape[axis]), axis
            if self._it is not None:
                self._it.batch = run.examples
            if self.data_checks and run.index not in self._data:
                self._data[run.index] = {"X": X}  # a reference, for the data checks at report time
        if not run.weights:
            inputs_size = int(data[0].shape[1 - data[1]]) if data is not None else None
            run.weights = _weight_inits(params, run.example_axis, inputs_size)
        if it is not None and it.sampled:
            it.params = {str(k): ArrayStats.of(v) for k, v in params.items()}
            it.param_fingerprint = tuple(float(np.sum(v, dtype=np.float64)) for v in params.values())

    def _on_forward_end(self, site: _Site, args: tuple[Any, ...], kwargs: Mapping[str, Any],
                        result: Any, role: str, outermost: bool = True) -> None:
        it = self._it
        if it is None:
            return
        out = R.output_of(result)
        if not isinstance(out, np.ndarray) and not R.is_scalar(out):  # only said of a declared forward
            self._problem(site, R.FORWARD, f"returned {_describe(result)}; a forward pass returns the output "
                          f"array A (or a tuple (A, caches), a cache dict holding it, or (cost, cache))")
        if isinstance(out, np.ndarray) and self._run is not None and not self._run.completed:
            self._settle_example_axis(self._run, out)
        if role == R.FORWARD_COST and R.is_scalar(out):
            it.cost = R.scalar_value(out)
        elif isinstance(out, np.ndarray) and self._run is not None and outermost and (
                self._run.output_units is None or not self._run.completed):
            run = self._run  # (a predict() later in the run returns labels, not the output layer)
            if out.ndim == 2 and run.example_axis is not None and out.shape[run.example_axis] == run.examples:
                run.output_units = int(out.shape[1 - run.example_axis])
            elif out.ndim == 1:
                run.output_units = 1
        if it.sampled and self._act_outputs:
            keep_prob = dropout.keep_prob_in(args, kwargs, site.arg_names)
            if keep_prob is not None and keep_prob < 1:
                it.dropout = dropout.find_masks(result, self._act_outputs, keep_prob)
        self._act_outputs = {}
        if not self._backward_seen:
            self._complete(it)
            self._advance, self._advance_reason = True, "forward"

    def _settle_example_axis(self, run: Run, out: np.ndarray) -> None:
        """X (3, 2) with W1 (2, 3) reads both ways (W1 @ X or X @ W1); the output's examples say which."""
        X, axis = self._current_X, run.example_axis
        if axis is None or out.ndim != 2 or out.shape[axis] == run.examples or not isinstance(X, np.ndarray) \
                or X.ndim != 2 or out.shape[1 - axis] != X.shape[1 - axis] or run.settled_axis:
            return
        run.example_axis = 1 - axis
        run.examples = int(X.shape[run.example_axis])
        run.settled_axis = True
        if self._params is not None:
            run.weights = _weight_inits(self._params, run.example_axis, int(X.shape[axis]))

    def _on_activation(self, site: _Site, args: tuple[Any, ...], kwargs: Mapping[str, Any], result: Any) -> None:
        if self._nested_seen and self._nested_forwards == 0 and self._forward_state is not None \
                and self._forward_state.get("cost_grad"):
            return  # inside a cost-and-gradient wrapper, outside the network's forward: a derivative's
        if self._derivative_depth > 0 or (self._forward_depth == 0 and self._forward_known()):
            return  # an activation evaluated by a backward pass or a derivative helper is not a layer
        if self._activation_depth > 0:
            return  # tanh(z) called by hidden(z): the outer activation counts for the layer
        if self._forward_depth == 0 and (self._it is None or self._advance):
            self._begin_step()  # activations called from a module-level loop, no forward function
            self._layer_counter = 0
        it = self._it
        if it is None:
            return
        self._layer_counter += 1
        if not it.sampled:
            return  # layers and caches only matter where statistics are taken
        layer = self._layer_counter = self._layer_by_size(R.first(result), self._layer_counter)
        Z = _first_array(args, kwargs)
        if Z is not None:
            self._z_layers[id(Z)] = layer
        A = R.first(result)
        if isinstance(A, np.ndarray):
            self._z_layers[id(A)] = layer  # helpers written in terms of the output get A (sigmoid_backward(dA, A))
        if not isinstance(A, np.ndarray) or A.dtype.kind not in "fc":
            return
        self._act_outputs[layer] = A  # until the forward ends: dropout masks are matched to it
        stats = _activation_stats(site, layer, A, Z, self._run)
        if self._writer is not None:
            stats.histogram = _histogram(A)
        it.activations.append(stats)

    def _on_derivative(self, site: _Site, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
        it = self._it
        if it is None or not it.sampled:
            return
        layer = None
        for a in list(args) + list(kwargs.values()):
            for candidate in (a if isinstance(a, (tuple, list)) else (a,)):
                if isinstance(candidate, np.ndarray) and id(candidate) in self._z_layers:
                    layer = self._z_layers[id(candidate)]
        it.derivatives.append(DerivativeCall(site.name, site.derivative_of, layer))

    def _on_cost(self, args: tuple[Any, ...], kwargs: Mapping[str, Any], result: Any,
                 site: _Site | None = None) -> None:
        it = self._it
        value = R.first(result)
        if not R.is_scalar(value) and site is not None:
            self._problem(site, R.COST, f"returned {_describe(result)}; a cost function returns one number")
        if it is None or not R.is_scalar(value) or it.cost is not None:
            return
        it.cost = R.scalar_value(value)
        run = self._run
        if run is not None and not run.cost_sees_parameters:
            inputs = list(args) + list(kwargs.values())
            run.cost_sees_parameters = any(R.is_parameter_dict(a) for a in inputs) or bool(
                self._params and any(a is v for a in inputs for v in self._params.values()))
        if run is not None and run.label_values is None:
            arrays = R.arrays_in(list(args) + list(kwargs.values()))
            run.label_values = _label_summary(arrays)
            seen = self._data.get(run.index)
            labels = [a for a in arrays if a is not R.first(args[:1] or (None,))]
            if seen is not None and "Y" not in seen and labels:
                seen["Y"] = labels[-1]  # compute_cost(AL, Y): the labels come after the output

    def stand_aside(self, objects: Iterable[Any]) -> None:
        """A loop driving these layer objects one by one is the training loop (checkfile/layer_loop.py):
        its iterations are the steps, and the objects' own method calls are no longer read as steps
        (one layer's forward is not the network's). The run those calls made so far is dropped."""
        self._aside.update(id(o) for o in objects)
        run = self._run
        if run is None:
            return
        if self._recorder is not None:
            self._recorder.forget(run.label)
        if run in self.trace.runs:
            self.trace.runs.remove(run)
        if self.budget is not None:
            self.budget.end_run()
        self._run, self._it, self._advance, self._params, self._step_owner = None, None, False, None, None
        self._run_has_signal = False
        self._open_fingerprint = None
        self._step_param_ids = set()

    def record_inline_step(self, *, loop: Any, before: Mapping[str, np.ndarray], after: Mapping[str, np.ndarray],
                           grads: Mapping[str, np.ndarray], cost: float | None,
                           activations: list[tuple[str, np.ndarray, np.ndarray | None]],
                           learning_rate: float | None, arrays: list[np.ndarray]) -> None:
        """One step of a training loop written inline (checkfile/inline.py): no function to wrap, the
        loop's own variables say what the step did."""
        key = ("inline", loop.loop)
        if self._run is not None and self._run_key_value != key:
            self._close_run()
        if self._run is None:
            label = "main" if not any(r.label == "main" for r in self.trace.runs) else f"the loop at line {loop.line}"
            self._run = Run(index=len(self.trace.runs), label=self._unique_label(label), updates_seen=True)
            self._run_key_value = key
            self.trace.runs.append(self._run)
            if self.budget is not None:
                self.budget.new_run()
        run = self._run
        index = len(run.iterations)
        if self.budget is not None:
            self.budget.on_step(index)
        it = Iteration(index=index, sampled=index % self.every == 0 or index == 1)
        run.iterations.append(it)
        data = R.find_data(arrays, before)
        if data is not None:
            it.data_id = id(data[0])  # one example or batch after another: a stochastic run (cost.run_is_minibatch)
        if not run.weights:
            if data is not None:
                X, run.example_axis = data[0], data[1]
                run.examples = int(X.shape[run.example_axis])
                if self.data_checks and run.index not in self._data:
                    self._data[run.index] = {"X": X}
            run.weights = _weight_inits(before, run.example_axis)
        run.learning_rate = learning_rate
        it.cost = cost
        it.batch = run.examples
        if it.sampled:
            it.params = {k: ArrayStats.of(v) for k, v in before.items()}
            it.grads = {k: ArrayStats.of(g) for k, g in grads.items()}
            for layer, (kind, A, Z) in enumerate(activations, start=1):
                site = _InlineSite(kind)
                it.activations.append(_activation_stats(site, layer, A, Z, run))  # type: ignore[arg-type]
            if activations and run.output_units is None:
                A = activations[-1][1]
                axis = _units_axis(A, run)
                run.output_units = int(A.shape[axis]) if axis is not None else 1
            change, descent = {}, {}
            for k, b in before.items():
                a = after.get(k)
                if a is None or a.shape != b.shape:
                    continue
                step = (np.asarray(a, dtype=np.float64) - b).ravel()
                change[k] = float(np.linalg.norm(step))
                g = grads.get(k)
                if g is not None and g.shape == b.shape and change[k] > 0:
                    gn = float(np.linalg.norm(g))
                    if gn > 0 and np.isfinite(gn):
                        descent[k] = float(-(step @ np.asarray(g, dtype=np.float64).ravel()) / (change[k] * gn))
            it.update = UpdateStats(f"the loop at line {loop.line}", learning_rate, change,
                                    {k: float(np.linalg.norm(v)) for k, v in before.items()}, True, descent)
        self._complete(it)

    def _follow_state(self, site: _Site, args: tuple[Any, ...], kwargs: Mapping[str, Any], result: Any) -> None:
        """An optimizer that returns its new state (velocity, moments) must get it back at the next call.
        Seen from the calls alone: the state it received, the state it returned, and whether the next
        call receives the old one again, unchanged."""
        inputs = list(args) + list(kwargs.values())
        params = self._params
        grads = self._last_gradients
        state_in = [a for a in inputs if isinstance(a, Mapping) and a is not params and not R.is_parameter_dict(a)
                    and a is not grads and not (grads is None and _gradient_dict(a, params))]
        outs = list(result) if isinstance(result, tuple) else [result]
        state_out = [o for o in outs if isinstance(o, Mapping) and o is not params and not R.is_parameter_dict(o)]
        if not state_in or not state_out:
            return
        record = (tuple(id(s) for s in state_in), fingerprint_of_dicts(state_in))
        previous = self._state_seen.get(site.name)
        returned_new = any(o is not s for o in state_out for s in state_in)
        if previous is not None and previous[0] == record and previous[1] and record[1] is not None:
            calls = previous[2] + 1
            if calls == 3 and not any(d.function == site.name for d in self.trace.dropped_states):
                caller = sys._getframe(1)  # the learner's code that called the update and dropped its result
                while caller is not None and caller.f_code.co_filename.startswith(_PACKAGE_DIR):
                    caller = caller.f_back
                self.trace.dropped_states.append(DroppedState(
                    site.name, caller.f_code.co_qualname if caller else None,
                    display_path(caller.f_code.co_filename) if caller else None, caller.f_lineno if caller else None,
                    self._it.index if self._it is not None else None, calls))
            self._state_seen[site.name] = (record, returned_new, calls)
        else:
            self._state_seen[site.name] = (record, returned_new, 1)

    def _note_evaluation(self, args: tuple[Any, ...], kwargs: Mapping[str, Any], result: Any) -> None:
        """A forward pass and the labels its caller holds for the same examples: if it trains nothing
        (a prediction after training), its accuracy is a train or dev accuracy (bias and variance)."""
        run = self._run
        out = R.output_of(result)
        if run is None or run.example_axis is None or not isinstance(out, np.ndarray) or out.ndim != 2:
            return
        X = next((a for a in R.arrays_in(list(args) + list(kwargs.values())) if a.ndim == 2
                  and (self._params is None or all(a is not v for v in self._params.values()))), None)
        if X is None:
            return
        m = X.shape[run.example_axis]
        labels = None
        for outer_args, outer_kwargs in reversed(self._arguments):  # the calls around this one
            for a in list(outer_args) + list(outer_kwargs.values()):
                if isinstance(a, np.ndarray) and a is not X and m in a.shape and a.size in (m, out.size) \
                        and a.dtype.kind in "biuf" and a.size > 1:
                    labels = a
                    break
            if labels is not None:
                break
        if labels is None:
            return
        if len(self.evaluation_records) >= 12:
            self.evaluation_records[:] = [e for e in self.evaluation_records if not e[3].completed][-6:]
        self.evaluation_records.append((X, out, labels, self._it, run.example_axis, self._last_trained))

    def _drew_random(self, site: _Site, args: tuple[Any, ...], kwargs: Mapping[str, Any], result: Any) -> None:
        """A forward pass that drew random numbers: dropout. In a training step its cost is noisy; in a
        call that trains nothing (a prediction) it is a bug, confirmed later by calling it twice."""
        it = self._it
        if it is not None:
            it.random = True
        if self.keep_calls and it is not None:
            if len(self.random_forwards) >= 8:  # the training steps' own draws are not what is kept for
                self.random_forwards[:] = [(c, i) for c, i in self.random_forwards if not i.completed][-4:]
            self.random_forwards.append((Call(site.func, tuple(args), dict(kwargs), result), it))

    def _on_cost_gradient(self, site: _Site, args: tuple[Any, ...], kwargs: Mapping[str, Any], result: Any) -> None:
        """``cost_function(theta, X, y) -> (J, grad)`` (scipy.optimize with jac=True): one call is a
        whole step, forward, cost and backward; the optimizer moves theta between calls."""
        if self._forward_depth > 0:
            return
        self._begin_step()
        it, run = self._it, self._run
        if it is None or run is None:
            return
        self._run_has_signal = True
        if R.is_scalar(result[0]):
            it.cost = R.scalar_value(result[0])
        position = R.cost_and_gradient(args, result)
        if position is not None:
            theta = fingerprint({"theta": args[position]})
            if self._last_theta is not None and theta != self._last_theta:
                run.updates_seen = True  # an optimizer moves theta between the calls
            self._last_theta = theta
        if it.sampled and position is not None:
            it.grads = {"theta": ArrayStats.of(result[1])}
            it.params = {"theta": ArrayStats.of(args[position])}
        self._complete(it)
        self._advance, self._advance_reason = True, "backward"
        if self._recorder is not None and position is not None:
            name = site.arg_names[position] if position < len(site.arg_names) else "theta"
            self._recorder.single(run.index, run.label, site.func, args, kwargs, result,
                                  {name: np.array(args[position], copy=True)})

    def _on_backward(self, site: _Site, args: tuple[Any, ...], kwargs: Mapping[str, Any], result: Any) -> None:
        self._backward_seen = True
        self._run_has_signal = True
        self._backward_calls += 1
        self._last_gradients = result if isinstance(result, Mapping) else R.first(result)
        if self._forward_depth > 0 and self._forward_state is not None and not self._forward_state.get("fused"):
            self._demote_forward()
        it = self._it
        if it is None:
            return
        grads = R.gradient_entries(result if isinstance(result, Mapping) else R.first(result), self._params)
        if not grads and self._params:
            from nndoctor.parameters import match_gradients

            grads = match_gradients(self._params, result, plain_names=True)  # lists, tuples, any key convention
        if not grads and args:
            grads = R.gradients_of_object(args[0], self._params)  # a method that fills self.grads
        if not grads:
            self._problem(site, R.BACKWARD, f"returned {_describe(result)}; a backward pass returns a dict with "
                          f"one gradient per parameter, keyed 'd' + the parameter's key (dW1, db1, ...)"
                          + (f" matching the parameters {', '.join(map(str, self._params))}" if self._params else ""))
        if it.sampled:
            it.grads = {k: ArrayStats.of(g) for k, g in grads.items()}
            if it.dropout:
                dropout.check_reapplied(it.dropout, result if isinstance(result, Mapping) else R.first(result))
        self._complete(it)
        self._advance, self._advance_reason = True, "backward"

    def _snapshot_params(self, args: tuple[Any, ...], kwargs: Mapping[str, Any],
                         names: list[str] | None = None) -> dict[str, Any] | None:
        params = next((d for d in R.dicts_in(list(args) + list(kwargs.values())) if R.is_parameter_dict(d)), None)
        owner, separate = None, False
        if params is None and args:
            owner, params = args[0], R.parameters_of_object(args[0])
        if params is None:
            params, owner, separate = R.update_arrays(args, names), None, True
        if params is None:
            return None
        return {"dict": params, "owner": owner, "separate": separate,
                "copy": {str(k): np.array(v, copy=True) for k, v in params.items()}}

    def _on_update(self, site: _Site, args: tuple[Any, ...], kwargs: Mapping[str, Any], result: Any,
                   before: Mapping[str, Any] | None) -> None:
        self._run_has_signal = True
        if self._run is not None:
            self._run.updates_seen = True
        if self.keep_calls:
            self._follow_state(site, args, kwargs, result)
        run = self._current_run()
        it = self._it
        if it is not None and not it.sampled and run.weights and run.learning_rate is not None:
            # an unsampled step: only what keeps the bookkeeping right (cheap: no scans of arrays)
            if not self._backward_seen:
                self._complete(it)
                self._advance, self._advance_reason = True, "update"
            out = R.first(result)
            if isinstance(out, Mapping) and self._params is not None and len(out) == len(self._params):
                self._params = out
            return
        lr = R.learning_rate_in(args, kwargs, site.arg_names)
        if lr is not None:
            run.learning_rate = lr
        if before is not None and not run.weights:
            run.weights = _weight_inits(before["copy"], run.example_axis)  # no forward saw them
        if it is not None and not self._backward_seen:
            # the loop computes the gradients inline (course two_layer_model): the update ends the step
            if it.sampled and not it.grads and before is not None:
                grads = next((R.gradient_entries(d, before["dict"]) for d in R.dicts_in(list(args) + list(kwargs.values()))
                              if d is not before["dict"] and R.gradient_entries(d, before["dict"])), {})
                it.grads = {k: ArrayStats.of(g) for k, g in grads.items()}
                it.params = it.params or {k: ArrayStats.of(v) for k, v in before["copy"].items()}
                it.param_fingerprint = it.param_fingerprint or tuple(
                    float(np.sum(v, dtype=np.float64)) for v in before["copy"].values())
            self._complete(it)
            self._advance, self._advance_reason = True, "update"
        out = R.first(result)
        after = out if R.is_parameter_dict(out) else (before["dict"] if before else None)
        if before is not None and before.get("owner") is not None:
            after = R.parameters_of_object(before["owner"])  # a method that reassigned self.W1 ...
        elif before is not None and before.get("separate") and isinstance(result, (tuple, list)) \
                and len(result) >= len(before["dict"]):
            after = dict(zip(before["dict"], result))  # W1, b1, ... = update_params(W1, b1, ..., dW1, ...)
        if after is not None:
            self._params = after
        if it is None or before is None or after is None or not it.sampled:
            return
        old = before["copy"]
        grads = next((R.gradient_entries(d, old) for d in R.dicts_in(list(args) + list(kwargs.values()))
                      if d is not before["dict"] and R.gradient_entries(d, old)), {})
        if not grads and before.get("separate"):
            grads = R.gradient_entries(dict(zip(site.arg_names or [], args)), old)
        if not grads and before.get("owner") is not None:
            grads = R.gradients_of_object(before["owner"], old)
        change, descent = {}, {}
        for k, v in after.items():
            key = str(k)
            if key in old and np.shape(v) == old[key].shape:
                step = (np.asarray(v, dtype=np.float64) - old[key]).ravel()
                change[key] = float(np.linalg.norm(step))
                g = grads.get(key)
                if g is not None and change[key] > 0:
                    g = np.asarray(g, dtype=np.float64).ravel()
                    known = it.grads.get(key)  # the backward's statistics already hold its norm
                    g_norm = known.norm if known is not None else float(np.linalg.norm(g))
                    if g_norm > 0 and np.isfinite(g_norm) and np.isfinite(change[key]):
                        descent[key] = float(-(step @ g) / (change[key] * g_norm))
        norms = {k: (it.params[k].norm if k in it.params else float(np.linalg.norm(v.ravel())))
                 for k, v in old.items()}
        it.update = UpdateStats(site.name, lr, change, norms, in_place=after is before["dict"], descent=descent,
                                momentum=R.momentum_in(args, kwargs, site.arg_names or []))

    # ----------------------------------------------------------------- errors
    def _problem(self, site: _Site, role: str, message: str) -> None:
        """A function the learner declared (doctor.backward, ...) returned what its role cannot use.
        A role nndoctor recognized by itself is only a guess: that is no problem of the learner's."""
        if site.declared_role is None or any(p.function == site.name and p.role == role for p in self.trace.problems):
            return
        self.trace.problems.append(Problem(site.name, role, self._it.index if self._it else None,
                                           f"{site.name} {message}.", site.file, site.line))

    def _record_error(self, site: _Site, exc: BaseException) -> None:
        if isinstance(exc, (*NOT_THE_LEARNERS_ERROR, ProbeBudgetReached, ProbeStopped)):
            return  # the program ending (exit(), Ctrl-C), or nndoctor stopping or refusing something
        if getattr(exc, "__nndoctor_recorded__", False):
            return  # already recorded by the innermost watched function
        tb = exc.__traceback__
        if tb is not None and tb.tb_next is None:
            return  # raised by the call itself (wrong arguments): the caller's mistake, reported there
        try:
            exc.__nndoctor_recorded__ = True  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - some exception types refuse attributes
            pass
        info = UserCodeError.wrap(site.name, exc, exc.__traceback__)
        self.trace.errors.append(RecordedError(
            function=site.name, role=site.role or R.OTHER,
            iteration=self._it.index if self._it is not None else None,
            run=self._run.index if self._run is not None else 0,
            exception=type(exc).__name__, message=str(exc), file=info.file, line=info.line,
            traceback=info.traceback_text))

    def _internal(self, where: str, exc: Exception) -> None:
        if len(self._internal_errors) < 20:
            self._internal_errors.append(f"{where}: {type(exc).__name__}: {exc}")


def watch(namespace: Any, every: int = 1) -> Doctor:
    """Wrap every function of a module (or globals dict) in a new Doctor and return it."""
    return Doctor(every=every).watch(namespace)


# --------------------------------------------------------------------- helpers
def _gradient_dict(d: Mapping[str, Any], params: Mapping[str, np.ndarray] | None) -> bool:
    return bool(R.gradient_entries(d, params)) or bool(R.gradient_entries(d, None))


def fingerprint_of_dicts(dicts: list[Mapping[str, Any]]) -> tuple[float, ...] | None:
    sums = []
    for d in dicts:
        for v in d.values():
            if isinstance(v, np.ndarray) and v.dtype.kind in "fiu":
                sums.append(float(np.sum(v, dtype=np.float64)))
    return tuple(sums) or None


def _random_position() -> tuple[int, int]:
    """Where numpy's global random generator is: it moves whenever anything draws from it."""
    state = np.random.get_state()
    return int(state[1][0]), int(state[2])


def _first_array(args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> np.ndarray | None:
    for a in list(args) + list(kwargs.values()):
        if isinstance(a, np.ndarray):
            return a
    return None


HISTOGRAM_BINS = 20


def _histogram(A: np.ndarray) -> tuple[float, float, list[int]] | None:
    finite = A if np.isfinite(A).all() else A[np.isfinite(A)]
    if finite.size == 0:
        return None
    low, high = float(finite.min()), float(finite.max())
    width = (high - low) / HISTOGRAM_BINS or 1.0
    # equal bins by integer division and a bincount: several times cheaper than np.histogram
    bins = np.minimum(((finite - low) / width).astype(np.int64), HISTOGRAM_BINS - 1).ravel()
    return low, high, np.bincount(bins, minlength=HISTOGRAM_BINS).tolist()


def _label_summary(arrays: list[np.ndarray]) -> dict[str, Any] | None:
    """Class frequencies of the labels among a cost's arguments: 0/1 vectors or one-hot columns."""
    for Y in arrays:
        if Y.size == 0 or Y.dtype.kind not in "biuf":
            continue
        values = np.unique(Y)
        if not np.all(np.isin(values, (0, 1))):
            continue
        if Y.ndim == 2 and min(Y.shape) > 1:
            sums = Y.sum(axis=0) if np.all(Y.sum(axis=0) == 1) else (Y.sum(axis=1) if np.all(Y.sum(axis=1) == 1) else None)
            if sums is None:
                continue
            class_axis = 0 if np.all(Y.sum(axis=0) == 1) else 1
            freqs = Y.mean(axis=1 - class_axis)
            return {"kind": "one-hot", "frequencies": [float(f) for f in freqs]}
        p = float(np.mean(Y))
        return {"kind": "binary", "frequencies": [1 - p, p]}
    return None


def _units_axis(A: np.ndarray, run: Run | None) -> int | None:
    """The axis of A that holds units: the other one than the examples axis."""
    if A.ndim != 2:
        return None
    if run is not None and run.examples is not None:
        if run.example_axis is not None and A.shape[run.example_axis] == run.examples:
            return 1 - run.example_axis
        if A.shape[1] == run.examples:
            return 0
        if A.shape[0] == run.examples:
            return 1
    return 0


def _activation_stats(site: _Site, layer: int, A: np.ndarray, Z: np.ndarray | None, run: Run | None) -> ActivationStats:
    axis = _units_axis(A, run)
    units = A.shape[axis] if axis is not None else A.size
    examples = A.shape[1 - axis] if axis is not None else 1
    finite_mask = np.isfinite(A)
    nonfinite = int(A.size - finite_mask.sum())
    Af = A if nonfinite == 0 else np.where(finite_mask, A, 0.0)
    dead = 0
    saturated = 0.0
    if site.kind == "relu" and axis is not None:
        # a unit is dead when it outputs exactly 0 for every example (NaN units are not "dead")
        dead = int(np.count_nonzero(np.all(A == 0, axis=1 - axis)))
    elif site.kind == "sigmoid" and nonfinite < A.size:  # over the finite entries only
        saturated = float(np.sum(((A < SIGMOID_TAIL) | (A > 1 - SIGMOID_TAIL)) & finite_mask) / (A.size - nonfinite))
    elif site.kind == "tanh" and nonfinite < A.size:
        saturated = float(np.sum((np.abs(Af) > TANH_TAIL) & finite_mask) / (A.size - nonfinite))
    z_bad, z_std = 0, float("nan")
    if isinstance(Z, np.ndarray) and Z.dtype.kind == "f":
        z_mask = np.isfinite(Z)
        z_bad = int(Z.size - z_mask.sum())
        z_std = float(np.std(Z[z_mask])) if z_mask.any() else float("nan")
    return ActivationStats(layer=layer, kind=site.kind, function=site.name, units=int(units),
                           examples=int(examples), dead_units=dead, saturated_fraction=saturated,
                           mean=float(np.mean(Af)), std=float(np.std(Af)), nonfinite=nonfinite,
                           input_nonfinite=z_bad, input_std=z_std)


def _weight_inits(params: Mapping[str, np.ndarray], example_axis: int | None,
                  n_inputs: int | None = None) -> dict[str, WeightInit]:
    inits = {}
    n_prev = n_inputs
    for key in R.weight_keys(params):
        W = np.asarray(params[key], dtype=np.float64)
        # column-major W (n_out, n_in): units are rows; row-major W (n_in, n_out): units are columns;
        # followed from the input size when it is known (a rows layout may still keep W as (n_out, n_in))
        units_axis = 0 if example_axis in (None, 1) else 1
        if n_prev is not None and W.shape[0] != W.shape[1]:
            if W.shape[1] == n_prev:
                units_axis = 0
            elif W.shape[0] == n_prev:
                units_axis = 1
        units, fan_in = W.shape[units_axis], W.shape[1 - units_axis]
        n_prev = units
        rows = W if units_axis == 0 else W.T
        spread = float(np.max(np.abs(rows - rows[:1]))) if rows.size and np.isfinite(rows).all() else float("nan")
        inits[str(key)] = WeightInit(name=str(key), shape=tuple(W.shape), fan_in=int(fan_in), units=int(units),
                                     std=float(np.std(W)), mean=float(np.mean(W)), row_spread=spread,
                                     all_zero=bool(np.all(W == 0)))
    return inits


def _describe(value: Any) -> str:
    """What a value is, in a few words: 'None', 'a list of 3 items', 'an array of shape (1, 209)'."""
    if value is None:
        return "None"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    if isinstance(value, tuple):
        return f"a tuple of {len(value)} items ({', '.join(type(v).__name__ for v in value[:4])})"
    if isinstance(value, Mapping):
        keys = ", ".join(map(str, list(value)[:6]))
        return f"a dict with keys {keys}" if keys else "an empty dict"
    return f"a {type(value).__name__}"


def _call_label(site: _Site, args: tuple[Any, ...], kwargs: Mapping[str, Any],
                ignore: frozenset[str] = frozenset()) -> str:
    """``model(initialization="zeros", learning_rate=0.3)``: the short arguments that tell runs apart."""
    shown = [f"{k}={v!r}" for k, v in kwargs.items()
             if isinstance(v, (str, int, float, bool)) and not isinstance(v, np.ndarray) and k not in ignore]
    return f"{site.name}({', '.join(shown)})"


@contextlib.contextmanager
def _quiet() -> Any:
    """Silence prints while nndoctor samples a user function, and leave numpy's RNG as it was."""
    state = np.random.get_state()
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull), \
            contextlib.redirect_stderr(io.StringIO()), np.errstate(all="ignore"):
        try:
            yield
        finally:
            np.random.set_state(state)
