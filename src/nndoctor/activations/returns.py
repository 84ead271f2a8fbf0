"""Reading an array out of whatever a user function returned: ``A``, ``(A, cache)``, a dict holding
A, a nested list, or a constant (``return 1``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

_A_KEYS = ("A", "a", "out", "output", "activation", "act", "y", "h", "dZ", "dz")


def _as_array(x: Any, shape: tuple[int, ...], broadcast: bool) -> tuple[np.ndarray, np.dtype] | None:
    if x is None or isinstance(x, (str, bytes, Mapping)):
        return None
    try:
        arr = np.asarray(x)
    except Exception:  # noqa: BLE001
        return None
    if arr.dtype.kind == "b":
        arr = arr.astype(np.float64)
    if arr.dtype.kind not in "iuf":
        return None
    dtype = arr.dtype if arr.dtype.kind == "f" else np.dtype(np.float64)
    if arr.shape != shape:
        # `return 1` (the identity's derivative) is a constant; a numpy scalar is a reduction
        if not broadcast or type(x) not in (int, float):
            return None
        arr = np.broadcast_to(arr.reshape(()), shape)
    return np.array(arr, dtype=np.float64), dtype


Picker = tuple  # ("array",) | ("index", i) | ("key", k) | ("whole",)


def candidates(result: Any, shape: tuple[int, ...],
               broadcast: bool = False) -> list[tuple[np.ndarray, np.dtype, Picker]]:
    found: list[tuple[np.ndarray, np.dtype, Picker]] = []
    if isinstance(result, Mapping):
        keys = [k for k in _A_KEYS if k in result] + [k for k in result if k not in _A_KEYS]
        for k in keys:
            got = _as_array(result[k], shape, False)
            if got is not None:
                found.append((*got, ("key", k)))
        return found
    if isinstance(result, (tuple, list)):
        for i, item in enumerate(result):
            got = _as_array(item, shape, False)
            if got is not None:
                found.append((*got, ("index", i)))
        if found or isinstance(result, tuple):
            return found
        got = _as_array(result, shape, broadcast)  # a nested list that is the array itself
        return [(*got, ("whole",))] if got is not None else []
    got = _as_array(result, shape, broadcast)
    return [(*got, ("array",))] if got is not None else []


def pick(result: Any, picker: Picker, shape: tuple[int, ...]) -> tuple[np.ndarray, np.dtype] | None:
    try:
        if picker[0] == "index":
            if not isinstance(result, (tuple, list)) or len(result) <= picker[1]:
                return None
            return _as_array(result[picker[1]], shape, False)
        if picker[0] == "key":
            if not isinstance(result, Mapping) or picker[1] not in result:
                return None
            return _as_array(result[picker[1]], shape, False)
        return _as_array(result, shape, False)
    except Exception:  # noqa: BLE001
        return None
