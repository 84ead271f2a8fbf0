"""Recognizing what a user function does from what it was called with and what it returned.

Learners name things many ways (`forward`, `L_model_forward`, `fprop`; `W1` or `w1`), so roles
come from data flow, not names:

- parameters: a dict of float arrays with at least one matrix, keys not of the ``d`` + key form;
- backward: returns a dict holding ``d`` + parameter key for at least one parameter, same shape;
- update: receives the parameters and such a gradient dict;
- forward: receives the parameters and the data ``X`` (an array sharing the first layer's
  fan-in), and returns an array (or ``(A, caches)``); if it returns a scalar first it is a
  forward that computes the cost as well (``forward_propagation_n``);
- cost: returns a scalar and receives arrays but not the data ``X``;
- init: returns fresh parameters from non-array arguments (layer sizes).
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from nndoctor.keys import (  # noqa: F401 - part of what roles offers its users (R.layer_of, R.is_bias_key)
    PARAM_NAME,
    gradient_entries,
    has_gradient_mark,
    is_bias_key,
    is_float_array,
    is_gradient_keyed,
    is_parameter_dict,
    layer_of,
    weight_keys,
)

FORWARD = "forward"
FORWARD_COST = "forward+cost"
COST_GRAD = "cost+gradient"  # cost_function(theta, ...) -> (J, grad): scipy.optimize's jac=True style
COST = "cost"
BACKWARD = "backward"
UPDATE = "update"
INIT = "init"
ACTIVATION = "activation"
DERIVATIVE = "derivative"
OTHER = "other"


_LR_NAMES = ("learning_rate", "lr", "alpha", "eta", "learningrate", "learning_rate_", "step_size")


def is_scalar(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, numbers.Real):
        return True
    return isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "fiu"


def scalar_value(value: Any) -> float:
    return float(np.asarray(value).reshape(-1)[0])


def first(result: Any) -> Any:
    """The main output of a call: ``A`` of ``(A, cache)``, the cost of ``(cost, cache)``."""
    if isinstance(result, tuple) and result:
        return result[0]
    return result


def find_data(arrays: list[np.ndarray], params: Mapping[str, np.ndarray]) -> tuple[np.ndarray, int] | None:
    """Among a call's array arguments, the data X and its example axis.

    X shares one dimension with the first weight matrix (the input size) and is not a parameter.
    """
    weights = [params[k] for k in weight_keys(params)]
    if not weights:
        return None
    w1 = weights[0]
    values = [id(v) for v in params.values()]
    best: tuple[np.ndarray, int] | None = None
    for a in arrays:
        if id(a) in values or a.dtype.kind not in "fiub":
            continue
        if a.ndim == 1 and a.size in w1.shape and a.size > 1:
            a = a[None, :] if a.size == w1.shape[0] and a.size != w1.shape[1] else a[:, None]  # one example
        if a.ndim != 2:
            continue
        # column-major: W1 (n1, n_x) @ X (n_x, m); row-major: X (m, n_x) @ W1 (n_x, n1)
        if a.shape[0] == w1.shape[1]:
            axis = 1
        elif a.shape[1] == w1.shape[0]:
            axis = 0
        elif a.shape[1] == w1.shape[1]:
            axis = 0
        else:
            continue
        if best is None or a.size > best[0].size:
            best = (a, axis)
    return best


def arrays_in(args: Iterable[Any]) -> list[np.ndarray]:
    return [a for a in args if isinstance(a, np.ndarray)]


def dicts_in(args: Iterable[Any]) -> list[Mapping[str, Any]]:
    return [a for a in args if isinstance(a, Mapping)]


_MOMENTUM_NAMES = ("beta", "momentum", "mu", "gamma", "beta1", "beta_1", "momentum_rate")


def momentum_in(args: tuple[Any, ...], kwargs: Mapping[str, Any], names: list[str]) -> float | None:
    """The momentum coefficient an update gets, by parameter name (``beta=0.9``), in (0, 1)."""
    for name, value in list(zip(names, args)) + list(kwargs.items()):
        if name.lower() in _MOMENTUM_NAMES and is_scalar(value) and 0 < scalar_value(value) < 1:
            return scalar_value(value)
    return None


def learning_rate_in(args: tuple[Any, ...], kwargs: Mapping[str, Any], names: list[str]) -> float | None:
    """The learning rate passed to an update: by parameter name, else the only positive float."""
    for name, value in list(zip(names, args)) + list(kwargs.items()):
        if name.lower() in _LR_NAMES and is_scalar(value):
            return scalar_value(value)
    floats = [a for a in list(args) + list(kwargs.values())
              if isinstance(a, (float, np.floating)) and 0 < float(a) < 100]
    return float(floats[0]) if len(floats) == 1 else None


def output_of(result: Any) -> Any:
    """The array a forward pass produces, wherever its result holds it: ``A``, ``(A, cache)``,
    ``(Z1, A1, Z2, A2)`` (the last), a cache dict (``cache["A2"]``, ``cache["out"]``), or a list of every layer's activations (the last)."""
    if isinstance(result, tuple) and result:
        if len(result) >= 3 and all(is_float_array(v) for v in result):
            return result[-1]  # Z1, A1, Z2, A2 = forward_prop(...): every layer's values, the output last
        return result[0]
    if isinstance(result, Mapping):
        for key in _OUTPUT_KEYS:
            if is_float_array(result.get(key)):
                return result[key]
        arrays = [v for v in result.values() if is_float_array(v)]
        return arrays[-1] if arrays else result
    if isinstance(result, list) and result and all(isinstance(v, np.ndarray) for v in result):
        return result[-1]
    return result


