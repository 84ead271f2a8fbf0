"""The gradient check of a file: replaying the training step the program made.

The hooks taped the step's calls (recorded.py): the forward (with the data, the parameters and any
extra argument such as ``keep_prob``), the cost, the backward, and whatever else the step called at
its level, in order. Every argument is traced back to where it came from, by identity: the
parameters, a part of what an earlier call returned (``AL``, ``caches``, ``cache["A2"]``,
``activations[-1]``), or a value that stays the same (``Y``, ``lambd``, the network object).
Replaying the calls before the update, with the parameters set to other values, gives
``cost_fn(params)`` and ``grad_fn(params)`` for `check_gradients`: the check tests exactly what the
learner trains, with the same extra arguments and, through the checker's random-state replay, the
same dropout masks.

Parameters in a dict passed to the forward are checked in the pure style (the replay passes other
dicts). Parameters kept on the network object, in its lists or on its layer objects are checked in
place (stateful): the check perturbs the learner's own arrays and puts them back bitwise.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nndoctor import roles as R
from nndoctor.parameters import holders_of, match_gradients
from nndoctor.recorded import Call, RecordedStep, TapeEntry, find_path, follow

OWNER_LR_NAMES = ("lr", "learning_rate", "alpha", "eta", "learningrate", "step_size")


class NotReplayable(Exception):
    """The recorded step cannot be replayed; the message says what is missing."""


@dataclass
class Replay:
    cost_fn: Callable[..., Any]
    grad_fn: Callable[..., Any]
    params: Any
    style: str  # "pure" or "stateful"
    describe: str  # e.g. "L_model_forward -> compute_cost / L_model_backward"
    n_examples: int | None
    n_classes: int | None
    owner: Any = None  # the object a stateful network keeps its parameters on
    owner_state: dict[str, Any] | None = None  # its attributes at the recorded step
    backward: Any = None  # the learner's function the gradients come from (findings point at it)
    implied: bool = False  # the gradients are what a fused backward-and-update applied, over -lr
    # an unrolled vector: the block's gradient read back in the other memory order (C <-> Fortran)
    reordered: Callable[[str], Callable[[], dict[str, np.ndarray]]] | None = None
    # the program computes no cost: (loss, cost_fn) for each loss its output layer may be trained with
    implied_costs: list[tuple[str, Callable[..., Any]]] = field(default_factory=list)


Source = tuple[str, Any]


def build_replay(step: RecordedStep) -> Replay:
    """The replay of ``step``: its calls before the update, run again with other parameters, as the
    cost and gradient functions `check_gradients` takes."""
    if not step.tape:
        raise NotReplayable("the program ran no complete training step")
    opening = step.tape[0]
    if opening.role == R.COST_GRAD:
        blocked = _unrolled_replay(step, opening)
        if blocked is not None:
            return blocked
    root, owner, params, style = _parameters(step, opening)
    vector_name = next(iter(params)) if opening.role == R.COST_GRAD else None
    prefix = _before_update(step.tape)
    run = _runner(prefix, _traced_sources(prefix, root, owner, vector_name))
    holders = holders_of(owner) if owner is not None else {}
    cost_at = _cost_position(prefix)
    grad_at, implied_from = _gradient_position(step, prefix, params, holders)
    if implied_from is not None:
        return _fused_update_replay(step, params, style, owner, implied_from)
    cost_at, extra_cost, implied_costs = _replayed_cost(step, prefix, root, owner, params, run, cost_at, grad_at)
    cost_value = _cost_function(run, cost_at, extra_cost, implied_costs)
    gradients = _gradient_function(run, prefix, grad_at, implied_from, opening, vector_name, style, params,
                                   holders)
    backward = prefix[grad_at].call.func if grad_at is not None else prefix[-1].call.func
    cost_name = _cost_source(prefix, cost_at, extra_cost)
    describe = _description(prefix, cost_at, grad_at, extra_cost, cost_name)
    _named_after_the_learner(cost_value, gradients, opening, cost_name, backward)
    examples, classes = _sizes(opening, params)
    if style == "stateful":
        return _stateful_replay(cost_value, gradients, params, describe, examples, classes, owner, step, backward,
                                implied_costs)
    return Replay(cost_value, gradients, params, "pure", describe, examples, classes, None, None, backward,
                  False, implied_costs=[(k, functools.wraps(cost_value)(f)) for k, f in implied_costs])


def _traced_sources(prefix: list[TapeEntry], root: Any, owner: Any, vector_name: str | None
                    ) -> list[tuple[list[Source], dict[str, Source]]]:
    """Where every argument of every call of ``prefix`` comes from."""
    # parameters passed as separate arrays (forward(x, W1, b1, ...)): each is replaced by name
    separate = {id(a): name for name, a in root.items()} if isinstance(root, _Separate) else {}
    return [_sources(e.call, i, prefix, root, owner, vector_name, separate) for i, e in enumerate(prefix)]


def _runner(prefix: list[TapeEntry], sources: list[tuple[list[Source], dict[str, Source]]]
            ) -> Callable[[Any, int], list[Any]]:
    """``run(p, upto)``: the results of the calls of ``prefix`` up to ``upto``, replayed at the
    parameters ``p``."""

    def run(p: Any, upto: int) -> list[Any]:
        results: list[Any] = []
        for i, entry in enumerate(prefix[: upto + 1]):
            args, kwargs = _fill(sources[i], p, results)
            results.append(entry.call.func(*args, **kwargs))
        return results

    return run


def _fused_update_replay(step: RecordedStep, params: Any, style: str, owner: Any, implied_from: int) -> Replay:
    """No gradient anywhere but in the update a fused backward applied: implied.py reads it."""
    return Replay(None, None, params, style, _name(step.tape[implied_from].call.func),  # type: ignore[arg-type]
                  None, None, owner, step.owner_state, step.tape[implied_from].call.func, True)


def _replayed_cost(step: RecordedStep, prefix: list[TapeEntry], root: Any, owner: Any, params: Any,
                   run: Callable[[Any, int], list[Any]], cost_at: int | None, grad_at: int | None,
                   ) -> tuple[int | None, tuple[Callable[..., Any], Any] | None, list[tuple[str, Callable[[Any], Any]]]]:
    """Where the replay's cost comes from: (the call of ``prefix`` that computes it; or a cost the
    program computes on other data, adapted to the step's; or the losses the output layer implies)."""
    extra_cost = None
    if cost_at is not None and grad_at is not None and not _same_data(prefix[cost_at], prefix[grad_at], params):
        # a cost of all the data (once per epoch) before a backward on a mini-batch: evaluate that
        # cost on the backward's batch instead
        extra_cost = _adapted(prefix[cost_at].call, prefix, root, owner, data_from=prefix[grad_at])
        cost_at = None
        if extra_cost is None:
            raise NotReplayable("the cost is computed on other data than the gradients")
    implied_costs: list[tuple[str, Callable[[Any], Any]]] = []
    if cost_at is None and extra_cost is None:
        extra_cost = _adapted_cost(step, prefix, root, owner)
        if extra_cost is None and grad_at is not None:
            implied_costs = _implied_costs(step, prefix, owner, params, run, grad_at)
        if extra_cost is None and not implied_costs:
            raise NotReplayable("the program computes no cost nndoctor could evaluate on the step it made")
    return cost_at, extra_cost, implied_costs


