"""The random state the user's functions draw from: replayed before each call, restored at the end.

Sources: numpy's global state (``np.random.rand``), Python's ``random`` module, and every
``np.random.Generator``, ``RandomState`` or ``random.Random`` the functions can reach (reach.py),
such as ``self.rng`` or a generator in a closure. All are snapshot when the check starts and put
back exactly when it ends. A source the first calls are seen to advance is set back before every
later call, so a dropout network draws the same masks at every evaluation; a source never drawn
from costs nothing per call.
"""

from __future__ import annotations

import ctypes
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass
class _Source:
    name: str
    get: Callable[[], Any]
    put: Callable[[Any], None]
    saved: Any = None

    def snapshot(self) -> None:
        self.saved = self.get()

    def advanced(self) -> bool:
        return not _same(self.get(), self.saved)

    def rewind(self) -> None:
        self.put(self.saved)


class _NumpyGlobal(_Source):
    """numpy's global state, whose get_state() and set_state() take about 0.1 ms each (a large
    share of a check of a small network, which asks several times). Whether it moved is read from
    the MT19937 words and position in place (their address is numpy's public ctypes interface):
    a few microseconds. Only a cached normal (has_gauss) can be drawn without moving them, so
    with one cached the full state is compared, as before. The state is put back whole at the
    end in every case (once per check)."""

    def __init__(self) -> None:
        super().__init__("numpy's global random state", np.random.get_state, np.random.set_state)
        self._words = _mt19937_words()
        self._saved_words: np.ndarray | None = None

    def snapshot(self) -> None:
        super().snapshot()
        words = self._words
        if words is not None and not (np.array_equal(words[:624], self.saved[1]) and int(words[624]) == self.saved[2]):
            words = self._words = None  # not the layout expected: the slow way
        self._saved_words = None if words is None else words.copy()

    def advanced(self) -> bool:
        if self._words is None or self._saved_words is None or self.saved[3]:
            return super().advanced()
        # words as saved can still hide a cached normal left by code that reseeded and drew an
        # odd number of normals: harmless here (such code draws the same at every call), and
        # restore() puts the whole state back regardless
        return not np.array_equal(self._words, self._saved_words)


def _mt19937_words() -> np.ndarray | None:
    """A view of the global MT19937's 624 words and position, or None where it cannot be had
    (checked against get_state() at the snapshot)."""
    try:
        bits = np.random.mtrand._rand._bit_generator
        if type(bits) is not np.random.MT19937:
            return None
        size = 625 * 4  # uint32 key[624]; int pos (numpy's mt19937_state)
        return np.frombuffer((ctypes.c_char * size).from_address(bits.ctypes.state_address), dtype=np.uint32)
    except Exception:  # noqa: BLE001 - any surprise here only means the slow way
        return None


class RandomState:
    def __init__(self, generators: list[Any]) -> None:
        self.sources = [
            _NumpyGlobal(),
            _Source("the random module", random.getstate, random.setstate),
        ]
        for gen in generators:
            source = _source_of(gen)
            if source is not None:
                self.sources.append(source)
        for source in self.sources:
            source.snapshot()
        self.drawn: list[_Source] = []  # sources the user's functions were seen to draw from
        self.replaying = True

    def note_draws(self) -> bool:
        """Look for sources advanced since the start; True when a new one was found."""
        new = [s for s in self.sources if s not in self.drawn and s.advanced()]
        self.drawn += new
        return bool(new)

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.drawn]

    def before_call(self) -> None:
        if self.replaying:
            for source in self.drawn:
                source.rewind()

    def restore(self) -> None:
        for source in self.sources:
            source.rewind()


def _source_of(gen: Any) -> _Source | None:
    if isinstance(gen, np.random.Generator):
        bits = gen.bit_generator
        return _Source(f"the generator {type(bits).__name__}", lambda: bits.state,
                       lambda state: setattr(bits, "state", state))
    if isinstance(gen, np.random.RandomState):
        if gen is np.random.mtrand._rand:  # numpy's global state, already a source
            return None
        return _Source("a RandomState", gen.get_state, gen.set_state)
    if isinstance(gen, random.Random):
        if gen is random._inst:  # type: ignore[attr-defined]  # the random module's own state
            return None
        return _Source("a random.Random", gen.getstate, gen.setstate)
    return None


def _same(a: Any, b: Any) -> bool:
    if type(a) is tuple and type(b) is tuple and a and type(a[0]) is int:
        return a == b  # random.getstate(): plain ints, compared at C speed
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and np.array_equal(a, b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return bool(a == b)