_OUTPUT_KEYS = ("out", "output", "outputs", "AL", "A_out", "a_out", "y_hat", "yhat", "probs", "probabilities",
                "prediction", "predictions", "scores", "logits")


def classify_call(args: tuple[Any, ...], kwargs: Mapping[str, Any], result: Any,
                  params: Mapping[str, np.ndarray] | None, moved: bool | None = None,
                  names: list[str] | None = None) -> str:
    """The role of one call, from its inputs and output (see the module docstring)."""
    inputs = list(args) + list(kwargs.values())
    param_dicts = [d for d in dicts_in(inputs) if is_parameter_dict(d)]
    on_self = parameters_of_object(args[0]) if args and not param_dicts else None
    if on_self:
        position = cost_and_gradient(args, result)
        if position is not None and position > 0 and np.ndim(args[position]) == 1 and \
                args[position].size == sum(v.size for v in on_self.values()):
            # trainer.costFunctionWrapper(params, X, y) -> (J, grad): every parameter of the network it
            # holds, unrolled into the vector scipy.optimize moves
            return COST_GRAD
        return _classify_method(args, kwargs, result, on_self, moved)
    known = params if params else (param_dicts[0] if param_dicts else None)

    if param_dicts and any(gradient_entries(d, param_dicts[0]) for d in dicts_in(inputs)
                           if d is not param_dicts[0]) and (moved or is_parameter_dict(first(result))):
        # receives the parameters and their gradients, and moves them or returns new ones (a learner's
        # gradient check receives both too, and changes nothing)
        return UPDATE
    if not param_dicts and separate_update(args, names, result):
        return UPDATE  # W1, b1, W2, b2 = update_params(W1, b1, W2, b2, dW1, db1, dW2, db2, alpha)
    if _unrolls(inputs, result):
        return OTHER  # vector_to_dictionary(theta): the parameters reshaped, not their gradients
    if returns_gradients(result, known, plain_names=bool(arrays_in(inputs) or dicts_in(inputs))):
        return BACKWARD
    if is_parameter_dict(first(result)) and not arrays_in(inputs) and not param_dicts:
        return INIT
    if cost_and_gradient(args, result) is not None:
        return COST_GRAD
    if param_dicts and find_data(arrays_in(inputs), param_dicts[0]) is not None:
        out = output_of(result)
        if _cost_output(result, out):
            return FORWARD_COST
        if isinstance(out, np.ndarray):
            return FORWARD
    if not param_dicts and names is not None:
        listed, _, kind = call_parameters(args, kwargs, names)
        if kind == "list" and listed is not None:
            if returns_gradients(result, listed, plain_names=True):
                return BACKWARD
            if find_data(arrays_in(inputs), listed) is not None:
                out = output_of(result)
                if _cost_output(result, out):
                    return FORWARD_COST
                if isinstance(out, np.ndarray):
                    return FORWARD
            return OTHER
    if not param_dicts and names is not None and array_parameters(args, names) is not None:
        out = output_of(result)
        if isinstance(out, np.ndarray) and out.dtype.kind == "f" and not _cost_output(result, out):
            return FORWARD
        if _cost_output(result, out):
            return FORWARD_COST
    if is_cost_value(first(result)) and any(a.dtype.kind == "f" for a in arrays_in(inputs)):
        return COST  # (an accuracy of integer predictions against labels is no cost)
    return OTHER


