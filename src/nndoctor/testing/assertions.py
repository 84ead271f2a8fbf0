"""Assertions for tests of hand-written backprop; a failure's message is the finding itself.

- `assert_gradients_correct(cost_fn, grad_fn, params)`: `nndoctor.check_gradients`, raising.
- `assert_backprop_correct(forward, cost, backward, X, Y, parameters, **extra)`: the same for a
  course-style network given as its three functions.
- `assert_activation_derivative(f, df)`: a derivative helper against its forward activation.

A failing check raises `nndoctor.errors.GradientCheckFailed` (an ``AssertionError``) whose message
is the rendered finding: which parameter, the kind of error (scale, sign, transpose, missing term,
shape...), the factor, the worst entries (analytic vs numeric) and the fix, followed by the
per-parameter table. It is raised explicitly, never by ``assert``, so it works under ``python -O``.
The exception carries ``.findings`` (the findings that failed it) and ``.report`` (every finding of
the check, as an `nndoctor.Report`); the pytest plugin collects the latter into
``--nndoctor-report``.

Arguments that do not fit together (a gradient list for a parameter dict, a backward returning
keys that name no parameter, ``AL`` and ``Y`` that would broadcast into a matrix, ``X`` that is
not an array...) raise `nndoctor.InvalidInputError` (a ``ValueError``) with a sentence saying what
is wrong: that is a broken test, not a wrong gradient.

Which findings fail an assertion: those at or above ``fail_on`` (``"error"`` by default; the
pytest marker ``nndoctor_strict`` makes it ``"warning"``). An ``error`` is a real bug, by the
checker's contract; a ``warning`` is a small disagreement or a check that could not decide.
The gradient check's random directions come from ``seed`` (default 0, or ``--nndoctor-seed``):
a failure is reproducible.
"""

from __future__ import annotations

import contextlib
import contextvars
import inspect
import random
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

from nndoctor.activations import PairCheck, check_pair
from nndoctor.errors import GradientCheckFailed, InvalidInputError
from nndoctor.findings import Finding, Report, Severity
from nndoctor.gradcheck import GradientCheck, check_gradients
from nndoctor.params import flatten, match_gradients, rebuild
from nndoctor.usercode import function_name

__all__ = [
    "assert_gradients_correct",
    "assert_backprop_correct",
    "assert_activation_derivative",
    "assertion_defaults",
    "GradientCheckFailed",
]

FAIL_ON = ("error", "warning", "info")
_DEFAULTS: contextvars.ContextVar[tuple[int, str]] = contextvars.ContextVar("nndoctor_assertion_defaults",
                                                                               default=(0, "error"))


@contextlib.contextmanager
def assertion_defaults(*, seed: int | None = None, fail_on: str | None = None) -> Iterator[None]:
    """Within the block, assertions called without ``seed=`` / ``fail_on=`` use these.

    The pytest plugin wraps every test in it (``--nndoctor-seed``, ``--nndoctor-fail-on``, the
    ``nndoctor_strict`` marker); other runners (unittest) can use it directly.
    """
    current_seed, current_fail_on = _DEFAULTS.get()
    if fail_on is not None:
        _severity(fail_on)
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
        raise InvalidInputError(f"seed must be an integer, not {seed!r}.")
    token = _DEFAULTS.set((current_seed if seed is None else int(seed), fail_on or current_fail_on))
    try:
        yield
    finally:
        _DEFAULTS.reset(token)


def _severity(fail_on: str | None) -> Severity:
    value = _DEFAULTS.get()[1] if fail_on is None else fail_on
    if value not in FAIL_ON:
        raise InvalidInputError(f"fail_on must be one of {', '.join(map(repr, FAIL_ON))}, not {value!r}.")
    return Severity.parse(value)


# --- messages ---------------------------------------------------------------------------------