def _implied_costs(step: RecordedStep, prefix: list[TapeEntry], owner: Any, params: Any,
                   run: Callable[[Any, int], list[Any]], grad_at: int) -> list[tuple[str, Callable[[Any], Any]]]:
    """No cost anywhere (the loop prints the accuracy): the losses its output layer implies."""
    from nndoctor.checkfile.losses import loss_candidates

    forward = prefix[0]
    if grad_at == 0 and owner is not None and step.owner_forward is not None:
        # backprop(self, x, y) computes its own forward: the network's forward method (the one
        # the program calls to evaluate) gives the output on the same example
        forward = _owner_forward(step.owner_forward, owner, prefix[0], params)

    def output(p: Any) -> np.ndarray:
        if forward is not prefix[0]:
            return np.asarray(R.output_of(forward.call.func(*forward.call.args)), dtype=np.float64)
        return np.asarray(R.output_of(run(p, 0)[0]), dtype=np.float64)

    if forward is None:
        return []
    return [(kind, (lambda p, loss=loss: loss(output(p))))
            for kind, loss in loss_candidates(forward, prefix[grad_at], params)]


def _cost_function(run: Callable[[Any, int], list[Any]], cost_at: int | None,
                   extra_cost: tuple[Callable[..., Any], Any] | None,
                   implied_costs: list[tuple[str, Callable[[Any], Any]]]) -> Callable[[Any], Any]:
    """The replay's cost at the parameters ``p``: the first implied loss, the adapted cost, or the
    step's own cost call."""

    def cost_value(p: Any) -> Any:
        if implied_costs:
            return implied_costs[0][1](p)
        if extra_cost is not None:
            func, srcs = extra_cost
            results = run(p, 0)
            args, kwargs = _fill(srcs, p, results)
            return R.first(func(*args, **kwargs))
        results = run(p, cost_at)  # type: ignore[arg-type]
        return R.first(results[cost_at])  # type: ignore[index]

    return cost_value


