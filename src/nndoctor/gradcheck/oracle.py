"""Evaluating the user's cost and gradient at perturbed parameters, leaving no trace.

Two calling styles:
- pure: ``cost_fn(params)`` / ``grad_fn(params)``; every call gets fresh copies, so the user's
  arrays are never handed out and cannot be modified.
- stateful: ``cost_fn()`` / ``grad_fn()`` read arrays the oracle perturbs in place (class-based
  networks); every array is restored bitwise after every call.

The global random state (numpy's and the ``random`` module's) is replayed before every call when
``replay`` is on, so a dropout network draws the same masks for every evaluation, and it is put
back exactly as it was when the oracle closes.
"""

from __future__ import annotations

import inspect
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from nndoctor.params import Leaf, flatten, rebuild
from nndoctor.usercode import UserCodeError, call_user, function_name, traced_call


class UnusableOutput(Exception):
    """A user function returned something the check cannot use; the message says what."""

    def __init__(self, function: str, message: str, returned: Any, expected: str) -> None:
        super().__init__(message)
        self.function = function
        self.returned = returned
        self.expected = expected


def detect_style(cost_fn: Callable[..., Any]) -> str:
    """'stateful' when ``cost_fn`` can be called with no argument, else 'pure'."""
    try:
        sig = inspect.signature(cost_fn)
    except (TypeError, ValueError):
        return "pure"
    required = [
        p for p in sig.parameters.values()
        if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    return "stateful" if not required else "pure"


def as_scalar(value: Any, function: str) -> tuple[float, np.dtype]:
    """The cost as a float plus the dtype it was computed in. Accepts (cost, cache) tuples."""
    if isinstance(value, tuple) and value and _scalar_like(value[0]):
        value = value[0]
    if not _scalar_like(value):
        shape = getattr(value, "shape", None)
        kind = type(value).__name__
        expected = "a scalar cost (a float, or an array with one element)"
        if shape is not None:
            msg = (f"{function} returned an array of shape {tuple(shape)}, not a scalar cost; "
                   f"sum or average the per-example losses (e.g. np.mean(losses)) and np.squeeze the result.")
        else:
            msg = f"{function} returned a {kind}, not a scalar cost."
        raise UnusableOutput(function, msg, value, expected)
    arr = np.asarray(value)
    dtype = arr.dtype if np.issubdtype(arr.dtype, np.floating) else np.dtype(np.float64)
    return float(arr.reshape(())), dtype


def _scalar_like(value: Any) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, (int, float, np.number)):
        return True
    return isinstance(value, np.ndarray) and value.size == 1 and np.issubdtype(value.dtype, np.number)


@dataclass
class Evaluation:
    cost: float
    plus_delta: np.ndarray  # the perturbation actually applied (after rounding to the dtype), float64


class Oracle:
    def __init__(
        self,
        cost_fn: Callable[..., Any],
        grad_fn: Callable[..., Any],
        params: Any,
        *,
        style: str,
        work_dtype: np.dtype | None = None,
    ) -> None:
        self.cost_fn = cost_fn
        self.grad_fn = grad_fn
        self.params = params
        self.style = style
        self.leaves: list[Leaf] = flatten(params)
        # bitwise snapshots: what every array is restored to, and what "no trace" is checked against
        self.snapshot = [leaf.array.copy() for leaf in self.leaves]
        self.work_dtype = work_dtype  # pure style may evaluate in a wider dtype than the user's
        self.base = [
            s.astype(work_dtype) if work_dtype is not None else s for s in self.snapshot
        ]
        self.evaluations = 0
        self.cost_dtype: np.dtype = np.dtype(np.float64)
        self.replay = True
        self.gradient_code: list[Any] = []  # user functions run by grad_fn, to locate a gradient's line
        self._np_state = np.random.get_state()
        self._py_state = random.getstate()

    def use_native_dtype(self) -> None:
        """Evaluate in the user's own dtypes after all (their code narrows to float32 anyway)."""
        self.work_dtype = None
        self.base = list(self.snapshot)

    # --- random state ------------------------------------------------------------------
    def _before_call(self) -> None:
        if self.replay:
            np.random.set_state(self._np_state)
            random.setstate(self._py_state)

    def close(self) -> None:
        """Put numpy's and Python's global random state and every array back as they were."""
        np.random.set_state(self._np_state)
        random.setstate(self._py_state)
        if self.style == "stateful":
            for leaf, snap in zip(self.leaves, self.snapshot):
                np.copyto(leaf.array, snap)

    # --- calls ---------------------------------------------------------------------------
    def _arrays_with(self, block: int | None, delta: np.ndarray | None) -> list[np.ndarray]:
        arrays = []
        for i, base in enumerate(self.base):
            if i == block and delta is not None:
                arrays.append((base + delta.reshape(base.shape)).astype(base.dtype, copy=False))
            else:
                arrays.append(base.copy())
        return arrays

    def _call(self, func: Callable[..., Any], arrays: list[np.ndarray], trace: bool = False) -> Any:
        self._before_call()
        caller = self._traced if trace else call_user
        if self.style == "pure":
            by_path = {leaf.path: arr for leaf, arr in zip(self.leaves, arrays)}
            structure = rebuild(self.params, lambda leaf: by_path[leaf.path])
            return caller(func, structure)
        try:
            for leaf, arr in zip(self.leaves, arrays):
                np.copyto(leaf.array, arr, casting="unsafe")
            return caller(func)
        finally:
            for leaf, snap in zip(self.leaves, self.snapshot):
                np.copyto(leaf.array, snap)

    def cost(self, block: int | None = None, delta: np.ndarray | None = None) -> Evaluation:
        """The cost with ``delta`` added to parameter ``block`` (None: at the base point)."""
        arrays = self._arrays_with(block, delta)
        applied = np.zeros(0)
        if block is not None and delta is not None:
            # the step that really happened once rounded to the array's dtype
            applied = arrays[block].astype(np.float64).ravel() - self.base[block].astype(np.float64).ravel()
        self.evaluations += 1
        value, dtype = as_scalar(self._call(self.cost_fn, arrays), function_name(self.cost_fn))
        if np.finfo(dtype).eps > np.finfo(self.cost_dtype).eps:
            self.cost_dtype = dtype
        return Evaluation(value, applied)

    def _traced(self, func: Callable[..., Any], *args: Any) -> Any:
        value, self.gradient_code = traced_call(func, *args)
        return value

    def gradients(self) -> Any:
        """The analytic gradients at the base point; records which user functions computed them."""
        value = self._call(self.grad_fn, self._arrays_with(None, None), trace=True)
        if value is None:
            name = function_name(self.grad_fn)
            raise UnusableOutput(
                name,
                f"{name} returned None; it must return the gradients "
                f"(a dict like {{'dW1': ..., 'db1': ...}} or the same structure as the parameters).",
                value,
                "gradients",
            )
        if isinstance(value, tuple) and value and isinstance(value[0], Mapping) and isinstance(self.params, Mapping):
            value = value[0]  # (grads, cache) style
        return value

    def untouched(self) -> bool:
        """True when every user array is bitwise what it was when the oracle was built."""
        return all(
            leaf.array.shape == snap.shape and leaf.array.tobytes() == snap.tobytes()
            for leaf, snap in zip(self.leaves, self.snapshot)
        )


__all__ = ["Oracle", "UnusableOutput", "UserCodeError", "detect_style", "as_scalar"]
