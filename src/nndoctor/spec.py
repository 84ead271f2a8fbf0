"""`nndoctor.spec(...)`: telling `nndoctor check` how to train a file it cannot figure out alone.

    import nndoctor
    net = Network([12288, 20, 1])
    nndoctor.spec(train=lambda: net.train(X, Y, epochs=300))

Outside `nndoctor check` it does nothing but remember the call, so the line can stay in the file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_REGISTERED: list[Spec] = []


@dataclass(frozen=True)
class Spec:
    train: Callable[[], Any]


def spec(train: Callable[[], Any]) -> Spec:
    """Declare the call that trains this file's network (a function of no arguments)."""
    if not callable(train):
        from nndoctor.errors import InvalidInputError

        raise InvalidInputError("nndoctor.spec(train=...) needs a function of no arguments that trains, "
                                "e.g. train=lambda: model(X, Y, num_iterations=300).")
    declared = Spec(train)
    _REGISTERED.append(declared)
    return declared


def take_registered() -> list[Spec]:
    """The specs declared since the last call (the file being checked declared them)."""
    found = list(_REGISTERED)
    _REGISTERED.clear()
    return found