def _gradient_function(run: Callable[[Any, int], list[Any]], prefix: list[TapeEntry], grad_at: int | None,
                       implied_from: int | None, opening: TapeEntry, vector_name: str | None, style: str,
                       params: Any, holders: Mapping[str, Any]) -> Callable[[Any], Any]:
    """The replay's gradients at the parameters ``p``: the learner's dict when it has the course's
    keys, else the result paired with the parameters. (``implied_from`` is None here, a fused update
    having its own replay; the closure still holds it, as every replay closure holds what it held
    inside build_replay: gradcheck.reach walks their cells.)"""

    def gradients(p: Any) -> Any:
        if implied_from is not None:
            raise NotReplayable("the backward updates the parameters itself")
        results = run(p, grad_at if grad_at is not None else len(prefix) - 1)
        result = results[grad_at] if grad_at is not None else None
        if opening.role == R.COST_GRAD:
            return {vector_name: result[1]}
        if isinstance(result, Mapping) and R.gradient_entries(result, None):
            return result  # course keys: the checker pairs them itself, wrong shapes included
        if isinstance(result, tuple) and result and isinstance(result[0], Mapping) and R.gradient_entries(result[0], None):
            return result[0]
        return match_gradients(p if style == "pure" else params, result, holders, plain_names=True)

    return gradients


def _cost_source(prefix: list[TapeEntry], cost_at: int | None, extra_cost: tuple[Callable[..., Any], Any] | None
                 ) -> Callable[..., Any]:
    """The learner's function the replayed cost comes from."""
    return (extra_cost[0] if extra_cost else prefix[cost_at].call.func if cost_at is not None  # type: ignore[index]
            else prefix[0].call.func)


def _description(prefix: list[TapeEntry], cost_at: int | None, grad_at: int | None,
                 extra_cost: tuple[Callable[..., Any], Any] | None, cost_name: Callable[..., Any]) -> str:
    """The calls replayed, e.g. "L_model_forward -> compute_cost -> L_model_backward"."""
    describe = " -> ".join(dict.fromkeys(_name(e.call.func) for e in prefix[: max(cost_at or 0, grad_at or 0) + 1]))
    if extra_cost is not None:
        describe += f" (cost: {_name(cost_name)})"
    return describe


