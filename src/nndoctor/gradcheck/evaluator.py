"""Calling the user's cost and gradient at moved parameters, and leaving no trace.

A call names the moves it wants (`Move`: add ``step * scale * values`` to a range of one block);
every other block stays at the base point. Two calling styles:

- pure, ``cost_fn(params)``: the function receives a structure shaped like the parameters. A
  block at the base point is a read-only view of the user's own array (no copy); a moved block is
  a read-only view of one working array per block, rewritten in place, range by range, from the
  base and the move. Read-only, so that the user's code cannot change what the next call sees.
  A function that writes into its arguments (an in-place ``params["W1"] *= ...``) is detected by
  the error numpy raises, and from then on every call gets fresh writable copies (the slow way).
- stateful, ``cost_fn()``: the moves are written into the user's arrays in place, from a bitwise
  snapshot taken at the start; every array is restored from it when the check ends.

Only the ranges a call moves are written, and a range is put back only when a later call needs
that part at the base point: a call costs one pass over what it moves, not copies of every block.
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

import numpy as np

from nndoctor.gradcheck.directions import add_scaled
from nndoctor.gradcheck.numeric import eps_of
from nndoctor.gradcheck.randomstate import RandomState
from nndoctor.params import Leaf, Path, rebuild
from nndoctor.usercode import UserCodeError, call_user, function_name

CHUNK = 1 << 16  # entries written per step: the working set stays in cache
# Passes a sweep adds to the working array before it is written afresh from the base: each adds
# up to half a unit in the last place per entry (joint.py counts that in its rounding allowance).
MAX_INCREMENTS = 8


class UnusableOutput(Exception):
    """A user function returned something the check cannot use; the message says what."""

    def __init__(self, function: str, message: str, returned: Any, expected: str) -> None:
        super().__init__(message)
        self.function = function
        self.returned = returned
        self.expected = expected


@dataclass(frozen=True)
class Move:
    """Add ``step * scale * values`` to the flat entries [start, stop) of block ``block`` (C order)."""

    block: int
    values: Any  # an array of stop - start entries, or one number for all of them
    scale: float = 1.0
    start: int = 0
    stop: int | None = None


class Combined:
    """A direction over blocks at once, kept as one float32 array laid out like the parameters end
    to end, from its first block to its last (zeros for a block between them that does not take
    part): block b moves by step * part(b).

    ``version`` counts changes made in place (signs flipped), so that a sweep knows when the
    parameters it moved along it no longer lie on it."""

    def __init__(self, sizes: list[int], blocks: list[int], part: np.ndarray | None = None) -> None:
        self.offsets = list(accumulate(sizes, initial=0))
        self.blocks = tuple(blocks)
        self.start = self.offsets[min(blocks)]
        stop = self.offsets[max(blocks) + 1]
        # a single block's direction can be an existing array: no copy
        self.whole = part if part is not None else np.zeros(stop - self.start, dtype=np.float32)
        self.version = 0

    def part(self, b: int) -> np.ndarray:
        return self.whole[self.offsets[b] - self.start:self.offsets[b + 1] - self.start]

    def runs(self) -> list[tuple[int, int]]:
        """[lo, hi) offsets (laid out like the parameters) of the runs of blocks side by side."""
        runs: list[tuple[int, int]] = []
        for b in sorted(self.blocks):
            lo, hi = self.offsets[b], self.offsets[b + 1]
            if runs and runs[-1][1] == lo:
                runs[-1] = (runs[-1][0], hi)
            else:
                runs.append((lo, hi))
        return runs


def detect_style(cost_fn: Callable[..., Any]) -> str:
    """'stateful' when ``cost_fn`` can be called with no argument, else 'pure'."""
    if type(cost_fn) is types.FunctionType and not hasattr(cost_fn, "__wrapped__") \
            and not hasattr(cost_fn, "__signature__"):
        # a plain function: what inspect.signature would say, read off its code (no Signature built)
        required = cost_fn.__code__.co_argcount - len(cost_fn.__defaults__ or ())
        return "stateful" if required <= 0 else "pure"
    try:
        sig = inspect.signature(cost_fn)
    except (TypeError, ValueError):
        return "pure"
    required = [
        p for p in sig.parameters.values()
        if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    return "stateful" if not required else "pure"


class Evaluator:
    def __init__(self, cost_fn: Callable[..., Any], grad_fn: Callable[..., Any], params: Any,
                 leaves: list[Leaf], style: str, randomness: RandomState,
                 work_dtype: np.dtype | None = None) -> None:
        self.cost_fn, self.grad_fn, self.params = cost_fn, grad_fn, params
        self.leaves, self.style, self.random = leaves, style, randomness
        self.cost_name = function_name(cost_fn)
        self.evaluations = 0
        self.gradient_calls = 0
        self.cost_dtype = np.dtype(np.float64)
        self.copy_mode = False
        self._index = {leaf.path: i for i, leaf in enumerate(leaves)}
        self.sizes = [leaf.array.size for leaf in leaves]
        self.shapes = [leaf.array.shape for leaf in leaves]
        self.dirty: list[tuple[int, int] | None] = [None] * len(leaves)
        self._moved: set[int] = set()
        self.work_dtype = work_dtype if style == "pure" else None
        if style == "stateful":
            # the bitwise snapshot is the base point, and what every array is restored from
            self.snapshot = [np.array(leaf.array, order="C", copy=True) for leaf in leaves]
            self.bases = [s.reshape(-1) for s in self.snapshot]
            self.work: list[np.ndarray | None] = [_flat_view(leaf.array) for leaf in leaves]
        else:
            self.snapshot = []
            # a read-only view of the user's array, flat (a reshape of a read-only view is one too)
            self.bases = [_read_only(leaf.array).reshape(-1) if leaf.array.flags.c_contiguous
                          else _read_only(np.ascontiguousarray(leaf.array).reshape(-1)) for leaf in leaves]
            self.work = [None] * len(leaves)
        self.shown: list[np.ndarray | None] = [None] * len(leaves)
        # the pure style in the user's dtypes keeps one working array for every block end to end,
        # so that a combined direction moves all of them in one pass (a sweep)
        self._sweeps = style == "pure" and work_dtype is None and len({leaf.array.dtype for leaf in leaves}) == 1
        self._all: np.ndarray | None = None
        self._all_shown: np.ndarray | None = None  # a read-only view of it
        self._offsets = list(accumulate(self.sizes, initial=0))
        # what the working array holds beyond the base: {(id, version): (direction, coef)}, or None
        # when a block was written on its own since
        self._terms: dict[tuple[int, int], tuple[Combined, float]] | None = None
        self._increments = 0
        self.at_base = [_read_only(leaf.array) for leaf in leaves]  # what a block at the base point is
        flat = type(params) is dict and len(params) == len(leaves) and all(len(leaf.path) == 1 for leaf in leaves)
        self._flat_keys = [(leaf.path[0], i) for i, leaf in enumerate(leaves)] if flat else None

    @property
    def dtypes(self) -> list[np.dtype]:
        return [self.work_dtype or b.dtype for b in self.bases]

    # --- the user's functions ------------------------------------------------------------
    def cost(self, moves: Sequence[Move] = (), step: float = 0.0,
             sweep: tuple[Combined, Sequence[int]] | None = None) -> float:
        """The cost with ``moves`` applied at ``step`` (no moves: at the base point), or with the
        blocks ``sweep[1]`` moved along the combined direction ``sweep[0]``."""
        if sweep is not None and self._sweeps:
            self._sweep(sweep[0], sweep[1], step)
        else:
            if sweep is not None:
                moves = [Move(b, sweep[0].part(b)) for b in sweep[1]]
            self._place(moves, step)
        self.evaluations += 1
        value, dtype = as_scalar(self._call(self.cost_fn), self.cost_name)
        if eps_of(dtype) > eps_of(self.cost_dtype):
            self.cost_dtype = dtype
        return value

    def gradients(self) -> Any:
        """The analytic gradients at the base point."""
        self._place((), 0.0)
        self.gradient_calls += 1
        value = self._call(self.grad_fn)
        if value is None:
            name = function_name(self.grad_fn)
            raise UnusableOutput(name, f"{name} returned None; it must return the gradients (a dict like "
                                       f"{{'dW1': ..., 'db1': ...}} or the same structure as the parameters).",
                                 value, "gradients")
        if isinstance(value, tuple) and value and isinstance(value[0], dict) and isinstance(self.params, dict):
            value = value[0]  # (grads, cache) style
        return value

    def _call(self, func: Callable[..., Any]) -> Any:
        self.random.before_call()
        if self.style == "stateful":
            return call_user(func)
        try:
            return call_user(func, self._structure())
        except UserCodeError as err:
            if self.copy_mode or not _wrote_into_argument(err):
                raise
            self.copy_mode = True  # the function writes into its parameters: give it copies from now on
            self.random.restore()
            return call_user(func, self._structure())

    def _structure(self) -> Any:
        if self._flat_keys is not None:  # a flat dict of checkable arrays: the common case, built directly
            if self.copy_mode:
                return {key: np.array(self._handout(i), copy=True) for key, i in self._flat_keys}
            return {key: self._handout(i) for key, i in self._flat_keys}

        def replace(leaf: Leaf) -> Any:
            i = self._index.get(leaf.path)
            array = self._handout(i) if i is not None else _read_only(leaf.array)
            return np.array(array, copy=True) if self.copy_mode else array

        return rebuild(self.params, replace)

    def _handout(self, i: int) -> np.ndarray:
        if i in self._moved or self.work_dtype is not None:
            return self.shown[i]
        return self.at_base[i]

    # --- moving blocks ---------------------------------------------------------------------
    def _place(self, moves: Sequence[Move], step: float) -> None:
        """Write the moves; put back what earlier calls moved where this call needs the base point."""
        moved = {m.block: m for m in moves}
        if len(moved) != len(moves):
            raise ValueError("one move per block and call")
        self._moved = set(moved)
        # the stateful style and a wider working dtype hand out the written arrays themselves, so
        # what is not moved now must be the base point again; the pure style hands out the base
        for i in range(len(self.leaves)):
            if i in moved or not (self.style == "stateful" or self.work_dtype is not None):
                continue
            self._target(i)
            if self.dirty[i] is not None:
                self._restore(i, self.dirty[i])
        if moved:
            self._terms = None  # a block written on its own: the next sweep starts from the base
        for i, move in moved.items():
            self._apply(i, move, step)

    def _sweep(self, vector: Combined, blocks: Sequence[int], step: float) -> None:
        """Move ``blocks`` along ``vector`` at ``step``.

        Moving to another direction writes the working array from the base, one pass per block.
        Moving along the same direction to another step adds the difference, one pass over the
        direction's blocks (over each run of blocks side by side, not over the blocks it leaves out
        between them, whose part of the working array may be uninitialized); after MAX_INCREMENTS such passes, which bounds the rounding they accumulate, or
        once a block was moved on its own or the direction changed in place (signs flipped), it is
        written from the base again.
        """
        key = (id(vector), vector.version)
        if self._terms is None or key not in self._terms or self._increments >= MAX_INCREMENTS:
            # another direction (or a fresh start): written from the base, one pass per block
            self._write(vector, step)  # the others are handed out at the base point, whatever the array holds
            self._terms, self._increments = {key: (vector, step)}, 0
            changes = []
        else:
            changes = [(step - self._terms[key][1], vector)] if step != self._terms[key][1] else []
        for coef, direction in changes:
            for lo, hi in direction.runs():
                add_scaled(self._all[lo:hi], coef, direction.whole[lo - direction.start:hi - direction.start])
        self._increments += len(changes)
        self._terms = {key: (vector, step)}
        self._moved = set(blocks)

    def _write(self, vector: Combined, step: float) -> None:
        """Write every block of ``vector`` from the base at ``step``: small blocks side by side in
        the working array in one multiplication (then one addition per block), a large one chunk by
        chunk (`_apply`). The same numbers as block by block, in fewer calls."""
        run: list[int] = []  # consecutive small blocks, at most CHUNK entries in all
        total = 0
        for b in vector.blocks:
            self._target(b)
            n = self.sizes[b]
            if n > CHUNK:
                self._apply(b, Move(b, vector.part(b)), step)
                continue
            if run and (run[-1] + 1 != b or total + n > CHUNK):
                self._write_run(vector, run, step)
                run, total = [], 0
            run.append(b)
            total += n
        if run:
            self._write_run(vector, run, step)

    def _write_run(self, vector: Combined, run: list[int], step: float) -> None:
        assert self._all is not None
        lo, hi = self._offsets[run[0]], self._offsets[run[-1] + 1]
        out = self._all[lo:hi]
        np.multiply(vector.whole[lo - vector.start:hi - vector.start], step, out=out, dtype=out.dtype)
        for b in run:
            target = self.work[b]
            np.add(target, self.bases[b], out=target, dtype=out.dtype)
            self.dirty[b] = (0, self.sizes[b])

    def _target(self, i: int) -> np.ndarray | None:
        if self.style == "pure" and self.work[i] is None:
            if self._sweeps:
                if self._all is None:
                    self._all = np.empty(self._offsets[-1], dtype=self.bases[0].dtype)
                    self._all_shown = _read_only(self._all)
                self.work[i] = self._all[self._offsets[i]:self._offsets[i + 1]]
                # what the user's function sees: a part of the read-only view (read-only as well)
                self.shown[i] = self._all_shown[self._offsets[i]:self._offsets[i + 1]].reshape(self.shapes[i])
            else:
                self.work[i] = np.empty(self.sizes[i], dtype=self.work_dtype or self.bases[i].dtype)
                self.shown[i] = _read_only(self.work[i].reshape(self.shapes[i]))  # what the user's function sees
            self.dirty[i] = (0, self.sizes[i])  # uninitialized: all of it differs from the base
        return self.work[i]

    def _apply(self, i: int, move: Move, step: float) -> None:
        target = self._target(i)
        start, stop = move.start, self.sizes[i] if move.stop is None else move.stop
        span = self.dirty[i]
        if span is not None and not (start <= span[0] and span[1] <= stop):
            self._restore(i, span)
        coef = step * move.scale
        base = self.bases[i]
        if target is None:  # a user array that is not C-contiguous (stateful): through .flat
            self.leaves[i].array.flat[start:stop] = base[start:stop] + coef * np.asarray(move.values, dtype=np.float64)
        elif np.ndim(move.values) == 0:
            target[start:stop] = base[start:stop] + coef * float(move.values)
        elif stop - start <= CHUNK:
            np.multiply(move.values, coef, out=target[start:stop], dtype=target.dtype)
            np.add(target[start:stop], base[start:stop], out=target[start:stop], dtype=target.dtype)
        else:
            dtype = target.dtype
            for lo in range(start, stop, CHUNK):
                hi = min(stop, lo + CHUNK)
                out = target[lo:hi]
                np.multiply(move.values[lo - start:hi - start], coef, out=out, dtype=dtype)
                np.add(out, base[lo:hi], out=out, dtype=dtype)
        self.dirty[i] = (start, stop)

    def _restore(self, i: int, span: tuple[int, int]) -> None:
        lo, hi = span
        target = self.work[i]
        if target is None:
            if self.style == "stateful":
                self.leaves[i].array.flat[lo:hi] = self.bases[i][lo:hi]
        else:
            np.copyto(target[lo:hi], self.bases[i][lo:hi], casting="unsafe")
        self.dirty[i] = None

    # --- changing the base point -----------------------------------------------------------
    def rebase(self, bases: list[np.ndarray]) -> None:
        """Make ``bases`` (flat arrays, one per block) the point calls without a move see."""
        self.bases = [_read_only(b) for b in bases]
        self.at_base = [_read_only(b.reshape(s)) for b, s in zip(bases, self.shapes)]
        self._terms = None
        for i in range(len(self.leaves)):
            if self.style == "stateful" or self.work[i] is not None:
                self.dirty[i] = (0, self.sizes[i])
        if self.style == "stateful":
            self._place((), 0.0)

    def use_native_dtype(self) -> None:
        """Evaluate in the user's own dtypes after all (their code narrows to float32 anyway)."""
        self.work_dtype = None
        self._sweeps = len({leaf.array.dtype for leaf in self.leaves}) == 1
        self.release_work()

    def release_work(self) -> None:
        """Free the working arrays of the pure style (rebuilt when a block moves again)."""
        if self.style == "pure":
            self.work = [None] * len(self.leaves)
            self.shown = [None] * len(self.leaves)
            self.dirty = [None] * len(self.leaves)
            self._all, self._all_shown, self._terms = None, None, None

    def close(self) -> None:
        """Put every user array and every random source back exactly as they were."""
        self.random.restore()
        if self.style == "stateful":
            for leaf, snap in zip(self.leaves, self.snapshot):
                np.copyto(leaf.array, snap)