def _unrolls(inputs: list[Any], result: Any) -> bool:
    """One flat vector in, a dict (or list) of arrays of exactly its size out: a reshape."""
    flats = [a for a in arrays_in(inputs) if a.ndim == 1 or 1 in a.shape]
    if len(arrays_in(inputs)) != 1 or len(flats) != 1:
        return False
    values = list(result.values()) if isinstance(result, Mapping) else (list(result) if isinstance(result, (list, tuple)) else [])
    arrays = [v for v in values if isinstance(v, np.ndarray)]
    return bool(arrays) and sum(a.size for a in arrays) == flats[0].size


def _cost_output(result: Any, out: Any) -> bool:
    """A forward's result is a cost when it is a number (or (cost, cache)); a 1x1 array it holds under an
    output name (a per-example prediction, cache["out"]) is an output."""
    if isinstance(out, np.ndarray) and out.ndim > 0 and not (isinstance(result, tuple) and result and result[0] is out):
        return False
    return is_cost_value(out)


def is_cost_value(value: Any) -> bool:
    """A cost is a real number computed in floating point (a count of correct predictions is not)."""
    if isinstance(value, (bool, int, np.integer)):
        return False
    return is_scalar(value) and not (isinstance(value, np.ndarray) and value.dtype.kind != "f")


def returns_gradients(result: Any, params: Mapping[str, np.ndarray] | None, plain_names: bool = True) -> bool:
    """A backward's result: gradients for every weight matrix (course keys, any key convention,
    lists or tuples aligned with the parameters). ``plain_names``: a dict keyed like the parameters
    themselves ({"w1": dw1}) counts too (not for a call that received no arrays: that is an init)."""
    if not params:
        return bool(gradient_entries(result if isinstance(result, Mapping) else first(result), None))
    if gradient_entries(result if isinstance(result, Mapping) else first(result), params):
        return True
    if result is None or isinstance(result, np.ndarray) or is_scalar(result):
        return False
    from nndoctor.parameters import match_gradients

    weights = weight_keys(params)
    found = match_gradients(params, result, plain_names=plain_names)
    return bool(weights) and all(k in found for k in weights) and len(found) >= min(2, len(params))


def cost_and_gradient(args: tuple[Any, ...], result: Any) -> int | None:
    """``cost_function(theta, X, y, lambda_) -> (J, grad)``: the position of the argument the
    gradient is shaped like (the parameter vector), or None."""
    if not isinstance(result, tuple) or len(result) != 2 or not is_scalar(result[0]):
        return None
    grad = result[1]
    if not is_float_array(grad):
        return None
    for i, a in enumerate(args):
        if is_float_array(a) and a.shape == grad.shape and a is not grad:
            return i
    return None


def arrays_on(obj: Any, params: Mapping[str, np.ndarray]) -> list[np.ndarray]:
    """The arrays an object keeps besides its parameters (``self.X``, ``self.Y``, caches)."""
    values = {id(v) for v in params.values()}
    attrs = getattr(obj, "__dict__", {})
    return [v for v in attrs.values() if isinstance(v, np.ndarray) and id(v) not in values]