def _named_after_the_learner(cost_value: Callable[..., Any], gradients: Callable[..., Any], opening: TapeEntry,
                             cost_name: Callable[..., Any], backward: Callable[..., Any]) -> None:
    """The replay's functions take the names of the learner's, and wrap them: findings point at the
    learner's backward."""
    cost_value.__qualname__ = cost_value.__name__ = f"{_name(opening.call.func)} -> {_name(cost_name)}"
    gradients.__qualname__ = gradients.__name__ = _name(backward)
    gradients.__wrapped__ = backward  # type: ignore[attr-defined]
    cost_value.__wrapped__ = opening.call.func  # type: ignore[attr-defined]


def _stateful_replay(cost_value: Callable[[Any], Any], gradients: Callable[[Any], Any], params: Any, describe: str,
                     examples: int | None, classes: int | None, owner: Any, step: RecordedStep, backward: Any,
                     implied_costs: list[tuple[str, Callable[[Any], Any]]]) -> Replay:
    """Parameters kept on the network: the check perturbs them in place and calls the replay with none."""
    stateful_cost = functools.wraps(cost_value)(lambda: cost_value(None))
    stateful_gradients = functools.wraps(gradients)(lambda: gradients(None))
    return Replay(stateful_cost, stateful_gradients, params, "stateful", describe, examples,
                  classes, owner, step.owner_state, backward, False,
                  implied_costs=[(k, functools.wraps(cost_value)(lambda f=f: f(None))) for k, f in implied_costs])


def _owner_forward(method_name: str, owner: Any, fused: TapeEntry, params: Mapping[str, np.ndarray]) -> TapeEntry | None:
    """A tape entry calling the network's forward method on the data the fused backward got."""
    method = getattr(owner, method_name, None)
    data = R.find_data(R.arrays_in(list(fused.call.args[1:]) + list(fused.call.kwargs.values())), params)
    if not callable(method) or data is None:
        return None
    try:
        result = method(data[0])
    except Exception:  # noqa: BLE001 - no output, no implied loss
        return None
    return TapeEntry(R.FORWARD, Call(method, (data[0],), {}, result))


def _parameters(step: RecordedStep, opening: TapeEntry) -> tuple[Any, Any, Any, str]:
    """(the object passed in place of the parameters, the network object, the parameters to check
    at, the style)."""
    call = opening.call
    root = next((d for d in R.dicts_in(call.inputs) if R.is_parameter_dict(d)), None)
    if root is not None:
        at = step.params_at if isinstance(step.params_at, Mapping) and set(step.params_at) == set(root) else root
        return root, None, dict(at), "pure"
    names = _argument_names(call.func)
    listed, container, kind = R.call_parameters(call.args, call.kwargs, names)
    if kind == "list" and listed:
        return None, None, listed, "stateful"  # layers[i]["W"]: checked in place, the list stays the learner's
    separate = R.array_parameters(call.args, names) if names else None
    if separate is not None and opening.role != R.COST_GRAD:
        arrays = _Separate(separate[0])
        at = step.params_at if isinstance(step.params_at, Mapping) and set(step.params_at) == set(arrays) else arrays
        return arrays, None, {k: np.array(v, copy=True) for k, v in at.items()}, "pure"
    if opening.role == R.COST_GRAD:
        position = R.cost_and_gradient(call.args, call.result)
        if position is None:
            raise NotReplayable("the cost-and-gradient function's parameter vector is not among its arguments")
        vector = call.args[position]
        name = _argument_name(call.func, position) or "theta"
        at = (step.params_at or {}).get(name, vector)
        return vector, None, {name: np.array(at, copy=True)}, "pure"
    owner = call.args[0] if call.args else None
    on_self = R.parameters_of_object(owner) if owner is not None else None
    if not on_self:
        raise NotReplayable("the forward pass received no parameters and keeps no weights on itself")
    return None, owner, on_self, "stateful"


