"""What the user's cost and gradient functions can reach, read from their code without running it.

Two things are wanted from the functions a check is given: the user's own code objects (to point a
finding at the line that computes a gradient) and the random generators they may draw from (so
that every evaluation replays the same dropout masks and the generators are left as they were).

The walk follows what code can name: a function's closure, defaults and ``__wrapped__``; the
globals its code names (user functions only: numpy's globals are not the user's); for an object,
only the attributes the code that reached it names (``self.forward``, ``self.rng``), so a class's
unrelated methods are not taken for its backward pass; the items of lists, tuples and dicts along
the way (``self.layers``). Nothing is called, no property is read. The walk is bounded, so an
enormous object graph costs a fixed small time.
"""

from __future__ import annotations

import functools
import random
import sys
import types
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nndoctor import usercode

MAX_OBJECTS = 5_000  # objects visited in all
MAX_ITEMS = 200  # items followed per container (a list of 60,000 examples is not walked)
GENERATOR_TYPES = (np.random.Generator, np.random.RandomState, random.Random)
_SKIPPED = (np.ndarray, np.generic, str, bytes, int, float, complex, bool, type(None), types.ModuleType)


@dataclass
class Reach:
    code: list[types.CodeType] = field(default_factory=list)  # user code, in the order reached
    generators: list[Any] = field(default_factory=list)  # numpy Generators / RandomStates, random.Random


def reach(*roots: Any) -> Reach:
    """The user code and the random generators reachable from ``roots`` (functions, methods, objects)."""
    found = Reach()
    seen_code: set[int] = set()
    seen_generators: set[int] = set()
    followed: dict[int, set[str]] = {}  # per object: the attribute names already followed
    queue: deque[tuple[Any, frozenset[str]]] = deque((root, frozenset()) for root in roots)
    visits = 0
    while queue and visits < MAX_OBJECTS:
        obj, names = queue.popleft()
        visits += 1
        if isinstance(obj, GENERATOR_TYPES):
            if id(obj) not in seen_generators:
                seen_generators.add(id(obj))
                found.generators.append(obj)
            continue
        new = _new_names(followed, obj, names)
        if new is None:
            continue
        queue.extend(_neighbours(obj, new, found, seen_code))
    return found


def _new_names(followed: dict[int, set[str]], obj: Any, names: frozenset[str]) -> frozenset[str] | None:
    """The names not yet followed on ``obj``; None when the object was already walked with all of them."""
    done = followed.get(id(obj))
    if done is None:
        followed[id(obj)] = set(names)
        return names
    new = names - done
    if not new:
        return None
    done |= new
    return frozenset(new)


def _neighbours(obj: Any, names: frozenset[str], found: Reach, seen_code: set[int]) -> Iterable[tuple[Any, frozenset[str]]]:
    if isinstance(obj, types.FunctionType):
        return _function(obj, found, seen_code)
    if isinstance(obj, types.MethodType):
        own = _code_names(obj.__func__.__code__) if isinstance(obj.__func__, types.FunctionType) else frozenset()
        return [(obj.__func__, frozenset()), (obj.__self__, own)]
    if isinstance(obj, functools.partial):
        return [(x, names) for x in (obj.func, *obj.args, *obj.keywords.values())]
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [(x, names) for x in list(obj)[:MAX_ITEMS]]
    if isinstance(obj, dict):
        return [(x, names) for x in list(obj.values())[:MAX_ITEMS]]
    if isinstance(obj, _SKIPPED):
        return []
    if isinstance(obj, type):
        return [(_bound_or_plain(value, None), names) for value in _class_attributes(obj, names)]
    return _instance(obj, names)


def _function(func: types.FunctionType, found: Reach, seen_code: set[int]) -> list[tuple[Any, frozenset[str]]]:
    code = func.__code__
    names = _code_names(code)
    out: list[tuple[Any, frozenset[str]]] = []
    # closures, defaults and wrappers of any function: nndoctor's replay closures and decorators
    # stand between the check and the learner's functions
    for cell in func.__closure__ or ():
        try:
            out.append((cell.cell_contents, names))
        except ValueError:  # an empty cell
            pass
    out += [(x, names) for x in (func.__defaults__ or ())]
    out += [(x, names) for x in (func.__kwdefaults__ or {}).values()]
    wrapped = func.__dict__.get("__wrapped__")
    if wrapped is not None:
        out.append((wrapped, frozenset()))
    if not usercode._is_user_frame(code.co_filename):  # noqa: SLF001 - the one definition of "user code"
        return out
    if id(code) not in seen_code:
        seen_code.add(id(code))
        found.code.append(code)
    scope = func.__globals__
    for name in names:
        if name in scope:
            value = scope[name]
            if isinstance(value, types.ModuleType):
                out += _module_attributes(value, names)
            else:
                out.append((value, names))
    return out


def _module_attributes(module: types.ModuleType, names: frozenset[str]) -> list[tuple[Any, frozenset[str]]]:
    """``helpers.relu_backward``: the attributes the code names, of a user module only."""
    path = getattr(module, "__file__", None)
    if not path or not usercode._is_user_frame(path):  # noqa: SLF001
        return []
    space = vars(module)
    return [(space[n], names) for n in names if n in space]


def _instance(obj: Any, names: frozenset[str]) -> list[tuple[Any, frozenset[str]]]:
    """An object reached from code: the attributes that code names, methods bound to the object."""
    cls = type(obj)
    if not _is_user_class(cls):
        return []
    space = getattr(obj, "__dict__", None) or {}
    out = [(space[n], names) for n in names if n in space]
    # a callable object (a layer called as layer(x)) runs its __call__ whatever the code names
    wanted = names | {"__call__"}
    out += [(_bound_or_plain(value, obj), names) for value in _class_attributes(cls, wanted)]
    return out


def _class_attributes(cls: type, names: frozenset[str]) -> list[Any]:
    out = []
    for klass in cls.__mro__:
        if not _is_user_class(klass):
            continue
        space = vars(klass)
        out += [space[n] for n in names if n in space]
    return out


def _bound_or_plain(value: Any, obj: Any) -> Any:
    if isinstance(value, (staticmethod, classmethod)):
        return value.__func__
    if isinstance(value, types.FunctionType) and obj is not None:
        return types.MethodType(value, obj)
    return value


def _is_user_class(cls: type) -> bool:
    module = sys.modules.get(cls.__module__)
    path = getattr(module, "__file__", None) if module is not None else None
    if path is None:  # __main__ run from a prompt, a notebook cell
        return cls.__module__ == "__main__"
    return usercode._is_user_frame(path)  # noqa: SLF001


@functools.lru_cache(maxsize=1024)
def _code_names(code: types.CodeType) -> frozenset[str]:
    """Every global and attribute name a code object (and the code nested in it) uses."""
    names: set[str] = set()
    stack = [code]
    while stack:
        c = stack.pop()
        names.update(c.co_names)
        names.update(c.co_freevars)
        stack.extend(x for x in c.co_consts if isinstance(x, types.CodeType))
    return frozenset(names)