_FLOAT64 = np.dtype(np.float64)


def as_scalar(value: Any, function: str) -> tuple[float, np.dtype]:
    """The cost as a float plus the dtype it was computed in. Accepts (cost, cache) tuples."""
    if type(value) is float or type(value) is np.float64:
        return float(value), _FLOAT64  # the common case, without the checks below
    if isinstance(value, tuple) and value and _scalar_like(value[0]):
        value = value[0]
    if not _scalar_like(value):
        shape = getattr(value, "shape", None)
        expected = "a scalar cost (a float, or an array with one element)"
        if shape is not None:
            msg = (f"{function} returned an array of shape {tuple(shape)}, not a scalar cost; "
                   f"sum or average the per-example losses (e.g. np.mean(losses)) and np.squeeze the result.")
        else:
            msg = f"{function} returned a {type(value).__name__}, not a scalar cost."
        raise UnusableOutput(function, msg, value, expected)
    arr = np.asarray(value)
    if np.issubdtype(arr.dtype, np.integer):
        raise UnusableOutput(
            function,
            f"{function} returned the integer {arr.reshape(()).item()!r}: a cost rounded to a whole number cannot "
            f"show the tiny changes a gradient check measures, so every derivative would read as 0.",
            value, "the cost as a float (no int(), round() or integer division on the cost)")
    return float(arr.reshape(())), arr.dtype


def _scalar_like(value: Any) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, (int, float, np.number)):
        return not isinstance(value, (complex, np.complexfloating))
    return (isinstance(value, np.ndarray) and value.size == 1 and np.issubdtype(value.dtype, np.number)
            and not np.issubdtype(value.dtype, np.complexfloating))


def _read_only(array: np.ndarray) -> np.ndarray:
    view = array.view()
    view.flags.writeable = False
    return view


def _flat_view(array: np.ndarray) -> np.ndarray | None:
    return array.reshape(-1) if array.flags.c_contiguous else None


def _wrote_into_argument(err: UserCodeError) -> bool:
    exc = err.exception
    return isinstance(exc, ValueError) and "read-only" in str(exc)


__all__ = ["Evaluator", "Move", "UnusableOutput", "UserCodeError", "as_scalar", "detect_style", "Path"]