class _Separate(dict):
    """Parameters a forward takes as separate arrays: name -> the learner's array."""


def _argument_names(func: Callable[..., Any]) -> list[str]:
    try:
        return list(inspect.signature(func).parameters)
    except (TypeError, ValueError):
        return []


def _argument_name(func: Callable[..., Any], position: int) -> str | None:
    names = _argument_names(func)
    return names[position] if position < len(names) else None


def _before_update(tape: list[TapeEntry]) -> list[TapeEntry]:
    """The calls of the step before the first one that moved the parameters (the update)."""
    for i, entry in enumerate(tape):
        if entry.moved or entry.role == R.UPDATE:
            return tape[:i] if i else tape[:1]
    return tape


def _sources(call: Call, index: int, prefix: list[TapeEntry], root: Any, owner: Any,
             vector_name: str | None = None, separate: Mapping[int, str] | None = None,
             ) -> tuple[list[Source], dict[str, Source]]:
    def source(value: Any) -> Source:
        if root is not None and value is root:
            return ("params", vector_name)
        if separate and id(value) in separate:
            return ("params", separate[id(value)])
        if value is None or isinstance(value, (bool, int, float, str)) or value is owner:
            return ("const", value)
        for j in range(index - 1, -1, -1):  # the latest call that produced it
            path = find_path(value, prefix[j].call.result)
            if path is not None:
                return ("result", (j, path))
        return ("const", value)

    return [source(a) for a in call.args], {k: source(v) for k, v in call.kwargs.items()}


def _fill(sources: tuple[list[Source], dict[str, Source]], p: Any, results: list[Any]) -> tuple[list[Any], dict[str, Any]]:
    def value(src: Source) -> Any:
        kind, ref = src
        if kind == "params":
            return p[ref] if ref is not None else p
        if kind == "result":
            j, path = ref
            return follow(results[j], path)
        return ref

    return [value(s) for s in sources[0]], {k: value(s) for k, s in sources[1].items()}


def _cost_position(prefix: list[TapeEntry]) -> int | None:
    for i in range(len(prefix) - 1, -1, -1):
        entry = prefix[i]
        if entry.role == R.COST and R.is_scalar(R.first(entry.call.result)):
            return i
    for i, entry in enumerate(prefix):
        if entry.role in (R.FORWARD_COST, R.COST_GRAD) and R.is_scalar(R.first(entry.call.result)):
            return i
    return None


def _gradient_position(step: RecordedStep, prefix: list[TapeEntry], params: Mapping[str, np.ndarray],
                       holders: Mapping[str, Any]) -> tuple[int | None, int | None]:
    """(the call whose result holds the gradients, or None when they are read off the layers after
    the last call; the index of a fused backward-and-update in the tape, when that is all there is)."""
    weights = R.weight_keys(params)
    for i in range(len(prefix) - 1, -1, -1):
        entry = prefix[i]
        if entry.role == R.COST_GRAD:
            return i, None
        if entry.role in (R.FORWARD, R.FORWARD_COST, R.COST, R.ACTIVATION) and i == 0:
            continue
        found = match_gradients(params, entry.call.result, holders if entry.role == R.BACKWARD else None,
                                plain_names=entry.role == R.BACKWARD)
        if weights and all(k in found for k in weights) or (entry.role == R.BACKWARD and found):
            return i, None
    if holders:
        stored = match_gradients(params, None, holders)
        if weights and all(k in stored for k in weights):
            return None, None  # a backward that stores them on the network and its layers
    output = R.output_of(prefix[0].call.result)
    moved = next((i for i, e in enumerate(step.tape) if e.moved and e.step and (
        e.role != R.UPDATE or any(isinstance(a, np.ndarray) and a.shape == np.shape(output) and a is not output
                                  for a in e.call.inputs))), None)
    if moved is not None:  # backprop(X, Y) that updates the weights itself: it gets the labels
        return None, moved
    raise NotReplayable("the program ran no backward pass returning gradients")


