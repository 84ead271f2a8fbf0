"""What the Doctor knows of each function it wrapped: its name, where it is defined, its role.

A role is given by a decorator (``@doctor.backward``) or recognized: from what each call receives and
returns (calls.py), or for activations and derivative helpers by sampling them (recognize.py). A
recognized role is trusted once enough calls agreed on it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from nndoctor import roles as R
from nndoctor.usercode import definition_site, function_name

ROLE_SETTLES_AFTER = 3  # a recognized role is trusted after this many consistent calls


class InlineSite:
    """What the statistics of an activation computed inline need of a function: its kind and a name."""

    def __init__(self, kind: str) -> None:
        self.kind, self.name = kind, kind


class Site:
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
        role, _ = max(self.seen.items(), key=lambda kv: kv[1])
        return role

    def settled(self) -> bool:
        if self.fixed_role is not None:
            return True
        if len(self.seen) == 1 and max(self.seen.values()) >= ROLE_SETTLES_AFTER:
            self.fixed_role = next(iter(self.seen))  # trusted from now on: no more per-call work
            return True
        return False
