"""Recognizing an update step by its signature, and reading the hyperparameters it does not take.

`looks_like_update(func)` maps the function's parameters to roles (the parameters, the gradients,
the optimizer's state ``v``/``s``, ``t``, the learning rate, the betas, epsilon) by their names
and, for names that say nothing, by the course's positions; the optimizer is suggested by the
state it takes and by the function's (or its object's class's) name. `hidden_value` reads a
hyperparameter the function does not take as an argument from a module-level variable it uses or
from its object (``self.lr``).
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from nndoctor.probes._common import parameters_of
from nndoctor.probes.optimizer_formulas import feasible

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
HYPER = ("learning_rate", "beta", "beta1", "beta2", "epsilon")
# the course's signatures, for parameters whose names say nothing
_TEMPLATES = {
    3: ("parameters", "grads", "learning_rate"),
    5: ("parameters", "grads", "v", "beta", "learning_rate"),
    6: ("parameters", "grads", "s", "beta", "learning_rate", "epsilon"),
    9: ("parameters", "grads", "v", "s", "t", "learning_rate", "beta1", "beta2", "epsilon"),
}
_NAME_HINTS = (("adam", "adam"), ("rms", "rmsprop"), ("momentum", "momentum"), ("velocity", "momentum"))
_UPDATE_WORDS = ("update", "step", "optim", "adam", "momentum", "rms", "sgd", "gd", "descent", "apply")


def _norm(name: str) -> str:
    return name.lower().replace("_", "")


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


def looks_like_update(func: Any) -> UpdateSignature | None:
    """The signature of an update step: a function taking the parameters and the gradients (named
    so, or in the course's positions with an update-like function name), every required argument
    understood. None for anything else."""
    return read_signature(func, strict=True)


def read_signature(func: Any, strict: bool) -> UpdateSignature | None:
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
        if word in fname and feasible(opt, state):
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


def hidden_value(func: Any, role: str) -> float | None:
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