def _data_arrays(entry: TapeEntry, params: Mapping[str, np.ndarray]) -> set[int]:
    own = {id(v) for v in params.values()}
    return {id(a) for a in entry.call.inputs if isinstance(a, np.ndarray) and id(a) not in own}


def _same_data(cost: TapeEntry, grad: TapeEntry, params: Mapping[str, np.ndarray]) -> bool:
    """A cost that computes its own forward pass (``net.loss(X, Y)``) on the data the backward got."""
    if cost.role != R.FORWARD_COST or cost is grad:
        return True
    mine, theirs = _data_arrays(cost, params), _data_arrays(grad, params)
    return not theirs or bool(mine & theirs)


def _adapted_cost(step: RecordedStep, prefix: list[TapeEntry], root: Any, owner: Any) -> tuple[Callable[..., Any], Any] | None:
    """A cost the program computes outside the step (per epoch, on all the data), evaluated on the
    step's own batch."""
    if step.cost_elsewhere is None:
        return None
    return _adapted(step.cost_elsewhere, prefix, root, owner)


def _adapted(call: Call, prefix: list[TapeEntry], root: Any, owner: Any,
             data_from: TapeEntry | None = None) -> tuple[Callable[..., Any], Any] | None:
    """``call`` with its arrays replaced by the step's arrays of the same kind (the forward's output,
    the data, the labels), matched by shape except along the examples."""
    opening = prefix[0].call
    output = R.output_of(opening.result)
    output_path = find_path(output, opening.result) if isinstance(output, np.ndarray) else None
    entries = [data_from] if data_from is not None else prefix
    data = [a for e in entries for a in e.call.inputs
            if isinstance(a, np.ndarray) and a is not output and (root is None or a is not root)]

    def like(a: np.ndarray, b: np.ndarray) -> bool:
        if a.ndim != b.ndim or a.dtype.kind != b.dtype.kind and {a.dtype.kind, b.dtype.kind} - set("iufb"):
            return False
        return sum(x != y for x, y in zip(a.shape, b.shape)) <= 1

    def source(position: int | str, value: Any) -> Source | None:
        if value is owner or not isinstance(value, np.ndarray):
            return ("params", None) if root is not None and value is root else ("const", value)
        if isinstance(position, int) and position in call.outputs:
            if output_path is None or not like(value, output):
                return None
            return ("result", (0, output_path))
        matches = [a for a in data if like(value, a)]
        unique = list({id(a): a for a in matches}.values())
        if not unique:
            return None
        # the same shape first (t_batch for t, not x_batch that differs in one dimension too), then
        # the same kind of values (labels in integers stay labels)
        unique.sort(key=lambda a: (a.shape != value.shape, a.dtype.kind != value.dtype.kind))
        return ("const", unique[0])

    args = [source(i, a) for i, a in enumerate(call.args)]
    kwargs = {k: source(k, v) for k, v in call.kwargs.items()}
    if any(s is None for s in args) or any(s is None for s in kwargs.values()):
        return None
    return call.func, (args, kwargs)


def _name(func: Any) -> str:
    return getattr(func, "__qualname__", getattr(func, "__name__", "?"))


def _sizes(opening: TapeEntry, params: Mapping[str, np.ndarray]) -> tuple[int | None, int | None]:
    call = opening.call
    arrays = R.arrays_in(call.inputs) or (R.arrays_on(call.args[0], params) if call.args else [])
    data = R.find_data(arrays, params)
    if data is None:
        return None, None
    X, axis = data
    m = int(X.shape[axis])
    out = R.output_of(call.result)
    classes = None
    if isinstance(out, np.ndarray) and out.ndim == 2 and m in out.shape:
        classes = int(out.shape[1 - axis]) if out.shape[axis] == m else None
    return m, classes