def _failure(subject: str, failing: list[Finding], report: Report, check: GradientCheck | None) -> GradientCheckFailed:
    from nndoctor.render.text import gradient_table, render_finding

    counts = Report(findings=failing).summary
    tally = ", ".join(f"{n} {label}{'' if n == 1 else 's'}" for label, n in counts.items() if n)
    lines = [f"{subject} — {tally}", ""]
    for finding in sorted(failing, key=lambda f: -int(f.severity)):  # type: ignore[arg-type]
        lines += render_finding(finding)
        lines.append("")
    rest = [f for f in report.findings if not any(f is g for g in failing)]
    if rest:
        lines.append("also: " + "; ".join(f"{f.severity.label} {f.rule}"  # type: ignore[union-attr]
                                          + (f" ({f.location.parameter})" if f.location.parameter else "")
                                          for f in rest))
        lines.append("")
    if check is not None:
        table = gradient_table(check)
        # no timing: the same failure gives the same message (and the same bytes in a CI report)
        lines += [re.sub(r", [0-9.]+ s, seed", ", seed", table[0]), *table[1:]]
    error = GradientCheckFailed("\n".join(lines).rstrip())
    error.findings = failing  # type: ignore[attr-defined]
    error.report = report  # type: ignore[attr-defined]
    error.result = check  # type: ignore[attr-defined]
    return error


# --- gradients --------------------------------------------------------------------------------

def assert_gradients_correct(cost_fn: Callable[..., Any], grad_fn: Callable[..., Any], params: Any, *,
                             fail_on: str | None = None, **check_kw: Any) -> GradientCheck:
    """Assert that ``grad_fn`` is the gradient of ``cost_fn`` at ``params``.

    Arguments as for `nndoctor.check_gradients` (``cost_fn(params) -> float`` and
    ``grad_fn(params) -> grads``, or both without arguments for class-based networks; ``eps``,
    ``method``, ``style``, ``precision``, ``n_examples``, ``n_classes``, ``worst_entries``), plus
    ``fail_on``. ``seed`` defaults to 0 (or the plugin's ``--nndoctor-seed``) instead of fresh
    entropy, so that a failure can be reproduced.

    Returns the `GradientCheck` when nothing at or above ``fail_on`` was found.

    Raises:
        GradientCheckFailed: (an AssertionError) the findings, rendered as text.
        InvalidInputError: the gradients' structure does not fit the parameters' (a list for a
            dict, keys naming no parameter, another length), or an output cannot be used at all.
    """
    threshold = _severity(fail_on)
    if check_kw.get("seed") is None:
        check_kw["seed"] = _DEFAULTS.get()[0]
    result = check_gradients(cost_fn, grad_fn, params, **check_kw)
    _raise_for_structure(result, grad_fn, params)
    name = function_name(grad_fn)
    return _verdict(result, threshold, f"the gradients of {name} are wrong", f"the gradients of {name} may be wrong")


def _verdict(result: GradientCheck, threshold: Severity, wrong: str, doubtful: str) -> GradientCheck:
    """Raise for the findings at or above ``threshold``; the first line says "wrong" for an error,
    "may be" when only warnings (small disagreements, undecided checks) failed the assertion."""
    failing = [f for f in result.findings if f.severity >= threshold]  # type: ignore[operator]
    if failing:
        subject = wrong if any(f.severity is Severity.ERROR for f in failing) else doubtful
        raise _failure(subject, failing, result.to_report(), result)
    return result


def _raise_for_structure(result: GradientCheck, grad_fn: Callable[..., Any], params: Any,
                         style: str | None = None) -> None:
    """Turn "the outputs do not fit together" into an InvalidInputError saying what is wrong."""
    for f in result.findings:
        if f.rule == "unexpected-output":
            raise InvalidInputError(f"{f.message} {f.fix}".strip())
    if not any(p.status == "missing" for p in result.parameters.values()):
        return
    style = style or result.style
    try:
        with _random_state_kept():
            grads = grad_fn() if style == "stateful" else grad_fn(rebuild(params, lambda leaf: leaf.array.copy()))
    except Exception:  # noqa: BLE001 - the check's own findings already say what went wrong
        return
    message = structure_mismatch(params, grads, function_name(grad_fn))
    if message:
        raise InvalidInputError(message)


@contextlib.contextmanager
def _random_state_kept() -> Iterator[None]:
    """numpy's and Python's global random states as they were, whatever the user's code draws."""
    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        yield
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)


def _names(params: Any) -> str:
    names = [leaf.name for leaf in flatten(params)]
    return ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")


