"""Training loops written inline, with no function to watch: ``for i in range(n): Z1 = X @ W1 + b1 ...``.

Read from the loop's own code and values, never by calling anything:

- the loop body's update statements (``W1 -= learning_rate * dW1``, ``W1 = W1 - lr * dW1``) name the
  parameters, their gradients and the learning rate; a loop with at least one such statement on an
  array is a training loop;
- each iteration of the loop is a step: at the start of the next one (the loop's tick, see
  transform.py) the variables hold what the step computed: the activations, the cost, the
  gradients, and the parameters after the update;
- the activations are the body's arrays computed from another one of the same shape by a known
  activation (recognized by their values); the cost is the body's last number computed before the
  gradients that is a loss (a log, a mean or sum of squares);
- the gradient check replays the body's statements up to the update, on a copy of the loop's
  variables with the parameters set to other values: ``cost_fn(params)`` and ``grad_fn(params)``.
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
from nndoctor.usercode import display_path

COST_NAMES = ("cost", "loss", "j", "error", "err", "l", "ce", "mse", "total_loss", "epoch_loss")
SNAPSHOT_BYTES = 16 * 2**20  # arrays the loop body reads are copied at its first iteration below this size
LR_NAMES = ("lr", "learning_rate", "learn_rate", "learningrate", "alpha", "eta", "step_size", "rate")


@dataclass
class Update:
    param: str
    grad: str | None  # the gradient's name (W -= lr * dW); None when the step is an expression
    lr: ast.expr | None
    step: ast.expr | None = None  # W += np.dot(layer_1.T, delta): the expression added (or taken away)
    sign: int = -1  # -1 for -=, +1 for +=


@dataclass
class InlineLoop:
    loop: int
    node: ast.For | ast.AsyncFor | ast.While
    updates: list[Update]
    prefix: list[ast.stmt]  # the body's statements before the first update (the forward and backward)
    assigned: list[str]  # names the prefix assigns, in order
    filename: str
    line: int
    body: list[ast.stmt] = field(default_factory=list)  # every statement up to the last update (interleaved ones too)
    first: dict[str, Any] | None = None  # the loop's variables at its first iteration (shallow)
    first_params: dict[str, np.ndarray] | None = None
    previous: dict[str, np.ndarray] | None = None  # the parameters at the previous iteration's start
    steps: int = 0
    cost_name: str | None = None
    layers: list[tuple[str, str, str]] = field(default_factory=list)  # (activation name, input name, kind)

    @property
    def params(self) -> list[str]:
        return [u.param for u in self.updates]


def training_loops(filename: str) -> list[InlineLoop]:
    """The loops compiled from ``filename`` whose body updates arrays from their gradients."""
    found = []
    for loop, node in LOOPS.items():
        if getattr(node, "_nndoctor_file", None) not in (None, filename):
            continue
        updates = _updates(node.body)
        looped = {n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)} if hasattr(node, "target") else set()
        if not updates or any(u.param in looped for u in updates):
            continue  # for param, grad in zip(params, grads): param -= lr * grad is an update, not a training loop
        at = [i for i, s in enumerate(node.body) if _update_of(s) is not None]
        prefix = _kept(node.body[:at[0]])
        if not [s for s in prefix if _targets(s)]:
            continue  # nothing computed before the update: the gradients come from elsewhere
        assigned = list(dict.fromkeys(n for s in prefix for n in _targets(s)))
        body = _kept(node.body[:at[-1] + 1], updates=True)
        found.append(InlineLoop(loop, node, updates, prefix, assigned, filename, node.lineno, body=body))
    return found


def _kept(statements: list[ast.stmt], updates: bool = False) -> list[ast.stmt]:
    """The statements the replay runs, in order; an in-place change of part of an array
    (``delta3[range(m), y] -= 1``, ``dZ[Z <= 0] = 0``) only of one the body itself computed."""
    out: list[ast.stmt] = []
    local: set[str] = set()
    for statement in statements:
        if (updates and _update_of(statement) is not None) or _keeps(statement) or (
                _keeps(statement, parts=True) and all(_base(t) in local for t in _target_nodes(statement))):
            out.append(statement)
            local.update(_targets(statement))
    return out


def _base(target: ast.expr) -> str | None:
    """``delta3`` for ``delta3[range(m), y]`` (and for ``delta3``)."""
    while isinstance(target, (ast.Subscript, ast.Attribute)):
        target = target.value
    return target.id if isinstance(target, ast.Name) else None


def _keeps(statement: ast.stmt, parts: bool = False) -> bool:
    """Statements the replay runs: assignments to names (not prints, not appends to the learner's lists,
    not the loop's own tick)."""
    if isinstance(statement, ast.If) and isinstance(statement.test, ast.Call) and \
            getattr(statement.test.func, "id", None) == TICK:
        return False
    return isinstance(statement, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and all(
        isinstance(t, (ast.Name, ast.Tuple)) or _array_attribute(t) or (parts and isinstance(t, ast.Subscript))
        for t in _target_nodes(statement))


def _array_attribute(target: ast.expr) -> bool:
    """``img.shape`` in ``img.shape += (1,)``: kept, and run only on the replay's own copy of an array."""
    return isinstance(target, ast.Attribute) and target.attr == "shape" and isinstance(target.value, ast.Name)


def _target_nodes(statement: ast.stmt) -> list[ast.expr]:
    if isinstance(statement, ast.Assign):
        return list(statement.targets)
    return [statement.target]  # type: ignore[attr-defined]


def _targets(statement: ast.stmt) -> list[str]:
    """The names a statement binds or changes: ``a, b = ...`` -> a, b; ``delta3[i, y] -= 1`` -> delta3."""
    names = []
    for target in _target_nodes(statement):
        if isinstance(target, (ast.Subscript, ast.Attribute)):
            base = _base(target)
            names += [base] if base else []
            continue
        for sub in ast.walk(target):
            if isinstance(sub, ast.Name):
                names.append(sub.id)
    return names


def _updates(body: list[ast.stmt]) -> list[Update]:
    return [u for u in (_update_of(s) for s in body) if u is not None]


def _update_of(statement: ast.stmt) -> Update | None:
    """``W -= lr * dW`` / ``W = W - lr * dW`` (either order of the product), or an update that adds or
    takes away a computed step: ``W += np.dot(layer_1.T, delta)``, ``W -= eta * X.T @ delta``."""
    if isinstance(statement, ast.AugAssign) and isinstance(statement.op, (ast.Sub, ast.Add)) and \
            isinstance(statement.target, ast.Name):
        sign = -1 if isinstance(statement.op, ast.Sub) else 1
        value = statement.value
        if sign > 0 and _negated(value) is not None:  # W += -lr * dW is W -= lr * dW
            sign, value = -1, _negated(value)
        found = _scaled_name(value) if sign < 0 else None
        if found:
            return Update(statement.target.id, found[0], found[1], statement.value, sign)
        if isinstance(statement.value, (ast.Call, ast.BinOp, ast.UnaryOp)) and any(
                isinstance(n, ast.Name) and n.id != statement.target.id for n in ast.walk(statement.value)):
            # W += -learn_rate * delta @ h.T: the learning rate is the lr-like name inside the step
            rate = next((n for n in ast.walk(statement.value) if isinstance(n, ast.Name) and n.id.lower() in LR_NAMES), None)
            return Update(statement.target.id, None, rate, statement.value, sign)
        return None
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1 and \
            isinstance(statement.targets[0], ast.Name) and isinstance(statement.value, ast.BinOp) and \
            isinstance(statement.value.op, ast.Sub) and isinstance(statement.value.left, ast.Name) and \
            statement.value.left.id == statement.targets[0].id:
        found = _scaled_name(statement.value.right)
        return Update(statement.targets[0].id, found[0], found[1]) if found else None
    return None


def _negated(value: ast.expr) -> ast.expr | None:
    """``x`` for ``-x``; ``lr * dW`` for ``-lr * dW``; else None."""
    if isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.USub):
        return value.operand
    if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Mult) and isinstance(value.left, ast.UnaryOp) \
            and isinstance(value.left.op, ast.USub):
        return ast.BinOp(left=value.left.operand, op=ast.Mult(), right=value.right)
    return None