def _unrolled_replay(step: RecordedStep, opening: TapeEntry) -> Replay | None:
    """``cost_function(theta, ...) -> (J, grad)`` where theta is every weight matrix unrolled: checked
    block by block (``Theta1``, ``Theta2``), the blocks being the views of theta the function itself
    reshapes (found by watching its local variables once)."""
    call = opening.call
    position = R.cost_and_gradient(call.args, call.result)
    if position is None:
        return None
    name = _argument_name(call.func, position) or "theta"
    start = np.array((step.params_at or {}).get(name, call.args[position]), dtype=np.float64, copy=True)
    work = start.copy()
    args = list(call.args)
    args[position] = work
    blocks = _views_of(call.func, args, dict(call.kwargs), work)
    if len(blocks) < 2:
        return None
    params = {label: view for label, view, _, _, _ in blocks}

    def evaluate() -> Any:
        return call.func(*args, **call.kwargs)

    def cost_value() -> Any:
        return R.first(evaluate())

    def gradients() -> dict[str, np.ndarray]:
        grad = np.asarray(evaluate()[1]).ravel()
        return {label: grad[offset:offset + view.size].reshape(view.shape, order=order)
                for label, view, offset, order, _ in blocks}

    def reordered(block: str) -> Callable[[], dict[str, np.ndarray]]:
        label, view, offset, order, _ = next(b for b in blocks if b[0] == block)
        other = "F" if order == "C" else "C"

        def one_block() -> dict[str, np.ndarray]:
            grad = np.asarray(evaluate()[1]).ravel()
            return {label: grad[offset:offset + view.size].reshape(view.shape, order=other)}
        return one_block

    label = _name(call.func)
    cost_value.__qualname__ = cost_value.__name__ = label
    gradients.__qualname__ = gradients.__name__ = label
    gradients.__wrapped__ = call.func  # type: ignore[attr-defined]
    cost_value.__wrapped__ = call.func  # type: ignore[attr-defined]
    return Replay(cost_value, gradients, params, "stateful", f"{label} (the unrolled {name}, block by block)",
                  None, None, backward=call.func, reordered=reordered)


def _views_of(func: Callable[..., Any], args: list[Any], kwargs: dict[str, Any],
              vector: np.ndarray) -> list[tuple[str, np.ndarray, int, str, int]]:
    """(local name, view, offset, order, size) of each matrix the function reshapes out of ``vector``."""
    import sys

    code = getattr(inspect.unwrap(func), "__code__", None)
    seen: dict[str, Any] = {}

    def profiler(frame: Any, event: str, arg: Any) -> None:
        if event == "return" and frame.f_code is code and not seen:
            seen.update(frame.f_locals)

    previous = sys.getprofile()
    sys.setprofile(profiler)
    try:
        func(*args, **kwargs)
    except Exception:  # noqa: BLE001 - no blocks, the vector is checked whole
        return []
    finally:
        sys.setprofile(previous)
    base = vector.__array_interface__["data"][0]
    blocks = []
    for local, value in seen.items():
        if not isinstance(value, np.ndarray) or value.ndim != 2 or value.size < 2:
            continue
        if not np.shares_memory(value, vector):
            continue
        offset = (value.__array_interface__["data"][0] - base) // vector.itemsize
        order = "C" if value.flags.c_contiguous else ("F" if value.flags.f_contiguous else "")
        if not order or offset < 0 or offset + value.size > vector.size:
            continue
        blocks.append((local, value, int(offset), order, value.size))
    blocks.sort(key=lambda b: b[2])
    for first, second in zip(blocks, blocks[1:]):
        if first[2] + first[4] > second[2]:
            return []  # overlapping views: not an unrolling
    return blocks


def owner_learning_rate(owner: Any) -> float | None:
    for name in OWNER_LR_NAMES:
        value = getattr(owner, name, None)
        if R.is_scalar(value) and float(value) > 0:
            return float(value)
    return None