def structure_mismatch(params: Any, grads: Any, function: str = "the backward pass") -> str | None:
    """A sentence saying why ``grads`` cannot be paired with ``params``, or None when they can be
    (entries may still be missing: that is a finding about the backward pass, not a structure)."""
    if isinstance(grads, tuple) and grads and isinstance(grads[0], Mapping) and isinstance(params, Mapping):
        grads = grads[0]
    kind = type(grads).__name__
    if isinstance(params, Mapping):
        if not isinstance(grads, Mapping):
            size = f" of {len(grads)} entries" if isinstance(grads, (list, tuple)) else ""
            return (f"{function} returned a {kind}{size}, but the parameters are a dict ({_names(params)}): "
                    f"return a dict keyed like the parameters ('W1') or course-style ('dW1').")
        leaves = flatten(params)
        matched = match_gradients(leaves, grads)
        if all(hit is None for hit in matched.values()):
            keys = ", ".join(map(repr, list(grads)[:12])) or "nothing"
            first = leaves[0].name
            return (f"none of the keys {function} returned names a parameter: it returned {keys}, the parameters "
                    f"are {_names(params)}; store each gradient as 'd' + the parameter's key (e.g. 'd{first}') "
                    f"or under the parameter's own key ('{first}').")
        return None
    if isinstance(params, (list, tuple)):
        if not isinstance(grads, (list, tuple)):
            return (f"{function} returned a {kind}, but the parameters are a {type(params).__name__} of "
                    f"{len(params)} entries: return the gradients in the same structure, in the same order.")
        if len(grads) != len(params):
            return (f"{function} returned {len(grads)} gradients for {len(params)} parameters; return one "
                    f"gradient per parameter, in the same order.")
    return None


# --- a course-style network ---------------------------------------------------------------------

_ROLE_NAMES: dict[str, set[str]] = {
    "X": {"x", "xs", "x_train", "x_batch", "xb", "inputs", "input", "data", "features"},
    "Y": {"y", "ys", "y_train", "y_batch", "yb", "labels", "label", "targets", "target", "y_true", "t"},
    "AL": {"al", "a_l", "a", "a_last", "alast", "a_out", "aout", "yhat", "y_hat", "y_pred", "ypred", "output",
           "outputs", "out", "predictions", "prediction", "preds", "probs", "probabilities", "h", "scores"},
    "caches": {"caches", "cache", "cached", "memory", "store", "stored", "intermediates", "cache_list",
               "forward_cache", "history"},
    "parameters": {"parameters", "params", "param", "weights", "theta", "network", "net", "model_params"},
}
_AL_PATTERN = re.compile(r"^a_?\d+$")  # A3, a2: the course's last activation


def _role(name: str) -> str | None:
    low = name.lower()
    for role, names in _ROLE_NAMES.items():
        if low in names:
            return role
    if _AL_PATTERN.match(low):
        return "AL"
    return None


class _Call:
    """How to call one user function: its arguments by role (X, Y, AL, caches, parameters) or by
    the name of an ``extra`` keyword; found once from its signature."""

    def __init__(self, func: Callable[..., Any], label: str, order: tuple[str, ...], extra: Mapping[str, Any]) -> None:
        if not callable(func):
            raise InvalidInputError(f"{label} must be a function, not {type(func).__name__}.")
        self.func, self.label, self.name = func, label, function_name(func)
        self.positional: list[str] = []  # roles, or "=name" for an extra passed by position
        self.keywords: dict[str, str] = {}  # parameter name -> role or "=name"
        self.accepted: set[str] = set()
        try:
            sig = inspect.signature(func)
        except (TypeError, ValueError):  # builtins: call with the canonical order and every extra
            self.positional = list(order)
            self.keywords = {k: "=" + k for k in extra}
            self.accepted = set(extra)
            return
        params = list(sig.parameters.values())
        slots: list[tuple[inspect.Parameter, str | None]] = []
        used: set[str] = set()
        for p in params:
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
                role = "=" + p.name if p.name in extra else _role(p.name)
                if role in used:
                    role = None
                if role is not None:
                    used.add(role)
                slots.append((p, role))
        free = [r for r in order if r not in used]
        for i, (p, role) in enumerate(slots):
            if role is None and p.default is p.empty and p.kind != p.KEYWORD_ONLY:
                if not free:
                    raise InvalidInputError(
                        f"{label} {self.name}{sig} has a parameter {p.name!r} that is none of "
                        f"{', '.join(order)} and no extra keyword: pass it as {p.name}=... to the assertion.")
                slots[i] = (p, free.pop(0))
        positional_ok = True
        for p, role in slots:
            if role is None:
                positional_ok = False  # a parameter left to its default: the rest go by keyword
                continue
            if p.kind == p.POSITIONAL_ONLY or (p.kind == p.POSITIONAL_OR_KEYWORD and positional_ok):
                self.positional.append(role)
            else:
                self.keywords[p.name] = role
            if role.startswith("="):
                self.accepted.add(role[1:])
        if any(p.kind == p.VAR_KEYWORD for p in params):
            for k in extra:
                if k not in self.accepted:
                    self.keywords[k] = "=" + k
                    self.accepted.add(k)

    def roles(self) -> set[str]:
        return {r for r in [*self.positional, *self.keywords.values()] if not r.startswith("=")}

    def __call__(self, values: Mapping[str, Any], extra: Mapping[str, Any]) -> Any:
        def value(role: str) -> Any:
            return extra[role[1:]] if role.startswith("=") else values.get(role)

        return self.func(*[value(r) for r in self.positional], **{k: value(r) for k, r in self.keywords.items()})


