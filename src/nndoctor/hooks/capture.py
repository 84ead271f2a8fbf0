"""Statistics capture per iteration: what each role's call adds to the current iteration (trace.py).

The forward pass gives the data's layout, the parameters and their initialization, and the output
layer; each activation a layer's statistics; the cost its value and the labels; the backward the
gradients; the update its step against the gradient. Full statistics are taken on sampled
iterations only (``every``); the others keep what the bookkeeping needs and the cost.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from nndoctor import dropout
from nndoctor import roles as R
from nndoctor.hooks.problems import describe
from nndoctor.hooks.sites import InlineSite, Site
from nndoctor.hooks.state import DoctorState
from nndoctor.hooks.statistics import (
    activation_stats,
    first_array,
    histogram,
    inline_change,
    label_summary,
    units_axis,
    update_change,
    weight_inits,
)
from nndoctor.parameters import fingerprint
from nndoctor.trace import ArrayStats, DerivativeCall, Iteration, Run, UpdateStats


class Capture(DoctorState):
    # ------------------------------------------------------------ forward pass
    def _on_forward_start(self, args: tuple[Any, ...], kwargs: Mapping[str, Any], names: list[str]) -> None:
        inputs = list(args) + list(kwargs.values())
        it, run = self._runs.it, self._runs.run
        if it is not None and not it.sampled and run is not None and run.weights and run.examples is not None:
            # an unsampled step: the layout is known; only the identity of X (mini-batches) is kept
            it.data_id = next((id(a) for a in inputs if isinstance(a, np.ndarray)), None)
            it.batch = run.examples
            known = self._runs.params
            if known is not None and any(a is known for a in inputs):
                return
        params, _, _ = R.call_parameters(args, kwargs, names)  # a dict, on self, or separate arrays
        if params is None:
            return
        self._runs.params = params
        run = self._current_run()
        it = self._runs.it
        if it is not None:
            # full batch passes the same X every iteration; mini-batches pass new arrays
            it.data_id = next((id(a) for a in inputs if isinstance(a, np.ndarray)), None)
        if run.weights and it is not None and not it.sampled and run.examples is not None:
            return  # layout and weights are known; unsampled iterations record only the cost
        data = R.find_data(R.arrays_in(inputs) or (R.arrays_on(args[0], params) if args else []), params)
        if data is not None:
            X, axis = data
            self._data.current_X = X
            if run.examples is None or not run.completed:  # the layout of the training data, not a later predict's
                run.examples, run.example_axis = int(X.shape[axis]), axis
            if self._runs.it is not None:
                self._runs.it.batch = run.examples
            self._data.keep(run.index, X)  # a reference, for the data checks at report time
        if not run.weights:
            inputs_size = int(data[0].shape[1 - data[1]]) if data is not None else None
            run.weights = weight_inits(params, run.example_axis, inputs_size)
        if it is not None and it.sampled:
            it.params = {str(k): ArrayStats.of(v) for k, v in params.items()}
            it.param_fingerprint = tuple(float(np.sum(v, dtype=np.float64)) for v in params.values())

    def _on_forward_end(self, site: Site, args: tuple[Any, ...], kwargs: Mapping[str, Any],
                        result: Any, role: str, outermost: bool) -> None:
        it = self._runs.it
        if it is None:
            return
        out = R.output_of(result)
        if not isinstance(out, np.ndarray) and not R.is_scalar(out):  # only said of a declared forward
            self._problem(site, R.FORWARD, f"returned {describe(result)}; a forward pass returns the output "
                          f"array A (or a tuple (A, caches), a cache dict holding it, or (cost, cache))")
        run = self._runs.run
        if isinstance(out, np.ndarray) and run is not None and not run.completed:
            self._settle_example_axis(run, out)
        if role == R.FORWARD_COST and R.is_scalar(out):
            it.cost = R.scalar_value(out)
        elif isinstance(out, np.ndarray) and run is not None and outermost and (
                run.output_units is None or not run.completed):
            # (a predict() later in the run returns labels, not the output layer)
            if out.ndim == 2 and run.example_axis is not None and out.shape[run.example_axis] == run.examples:
                run.output_units = int(out.shape[1 - run.example_axis])
            elif out.ndim == 1:
                run.output_units = 1
        if it.sampled and self._step.act_outputs:
            keep_prob = dropout.keep_prob_in(args, kwargs, site.arg_names)
            if keep_prob is not None and keep_prob < 1:
                it.dropout = dropout.find_masks(result, self._step.act_outputs, keep_prob)
        self._step.act_outputs = {}
        if not self._seen.backward:
            self._complete(it)
            self._runs.advance, self._runs.advance_reason = True, "forward"

    def _settle_example_axis(self, run: Run, out: np.ndarray) -> None:
        """X (3, 2) with W1 (2, 3) reads both ways (W1 @ X or X @ W1); the output's examples say which."""
        X, axis = self._data.current_X, run.example_axis
        if axis is None or out.ndim != 2 or out.shape[axis] == run.examples or not isinstance(X, np.ndarray) \
                or X.ndim != 2 or out.shape[1 - axis] != X.shape[1 - axis] or run.settled_axis:
            return
        run.example_axis = 1 - axis
        run.examples = int(X.shape[run.example_axis])
        run.settled_axis = True
        if self._runs.params is not None:
            run.weights = weight_inits(self._runs.params, run.example_axis, int(X.shape[axis]))

    def _drew_random(self, site: Site, args: tuple[Any, ...], kwargs: Mapping[str, Any], result: Any) -> None:
        """A forward pass that drew random numbers: dropout. In a training step its cost is noisy; in a
        call that trains nothing (a prediction) it is a bug, confirmed later by calling it twice."""
        it = self._runs.it
        if it is not None:
            it.random = True
        if self.keep_calls and it is not None:
            self._evidence.drew_random(site, args, kwargs, result, it)

    # ------------------------------------------------------------------ layers
    def _on_activation(self, site: Site, args: tuple[Any, ...], kwargs: Mapping[str, Any], result: Any) -> None:
        calls = self._calls
        if calls.nested_seen and calls.nested_forwards == 0 and calls.forward_state is not None \
                and calls.forward_state.get("cost_grad"):
            return  # inside a cost-and-gradient wrapper, outside the network's forward: a derivative's
        if calls.derivative_depth > 0 or (calls.forward_depth == 0 and self._forward_known()):
            return  # an activation evaluated by a backward pass or a derivative helper is not a layer
        if calls.activation_depth > 0:
            return  # tanh(z) called by hidden(z): the outer activation counts for the layer
        if calls.forward_depth == 0 and (self._runs.it is None or self._runs.advance):
            self._begin_step()  # activations called from a module-level loop, no forward function
            self._step.layer_counter = 0
        it = self._runs.it
        if it is None:
            return
        self._step.layer_counter += 1
        if not it.sampled:
            return  # layers and caches only matter where statistics are taken
        layer = self._step.layer_counter = self._layer_by_size(R.first(result), self._step.layer_counter)
        Z = first_array(args, kwargs)
        if Z is not None:
            self._step.z_layers[id(Z)] = layer
        A = R.first(result)
        if isinstance(A, np.ndarray):
            self._step.z_layers[id(A)] = layer  # helpers written in terms of the output get A (sigmoid_backward(dA, A))
        if not isinstance(A, np.ndarray) or A.dtype.kind not in "fc":
            return
        self._step.act_outputs[layer] = A  # until the forward ends: dropout masks are matched to it
        stats = activation_stats(site, layer, A, Z, self._runs.run)
        if self._writer is not None:
            stats.histogram = histogram(A)
        it.activations.append(stats)

    def _layer_by_size(self, A: Any, counted: int) -> int:
        """The layer an activation belongs to: the next weight matrix (from the counted position on)
        whose number of units matches A's. When a layer's activation is written inline
        (``np.tanh(Z1)``) the count alone would give the next helper call that layer's number."""
        run = self._runs.run
        if run is None or not run.weights or not isinstance(A, np.ndarray) or A.ndim != 2:
            return counted
        axis = units_axis(A, run)
        if axis is None:
            return counted
        units = A.shape[axis]
        sizes = [w.units for w in run.weights.values()]
        for position in range(counted, len(sizes) + 1):
            if sizes[position - 1] == units:
                return position
        return counted

    def _on_derivative(self, site: Site, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
        it = self._runs.it
        if it is None or not it.sampled:
            return
        layer = None
        for a in list(args) + list(kwargs.values()):
            for candidate in (a if isinstance(a, (tuple, list)) else (a,)):
                if isinstance(candidate, np.ndarray) and id(candidate) in self._step.z_layers:
                    layer = self._step.z_layers[id(candidate)]
        it.derivatives.append(DerivativeCall(site.name, site.derivative_of, layer))

    # -------------------------------------------------------------------- cost
    def _on_cost(self, site: Site, args: tuple[Any, ...], kwargs: Mapping[str, Any], result: Any) -> None:
        it = self._runs.it
        value = R.first(result)
        if not R.is_scalar(value):
            self._problem(site, R.COST, f"returned {describe(result)}; a cost function returns one number")
        if it is None or not R.is_scalar(value) or it.cost is not None:
            return
        it.cost = R.scalar_value(value)
        run = self._runs.run
        if run is not None and not run.cost_sees_parameters:
            inputs = list(args) + list(kwargs.values())
            params = self._runs.params
            run.cost_sees_parameters = any(R.is_parameter_dict(a) for a in inputs) or bool(
                params and any(a is v for a in inputs for v in params.values()))
        if run is not None and run.label_values is None:
            arrays = R.arrays_in(list(args) + list(kwargs.values()))
            run.label_values = label_summary(arrays)
            labels = [a for a in arrays if a is not R.first(args[:1] or (None,))]
            self._data.labels(run.index, labels)

    def _on_cost_gradient(self, site: Site, args: tuple[Any, ...], kwargs: Mapping[str, Any], result: Any) -> None:
        """``cost_function(theta, X, y) -> (J, grad)`` (scipy.optimize with jac=True): one call is a
        whole step, forward, cost and backward; the optimizer moves theta between calls."""
        if self._calls.forward_depth > 0:
            return
        self._begin_step()
        it, run = self._runs.it, self._runs.run
        if it is None or run is None:
            return
        self._runs.has_signal = True
        if R.is_scalar(result[0]):
            it.cost = R.scalar_value(result[0])
        position = R.cost_and_gradient(args, result)
        if position is not None:
            theta = fingerprint({"theta": args[position]})
            if self._seen.last_theta is not None and theta != self._seen.last_theta:
                run.updates_seen = True  # an optimizer moves theta between the calls
            self._seen.last_theta = theta
        if it.sampled and position is not None:
            it.grads = {"theta": ArrayStats.of(result[1])}
            it.params = {"theta": ArrayStats.of(args[position])}
        self._complete(it)
        self._runs.advance, self._runs.advance_reason = True, "backward"
        if self._recorder is not None and position is not None:
            name = site.arg_names[position] if position < len(site.arg_names) else "theta"
            self._recorder.single(run.index, run.label, site.func, args, kwargs, result,
                                  {name: np.array(args[position], copy=True)})

    # --------------------------------------------------------------- gradients
    def _on_backward(self, site: Site, args: tuple[Any, ...], kwargs: Mapping[str, Any], result: Any) -> None:
        self._seen.backward = True
        self._runs.has_signal = True
        self._seen.backward_calls += 1
        self._seen.last_gradients = result if isinstance(result, Mapping) else R.first(result)
        forward = self._calls.forward_state
        if self._calls.forward_depth > 0 and forward is not None and not forward.get("fused"):
            self._demote_forward()
        it = self._runs.it
        if it is None:
            return
        params = self._runs.params
        grads = R.gradient_entries(result if isinstance(result, Mapping) else R.first(result), params)
        if not grads and params:
            from nndoctor.parameters import match_gradients

            grads = match_gradients(params, result, plain_names=True)  # lists, tuples, any key convention
        if not grads and args:
            grads = R.gradients_of_object(args[0], params)  # a method that fills self.grads
        if not grads:
            self._problem(site, R.BACKWARD, f"returned {describe(result)}; a backward pass returns a dict with "
                          f"one gradient per parameter, keyed 'd' + the parameter's key (dW1, db1, ...)"
                          + (f" matching the parameters {', '.join(map(str, params))}" if params else ""))
        if it.sampled:
            it.grads = {k: ArrayStats.of(g) for k, g in grads.items()}
            if it.dropout:
                dropout.check_reapplied(it.dropout, result if isinstance(result, Mapping) else R.first(result))
        self._complete(it)
        self._runs.advance, self._runs.advance_reason = True, "backward"

    # ----------------------------------------------------------------- updates
    def _snapshot_params(self, args: tuple[Any, ...], kwargs: Mapping[str, Any],
                         names: list[str] | None = None) -> dict[str, Any] | None:
        """The parameters an update is about to change, with a copy of them (taken at its entry)."""
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

    def _on_update(self, site: Site, args: tuple[Any, ...], kwargs: Mapping[str, Any], result: Any,
                   before: Mapping[str, Any] | None) -> None:
        self._runs.has_signal = True
        if self._runs.run is not None:
            self._runs.run.updates_seen = True
        if self.keep_calls:
            self._evidence.follow_state(site, args, kwargs, result, self._runs.params, self._seen.last_gradients,
                                        self.trace, self._runs.it)
        run = self._current_run()
        it = self._runs.it
        if it is not None and not it.sampled and run.weights and run.learning_rate is not None:
            # an unsampled step: only what keeps the bookkeeping right (cheap: no scans of arrays)
            if not self._seen.backward:
                self._complete(it)
                self._runs.advance, self._runs.advance_reason = True, "update"
            out = R.first(result)
            if isinstance(out, Mapping) and self._runs.params is not None and len(out) == len(self._runs.params):
                self._runs.params = out
            return
        lr = R.learning_rate_in(args, kwargs, site.arg_names)
        if lr is not None:
            run.learning_rate = lr
        if before is not None and not run.weights:
            run.weights = weight_inits(before["copy"], run.example_axis)  # no forward saw them
        if it is not None and not self._seen.backward:
            # the loop computes the gradients inline (course two_layer_model): the update ends the step
            if it.sampled and not it.grads and before is not None:
                _inline_gradients(it, before, args, kwargs)
            self._complete(it)
            self._runs.advance, self._runs.advance_reason = True, "update"
        after = _params_after(result, before)
        if after is not None:
            self._runs.params = after
        if it is None or before is None or after is None or not it.sampled:
            return
        it.update = _update_stats(site, it, before, after, args, kwargs, lr)

    # ------------------------------------------------------------ inline loops
    def record_inline_step(self, *, loop: Any, before: Mapping[str, np.ndarray], after: Mapping[str, np.ndarray],
                           grads: Mapping[str, np.ndarray], cost: float | None,
                           activations: list[tuple[str, np.ndarray, np.ndarray | None]],
                           learning_rate: float | None, arrays: list[np.ndarray]) -> None:
        """One step of a training loop written inline (checkfile/inline.py): no function to wrap, the
        loop's own variables say what the step did."""
        run = self._inline_run(loop)
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
                self._data.keep(run.index, X)
            run.weights = weight_inits(before, run.example_axis)
        run.learning_rate = learning_rate
        it.cost = cost
        it.batch = run.examples
        if it.sampled:
            it.params = {k: ArrayStats.of(v) for k, v in before.items()}
            it.grads = {k: ArrayStats.of(g) for k, g in grads.items()}
            for layer, (kind, A, Z) in enumerate(activations, start=1):
                it.activations.append(activation_stats(InlineSite(kind), layer, A, Z, run))
            if activations and run.output_units is None:
                A = activations[-1][1]
                axis = units_axis(A, run)
                run.output_units = int(A.shape[axis]) if axis is not None else 1
            change, descent = inline_change(before, after, grads)
            it.update = UpdateStats(f"the loop at line {loop.line}", learning_rate, change,
                                    {k: float(np.linalg.norm(v)) for k, v in before.items()}, True, descent)
        self._complete(it)


def _inline_gradients(it: Iteration, before: Mapping[str, Any], args: tuple[Any, ...],
                      kwargs: Mapping[str, Any]) -> None:
    """The gradients an update got when no backward computed them (the loop does, inline)."""
    grads = next((R.gradient_entries(d, before["dict"]) for d in R.dicts_in(list(args) + list(kwargs.values()))
                  if d is not before["dict"] and R.gradient_entries(d, before["dict"])), {})
    it.grads = {k: ArrayStats.of(g) for k, g in grads.items()}
    it.params = it.params or {k: ArrayStats.of(v) for k, v in before["copy"].items()}
    it.param_fingerprint = it.param_fingerprint or tuple(
        float(np.sum(v, dtype=np.float64)) for v in before["copy"].values())


def _params_after(result: Any, before: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """The parameters an update left: what it returned, or the dict, object or arrays it changed."""
    out = R.first(result)
    after = out if R.is_parameter_dict(out) else (before["dict"] if before else None)
    if before is not None and before.get("owner") is not None:
        after = R.parameters_of_object(before["owner"])  # a method that reassigned self.W1 ...
    elif before is not None and before.get("separate") and isinstance(result, (tuple, list)) \
            and len(result) >= len(before["dict"]):
        after = dict(zip(before["dict"], result))  # W1, b1, ... = update_params(W1, b1, ..., dW1, ...)
    return after


def _update_stats(site: Site, it: Iteration, before: Mapping[str, Any], after: Mapping[str, Any],
                  args: tuple[Any, ...], kwargs: Mapping[str, Any], lr: float | None) -> UpdateStats:
    """How far an update moved each parameter, and how well against its gradient."""
    old = before["copy"]
    grads = next((R.gradient_entries(d, old) for d in R.dicts_in(list(args) + list(kwargs.values()))
                  if d is not before["dict"] and R.gradient_entries(d, old)), {})
    if not grads and before.get("separate"):
        grads = R.gradient_entries(dict(zip(site.arg_names or [], args)), old)
    if not grads and before.get("owner") is not None:
        grads = R.gradients_of_object(before["owner"], old)
    change, descent = update_change(old, after, grads, it.grads)
    norms = {k: (it.params[k].norm if k in it.params else float(np.linalg.norm(v.ravel())))
             for k, v in old.items()}
    return UpdateStats(site.name, lr, change, norms, in_place=after is before["dict"], descent=descent,
                       momentum=R.momentum_in(args, kwargs, site.arg_names or []))