def _classify_method(args: tuple[Any, ...], kwargs: Mapping[str, Any], result: Any,
                     params: Mapping[str, np.ndarray], moved: bool | None = None) -> str:
    """Roles of a class-based network's methods, whose parameters live on ``self`` (or its layers).
    ``moved`` says whether the call changed the parameters (known for methods of few arguments)."""
    rest = list(args[1:]) + list(kwargs.values())
    out = output_of(result)
    if result is not None and returns_gradients(result, params, plain_names=bool(rest)):
        return BACKWARD
    if result is None:
        if moved or (moved is None and any(is_scalar(a) and not isinstance(a, np.ndarray) for a in rest)
                     and not arrays_in(rest)):
            return UPDATE  # step(self[, learning_rate]): changes self's arrays
        if gradients_of_object(args[0], params):
            return BACKWARD  # backward(self[, X, Y]) that fills self.grads, layer.dweights
        return OTHER
    data = arrays_in(rest) or arrays_on(args[0], params)  # forward(self) reading self.X
    if find_data(data, params) is not None:
        if _cost_output(result, out):
            return FORWARD_COST if arrays_in(rest) else COST
        if isinstance(out, np.ndarray):
            return FORWARD
    if is_cost_value(first(result)) and data:
        return COST
    return OTHER


_DATA_ARGUMENTS = ("x", "x_batch", "xb", "inputs", "input", "data", "images", "a0", "a_0", "features", "x_train",
                   "train_x", "batch_x", "x_in")


def update_arrays(args: tuple[Any, ...], names: list[str] | None) -> dict[str, np.ndarray] | None:
    """``update_params(W1, b1, W2, b2, dW1, db1, dW2, db2, alpha)``: the parameters an update gets as
    separate arrays ({name: array}, in order), when their gradients (``d`` + name) are passed too."""
    if not names:
        return None

    named = {n: a for n, a in zip(names, args) if is_float_array(a)}
    params = {n: a for n, a in named.items() if PARAM_NAME.match(n) and not has_gradient_mark(n)}
    if len(params) < 2 or not gradient_entries(named, params):
        return None
    return params


def separate_update(args: tuple[Any, ...], names: list[str] | None, result: Any) -> bool:
    """An update of separate arrays that returns the new ones first, in the order it got them."""
    params = update_arrays(args, names)
    if params is None or not isinstance(result, (tuple, list)) or len(result) < len(params):
        return False  # (more entries after them: the optimizer's new state, velocities or moments)
    return all(is_float_array(r) and r.shape == p.shape for r, p in zip(result, params.values()))


def array_parameters(args: tuple[Any, ...], names: list[str]) -> tuple[dict[str, np.ndarray], int] | None:
    """Parameters passed as separate arrays, ``forward(x, W1, b1, W2, b2)``: ({name: array}, the
    position of the data x), when one argument is data for the weight matrices among the others."""
    arrays = [(i, a) for i, a in enumerate(args) if is_float_array(a) or (isinstance(a, np.ndarray) and a.dtype.kind in "iu")]
    floats = [(i, a) for i, a in arrays if is_float_array(a)]
    if len(floats) < 2:
        return None
    # the data come first (forward(x, W1, b1, ...), predict(X, W, b)) or last (forward_prop(W1, b1,
    # W2, b2, X)); an argument named like data says so whatever its place
    named = [(i, a) for i, a in arrays if i < len(names) and names[i].lower() in _DATA_ARGUMENTS]
    for position, X in named or [arrays[0], arrays[-1]]:
        rest = {(names[i] if i < len(names) else f"arg{i}"): a for i, a in floats if i != position}
        if sum(a.ndim == 2 and not is_bias_key(k, a) for k, a in rest.items()) < 2:
            continue  # one layer's (A_prev, W, b): a piece of the forward, not the network's
        if find_data([X], rest) is not None:
            return rest, position
    return None