def _split_forward(out: Any) -> tuple[Any, Any]:
    """(AL, or the cost, and the caches) from what forward returned: ``(AL, caches)``, ``AL``,
    ``(cost, cache)``."""
    if isinstance(out, (tuple, list)):
        if len(out) >= 2:
            return out[0], out[1]
        if len(out) == 1:
            return out[0], None
    return out, None


def _is_scalar(x: Any) -> bool:
    return np.isscalar(x) or (isinstance(x, np.ndarray) and x.size == 1 and x.ndim == 0)


def assert_backprop_correct(forward: Callable[..., Any], cost: Callable[..., Any] | None, backward: Callable[..., Any],
                            X: Any, Y: Any, parameters: Any, *, seed: int | None = None, fail_on: str | None = None,
                            **extra: Any) -> GradientCheck:
    """Assert that a course-style ``backward`` is the gradient of ``cost(forward(X))``.

    Supported calling conventions (arguments are matched by name, then by position):

    - ``forward(X, parameters, **extra) -> (AL, caches)`` or ``-> AL``;
    - ``cost(AL, Y) -> float``; a cost taking ``parameters`` (L2 regularization:
      ``compute_cost_with_regularization(A3, Y, parameters, lambd)``) gets them;
    - ``backward(AL, Y, caches, **extra) -> grads``, or the course's gradient-checking style
      ``backward(X, Y, cache, ...)`` (recognized by its first parameter being named ``X``); a
      backward taking ``parameters`` gets them;
    - ``cost=None``: ``forward`` computes the cost itself, ``forward(X, Y, parameters) -> (cost,
      cache)`` (the course's ``forward_propagation_n``).

    ``grads`` is a dict keyed ``dW1``/``db1`` (extra ``dA*``/``dZ*`` entries are ignored) or like
    the parameters. Each extra keyword (``keep_prob=0.8``, ``lambd=0.7``, ``hidden="relu"``) goes
    to every function whose signature names it; one that no function takes is an error. Dropout
    drawn from ``np.random`` is fine: every evaluation replays the same random state, so forward
    and backward see the same masks. ``seed`` and ``fail_on`` are the assertion's own (see the
    module docstring); they are not passed on.

    Raises:
        GradientCheckFailed: (an AssertionError) the findings, rendered as text.
        InvalidInputError: the pieces do not fit together (see the module docstring).
        Any exception ``forward``, ``cost`` or ``backward`` raise at the given parameters,
        unchanged.
    """
    threshold = _severity(fail_on)
    seed = _DEFAULTS.get()[0] if seed is None else seed
    for name, array in (("X", X), ("Y", Y)):
        if not isinstance(array, np.ndarray):
            raise InvalidInputError(f"{name} must be a numpy array, not {type(array).__name__}; "
                                    f"pass np.asarray({name}).")
    flatten(parameters, what="parameters")  # clear errors for empty / non-float / non-array parameters
    returns_cost = cost is None
    f_call = _Call(forward, "forward", ("X", "Y", "parameters") if returns_cost else ("X", "parameters"), extra)
    c_call = None if returns_cost else _Call(cost, "cost", ("AL", "Y"), extra)
    b_call = _Call(backward, "backward", ("AL", "Y", "caches"), extra)
    calls = [c for c in (f_call, c_call, b_call) if c is not None]
    unused = [k for k in extra if not any(k in c.accepted for c in calls)]
    if unused:
        raise InvalidInputError(
            f"{', '.join(f'{k}=' for k in unused)} was given, but none of "
            f"{', '.join(c.name for c in calls)} takes a parameter of that name; pass only the keywords "
            f"your functions accept (the assertion's own are seed= and fail_on=).")
    if "parameters" not in f_call.roles():
        raise InvalidInputError(
            f"{f_call.name} takes no parameters argument (its signature names none of parameters, params, weights), "
            f"so the check could not change the weights it uses. For a class whose methods read their own "
            f"weights, use assert_gradients_correct(cost_fn, grad_fn, params) with functions of no argument.")
    if returns_cost and "AL" in b_call.roles():
        raise InvalidInputError(
            f"cost=None means {f_call.name} returns the cost, so there is no AL to give {b_call.name}; "
            f"pass the cost function, or a backward taking (X, Y, cache).")

    def run_forward(params: Any) -> tuple[Any, Any]:
        return _split_forward(f_call({"X": X, "Y": Y, "parameters": params}, extra))

    def cost_fn(params: Any) -> Any:
        first, _ = run_forward(params)
        if returns_cost:
            return first
        return c_call({"AL": first, "Y": Y, "parameters": params}, extra)  # type: ignore[misc]

    def grad_fn(params: Any) -> Any:
        first, caches = run_forward(params)
        return b_call({"AL": first, "Y": Y, "X": X, "caches": caches, "parameters": params}, extra)

    _name_after(cost_fn, c_call.func if c_call else forward)
    _name_after(grad_fn, backward)
    _first_look(run_forward, grad_fn, f_call, b_call, Y, parameters, returns_cost)
    m, classes = _example_count(X, Y)
    result = check_gradients(cost_fn, grad_fn, parameters, seed=seed, style="pure", n_examples=m, n_classes=classes)
    _raise_for_structure(result, grad_fn, parameters, style="pure")
    shapes = f"X {tuple(X.shape)}, Y {tuple(Y.shape)}"
    return _verdict(result, threshold, f"{b_call.name} is not the gradient of the cost ({shapes})",
                    f"{b_call.name} may not be the gradient of the cost ({shapes})")


