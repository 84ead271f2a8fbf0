"""optimizer-update: the user's update function, probed on controlled inputs.

`probe_update(func)` recognizes the update step by its signature (plain gradient descent
``(parameters, grads, learning_rate)``, momentum ``(parameters, grads, v, beta, learning_rate)``,
RMSprop ``(parameters, grads, s, beta, learning_rate, epsilon)``, Adam ``(parameters, grads, v, s,
t, learning_rate, beta1, beta2, epsilon)``, by parameter names and, for unknown names, by the
course's positions), builds a small parameter dict and a fresh gradient dict for each of `STEPS`
consecutive calls (with ``v``/``s`` starting at zeros, keyed ``dW1`` as the course does, or keyed
like the parameters when the function asks for that with a KeyError; lowercase keys likewise),
feeds back what the function returns (or the dicts it changed in place), and compares the steps it
took with the formulas of gradient descent, momentum, RMSprop and Adam, and with the usual ways of
getting them wrong (wrong sign, bias correction missing or fed back into the state, ε inside the
square root, state not carried over, β and 1 − β swapped...).

The findings say which optimizer the function implements and what differs, with the expected and
actual value of one entry at one step ``t``. A correct implementation gives no finding. Nothing
here raises; numpy's global random state and the caller's objects are left as they were.
"""

from __future__ import annotations

import copy
import functools
import inspect
import itertools
import re
import time
import types
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from nndoctor.findings import Finding, Severity
from nndoctor.numbers import fmt
from nndoctor.probes._common import guarded, location, name_of, parameters_of, user_code_finding

__all__ = [
    "UpdateSignature",
    "looks_like_update",
    "probe_update",
    "STEPS",
    "DEFAULT_HYPERPARAMETERS",
    "OPTIMIZERS",
]

OPTIMIZERS = ("gd", "momentum", "rmsprop", "adam")
STEPS = 4  # consecutive calls: t = 1..4 (a state not carried over shows from t = 2)
DEFAULT_HYPERPARAMETERS = {"learning_rate": 0.05, "beta": 0.9, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}
DEFAULT_SHAPES = {"W1": (3, 4), "b1": (3, 1), "W2": (2, 3), "b2": (2, 1)}
TINY = 1e-8  # scale of the gradient entries that make epsilon's place visible
RTOL = 1e-5
SEARCH_BUDGET = 0.5  # seconds of formula search at most (only reached with unknown hyperparameters)

# grids for hyperparameters the function does not take as arguments (written into its body)
BETA_GRID = (0.9, 0.99, 0.999, 0.95, 0.8, 0.5)
EPSILON_GRID = (1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-10, 1e-12, 0.0)

_NAMES: dict[str, set[str]] = {
    "parameters": {"parameters", "params", "param", "parameter", "weights", "p", "theta", "paramdict",
                   "nnparams", "network", "net", "parametersdict"},
    "grads": {"grads", "gradients", "grad", "g", "gradient", "dparams", "dparameters", "derivatives",
              "gradsdict", "dp"},
    "v": {"v", "velocity", "velocities", "vel", "m", "moment", "moments", "firstmoment", "mom", "vdict",
          "momentums", "vt", "mt"},
    "s": {"s", "sq", "squares", "cache", "secondmoment", "r", "sdict", "rms", "sqgrads", "meansquare",
          "squared", "st", "sqr"},
    "t": {"t", "step", "timestep", "iteration", "iter", "it", "adamcounter", "counter", "count", "i", "k",
          "tstep", "numstep", "stepnum"},
    "learning_rate": {"learningrate", "lr", "alpha", "eta", "stepsize", "rate", "learnrate"},
    "beta": {"beta", "momentum", "mu", "gamma", "rho", "decay", "decayrate", "betamomentum"},
    "beta1": {"beta1", "b1", "betaone"},
    "beta2": {"beta2", "b2", "betatwo"},
    "epsilon": {"epsilon", "eps"},
    "layers": {"l", "numlayers", "nlayers", "layers", "nblayers", "numlayer", "nlayer"},
}
_HYPER = ("learning_rate", "beta", "beta1", "beta2", "epsilon")
# the course's signatures, for parameters whose names say nothing
_TEMPLATES = {
    3: ("parameters", "grads", "learning_rate"),
    5: ("parameters", "grads", "v", "beta", "learning_rate"),
    6: ("parameters", "grads", "s", "beta", "learning_rate", "epsilon"),
    9: ("parameters", "grads", "v", "s", "t", "learning_rate", "beta1", "beta2", "epsilon"),
}
_NAME_HINTS = (("adam", "adam"), ("rms", "rmsprop"), ("momentum", "momentum"), ("velocity", "momentum"))
_UPDATE_WORDS = ("update", "step", "optim", "adam", "momentum", "rms", "sgd", "gd", "descent", "apply")

_TITLE = {"gd": "gradient descent", "momentum": "momentum", "rmsprop": "RMSprop", "adam": "Adam"}


def _norm(name: str) -> str:
    return name.lower().replace("_", "")


# --------------------------------------------------------------------------------------------
# the signature


@dataclass(frozen=True)
class UpdateSignature:
    """How an update function is called.

    ``roles`` maps a role (``parameters``, ``grads``, ``v``, ``s``, ``t``, ``learning_rate``,
    ``beta``, ``beta1``, ``beta2``, ``epsilon``, ``layers``) to the function's parameter name;
    ``optimizer`` is what the signature and the name suggest (``gd``, ``momentum``, ``rmsprop``,
    ``adam``); ``state`` the state dicts it takes, in order (``("v", "s")`` for Adam);
    ``internal_state``: a bound method whose object may keep the state itself; ``named_as``: the
    optimizer the function's name says (``update_parameters_with_adam``), None when it says none.
    """

    optimizer: str
    roles: Mapping[str, str]
    state: tuple[str, ...] = ()
    positional_only: tuple[str, ...] = ()
    internal_state: bool = False
    named_as: str | None = None  # the optimizer the function's name says, if it says one

    def takes(self, role: str) -> bool:
        return role in self.roles


def looks_like_update(func: Any) -> UpdateSignature | None:
    """The signature of an update step: a function taking the parameters and the gradients (named
    so, or in the course's positions with an update-like function name), every required argument
    understood. None for anything else."""
    return _signature(func, strict=True)