def _scaled_name(value: ast.expr) -> tuple[str, ast.expr] | None:
    """(the gradient's name, the learning rate's expression) of ``lr * dW`` in either order."""
    from nndoctor.keys import has_gradient_mark

    if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Mult):
        if isinstance(value.left, ast.Name) and isinstance(value.right, ast.Name):
            left, right = has_gradient_mark(value.left.id), has_gradient_mark(value.right.id)
            if left != right:  # epsilon * dW1: the gradient is the name that says it is one
                return (value.left.id, value.right) if left else (value.right.id, value.left)
        if isinstance(value.right, ast.Name) and not isinstance(value.left, ast.Name) or \
                isinstance(value.right, ast.Name) and isinstance(value.left, ast.Name) and \
                value.left.id.lower() in ("lr", "learning_rate", "alpha", "eta", "step_size", "rate"):
            return value.right.id, value.left
        if isinstance(value.left, ast.Name):
            return value.left.id, value.right
    return None


class Observer:
    """Called at each iteration start of one inline training loop; tells the Doctor about the step
    the previous iteration made."""

    def __init__(self, loop: InlineLoop, record: Callable[..., None], step_calls: Callable[[], int]) -> None:
        self.loop, self.record, self._step_calls = loop, record, step_calls
        self._read = {n.id for st in loop.prefix for n in ast.walk(st) if isinstance(n, ast.Name)}
        self._seen: int | None = None  # calls of the watched forward/backward/update, at this loop's last tick
        self.off = False

    def __call__(self, frame: Any) -> None:
        if self.off:
            return
        if self._seen is not None and self._step_calls() > self._seen:
            self.off = True  # the watched functions it calls make the steps: they are recorded already
            return
        self._observe(frame)
        self._seen = self._step_calls()

    def _observe(self, frame: Any) -> None:
        names = frame.f_locals
        loop = self.loop
        if loop.first is None:  # nr_correct += int(...) adds to a counter, not a step to a parameter
            loop.updates = [u for u in loop.updates if isinstance(names.get(u.param), np.ndarray)
                            and names[u.param].dtype.kind == "f"] or loop.updates
        params = {p: names.get(p) for p in loop.params}
        if not all(isinstance(v, np.ndarray) and v.dtype.kind == "f" for v in params.values()):
            return
        if not any(v.ndim == 2 for v in params.values()):  # type: ignore[union-attr]
            return
        if loop.previous is not None:
            self._step(names, params)  # type: ignore[arg-type]
        elif loop.first is None:
            # a loop inside a function reads the module's names too (np, the data)
            loop.first = dict(names) if names is frame.f_globals else {**frame.f_globals, **names}
            used = {n.id for s in loop.body for n in ast.walk(s) if isinstance(n, ast.Name)}
            for name in used & set(loop.first):  # img.shape += (1,) must not change the learner's arrays
                value = loop.first[name]
                if isinstance(value, np.ndarray) and name not in params and value.nbytes <= SNAPSHOT_BYTES:
                    loop.first[name] = value.copy()
            loop.first_params = {k: v.copy() for k, v in params.items()}  # type: ignore[union-attr]
        loop.previous = {k: v.copy() for k, v in params.items()}  # type: ignore[union-attr]

    def _step(self, names: Mapping[str, Any], params: dict[str, np.ndarray]) -> None:
        loop = self.loop
        loop.steps += 1
        if loop.cost_name is None:
            loop.cost_name = _cost_name(loop, names)
        if not loop.layers:
            loop.layers = _layers(loop, names)
        grads = {u.param: names.get(u.grad) if u.grad else -u.sign * (params[u.param] - loop.previous[u.param])
                 for u in loop.updates if u.param in loop.previous}  # type: ignore[index]
        grads = {k: g for k, g in grads.items() if isinstance(g, np.ndarray)}
        cost = names.get(loop.cost_name) if loop.cost_name else None
        lr = _value(loop.updates[0].lr, names) if loop.updates[0].lr is not None else None
        activations = [(kind, names.get(a), names.get(z)) for a, z, kind in loop.layers]
        self.record(loop=loop, before=loop.previous, after=params, grads=grads,
                    cost=R.scalar_value(cost) if R.is_scalar(cost) else None,
                    activations=[x for x in activations if isinstance(x[1], np.ndarray)], learning_rate=lr,
                    arrays=[v for k, v in names.items() if isinstance(v, np.ndarray) and k not in params
                            and k in self._read])  # the data the body uses (img), not the whole set (images)