def _name_after(wrapper: Callable[..., Any], user_function: Callable[..., Any]) -> None:
    """Findings name (and point into) the user's function, not this module's closure."""
    wrapper.__name__ = getattr(user_function, "__name__", wrapper.__name__)
    wrapper.__qualname__ = function_name(user_function)
    wrapper.__wrapped__ = user_function  # type: ignore[attr-defined]


def _first_look(run_forward: Callable[..., Any], grad_fn: Callable[..., Any], f_call: _Call, b_call: _Call,
                Y: np.ndarray, parameters: Any, returns_cost: bool) -> None:
    """One forward and one backward at the given parameters, for clear errors about shapes and
    structures before any gradient is compared. The user's own exceptions pass through as they are.
    The global random states (numpy's, Python's) are put back afterwards."""
    copy = rebuild(parameters, lambda leaf: leaf.array.copy())
    with _random_state_kept():
        first, _ = run_forward(copy)
        if returns_cost:
            if not _is_scalar(first) and not (isinstance(first, np.ndarray) and first.size == 1):
                raise InvalidInputError(
                    f"cost=None means {f_call.name} returns (cost, cache), but its first output is a "
                    f"{type(first).__name__}{_shape(first)}, not a scalar cost; pass the cost function.")
        else:
            if not isinstance(first, np.ndarray):
                raise InvalidInputError(
                    f"{f_call.name} returned a {type(first).__name__}{_shape(first)} where AL (an array) was "
                    f"expected; forward must return AL or (AL, caches).")
            _check_broadcast(first, Y, f_call.name)
        grads = grad_fn(copy)
    message = structure_mismatch(parameters, grads, b_call.name)
    if grads is None:
        message = f"{b_call.name} returned None; it must return the gradients (did it forget `return grads`?)."
    if message:
        raise InvalidInputError(message)


def _shape(x: Any) -> str:
    shape = getattr(x, "shape", None)
    return f" of shape {tuple(shape)}" if shape is not None else ""