def _signature(func: Any, strict: bool) -> UpdateSignature | None:
    params = parameters_of(func)
    if not params:
        return None
    roles: dict[str, str] = {}
    by_name: dict[str, str] = {}
    for p in params:
        n = _norm(p.name)
        for role, names in _NAMES.items():
            if n in names and role not in roles:
                if role == "v" and isinstance(p.default, (int, float)) and not isinstance(p.default, bool):
                    continue
                roles[role] = p.name
                by_name[p.name] = role
                break
    # adam(params, grads, m, v, ...): m is the first moment, v the second
    lowered = {_norm(p.name): p.name for p in params}
    for first, second in (("m", "v"), ("mt", "vt")):
        if first in lowered and second in lowered:
            for pname in (lowered[first], lowered[second]):
                role = by_name.pop(pname, None)
                if role is not None:
                    roles.pop(role, None)
            roles["v"], roles["s"] = lowered[first], lowered[second]
            by_name[lowered[first]], by_name[lowered[second]] = "v", "s"
    named = set(roles)
    template = _TEMPLATES.get(len(params))
    if template is not None:
        for p, role in zip(params, template):
            if p.name not in by_name and role not in roles:
                roles[role] = p.name
                by_name[p.name] = role
    else:
        for p, role in zip(params[:2], ("parameters", "grads")):
            if p.name not in by_name and role not in roles:
                roles[role] = p.name
                by_name[p.name] = role
    if "parameters" not in roles or "grads" not in roles:
        return None
    if any(p.default is p.empty and p.name not in by_name for p in params):
        return None  # a required argument we cannot fill
    fname = _norm(getattr(getattr(func, "__func__", func), "__name__", "") or "")
    if strict and not ({"parameters", "grads"} <= named) and not any(w in fname for w in _UPDATE_WORDS):
        return None
    if strict and not any(r in roles for r in ("learning_rate", "v", "s")) and not inspect.ismethod(func):
        if not any(w in fname for w in _UPDATE_WORDS):
            return None
    # one beta for a one-state optimizer, two for Adam
    state = tuple(r for r in ("v", "s") if r in roles)
    state = tuple(sorted(state, key=lambda r: [p.name for p in params].index(roles[r])))
    if len(state) == 2:
        if "beta" in roles and "beta1" not in roles:
            roles["beta1"] = roles.pop("beta")
    elif len(state) == 1:
        if "beta" not in roles:
            for alt in ("beta1", "beta2") if state == ("v",) else ("beta2", "beta1"):
                if alt in roles:
                    roles["beta"] = roles.pop(alt)
                    break
    hint = "gd"
    if len(state) == 2:
        hint = "adam"
    elif state == ("s",):
        hint = "rmsprop"
    elif state == ("v",):
        hint = "rmsprop" if "epsilon" in roles else "momentum"
    named_as = None
    for word, opt in _NAME_HINTS:
        if word in fname and _feasible(opt, state):
            hint = named_as = opt
            break
    internal = inspect.ismethod(func) and not state
    if internal and hint == "gd":  # an optimizer object: its class name says which
        owner = _norm(type(func.__self__).__name__)
        for word, opt in _NAME_HINTS + (("sgd", "gd"),):
            if word in owner or word in fname:
                hint = opt
                break
    positional_only = tuple(p.name for p in params if p.kind == p.POSITIONAL_ONLY)
    return UpdateSignature(hint, dict(roles), state, positional_only, internal, named_as)


_NEEDS = {"gd": 0, "momentum": 1, "rmsprop": 1, "adam": 2}  # state dicts each optimizer keeps


def _feasible(optimizer: str, state: tuple[str, ...]) -> bool:
    return len(state) >= _NEEDS[optimizer]


# --------------------------------------------------------------------------------------------
# the formulas and their usual mistakes


@dataclass(frozen=True)
class Variant:
    """One way of computing an update. The correct formulas have no deviation."""

    optimizer: str
    sign: int = -1  # -1: against the gradient
    avg: str = "ema"  # ema: b*v + (1-b)*g; sum: b*v + g; swapped: (1-b)*v + b*g; exchanged: Adam's betas swapped
    v_corr: str = "none"  # none / proper / fed-back
    s_corr: str = "none"
    eps: str = "outside"  # outside: sqrt(s^)+e; hat: sqrt(s)+e then corrected; inside: sqrt(s^+e);
    # inside-raw: sqrt((s+e)/(1-b2^t)); none
    state: str = "carried"  # carried / reset
    t_shift: int = 0

    def deviations(self) -> list[str]:
        out = []
        if self.sign > 0:
            out.append("sign")
        if self.state == "reset":
            out.append("state")
        if self.avg == "swapped":
            out.append("swapped-beta")
        elif self.avg == "exchanged":
            out.append("exchanged-betas")
        elif self.avg == "sum":
            out.append("no-one-minus-beta")
        uses_v = self.optimizer in ("momentum", "adam")
        uses_s = self.optimizer in ("rmsprop", "adam")
        if uses_v and self.v_corr == "fed-back" or uses_s and self.s_corr == "fed-back":
            out.append("correction-fed-back")
        if self.optimizer == "adam" and (self.v_corr == "none" or self.s_corr == "none"):
            out.append("correction-missing")
        if self.t_shift:
            out.append("t-shift")
        if uses_s and self.eps in ("inside", "inside-raw"):
            out.append("epsilon-inside")
        elif uses_s and self.eps == "none":
            out.append("epsilon-missing")
        return out


# deviation -> (kind, severity)
_DEVIATION_KIND = {
    "sign": ("sign", Severity.ERROR),
    "state": ("state", Severity.ERROR),
    "swapped-beta": ("other", Severity.ERROR),
    "exchanged-betas": ("other", Severity.ERROR),
    "no-one-minus-beta": ("other", Severity.INFO),
    "correction-fed-back": ("bias-correction", Severity.ERROR),
    "correction-missing": ("bias-correction", Severity.ERROR),
    "t-shift": ("bias-correction", Severity.WARNING),
    "epsilon-inside": ("epsilon", Severity.INFO),
    "epsilon-missing": ("epsilon", Severity.WARNING),
}
_KIND_ORDER = ("sign", "state", "bias-correction", "other", "epsilon")


@functools.cache
def _variants(optimizer: str) -> tuple[Variant, ...]:
    """Every variant of ``optimizer`` considered, fewest deviations first."""
    out: list[Variant] = []
    signs = (-1, 1)
    states = ("carried", "reset")
    corr = ("none", "proper", "fed-back")
    if optimizer == "gd":
        out = [Variant("gd", sign=s) for s in signs]
    elif optimizer == "momentum":
        for s, a, c, st in itertools.product(signs, ("ema", "sum", "swapped"), corr, states):
            if st == "reset" and a != "ema":
                continue  # with a fresh v every call these are plain gradient descent, told as such
            out.append(Variant("momentum", sign=s, avg=a, v_corr=c, state=st))
    elif optimizer == "rmsprop":
        for s, a, c, e, st in itertools.product(signs, ("ema", "swapped"), corr,
                                                ("outside", "inside", "none", "hat", "inside-raw"), states):
            if e in ("hat", "inside-raw") and c != "proper":
                continue
            out.append(Variant("rmsprop", sign=s, avg=a, s_corr=c, eps=e, state=st))
    else:
        for s, a, vc, sc, e, st, ts in itertools.product(
                signs, ("ema", "swapped", "exchanged"), corr, corr,
                ("outside", "hat", "inside", "inside-raw", "none"), states, (0, 1)):
            if e in ("hat", "inside-raw") and sc != "proper":
                continue
            if ts and vc == "none" and sc == "none":
                continue
            out.append(Variant("adam", sign=s, avg=a, v_corr=vc, s_corr=sc, eps=e, state=st, t_shift=ts))
    # the correct forms first; "hat" (the paper's efficient form) counts as correct
    return tuple(sorted(out, key=lambda v: (len(v.deviations()), v.eps != "outside", v.v_corr == "none",
                                            v.s_corr == "none")))


