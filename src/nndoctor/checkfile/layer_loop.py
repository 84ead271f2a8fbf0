"""Training loops that drive layer objects one by one, with no network object around them.

The style of "Neural Networks from Scratch" and its many followers::

    for epoch in range(10001):
        dense1.forward(X)
        activation1.forward(dense1.output)
        dense2.forward(activation1.output)
        loss = loss_activation.forward(dense2.output, y)
        loss_activation.backward(loss_activation.output, y)
        dense2.backward(loss_activation.dinputs)
        activation1.backward(dense2.dinputs)
        dense1.backward(activation1.dinputs)
        optimizer.update_params(dense1)
        optimizer.update_params(dense2)

The methods return nothing: each layer keeps its output on itself, and the next call reads it from
there. No single call is "the forward" and no object is "the network": the loop body is the step
and the layer objects together are the network. Read from the loop's code and values, never by
calling anything the program does not call:

- the body's statements up to its last backward call (a method named ``backward``, ``backprop``) are
  the step; the statements after them (the optimizer) are the update;
- the layers are the objects the body names that hold parameters (``parameters.py``), at least two,
  named ``dense1.weights``, ``dense2.biases`` after the program's own variables; their gradients
  are what the backward calls leave on them (``dense1.dweights``);
- the loop trains when those parameters moved between two of its iterations;
- the gradient check runs the step's statements again (the learner's own method calls, in the
  learner's order) with the parameters set in place as they were at the first iteration, and puts
  every object the body names back as it found it.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nndoctor import roles as R
from nndoctor.checkfile.replay import Replay
from nndoctor.checkfile.transform import LOOPS, TICK
from nndoctor.parameters import _is_object, fingerprint, match_gradients, parameters_of_object

_BACKWARD = re.compile(r"backward|backprop|back_prop|bprop|gradient", re.I)
_UPDATE = re.compile(r"update|step|optimi[sz]e|apply|descent", re.I)
_COST_NAMES = ("loss", "cost", "total_loss", "data_loss", "j", "error", "l")
MIN_LAYERS = 2  # one object holding every parameter is a network object: the Doctor follows it


@dataclass
class LayerLoop:
    loop: int
    node: ast.For | ast.AsyncFor | ast.While
    step: list[ast.stmt]  # the body's statements up to its last backward call
    receivers: list[str]  # names whose methods the step calls, in order of first call
    names: list[str]  # every name the body reads, in order
    filename: str
    line: int
    layers: list[str] = field(default_factory=list)  # the names holding parameters (at the first tick)
    first: dict[str, Any] | None = None  # the loop's variables at its first iteration (shallow)
    first_params: dict[str, np.ndarray] | None = None
    previous: tuple[float, ...] | None = None
    steps: int = 0  # iterations that moved the parameters
    cost_name: str | None = None

    def objects(self) -> dict[str, Any]:
        """The layer objects, by name, as the program holds them now."""
        return {n: self.first[n] for n in self.layers} if self.first else {}


def layer_loops(filename: str, taken: set[int]) -> list[LayerLoop]:
    """The loops compiled from ``filename`` (not among ``taken``) whose body calls a backward method on
    one object after another, then something else (the update)."""
    found = []
    for loop, node in LOOPS.items():
        if loop in taken or getattr(node, "_nndoctor_file", None) not in (None, filename):
            continue
        body = [s for s in node.body if not _is_tick(s)]
        backward_at = [i for i, s in enumerate(body) if _method_calls(s, _BACKWARD)]
        if not backward_at:
            continue
        step = body[: backward_at[-1] + 1]
        if len(step) == len(body):
            continue  # no statement after the backward: the update happens elsewhere
        receivers = list(dict.fromkeys(r for s in step for r in _method_receivers(s)))
        if len(receivers) < MIN_LAYERS:
            continue
        names = list(dict.fromkeys(n.id for s in body for n in ast.walk(s) if isinstance(n, ast.Name)))
        found.append(LayerLoop(loop, node, step, receivers, names, filename, node.lineno))
    return found


def _is_tick(statement: ast.stmt) -> bool:
    return isinstance(statement, ast.If) and isinstance(statement.test, ast.Call) and \
        getattr(statement.test.func, "id", None) == TICK


def _method_calls(statement: ast.stmt, pattern: re.Pattern[str]) -> list[ast.Call]:
    """``obj.method(...)`` calls written directly as the statement or its assigned value."""
    value = statement.value if isinstance(statement, (ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign)) else None
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and pattern.search(value.func.attr):
        return [value]
    return []


def _method_receivers(statement: ast.stmt) -> list[str]:
    value = statement.value if isinstance(statement, (ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign)) else None
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute):
        root = value.func.value
        while isinstance(root, ast.Attribute):
            root = root.value
        if isinstance(root, ast.Name):
            return [root.id]
    return []


class LayerObserver:
    """Called at each iteration start of one layer loop: learns its layers, sees them move, and from
    then on tells the Doctor about each step the loop made (its own calls are not steps: one layer's
    forward is not the network's)."""

    def __init__(self, loop: LayerLoop, record: Callable[..., None], stand_aside: Callable[[list[Any]], None]) -> None:
        self.loop, self.record, self.stand_aside = loop, record, stand_aside
        self._before: dict[str, np.ndarray] | None = None

    def __call__(self, frame: Any) -> None:
        loop = self.loop
        names = frame.f_locals
        if frame.f_locals is not frame.f_globals:
            names = {**frame.f_globals, **frame.f_locals}  # a loop inside a function reads both
        if loop.first is None:
            layers = [n for n in loop.names if _holds_parameters(names.get(n))]
            if len(layers) < MIN_LAYERS:
                return
            loop.layers = layers
            loop.first = dict(names)
            loop.first_params = {k: np.array(v, copy=True) for k, v in _parameters(loop.objects()).items()}
            loop.previous = fingerprint(loop.first_params)
            self._before = loop.first_params
            return
        params = _parameters(loop.objects())
        now = fingerprint(params)
        if now is None or loop.previous is None or np.array_equal(now, loop.previous, equal_nan=True):
            return
        loop.previous = now
        if not loop.steps:
            loop.cost_name = _cost_name(loop, names)
            self.stand_aside([v for n in loop.names if _is_object(v := names.get(n))])
        loop.steps += 1
        before, self._before = self._before, {k: np.array(v, copy=True) for k, v in params.items()}
        holders = {f"{name}.": obj for name, obj in loop.objects().items()}
        cost = names.get(loop.cost_name) if loop.cost_name else None
        self.record(loop=loop, before=before, after=params, grads=match_gradients(params, None, holders),
                    cost=R.scalar_value(cost) if R.is_scalar(cost) else None,
                    activations=_activations(loop, names), learning_rate=_learning_rate(loop, names),
                    arrays=[v for v in names.values() if isinstance(v, np.ndarray)])


def _activations(loop: LayerLoop, names: Mapping[str, Any]) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(kind, output, input) of the body's activation objects (``relu.output`` from ``relu.inputs``),
    in the order the step calls them, recognized by their values."""
    from nndoctor.activations.identify import classify

    found = []
    for name in loop.receivers:
        obj = names.get(name)
        if not _is_object(obj) or name in loop.layers:
            continue
        A, Z = getattr(obj, "output", None), getattr(obj, "inputs", None)
        if not (isinstance(A, np.ndarray) and isinstance(Z, np.ndarray)) or A.shape != Z.shape or A.dtype.kind != "f":
            continue
        got = classify(A, Z, A.dtype, A.ndim == 2)
        if got is not None and got[0] != "identity":
            found.append((got[0], A, Z))
    return found


def _learning_rate(loop: LayerLoop, names: Mapping[str, Any]) -> float | None:
    """The optimizer object's current (decayed) or set learning rate."""
    from nndoctor.checkfile.replay import owner_learning_rate

    for name in loop.names:
        obj = names.get(name)
        if not _is_object(obj) or name in loop.layers:
            continue
        current = getattr(obj, "current_learning_rate", None)
        if R.is_scalar(current) and float(current) > 0:
            return float(current)
        found = owner_learning_rate(obj)
        if found is not None:
            return found
    return None


def _holds_parameters(value: Any) -> bool:
    return _is_object(value) and parameters_of_object(value) is not None


def _parameters(objects: Mapping[str, Any]) -> dict[str, np.ndarray]:
    found: dict[str, np.ndarray] = {}
    for name, obj in objects.items():
        for key, array in (parameters_of_object(obj) or {}).items():
            found[f"{name}.{key}"] = array
    return found


def _cost_name(loop: LayerLoop, names: Mapping[str, Any]) -> str | None:
    """The step's last assigned number that is a cost: by name first, else a forward call's value."""
    assigned = [t.id for s in loop.step if isinstance(s, (ast.Assign, ast.AnnAssign, ast.AugAssign))
                for t in ast.walk(s.targets[0] if isinstance(s, ast.Assign) else s.target) if isinstance(t, ast.Name)]
    costs = [n for n in assigned if R.is_scalar(names.get(n)) and np.isfinite(R.scalar_value(names.get(n)))
             and not isinstance(names.get(n), (bool, np.bool_))]
    named = [n for n in costs if n.lower() in _COST_NAMES]
    if named:
        return named[-1] if "loss" in named[-1].lower() or "cost" in named[-1].lower() else named[0]
    for statement in loop.step:
        if _method_calls(statement, re.compile("forward|loss|cost|calculate", re.I)) and isinstance(statement, ast.Assign):
            targets = [t.id for t in ast.walk(statement.targets[0]) if isinstance(t, ast.Name)]
            if targets and targets[0] in costs:
                return targets[0]
    return None


def layer_replay(loop: LayerLoop, at_first: bool = True) -> tuple[Replay, Callable[[], None]] | None:
    """The step's statements, run again on the layer objects in place: (the replay, a function that
    puts every object the body names back as it was). At the parameters of the first iteration, or
    (``at_first=False``) at those the loop ended with. None when the loop never trained or no cost
    was found."""
    if loop.first is None or loop.first_params is None or not loop.steps or loop.cost_name is None:
        return None
    objects = loop.objects()
    params = _parameters(objects)
    if set(params) != set(loop.first_params) or any(params[k].shape != v.shape for k, v in loop.first_params.items()):
        return None  # the network changed shape after the first iteration
    kept = [s for s in loop.step if _replayable(s, loop.first)]
    code = compile(ast.Module(body=kept, type_ignores=[]), loop.filename, "exec")
    holders = {f"{name}.": obj for name, obj in objects.items()}
    touched = {id(v): v for n in loop.names if _is_object(v := loop.first.get(n))}
    saved_state = {key: dict(vars(obj)) for key, obj in touched.items()}
    saved_values = {k: np.array(v, copy=True) for k, v in params.items()}
    if at_first:
        for k, v in params.items():
            np.copyto(v, loop.first_params[k])  # the step as the first iteration made it
    cost_name = loop.cost_name

    def run() -> dict[str, Any]:
        names = dict(loop.first)  # type: ignore[arg-type]
        names.setdefault("__builtins__", __builtins__)
        exec(code, names)  # noqa: S102 - the learner's own loop body, as their program runs it
        return names

    def cost_fn() -> Any:
        return run()[cost_name]

    def grad_fn() -> dict[str, np.ndarray]:
        run()
        return match_gradients(params, None, holders)

    def restore() -> None:
        for k, v in params.items():
            np.copyto(v, saved_values[k])
        for key, obj in touched.items():
            vars(obj).clear()
            vars(obj).update(saved_state[key])

    label = f"the training loop at line {loop.line}"
    for fn in (cost_fn, grad_fn):
        fn.__qualname__ = fn.__name__ = label
    backward = _layer_method(kept, objects, _BACKWARD)
    if backward is not None:  # findings point at the layers' backward (where dweights is computed)
        grad_fn.__wrapped__ = backward  # type: ignore[attr-defined]
    calls = " -> ".join(dict.fromkeys(ast.unparse(c.func) for s in kept for c in _method_calls(s, re.compile("."))
                                      if _is_object(loop.first.get(_method_receivers(s)[0]))))
    return Replay(cost_fn, grad_fn, params, "stateful", f"{label}: {calls}", None, None), restore


def _layer_method(statements: list[ast.stmt], objects: Mapping[str, Any], pattern: re.Pattern[str]) -> Any:
    """The function behind the first ``layer.method(...)`` call of the statements matching ``pattern``."""
    for statement in statements:
        for call in _method_calls(statement, pattern):
            receiver = call.func.value  # type: ignore[attr-defined]
            if isinstance(receiver, ast.Name) and receiver.id in objects:
                method = getattr(type(objects[receiver.id]), call.func.attr, None)  # type: ignore[attr-defined]
                if callable(method):
                    return method
    return None


def _replayable(statement: ast.stmt, names: Mapping[str, Any]) -> bool:
    """Assignments to plain names, and method calls on the program's own objects (never on a list,
    a file or a plot: ``history.append(...)`` must not grow the learner's list)."""
    if isinstance(statement, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        return all(isinstance(e, (ast.Name, ast.Tuple)) for t in targets for e in ast.walk(t) if isinstance(e, ast.expr))
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call) and \
            isinstance(statement.value.func, ast.Attribute):
        receivers = _method_receivers(statement)
        return bool(receivers) and _is_object(names.get(receivers[0]))
    return False


def belongs_to(step: Any, loop: LayerLoop) -> bool:
    """A step the Doctor recorded from the same loop's method calls (its objects are the loop's)."""
    objects = {id(o) for o in loop.objects().values()}
    holders = [e.call.args[0] for e in step.tape if e.call.args and _holds_parameters(e.call.args[0])]
    return bool(holders) and all(id(h) in objects for h in holders)