def _check_broadcast(AL: np.ndarray, Y: np.ndarray, name: str) -> None:
    """AL and Y that broadcast into a bigger array than either: (1, m) against (m, 1)."""
    try:
        joint = np.broadcast_shapes(AL.shape, Y.shape)
    except ValueError:
        joint = None
    if AL.shape == Y.shape or (joint is not None and int(np.prod(joint)) <= max(AL.size, Y.size)):
        return
    if joint is None and AL.size != Y.size:
        return  # integer class labels against a (C, m) output: the cost's business
    raise InvalidInputError(
        f"{name} returned AL of shape {tuple(AL.shape)} but Y has shape {tuple(Y.shape)}: "
        + (f"an elementwise cost would broadcast them into {tuple(joint)}. " if joint is not None else "")
        + "Give Y the layout of AL (examples as columns: (n_y, m); as rows: (m, n_y)), e.g. Y.reshape(AL.shape).")


def _example_count(X: np.ndarray, Y: np.ndarray) -> tuple[int | None, int | None]:
    """(m, number of classes) when the layout can be told from the shapes, for naming a factor."""
    if X.ndim != 2 or Y.ndim not in (1, 2):
        return None, None
    if Y.ndim == 1:
        return (int(Y.shape[0]), None) if Y.shape[0] in X.shape else (None, None)
    if X.shape[1] == Y.shape[1] and X.shape[0] != Y.shape[0]:  # columns
        return int(Y.shape[1]), (int(Y.shape[0]) if Y.shape[0] > 1 else None)
    if X.shape[0] == Y.shape[0] and X.shape[1] != Y.shape[1]:  # rows
        return int(Y.shape[0]), (int(Y.shape[1]) if Y.shape[1] > 1 else None)
    if X.shape[1] == Y.shape[1]:
        return int(Y.shape[1]), None
    return None, None


# --- activation derivatives ---------------------------------------------------------------------

def assert_activation_derivative(f: Callable[..., Any], df: Callable[..., Any], *, fail_on: str | None = None,
                                 f_name: str | None = None, df_name: str | None = None) -> None:
    """Assert that ``df`` is the derivative of the activation ``f``.

    ``f(Z) -> A`` or ``(A, cache)``; ``df`` as learners write it: ``df(z)``, ``df(a)``
    (``a * (1 - a)``), or ``df(dA, cache)`` returning ``dZ`` (which must multiply by ``dA``).
    Both are called on a fixed grid of pre-activations (away from kinks, and at them for ReLU)
    and compared with a central difference of ``f``.

    Raises:
        GradientCheckFailed: (an AssertionError) the ``activation-derivative`` finding: the
            worst points, the formula ``df`` computes instead when it is a known one, the fix;
            or ``user-code-error`` when ``df`` or ``f`` fail with an undefined name.
        InvalidInputError: ``f`` is not an elementwise activation or softmax, or ``df`` cannot be
            called as any of the forms above: the pair cannot be checked.
    """
    threshold = _severity(fail_on)
    for func, label in ((f, "f"), (df, "df")):
        if not callable(func):
            raise InvalidInputError(f"{label} must be a function, not {type(func).__name__}.")
    hname, fname = df_name or function_name(df), f_name or function_name(f)
    result = check_pair(f, df, forward_name=fname, derivative_name=hname)
    finding = result.finding
    if finding is None:
        _require_checkable(result, fname, hname)
        return
    if finding.severity >= threshold:  # type: ignore[operator]
        raise _failure(f"{hname} is not the derivative of {fname}", [finding], Report(findings=[finding]), None)


def _require_checkable(result: PairCheck, fname: str, hname: str) -> None:
    """No finding can mean "right" or "could not be compared": make sure it was compared."""
    if result.unchecked == "forward-not-callable":
        error = result.forward_error
        why = f" (it raised {type(error).__name__}: {error})" if error else ""
        raise InvalidInputError(
            f"{fname} could not be called as an activation f(Z) -> A or (A, cache) on a (4, 25) array of "
            f"pre-activations{why}, so {hname} cannot be checked against it.")
    if result.unchecked == "forward-not-elementwise":
        raise InvalidInputError(
            f"{fname} is neither a known activation (relu, leaky-relu, sigmoid, tanh, softmax, elu, softplus, "
            f"swish) nor an elementwise function of Z, so {hname} cannot be compared with its derivative.")
    if result.unchecked == "derivative-not-callable":
        raise InvalidInputError(
            f"{hname} could not be called as df(z), df(a) or df(dA, cache) with a (5, 12) float array, so it "
            f"cannot be checked against {fname}.")