def call_parameters(args: tuple[Any, ...], kwargs: Mapping[str, Any],
                    names: list[str] | None = None) -> tuple[Mapping[str, np.ndarray] | None, Any, str | None]:
    """(the parameters a call gets, the network object holding them, how: "dict" | "object" | "arrays")."""
    params = next((d for d in dicts_in(list(args) + list(kwargs.values())) if is_parameter_dict(d)), None)
    if params is not None:
        return params, None, "dict"
    if args:
        on_self = parameters_of_object(args[0])
        if on_self:
            return on_self, args[0], "object"
    named = list(zip(names or [], args)) + list(kwargs.items())
    for name, value in named:
        listed = list_parameters(value, name)
        if listed:
            return listed, value, "list"
    if names is not None:
        found = array_parameters(args, names)
        if found is not None:
            return found[0], None, "arrays"
    return None, None, None


def list_parameters(value: Any, name: str) -> dict[str, np.ndarray] | None:
    """A list holding the network's layers: dicts of arrays (``layers[i]["W"]``), layer objects, or
    weight arrays under a parameter-like name (``weights[i]``). Named ``layers[0].W``."""
    if not isinstance(value, (list, tuple)) or not value:
        return None
    found: dict[str, np.ndarray] = {}
    if all(isinstance(v, Mapping) for v in value):
        for i, layer in enumerate(value):
            arrays = {k: a for k, a in layer.items() if is_float_array(a)}
            if not arrays:
                return None
            found.update({f"{name}[{i}].{k}": a for k, a in arrays.items()})
    elif all(is_float_array(v) for v in value):

        if not PARAM_NAME.match(name):
            return None  # a list of activations or gradients
        found = {f"{name}[{i}]": v for i, v in enumerate(value)}
    else:
        for i, layer in enumerate(value):
            own = parameters_of_object(layer)
            if own:
                found.update({f"{name}[{i}].{k}": a for k, a in own.items()})
    return found if any(v.ndim == 2 for v in found.values()) else None


def predict_role(args: tuple[Any, ...], kwargs: Mapping[str, Any],
                 params: Mapping[str, np.ndarray] | None, names: list[str] | None = None) -> str | None:
    """A first guess before a not-yet-recognized function runs, from its inputs only: lets the
    very first forward open an iteration and the first update be measured."""
    inputs = list(args) + list(kwargs.values())
    param_dicts = [d for d in dicts_in(inputs) if is_parameter_dict(d)]
    if not param_dicts and names is not None and not (args and parameters_of_object(args[0])):
        params, _, kind = call_parameters(args, kwargs, names)
        if kind == "list" and params is not None:
            rest = [a for a in inputs if isinstance(a, np.ndarray)]
            return FORWARD if find_data(rest, params) is not None else None
        if array_parameters(args, names) is not None:
            return FORWARD
    if not param_dicts and args:
        on_self = parameters_of_object(args[0])
        if on_self:
            rest = list(args[1:]) + list(kwargs.values())
            if not arrays_in(rest) and any(is_scalar(a) for a in rest):
                return UPDATE
            return FORWARD if find_data(arrays_in(rest), on_self) is not None else None
    if not param_dicts:
        return None
    if any(gradient_entries(d, param_dicts[0]) for d in dicts_in(inputs) if d is not param_dicts[0]):
        return UPDATE
    if find_data(arrays_in(inputs), param_dicts[0]) is not None:
        return FORWARD
    return None


def parameters_of_object(obj: Any) -> dict[str, np.ndarray] | None:
    """The parameters a class-based network keeps on itself (see parameters.py)."""
    from nndoctor.parameters import parameters_of_object as found

    return found(obj)


def gradients_of_object(obj: Any, params: Mapping[str, np.ndarray] | None, result: Any = None) -> dict[str, np.ndarray]:
    """Gradients a class-based backward returns or stores on itself and its layers: ``self.grads =
    {"dW1": ...}``, ``self.dW1``, ``layer.dweights``, lists aligned with the weights."""
    if not params:
        return {}
    from nndoctor.parameters import holders_of, match_gradients

    return match_gradients(params, result, holders_of(obj))