def _simulate(variant: Variant, grads: np.ndarray, hp: Mapping[str, float]) -> np.ndarray:
    """The steps (T, N) ``variant`` takes for gradients ``grads`` (T, N), learning rate 1 when
    ``hp`` has none."""
    opt = variant.optimizer
    lr = hp.get("learning_rate", 1.0)
    if opt == "gd":
        return variant.sign * lr * grads
    if opt == "momentum":
        b1, b2 = hp["beta"], None
    elif opt == "rmsprop":
        b1, b2 = None, hp["beta"]
    else:
        b1, b2 = hp["beta1"], hp["beta2"]
        if variant.avg == "exchanged":
            b1, b2 = b2, b1
    eps = hp.get("epsilon", 0.0)
    n = grads.shape[1]
    v = np.zeros(n)
    s = np.zeros(n)
    steps = np.empty_like(grads)
    for k in range(grads.shape[0]):
        g = grads[k]
        t = k + 1 + variant.t_shift
        if variant.state == "reset":
            v = np.zeros(n)
            s = np.zeros(n)
        direction = g
        if b1 is not None:
            v_new = _average(v, g, b1, variant.avg)
            v_hat = v_new / (1 - b1 ** t) if variant.v_corr != "none" else v_new
            v = v_hat if variant.v_corr == "fed-back" else v_new
            direction = v_hat
        if b2 is not None:
            s_new = _average(s, g * g, b2, variant.avg)
            c2 = 1 - b2 ** t
            s_hat = s_new / c2 if variant.s_corr != "none" else s_new
            s = s_hat if variant.s_corr == "fed-back" else s_new
            with np.errstate(all="ignore"):
                if variant.eps == "outside":
                    denom = np.sqrt(s_hat) + eps
                elif variant.eps == "hat":  # lr * sqrt(1 - b2^t) / (1 - b1^t) * v / (sqrt(s) + eps)
                    denom = (np.sqrt(s_new) + eps) / np.sqrt(c2)
                elif variant.eps == "inside":
                    denom = np.sqrt(s_hat + eps)
                elif variant.eps == "inside-raw":
                    denom = np.sqrt((s_new + eps) / c2)
                else:
                    denom = np.sqrt(s_hat)
                direction = direction / denom
        steps[k] = variant.sign * lr * direction
    return steps


def _average(avg: np.ndarray, x: np.ndarray, beta: float, how: str) -> np.ndarray:
    if how == "sum":
        return beta * avg + x
    if how == "swapped":
        return (1 - beta) * avg + beta * x
    return beta * avg + (1 - beta) * x


# --------------------------------------------------------------------------------------------
# calling the function


@dataclass
class _Layout:
    params: tuple[str, ...]
    grads: tuple[str, ...]
    state: tuple[str, ...]
    label: str


def _layouts(shapes: Mapping[str, tuple[int, ...]], stateful: bool) -> list[_Layout]:
    keys = tuple(shapes)
    lower = tuple(k.lower() for k in keys)
    course = tuple("d" + k for k in keys)
    course_lower = tuple("d" + k for k in lower)
    out = [_Layout(keys, course, course, "course keys (W1, dW1; v and s keyed dW1)")]
    if stateful:
        out.append(_Layout(keys, course, keys, "course keys (W1, dW1; v and s keyed W1)"))
    if lower != keys:
        out.append(_Layout(lower, course_lower, course_lower, "lowercase keys (w1, dw1; v and s keyed dw1)"))
        if stateful:
            out.append(_Layout(lower, course_lower, lower, "lowercase keys (w1, dw1; v and s keyed w1)"))
    return out


@dataclass
class _Run:
    """What the function did over the consecutive calls."""

    layout: _Layout
    before: list[dict[str, np.ndarray]] = field(default_factory=list)
    after: list[dict[str, np.ndarray]] = field(default_factory=list)
    dtype: np.dtype = field(default_factory=lambda: np.dtype(np.float64))


class _Stop(Exception):
    def __init__(self, finding: Finding | None) -> None:
        super().__init__("probe stopped")
        self.finding = finding