def _value(expr: ast.expr, names: Mapping[str, Any]) -> float | None:
    try:
        value = eval(compile(ast.Expression(expr), "<lr>", "eval"), {}, dict(names))  # noqa: S307 - a name or a number
    except Exception:  # noqa: BLE001
        return None
    return float(value) if R.is_scalar(value) else None


def _cost_name(loop: InlineLoop, names: Mapping[str, Any]) -> str | None:
    grads = {u.grad for u in loop.updates if u.grad}
    candidates = [n for n in loop.assigned if n not in grads and R.is_cost_value(names.get(n))]
    named = [n for n in candidates if n.lower() in COST_NAMES]
    if named:
        return named[-1]
    for statement in loop.prefix:
        source = ast.unparse(statement)
        for n in _targets(statement):
            if n in candidates and ("log" in source or "**" in source or "square" in source):
                return n
    return None


def _layers(loop: InlineLoop, names: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(activation, its input, kind) for the body's arrays that apply a known activation to another."""
    from nndoctor.activations.identify import classify

    found = []
    for statement in loop.prefix:
        if not isinstance(statement, ast.Assign):
            continue
        for a in _targets(statement):
            A = names.get(a)
            if not isinstance(A, np.ndarray) or A.dtype.kind != "f":
                continue
            used = {n.id for n in ast.walk(statement.value) if isinstance(n, ast.Name)}
            for z in used:
                Z = names.get(z)
                if z == a or not isinstance(Z, np.ndarray) or Z.shape != A.shape or Z.dtype.kind != "f":
                    continue
                got = classify(A, Z, A.dtype, A.ndim == 2)
                if got is not None and got[0] != "identity":
                    found.append((a, z, got[0]))
                    break
    return found


def inline_replay(loop: InlineLoop) -> Replay | None:
    """The loop body before the update, run on a copy of its first iteration's variables."""
    if loop.first is None or loop.first_params is None:
        return None
    if loop.cost_name is None or any(u.grad is None for u in loop.updates):
        return _fused_replay(loop)
    code = compile(ast.Module(body=loop.prefix, type_ignores=[]), loop.filename, "exec")
    grads = {u.param: u.grad for u in loop.updates}

    def run(p: Mapping[str, np.ndarray]) -> dict[str, Any]:
        names = dict(loop.first)  # type: ignore[arg-type]
        names.update({k: np.array(v, copy=True) for k, v in p.items()})
        names.setdefault("__builtins__", __builtins__)
        exec(code, names)  # noqa: S102 - the learner's own loop body, as their program runs it
        return names

    def cost_fn(p: Mapping[str, np.ndarray]) -> Any:
        return run(p)[loop.cost_name]  # type: ignore[index]

    def grad_fn(p: Mapping[str, np.ndarray]) -> dict[str, Any]:
        names = run(p)
        return {k: names[g] for k, g in grads.items() if g in names}

    label = f"the training loop at line {loop.line}"
    cost_fn.__qualname__ = cost_fn.__name__ = label
    grad_fn.__qualname__ = grad_fn.__name__ = label
    grad_fn.nndoctor_location = (display_path(loop.filename) or loop.filename, loop.line)  # type: ignore[attr-defined]
    return Replay(cost_fn, grad_fn, dict(loop.first_params), "pure", f"{label} (its body up to the update)",
                  None, None)


def _fused_replay(loop: InlineLoop) -> Replay | None:
    """A loop whose update applies a computed step (``W += np.dot(a.T, delta)``, ``W += -lr * delta @ h.T``),
    possibly between backward statements, or that computes no cost. The body runs as the program runs
    it, updates included (a later delta may read an updated weight), recording each step as applied;
    the gradient is ``-step / lr``. It is checked against the program's cost when the body computes
    one, else against the losses its output layer may be trained with (implied.py says which)."""
    from nndoctor.checkfile.losses import losses_for

    start = loop.first or {}
    steps_name = "__nndoctor_steps__"
    statements: list[ast.stmt] = []
    for statement in loop.body:
        if not all(isinstance(t, (ast.Name, ast.Tuple, ast.Subscript)) or (_array_attribute(t) and isinstance(
                start.get(t.value.id), np.ndarray)) for t in _target_nodes(statement)):  # type: ignore[attr-defined]
            continue
        update = _update_of(statement)
        if update is not None and update.step is not None and update.grad is None:
            record = ast.parse(f"{steps_name}[{update.param!r}] = 0").body[0]
            record.value = update.step  # type: ignore[attr-defined]
            statements.append(ast.fix_missing_locations(ast.copy_location(record, statement)))
        statements.append(statement)
    body = compile(ast.Module(body=statements, type_ignores=[]), loop.filename, "exec")
    forward = compile(ast.Module(body=loop.prefix, type_ignores=[]), loop.filename, "exec")

    def run(p: Mapping[str, np.ndarray], code: Any) -> dict[str, Any]:
        names = {k: (v.copy() if isinstance(v, np.ndarray) and v.nbytes <= SNAPSHOT_BYTES else v) for k, v in start.items()}
        names.update({k: np.array(v, copy=True) for k, v in p.items()})
        names.setdefault("__builtins__", __builtins__)
        names[steps_name] = {}
        exec(code, names)  # noqa: S102 - the learner's own loop body, as their program runs it
        return names

    names = run(loop.first_params, forward)  # type: ignore[arg-type]

    def grad_fn(p: Mapping[str, np.ndarray]) -> dict[str, Any]:
        ran = run(p, body)
        out = {}
        for u in loop.updates:
            if u.grad is not None:
                out[u.param] = ran.get(u.grad)
                continue
            rate = _value(u.lr, ran) if u.lr is not None else None
            step = np.asarray(ran[steps_name][u.param], dtype=np.float64)
            out[u.param] = -u.sign * step / (rate if rate else 1.0)
        return out

    label = f"the training loop at line {loop.line}"
    grad_fn.__qualname__ = grad_fn.__name__ = label
    grad_fn.nndoctor_location = (display_path(loop.filename) or loop.filename, loop.line)  # type: ignore[attr-defined]
    costs: list[tuple[str, Any]] = []
    if loop.cost_name is not None and R.is_scalar(names.get(loop.cost_name)):
        cost_name = loop.cost_name
        to_cost = _up_to(loop, cost_name)

        def program_cost(p: Mapping[str, np.ndarray]) -> float:
            return R.scalar_value(run(p, to_cost)[cost_name])
        costs.append(("program", program_cost))
    else:
        output, labels = _output_and_labels(loop, names)
        if output is None or labels is None:
            return None
        # the output as the forward left it: a backward may change it in place (delta3 = probs; delta3 -= Y)
        to_output = _up_to(loop, output)
        for kind, loss in losses_for(np.asarray(run(loop.first_params, to_output)[output], dtype=np.float64), labels):  # type: ignore[arg-type]
            def cost_fn(p: Mapping[str, np.ndarray], loss: Any = loss) -> float:
                return loss(np.asarray(run(p, to_output)[output], dtype=np.float64))
            costs.append((kind, cost_fn))
    for _, fn in costs:
        fn.__qualname__ = fn.__name__ = label
    if not costs:
        return None
    what = f"its cost {loop.cost_name}" if costs[0][0] == "program" else "no cost: the loss its output implies"
    replay = Replay(costs[0][1], grad_fn, dict(loop.first_params), "pure",  # type: ignore[arg-type]
                    f"{label} (its body as it runs, the steps it applies; {what})", None, None)
    replay.implied_costs = costs
    return replay


def _up_to(loop: InlineLoop, name: str) -> Any:
    """The loop body's statements up to the last one before the update that assigns ``name``, compiled."""
    last = max((i for i, st in enumerate(loop.prefix) if name in _targets(st)), default=len(loop.prefix) - 1)
    return compile(ast.Module(body=loop.prefix[:last + 1], type_ignores=[]), loop.filename, "exec")


def _output_and_labels(loop: InlineLoop, names: Mapping[str, Any]) -> tuple[str | None, np.ndarray | None]:
    """The body's output (its last array shaped like an array of labels it reads but never assigns)."""
    from nndoctor.keys import has_gradient_mark

    activations = [a for a, _, _ in loop.layers]  # the body's activations, recognized by their values
    assigned = [n for n in loop.assigned if isinstance(names.get(n), np.ndarray)
                and not has_gradient_mark(n) and not re.search(r"delta|err|grad|loss|cost", n, re.I)]
    # the last activation first, then the other arrays from the last one up
    candidates = [n for n in reversed(assigned) if n in activations] + [n for n in reversed(assigned) if n not in activations]
    read = {n.id for s in loop.prefix for n in ast.walk(s) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    from nndoctor.checkfile.losses import labels_like_output

    readable = sorted(read - set(loop.assigned) - set(loop.params))
    outputs = [n for n in candidates if names[n].dtype.kind == "f" and n not in loop.params]
    arrays = [a for a in (loop.first.get(n) if loop.first else None for n in readable)  # type: ignore[union-attr]
              if isinstance(a, np.ndarray) and a.dtype.kind in "fiub"
              and not any(a is v for v in (loop.first_params or {}).values())]
    # labels first: 0/1 targets, or class indices made one-hot over exactly as many classes as the
    # output has (a hidden layer of 3 units is no output for 2 classes); then any array shaped like it
    for exact in (True, False):
        for name in outputs:
            out = names[name]
            for labels in arrays:
                shaped = labels_like_output(labels, out) if labels is not out else None
                if shaped is None or not np.all((shaped == 0) | (shaped == 1)):
                    continue
                if not exact or labels.shape == out.shape or shaped.sum(axis=_class_axis(out, labels)).all():
                    return name, shaped
    for name in outputs:
        for labels in arrays:
            if labels.shape == names[name].shape and labels is not names[name]:
                return name, np.asarray(labels, dtype=np.float64)
    return None, None


def _class_axis(out: np.ndarray, labels: np.ndarray) -> int:
    """The axis of the classes in an output that class indices were made one-hot against."""
    return 0 if out.ndim == 2 and out.shape[0] == labels.size else 1