def _inputs(shapes: Mapping[str, tuple[int, ...]], steps: int, seed: int
            ) -> tuple[dict[str, np.ndarray], list[dict[str, np.ndarray]], np.ndarray]:
    """Parameters, one gradient dict per step (course keys), and the mask of tiny gradient entries."""
    rng = np.random.default_rng(seed)
    params = {k: rng.uniform(-1.0, 1.0, shape) for k, shape in shapes.items()}
    first = next(iter(shapes))
    grads = []
    for _ in range(steps):
        g = {}
        for k, shape in shapes.items():
            mag = rng.uniform(0.2, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
            if k == first and len(shape) == 2 and shape[1] > 1:
                mag[:, -1] *= TINY  # the last column: gradients far below sqrt(epsilon)
            g[k] = mag
        grads.append(g)
    tiny = np.concatenate([(np.zeros(shape, bool) if k != first or len(shape) != 2 or shape[1] < 2
                            else np.pad(np.zeros((shape[0], shape[1] - 1), bool), ((0, 0), (0, 1)),
                                        constant_values=True)).ravel()
                           for k, shape in shapes.items()])
    return params, grads, tiny


def _call_args(sig: UpdateSignature, values: Mapping[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    args, kwargs = [], {}
    for role, pname in sig.roles.items():
        if role not in values:
            continue
        if pname in sig.positional_only:
            continue
        kwargs[pname] = values[role]
    if sig.positional_only:
        inv = {p: r for r, p in sig.roles.items()}
        for pname in sig.positional_only:
            args.append(values[inv[pname]])
    return args, kwargs


def _run(func: Callable[..., Any], fname: str, sig: UpdateSignature, layout: _Layout,
         shapes: Mapping[str, tuple[int, ...]], hp: Mapping[str, float], steps: int, seed: int) -> _Run:
    params0, grads_seq, _ = _inputs(shapes, steps, seed)
    keys = list(shapes)
    params: Any = {pk: params0[k].copy() for pk, k in zip(layout.params, keys)}
    state: dict[str, Any] = {r: {sk: np.zeros(shapes[k]) for sk, k in zip(layout.state, keys)} for r in sig.state}
    run = _Run(layout)
    for step in range(steps):
        t = step + 1
        grads = {gk: grads_seq[step][k].copy() for gk, k in zip(layout.grads, keys)}
        before = {k: np.array(params[pk], dtype=np.float64) for pk, k in zip(layout.params, keys)}
        values: dict[str, Any] = {"parameters": params, "grads": grads, "t": t, "layers": len(keys) // 2,
                                  **{r: state[r] for r in sig.state}}
        values.update({k: hp[k] for k in _HYPER if k in hp and k in sig.roles})
        args, kwargs = _call_args(sig, values)
        ok, result = guarded(func, *args, **kwargs)
        if not ok:
            raise _Failure(result, t)
        new_params, new_state = _parse_result(result, params, state, sig)
        if new_params is None:
            raise _Stop(_unexpected(func, fname, result, t))
        after = {}
        for pk, k in zip(layout.params, keys):
            value = new_params.get(pk) if isinstance(new_params, Mapping) else None
            try:
                arr = np.asarray(value, dtype=np.float64) if value is not None else None
            except (TypeError, ValueError):
                arr = None
            if arr is None or arr.shape != before[k].shape:
                raise _Stop(_unexpected(func, fname, result, t, missing=pk))
            after[k] = arr.copy()
            if isinstance(value, np.ndarray) and value.dtype.kind == "f" and value.dtype.itemsize < 8:
                run.dtype = value.dtype
        run.before.append(before)
        run.after.append(after)
        params, state = new_params, new_state
    return run


class _Failure(Exception):
    def __init__(self, exc: BaseException, t: int) -> None:
        super().__init__(str(exc))
        self.exc = exc
        self.t = t


def _parse_result(result: Any, params: Any, state: dict[str, Any], sig: UpdateSignature
                  ) -> tuple[Any, dict[str, Any]]:
    """(parameters, state) to feed into the next call: what the function returned, or the dicts
    it was given (changed in place) for what it did not return."""
    if result is None:
        return params, state
    if isinstance(result, Mapping):
        return result, state
    if isinstance(result, (tuple, list)):
        dicts = [r for r in result if isinstance(r, Mapping)]
        if not dicts:
            return None, state
        new_state = dict(state)
        for role, d in zip(sig.state, dicts[1:]):
            new_state[role] = d
        return dicts[0], new_state
    return None, state


def _unexpected(func: Callable[..., Any], fname: str, result: Any, t: int, missing: str | None = None) -> Finding:
    what = type(result).__name__
    if missing is not None:
        message = (f"{fname} was called with a parameter dict and a gradient dict (t = {t}), but what it gives "
                   f"back has no array {missing!r} of the parameter's shape: its result cannot be read as the "
                   f"updated parameters.")
    else:
        message = (f"{fname} returned a {what} (t = {t}): an update step returns the parameter dict (with the "
                   f"optimizer's state, e.g. (parameters, v)), or changes the dicts in place and returns None.")
    return Finding("unexpected-output", message, Severity.ERROR, location(func, fname, (r"\breturn\b",)),
                   {"function": fname, "returned": what, "t": t, "probe": "optimizer-update"},
                   "Return the updated parameters: `return parameters` (or `return parameters, v` / "
                   "`return parameters, v, s` when the function keeps a state).")


# --------------------------------------------------------------------------------------------
# the comparison


@dataclass
class _Observed:
    grads: np.ndarray  # (T, N)
    steps: np.ndarray  # (T, N)
    before: np.ndarray  # (T, N)
    after: np.ndarray  # (T, N)
    tiny: np.ndarray  # (N,)
    entries: list[tuple[str, tuple[int, ...]]]  # flat index -> (key, index)
    dtype: np.dtype
    layout: str = ""


def _observed(run: _Run, grads_seq: list[dict[str, np.ndarray]], tiny: np.ndarray,
              shapes: Mapping[str, tuple[int, ...]]) -> _Observed:
    keys = list(shapes)
    flat = lambda d: np.concatenate([np.ravel(d[k]) for k in keys])  # noqa: E731
    before = np.array([flat(b) for b in run.before])
    after = np.array([flat(a) for a in run.after])
    grads = np.array([flat(g) for g in grads_seq[: len(run.before)]])
    entries = []
    for pk, k in zip(run.layout.params, keys):
        entries += [(pk, idx) for idx in np.ndindex(*shapes[k])]
    with np.errstate(all="ignore"):
        steps = after - before
    return _Observed(grads, steps, before, after, tiny, entries, run.dtype, run.layout.label)


def _tolerance(obs: _Observed, pred: np.ndarray) -> tuple[np.ndarray, float]:
    eps = float(np.finfo(obs.dtype).eps)
    scale = np.nanmax(np.abs(pred), axis=1, initial=0.0)[:, None]
    atol = 1e-9 * scale + 64 * eps * (np.max(np.abs(obs.before), axis=1, initial=1.0)[:, None])
    rtol = max(RTOL, 16 * eps)
    return atol, rtol


def _close(obs: _Observed, pred: np.ndarray) -> np.ndarray:
    atol, rtol = _tolerance(obs, pred)
    with np.errstate(all="ignore"):
        ok = np.abs(obs.steps - pred) <= atol + rtol * np.abs(pred)
    both_nan = np.isnan(obs.steps) & np.isnan(pred)
    same_inf = np.isinf(obs.steps) & (obs.steps == pred)
    return ok | both_nan | same_inf


@dataclass
class _Match:
    variant: Variant
    hp: dict[str, float]
    pred: np.ndarray
    fitted: tuple[str, ...] = ()


def _hp_grid(optimizer: str, known: Mapping[str, float]) -> list[tuple[dict[str, float], tuple[str, ...]]]:
    """Hyperparameter sets to try: the known values, the unknown ones from their grids."""
    need = {"gd": (), "momentum": ("beta",), "rmsprop": ("beta", "epsilon"),
            "adam": ("beta1", "beta2", "epsilon")}[optimizer]
    axes = []
    for name in need:
        if name in known:
            axes.append([(name, known[name])])
        else:
            grid = EPSILON_GRID if name == "epsilon" else BETA_GRID
            axes.append([(name, v) for v in grid])
    fitted = tuple(n for n in need if n not in known) + (() if "learning_rate" in known else ("learning_rate",))
    out = []
    for combo in itertools.product(*axes):
        hp = dict(combo)
        if "learning_rate" in known:
            hp["learning_rate"] = known["learning_rate"]
        out.append((hp, fitted))
    return out


def _try(obs: _Observed, variant: Variant, hp: dict[str, float], fitted: tuple[str, ...]) -> _Match | None:
    pred = _simulate(variant, obs.grads, hp)
    if "learning_rate" in fitted:  # the learning rate is a scale: fit it (positive)
        ok = np.isfinite(pred) & np.isfinite(obs.steps)
        den = float(np.sum(pred[ok] ** 2))
        if den == 0:
            return None
        c = float(np.sum(pred[ok] * obs.steps[ok])) / den
        if not c > 0:
            return None
        pred = pred * c
        hp = {**hp, "learning_rate": c}
    if bool(np.all(_close(obs, pred))):
        return _Match(variant, hp, pred, fitted)
    return None


def _search(obs: _Observed, candidates: Iterable[str], known_for: Callable[[str], dict[str, float]],
            deadline: float) -> _Match | None:
    for optimizer in candidates:
        known = known_for(optimizer)
        grid = _hp_grid(optimizer, known)
        for variant in _variants(optimizer):
            for hp, fitted in grid:
                found = _try(obs, variant, hp, fitted)
                if found is not None:
                    if "learning_rate" in fitted:  # re-fit the rounded value for a cleaner report
                        found.hp["learning_rate"] = float(f"{found.hp['learning_rate']:.6g}")
                    return found
            if time.monotonic() > deadline:
                return None
    return None


# --------------------------------------------------------------------------------------------
# hyperparameters the function does not take as arguments


def _hidden_value(func: Any, role: str) -> float | None:
    """A hyperparameter read from a module-level variable the function uses, or from an attribute
    of the object a bound method belongs to (``self.lr``)."""
    names = _NAMES[role]
    target = getattr(func, "__func__", func)
    code = getattr(target, "__code__", None)
    if inspect.ismethod(func):
        for attr, value in vars(func.__self__).items() if hasattr(func.__self__, "__dict__") else ():
            if _norm(attr) in names and _number(value):
                return float(value)
    if code is not None:
        g = getattr(target, "__globals__", {})
        for name in code.co_names:
            if _norm(name) in names and _number(g.get(name)):
                return float(g[name])
    return None


def _number(x: Any) -> bool:
    return isinstance(x, (int, float, np.floating, np.integer)) and not isinstance(x, bool) and np.isfinite(x)


# --------------------------------------------------------------------------------------------
# the probe


def probe_update(func: Callable[..., Any], *, name: str | None = None,
                 shapes: Mapping[str, tuple[int, ...]] | None = None,
                 hyperparameters: Mapping[str, float] | None = None,
                 steps: int = STEPS, seed: int = 0) -> list[Finding]:
    """Probe an update function; return its `optimizer-update` findings (empty when it computes
    its optimizer's formula), or a `user-code-error` / `unexpected-output` /
    `parameters-not-updated` / `check-inconclusive` finding when it cannot be compared.

    ``shapes`` (parameter key -> shape, course keys ``W1``/``b1``...), ``hyperparameters``
    (``learning_rate``, ``beta``, ``beta1``, ``beta2``, ``epsilon``: the values passed to the
    function where it takes them) and ``steps`` (consecutive calls, t = 1..steps) change the
    controlled inputs; the defaults suit every course-style function.
    """
    fname = name_of(func, name)
    try:
        return _probe(func, fname, dict(shapes or DEFAULT_SHAPES), {**DEFAULT_HYPERPARAMETERS,
                                                                     **(hyperparameters or {})},
                      max(int(steps), 2), seed)
    except _Stop as stop:
        return [stop.finding] if stop.finding is not None else []
    except Exception as exc:  # noqa: BLE001 - a probe never breaks the report
        return [_inconclusive(func, fname, f"the optimizer probe failed ({type(exc).__name__}: {exc})")]


def _inconclusive(func: Callable[..., Any], fname: str, why: str, fix: str = "") -> Finding:
    return Finding("check-inconclusive", f"{fname} could not be checked against the optimizer formulas: {why}.",
                   Severity.INFO, location(func, fname), {"check": "optimizer-update", "function": fname},
                   fix or "Declare the update step with the course's signature, e.g. update_parameters_with_adam("
                          "parameters, grads, v, s, t, learning_rate, beta1, beta2, epsilon).")


def _probe(func: Callable[..., Any], fname: str, shapes: dict[str, tuple[int, ...]], hp_in: dict[str, float],
           steps: int, seed: int) -> list[Finding]:
    sig = _signature(func, strict=False)
    if sig is None:
        params = parameters_of(func)
        names = ", ".join(p.name for p in params) if params else "?"
        raise _Stop(_inconclusive(
            func, fname, f"its arguments ({names}) are not those of an update step (the parameters, the gradients, "
                         f"and the learning rate and optimizer state where it takes them)"))
    target = func
    if sig.internal_state:  # a method of an optimizer object: probe a copy, never the user's object
        try:
            target = types.MethodType(func.__func__, copy.deepcopy(func.__self__))
        except Exception:  # noqa: BLE001
            raise _Stop(_inconclusive(func, fname, "its object cannot be copied, and probing it would change it")) from None
    hp = {k: v for k, v in hp_in.items() if k in sig.roles}
    _, grads_seq, tiny = _inputs(shapes, steps, seed)
    run = None
    first_error: tuple[BaseException, int] | None = None
    key_errors = []
    for layout in _layouts(shapes, bool(sig.state)):
        this = target
        if sig.internal_state:
            this = types.MethodType(func.__func__, copy.deepcopy(func.__self__))
        try:
            run = _run(this, fname, sig, layout, shapes, hp, steps, seed)
            break
        except _Failure as failure:
            if isinstance(failure.exc, KeyError) and failure.t == 1:
                key_errors.append(failure.exc)
                continue
            first_error = (failure.exc, failure.t)
            break
    if run is None:
        if first_error is not None:
            exc, t = first_error
            raise _Stop(user_code_finding(func, fname, exc, f"probed as an update step, call t = {t}"))
        keys = ", ".join(sorted({repr(e.args[0]) if e.args else "?" for e in key_errors}))
        raise _Stop(_inconclusive(
            func, fname, f"it looks up keys the probe's dicts do not have ({keys}) with course-style and lowercase "
                         f"keys (W1, b1, dW1 / w1, b1, dw1)",
            "Key the parameters W1, b1, ... and the gradients dW1, db1, ... (or lowercase), as the course does."))
    obs = _observed(run, grads_seq, tiny, shapes)
    if not np.any(obs.steps != 0) and np.all(np.isfinite(obs.steps)):
        return [_not_updated(func, fname, sig, obs)]

    def known_for(optimizer: str) -> dict[str, float]:
        out: dict[str, float] = {}
        for role in ("learning_rate", "epsilon"):
            v = hp.get(role, _hidden_value(func, role))
            if v is not None:
                out[role] = v
        if optimizer == "adam":
            roles = {"beta1": "beta1", "beta2": "beta2"}
        elif optimizer == "momentum":
            roles = {"beta": "beta1" if sig.optimizer == "adam" else "beta"}
        elif optimizer == "rmsprop":
            roles = {"beta": "beta2" if sig.optimizer == "adam" else "beta"}
        else:
            roles = {}
        for mine, theirs in roles.items():
            v = hp.get(theirs, _hidden_value(func, theirs))
            if v is not None:
                out[mine] = v
        return out

    order = [sig.optimizer] + [o for o in OPTIMIZERS if o != sig.optimizer and
                               (sig.internal_state or _feasible(o, sig.state))]
    deadline = time.monotonic() + SEARCH_BUDGET
    match = _search(obs, [sig.optimizer], known_for, deadline)
    if match is None:
        match = _search(obs, order[1:], known_for, deadline)
        other = match.variant.optimizer if match is not None else None
        if match is not None and (sig.internal_state or (
                sig.named_as in (None, other) and _NEEDS[other] == len(sig.state))):
            # an optimizer object keeps its own state, and a one-state function whose name says nothing
            # may be momentum or RMSprop: judge it as the optimizer it is
            return _findings(func, fname, replace(sig, optimizer=other), obs, match)
        if match is not None and match.variant.optimizer != sig.optimizer:
            return [_other_optimizer(func, fname, sig, obs, match, known_for)]
        return [_unmatched(func, fname, sig, obs, known_for)]
    return _findings(func, fname, sig, obs, match)


# --------------------------------------------------------------------------------------------
# findings


def _entry_name(obs: _Observed, i: int) -> str:
    key, idx = obs.entries[i]
    return f"{key}[{', '.join(str(j) for j in idx)}]"


def _pick(obs: _Observed, ref: np.ndarray, prefer_tiny: bool | None) -> tuple[int, int]:
    """(step index, entry) where the observed step differs most from ``ref``, at the first step
    where it differs at all; among the tiny-gradient entries or the others as asked."""
    close = _close(obs, ref)
    with np.errstate(all="ignore"):
        diff = np.abs(obs.steps - ref)
    diff = np.where(np.isnan(diff), np.inf, diff)
    rows = np.flatnonzero(~np.all(close, axis=1))
    k = int(rows[0]) if rows.size else 0
    cand = ~close[k]
    if prefer_tiny is not None:
        pref = cand & (obs.tiny if prefer_tiny else ~obs.tiny)
        if pref.any():
            cand = pref
    if not cand.any():
        cand = np.ones_like(cand)
    score = np.where(cand, diff[k], -1.0)
    return k, int(np.argmax(score))


def _numbers(obs: _Observed, ref: np.ndarray, k: int, i: int) -> dict[str, Any]:
    expected_step = float(ref[k, i])
    actual_step = float(obs.steps[k, i])
    denom = abs(actual_step) + abs(expected_step)
    return {
        "t": k + 1,
        "parameter": obs.entries[i][0],
        "entry": _entry_name(obs, i),
        "gradient": float(obs.grads[k, i]),
        "before": float(obs.before[k, i]),
        "expected": float(obs.before[k, i] + expected_step),
        "actual": float(obs.after[k, i]),
        "expected_step": expected_step,
        "actual_step": actual_step,
        "relative_error": (abs(actual_step - expected_step) / denom) if denom > 0 and np.isfinite(denom) else None,
    }


def _ratio(nums: Mapping[str, Any]) -> float | None:
    """actual / expected step, when both go the same way."""
    a, e = nums["actual_step"], nums["expected_step"]
    if not e or not np.isfinite(a) or a * e <= 0:
        return None
    return a / e


def _hp_evidence(hp: Mapping[str, float], optimizer: str, fitted: tuple[str, ...]) -> dict[str, Any]:
    names = {"gd": ("learning_rate",), "momentum": ("learning_rate", "beta"),
             "rmsprop": ("learning_rate", "beta", "epsilon"),
             "adam": ("learning_rate", "beta1", "beta2", "epsilon")}[optimizer]
    out = {n: hp[n] for n in names if n in hp}
    if fitted:
        out["inferred"] = [n for n in fitted if n in out]
    return out


def _describe(variant: Variant) -> str:
    """What the function computes, in a few words."""
    devs = variant.deviations()
    base = _TITLE[variant.optimizer]
    if not devs:
        return base
    words = {
        "sign": "with the wrong sign",
        "state": "without carrying its state over",
        "swapped-beta": "with beta and 1 - beta swapped",
        "exchanged-betas": "with beta1 and beta2 exchanged",
        "no-one-minus-beta": "without the (1 - beta) factor",
        "correction-fed-back": "with the bias-corrected average fed back into the state",
        "correction-missing": "without bias correction",
        "t-shift": "correcting with t + 1",
        "epsilon-inside": "with epsilon inside the square root",
        "epsilon-missing": "without epsilon",
    }
    return f"{base} " + ", ".join(words[d] for d in devs)


def _fixed(variant: Variant, deviations: set[str]) -> Variant:
    """``variant`` with the given deviations corrected."""
    changes: dict[str, Any] = {}
    if "sign" in deviations:
        changes["sign"] = -1
    if "state" in deviations:
        changes["state"] = "carried"
    if deviations & {"swapped-beta", "exchanged-betas", "no-one-minus-beta"}:
        changes["avg"] = "ema"
    if "correction-fed-back" in deviations or "correction-missing" in deviations:
        if variant.optimizer == "adam":
            changes["v_corr"] = "proper"
            changes["s_corr"] = "proper"
        else:
            changes["v_corr"] = "proper" if variant.v_corr == "fed-back" else variant.v_corr
            changes["s_corr"] = "proper" if variant.s_corr == "fed-back" else variant.s_corr
    if "t-shift" in deviations:
        changes["t_shift"] = 0
    if deviations & {"epsilon-inside", "epsilon-missing"}:
        changes["eps"] = "outside"
    return replace(variant, **changes)


def _findings(func: Callable[..., Any], fname: str, sig: UpdateSignature, obs: _Observed, match: _Match
              ) -> list[Finding]:
    variant = match.variant
    devs = variant.deviations()
    if not devs:
        return []
    groups: dict[str, list[str]] = {}
    for d in devs:
        kind, _ = _DEVIATION_KIND[d]
        groups.setdefault(kind, []).append(d)
    findings = []
    for kind in _KIND_ORDER:
        for_kind = groups.get(kind)
        if not for_kind:
            continue
        if kind == "other":  # each "other" deviation on its own
            for d in for_kind:
                findings.append(_finding(func, fname, sig, obs, match, kind, [d]))
        elif kind == "bias-correction" and "t-shift" in for_kind and len(for_kind) > 1:
            findings.append(_finding(func, fname, sig, obs, match, kind, [d for d in for_kind if d != "t-shift"]))
            findings.append(_finding(func, fname, sig, obs, match, kind, ["t-shift"]))
        else:
            findings.append(_finding(func, fname, sig, obs, match, kind, for_kind))
    return findings


def _finding(func: Callable[..., Any], fname: str, sig: UpdateSignature, obs: _Observed, match: _Match,
             kind: str, devs: list[str]) -> Finding:
    variant = match.variant
    ref_variant = _fixed(variant, set(devs))
    ref = _simulate(ref_variant, obs.grads, match.hp)
    prefer_tiny = True if kind == "epsilon" else False
    k, i = _pick(obs, ref, prefer_tiny)
    nums = _numbers(obs, ref, k, i)
    severity = max(_DEVIATION_KIND[d][1] for d in devs)
    opt = variant.optimizer
    hp = match.hp
    r = sig.roles
    lr_name = r.get("learning_rate", "learning_rate")
    evidence: dict[str, Any] = {
        "kind": kind,
        "optimizer": opt,
        "implements": _describe(variant),
        "deviations": devs,
        **nums,
        "hyperparameters": _hp_evidence(hp, opt, match.fitted),
        "steps_checked": int(obs.steps.shape[0]),
        "keys": obs.layout,
    }
    key = nums["parameter"]
    gkey = "d" + key
    t = nums["t"]
    at = (f"at t = {t}, {nums['entry']} (gradient {fmt(nums['gradient'])}) moves by {fmt(nums['actual_step'])} "
          f"to {fmt(nums['actual'], 6)}; the formula gives a step of {fmt(nums['expected_step'])}, "
          f"to {fmt(nums['expected'], 6)}")
    v_name, s_name = _state_names(sig, opt)
    b_name = r.get("beta", "beta")
    b1_name = r.get("beta1", "beta1")
    b2_name = r.get("beta2", "beta2")
    eps_name = r.get("epsilon", "epsilon")
    t_name = r.get("t", "t")
    patterns: list[str] = []
    term = _term(opt, sig, gkey)
    if kind == "sign":
        message = (f"{fname} moves the parameters along the gradient instead of against it: {at}. Every "
                   f"update makes the cost larger, whatever the learning rate.")
        fix = f"Subtract the step: parameters[\"{key}\"] = parameters[\"{key}\"] - {lr_name} * {term}."
        patterns = [rf"\+=.*\b{re.escape(lr_name)}\b", rf"\b{re.escape(lr_name)}\b"]
    elif kind == "state":
        what = {"momentum": f"the velocity {v_name}", "rmsprop": f"the running average {s_name}",
                "adam": f"the moving averages {v_name} and {s_name}"}.get(opt, "its state")
        ratio = _ratio(nums)
        message = (f"{fname} does not carry {what} over from one call to the next: every step starts again from "
                   f"zero, so {at}"
                   + (f" ({fmt(ratio, 3)} x)" if ratio is not None and np.isfinite(ratio) else "") + ".")
        if opt == "momentum":
            message += (f" Momentum becomes plain gradient descent with a learning rate (1 - {b_name}) = "
                        f"{fmt(1 - hp['beta'], 3)} times smaller.")
        fix = (f"Write the new average into the dictionary and return it: {v_name}[\"{gkey}\"] = "
               f"{b_name if opt == 'momentum' else b1_name} * {v_name}[\"{gkey}\"] + (1 - "
               f"{b_name if opt == 'momentum' else b1_name}) * grads[\"{gkey}\"]"
               if opt in ("momentum", "adam") else
               f"Write the new average into the dictionary and return it: {s_name}[\"{gkey}\"] = {b_name} * "
               f"{s_name}[\"{gkey}\"] + (1 - {b_name}) * grads[\"{gkey}\"] ** 2")
        fix += (". Do not re-create the state inside the update, and keep what it returns in the loop: "
                + {"momentum": f"parameters, {v_name} = {fname}(...)",
                   "rmsprop": f"parameters, {s_name} = {fname}(...)",
                   "adam": f"parameters, {v_name}, {s_name} = {fname}(...)"}.get(opt, f"{fname}(...)") + ".")
        patterns = [r"initiali[sz]e_\w*\(", r"np\.zeros", rf"\b{re.escape(b_name if opt != 'adam' else b1_name)}\b"]
    elif kind == "bias-correction":
        if devs == ["t-shift"]:
            message = (f"{fname} corrects the averages with t + 1 instead of t (1 - beta ** (t + 1)): {at}. With a "
                       f"loop that counts t from 1, as the course's does, the early steps are too small; counting "
                       f"t in two places is easy to get wrong.")
            fix = (f"Use the {t_name} you are given: v_corrected = v / (1 - {b1_name} ** {t_name}); increment "
                   f"{t_name} once, in the training loop, before each update.")
            patterns = [rf"\b{re.escape(t_name)}\s*(\+=|=\s*{re.escape(t_name)}\s*\+)", r"\*\*"]
        elif "correction-fed-back" in devs:
            which = []
            if opt in ("momentum", "adam") and variant.v_corr == "fed-back":
                which.append(v_name)
            if opt in ("rmsprop", "adam") and variant.s_corr == "fed-back":
                which.append(s_name)
            names = " and ".join(which) or v_name
            message = (f"{fname} stores the bias-corrected value back into {names}: the next step averages the "
                       f"corrected value instead of the raw one (v = beta * v_corrected + (1 - beta) * dW), so the "
                       f"correction compounds. {at[0].upper()}{at[1:]}.")
            if "correction-missing" in devs:
                message += " The other average is not corrected at all."
            b_v = b1_name if opt == "adam" else b_name
            fix = (f"Keep the raw average in {names} and put the corrected one in a separate variable: "
                   f"{v_name}_corrected[\"{gkey}\"] = {v_name}[\"{gkey}\"] / (1 - {b_v} ** {t_name}); step with "
                   f"the corrected value, return the raw one.")
            patterns = [r"\*\*\s*\(?\s*\w*\b" + re.escape(t_name) + r"\b", r"correct|hat"]
        else:
            missing = [n for n, c in ((v_name, variant.v_corr), (s_name, variant.s_corr)) if c == "none"]
            if len(missing) == 2:
                what = (f"neither {v_name} nor {s_name} is divided by its correction (1 - {b1_name} ** {t_name}, "
                        f"1 - {b2_name} ** {t_name})")
            elif missing == [v_name]:
                what = f"{v_name} is not divided by 1 - {b1_name} ** {t_name} ({s_name} is)"
            else:
                what = f"{s_name} is not divided by 1 - {b2_name} ** {t_name} ({v_name} is)"
            ratio = _ratio(nums)
            times = f" ({fmt(ratio, 3)} x the intended step)" if ratio is not None else ""
            message = (f"{fname} does not correct Adam's moving averages for their start at zero: {what}. "
                       f"{at[0].upper()}{at[1:]}{times}. The first steps are far off (the final accuracy hardly "
                       f"shows it).")
            fix = (f"{v_name}_corrected = {v_name}[\"{gkey}\"] / (1 - {b1_name} ** {t_name}); {s_name}_corrected = "
                   f"{s_name}[\"{gkey}\"] / (1 - {b2_name} ** {t_name}); step with "
                   f"{v_name}_corrected / (np.sqrt({s_name}_corrected) + {eps_name}), t counting updates from 1. "
                   f"Keep the raw {v_name} and {s_name} in the dictionaries.")
            patterns = [r"(correct|hat)\w*\s*\[.+\]\s*=[^=]", r"(correct|hat)\w*\s*=\s*[^{\s=]",
                        rf"\b{re.escape(lr_name)}\b"]
    elif kind == "epsilon":
        if "epsilon-missing" in devs:
            message = (f"{fname} divides by the square root of the running average with no {eps_name}: {at}. A "
                       f"parameter whose gradient is 0 gets 0 / 0 = NaN, and tiny gradients get huge steps.")
            fix = f"Add {eps_name} after the square root: ... / (np.sqrt({s_name}_corrected[\"{gkey}\"]) + {eps_name})."
            severity = Severity.WARNING
        else:
            e = hp.get("epsilon", 0.0)
            message = (f"{fname} adds {eps_name} inside the square root (np.sqrt(s + {eps_name})) instead of after it "
                       f"(np.sqrt(s) + {eps_name}). It only changes steps whose gradients are below about "
                       f"sqrt({eps_name}) = {fmt(np.sqrt(e)) if e else 'n/a'}: {at}. Harmless in practice, but not "
                       f"the formula.")
            fix = f"Divide by (np.sqrt({s_name}_corrected[\"{gkey}\"]) + {eps_name}), with {eps_name} outside the root."
        patterns = [rf"sqrt\(.*\b{re.escape(eps_name)}\b", r"sqrt\("]
    else:  # other
        d = devs[0]
        b = b_name if opt != "adam" else b1_name
        if d == "no-one-minus-beta":
            factor = 1 / (1 - hp["beta"]) if hp.get("beta", 1.0) < 1 else None
            message = (f"{fname} accumulates {v_name} = {b_name} * {v_name} + dW, without the (1 - {b_name}) factor. "
                       f"It is a valid form of momentum (the one PyTorch uses), but with the same learning rate its "
                       f"steps are 1 / (1 - {b_name}) = {fmt(factor, 3) if factor else 'n/a'} times the course "
                       f"formula's: {at}.")
            fix = (f"For the course's formula: {v_name}[\"{gkey}\"] = {b_name} * {v_name}[\"{gkey}\"] + (1 - {b_name}) "
                   f"* grads[\"{gkey}\"]; or keep this form with a learning rate (1 - {b_name}) times smaller.")
        elif d == "swapped-beta":
            message = (f"{fname} swaps {b} and 1 - {b} in the moving average (v = (1 - {b}) * v + {b} * dW): the "
                       f"average forgets almost everything at each step. {at[0].upper()}{at[1:]}.")
            fix = f"{v_name}[\"{gkey}\"] = {b} * {v_name}[\"{gkey}\"] + (1 - {b}) * grads[\"{gkey}\"]."
        else:
            message = (f"{fname} uses {b2_name} for the first moment {v_name} and {b1_name} for the second moment "
                       f"{s_name}: the two averages are exchanged. {at[0].upper()}{at[1:]}.")
            fix = (f"{v_name} = {b1_name} * {v_name} + (1 - {b1_name}) * dW; {s_name} = {b2_name} * {s_name} + "
                   f"(1 - {b2_name}) * dW ** 2.")
        patterns = [rf"\b{re.escape(b)}\b"]
    evidence["problem"] = devs[0] if len(devs) == 1 else devs
    if kind == "bias-correction" and opt == "adam":
        evidence["corrected"] = {"v": variant.v_corr, "s": variant.s_corr}
    loc = location(func, fname, patterns, parameter=key)
    return Finding("optimizer-update", message, severity, loc, evidence, fix)


def _state_names(sig: UpdateSignature, opt: str) -> tuple[str, str]:
    """The names of the first- and second-moment dicts (a one-state function's dict is either)."""
    v, s = sig.roles.get("v"), sig.roles.get("s")
    if opt == "rmsprop" and s is None and v is not None:
        s, v = v, None
    if opt == "momentum" and v is None and s is not None:
        v, s = s, None
    return v or "v", s or "s"


def _term(opt: str, sig: UpdateSignature, gkey: str) -> str:
    v, s = _state_names(sig, opt)
    eps = sig.roles.get("epsilon", "epsilon")
    return {"gd": f"grads[\"{gkey}\"]", "momentum": f"{v}[\"{gkey}\"]",
            "rmsprop": f"grads[\"{gkey}\"] / (np.sqrt({s}[\"{gkey}\"]) + {eps})",
            "adam": f"{v}_corrected[\"{gkey}\"] / (np.sqrt({s}_corrected[\"{gkey}\"]) + {eps})"}[opt]


def _correct(optimizer: str) -> Variant:
    if optimizer == "adam":
        return Variant("adam", v_corr="proper", s_corr="proper")
    return Variant(optimizer)


def _reference(obs: _Observed, sig: UpdateSignature, known_for: Callable[[str], dict[str, float]]
               ) -> tuple[np.ndarray, dict[str, float]]:
    """The correct formula's steps, with the hyperparameters known (else their usual values)."""
    opt = sig.optimizer
    hp = {**DEFAULT_HYPERPARAMETERS, **known_for(opt)}
    if opt == "rmsprop" and "beta" not in known_for(opt):
        hp["beta"] = 0.9
    pred = _simulate(_correct(opt), obs.grads, hp)
    if "learning_rate" not in known_for(opt):
        ok = np.isfinite(pred) & np.isfinite(obs.steps)
        den = float(np.sum(pred[ok] ** 2))
        c = abs(float(np.sum(pred[ok] * obs.steps[ok]))) / den if den else 1.0
        pred = pred * (c or 1.0)
        hp["learning_rate"] = c
    return pred, hp


def _other_optimizer(func: Callable[..., Any], fname: str, sig: UpdateSignature, obs: _Observed, match: _Match,
                     known_for: Callable[[str], dict[str, float]]) -> Finding:
    ref, hp = _reference(obs, sig, known_for)
    k, i = _pick(obs, ref, False)
    nums = _numbers(obs, ref, k, i)
    intended = _TITLE[sig.optimizer]
    got = _describe(match.variant)
    other = match.variant.optimizer
    if _NEEDS[other] == 0:
        unused = [sig.roles[r] for r in sig.state]
    elif len(sig.state) == 2 and other in ("momentum", "rmsprop"):
        unused = [sig.roles["s" if other == "momentum" else "v"]]
    else:
        unused = []
    message = (f"{fname} takes the arguments of {intended} but computes {got}'s step"
               + (f" ({' and '.join(unused)} never used)" if unused else "")
               + f": at t = {nums['t']}, {nums['entry']} moves by {fmt(nums['actual_step'])}; {intended} gives "
                 f"{fmt(nums['expected_step'])}.")
    devs = match.variant.deviations()
    severity = Severity.ERROR if "sign" in devs else Severity.WARNING
    kind = "sign" if "sign" in devs else "other"
    evidence = {"kind": kind, "optimizer": sig.optimizer, "implements": got, "deviations": devs, **nums,
                "hyperparameters": _hp_evidence(hp, sig.optimizer, ()), "steps_checked": int(obs.steps.shape[0]),
                "problem": "other-optimizer"}
    fix = _formula_fix(sig, nums["parameter"])
    return Finding("optimizer-update", message, severity,
                   location(func, fname, (rf"\b{re.escape(sig.roles.get('learning_rate', 'learning_rate'))}\b",),
                            parameter=nums["parameter"]), evidence, fix)


def _formula_fix(sig: UpdateSignature, key: str) -> str:
    r = sig.roles
    g = f"grads[\"d{key}\"]"
    lr = r.get("learning_rate", "learning_rate")
    if sig.optimizer == "gd":
        return f"parameters[\"{key}\"] = parameters[\"{key}\"] - {lr} * {g}."
    if sig.optimizer == "momentum":
        v, b = r.get("v", "v"), r.get("beta", "beta")
        return (f"{v}[\"d{key}\"] = {b} * {v}[\"d{key}\"] + (1 - {b}) * {g}; parameters[\"{key}\"] = "
                f"parameters[\"{key}\"] - {lr} * {v}[\"d{key}\"].")
    if sig.optimizer == "rmsprop":
        s, b, e = r.get("s", r.get("v", "s")), r.get("beta", "beta"), r.get("epsilon", "epsilon")
        return (f"{s}[\"d{key}\"] = {b} * {s}[\"d{key}\"] + (1 - {b}) * {g} ** 2; parameters[\"{key}\"] = "
                f"parameters[\"{key}\"] - {lr} * {g} / (np.sqrt({s}[\"d{key}\"]) + {e}).")
    v, s, t = r.get("v", "v"), r.get("s", "s"), r.get("t", "t")
    b1, b2, e = r.get("beta1", "beta1"), r.get("beta2", "beta2"), r.get("epsilon", "epsilon")
    return (f"{v}[\"d{key}\"] = {b1} * {v}[\"d{key}\"] + (1 - {b1}) * {g}; {s}[\"d{key}\"] = {b2} * {s}[\"d{key}\"] + "
            f"(1 - {b2}) * {g} ** 2; v_corrected = {v}[\"d{key}\"] / (1 - {b1} ** {t}); s_corrected = "
            f"{s}[\"d{key}\"] / (1 - {b2} ** {t}); parameters[\"{key}\"] -= {lr} * v_corrected / "
            f"(np.sqrt(s_corrected) + {e}).")


def _unmatched(func: Callable[..., Any], fname: str, sig: UpdateSignature, obs: _Observed,
               known_for: Callable[[str], dict[str, float]]) -> Finding:
    ref, hp = _reference(obs, sig, known_for)
    k, i = _pick(obs, ref, False)
    nums = _numbers(obs, ref, k, i)
    intended = _TITLE[sig.optimizer]
    ok = np.isfinite(obs.steps) & np.isfinite(ref)
    with np.errstate(all="ignore"):
        cos = float(np.sum(obs.steps[ok] * ref[ok]) /
                    (np.linalg.norm(obs.steps[ok]) * np.linalg.norm(ref[ok]) or np.nan))
    nonfinite = not bool(np.all(np.isfinite(obs.steps)))
    evidence = {"optimizer": sig.optimizer, "implements": None, **nums,
                "hyperparameters": _hp_evidence(hp, sig.optimizer, () if "learning_rate" in known_for(sig.optimizer)
                                                else ("learning_rate",)),
                "steps_checked": int(obs.steps.shape[0]), "cosine": cos if np.isfinite(cos) else None}
    if np.isfinite(cos) and cos < -0.5:
        evidence.update(kind="sign", problem="ascends")
        message = (f"{fname} moves the parameters along the {intended} direction's opposite (cosine {cos:.2f} "
                   f"between its steps and the formula's): at t = {nums['t']}, {nums['entry']} moves by "
                   f"{fmt(nums['actual_step'])}, the formula gives {fmt(nums['expected_step'])}. Every update "
                   f"makes the cost larger.")
        return Finding("optimizer-update", message, Severity.ERROR,
                       location(func, fname, (rf"\b{re.escape(sig.roles.get('learning_rate', 'learning_rate'))}\b",),
                                parameter=nums["parameter"]), evidence, _formula_fix(sig, nums["parameter"]))
    evidence.update(kind="other", problem="non-finite" if nonfinite else "unrecognized")
    extra = " and produces NaN/inf" if nonfinite else ""
    message = (f"{fname}'s steps match neither {intended}'s formula nor one of its usual mistakes{extra}: at "
               f"t = {nums['t']}, {nums['entry']} (gradient {fmt(nums['gradient'])}) moves by "
               f"{fmt(nums['actual_step'])}; the formula gives {fmt(nums['expected_step'])}.")
    return Finding("optimizer-update", message, Severity.WARNING,
                   location(func, fname, (rf"\b{re.escape(sig.roles.get('learning_rate', 'learning_rate'))}\b",),
                            parameter=nums["parameter"]), evidence,
                   "Compare the update line by line with the formula: " + _formula_fix(sig, nums["parameter"]))


def _not_updated(func: Callable[..., Any], fname: str, sig: UpdateSignature, obs: _Observed) -> Finding:
    key = obs.entries[0][0]
    message = (f"{fname} leaves every parameter exactly as it was over {obs.steps.shape[0]} calls with non-zero "
               f"gradients: it neither returns updated parameters nor changes the dict it is given.")
    fix = (f"Write the new value back into the dictionary and return it: parameters[\"{key}\"] = "
           f"parameters[\"{key}\"] - learning_rate * ...; updating a copy or a loop variable changes nothing.")
    return Finding("parameters-not-updated", message, Severity.ERROR, location(func, fname, (r"\breturn\b",)),
                   {"function": fname, "optimizer": sig.optimizer, "steps_checked": int(obs.steps.shape[0]),
                    "probe": "optimizer-update"}, fix)
