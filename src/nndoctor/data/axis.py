"""Which axis of a data array holds the examples: rows ``(m, n_x)`` or columns ``(n_x, m)``.

The course keeps examples as columns (``X.shape == (n_x, m)``, ``Y.shape == (1, m)``); other
code keeps them as rows. With the labels at hand the answer is usually certain (the axis whose
length is the number of labels); without them it comes from the shape alone:

1. a dimension that is a common image size (``s*s`` or ``s*s*3`` for a side ``s`` in
   `IMAGE_SIDES`: 64, 784, 1024, 3072, 4096, 12288) holds the features; when both are, the
   larger one (``(784, 64)`` is a mini-batch of 64 MNIST digits as columns);
2. otherwise the longer dimension holds the examples (``(2, 400)`` planar points are columns,
   ``(211, 2)`` points are rows);
3. a square array is taken as columns, the course's convention.

A shape alone can mislead (``(784, 4096)``); pass ``example_axis`` or the labels when it matters.

Arrays with more than two dimensions are images stored example-first (``(m, 64, 64, 3)``), unless
the labels say the examples are on the last axis.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nndoctor.errors import InvalidInputError

ROWS, COLUMNS = 0, 1
# image sides seen in practice: 8x8 digits, 16x16 USPS, MNIST, CIFAR, the course's 64x64 cats, ...
IMAGE_SIDES = (8, 16, 28, 32, 48, 64, 96, 128, 224, 256)


def infer_example_axis(X: Any, Y: Any = None) -> int:
    """The axis of ``X`` that indexes examples: 0 for rows ``(m, n_x)``, 1 for columns ``(n_x, m)``.

    For arrays with more than two dimensions the answer is 0 (``(m, h, w, c)``) or the last axis.
    ``Y`` (the labels, any orientation) settles the question whenever its length matches exactly
    one axis of ``X``."""
    return infer_with_reason(X, Y)[0]


def infer_with_reason(X: Any, Y: Any = None) -> tuple[int, str]:
    X = _array(X, "X")
    if X.ndim == 0:
        raise InvalidInputError("X is a single number; data checks need an array of examples.")
    if X.ndim == 1:
        return 0, "a 1-D array holds one value per example"
    last = X.ndim - 1
    if Y is not None:
        Y = np.asarray(Y)
        counts = _label_counts(Y)
        first_ok, last_ok = X.shape[0] in counts, X.shape[last] in counts
        if first_ok and not last_ok:
            return 0, f"the labels have {X.shape[0]} entries, the length of axis 0"
        if last_ok and not first_ok:
            return last, f"the labels have {X.shape[last]} entries, the length of axis {last}"
        if first_ok and last_ok and Y.ndim == 2 and 1 in Y.shape and Y.shape[0] != Y.shape[1]:
            # the labels' own orientation: (1, m) goes with columns, (m, 1) with rows
            return (last, "the labels are a row (1, m), as with examples as columns") if Y.shape[0] == 1 \
                else (0, "the labels are a column (m, 1), as with examples as rows")
    if X.ndim > 2:
        return 0, f"a {X.ndim}-D array is taken as images stored example-first"
    rows, cols = X.shape
    image_rows, image_cols = _image_size(rows), _image_size(cols)
    if image_rows and image_cols:  # both: the larger image size is the features
        image_rows, image_cols = (None, None) if rows == cols else \
            ((image_rows, None) if rows > cols else (None, image_cols))
    if image_rows and not image_cols:
        return COLUMNS, f"{rows} is an image size ({image_rows}), so the rows are features"
    if image_cols and not image_rows:
        return ROWS, f"{cols} is an image size ({image_cols}), so the columns are features"
    if rows != cols:
        return (COLUMNS, "the longer axis (1) is taken as the examples") if cols > rows \
            else (ROWS, "the longer axis (0) is taken as the examples")
    return COLUMNS, "a square array is taken as examples-as-columns, the course's convention"


def as_rows(X: Any, axis: int | None = None, Y: Any = None) -> tuple[np.ndarray, int]:
    """``X`` as a 2-D ``(m, n)`` array with one example per row (a view when possible), and the
    example axis used."""
    X = _array(X, "X")
    if axis is None:
        axis = infer_example_axis(X, Y)
    if X.ndim == 0:
        raise InvalidInputError("X is a single number; data checks need an array of examples.")
    if X.ndim == 1:
        return X.reshape(-1, 1), 0
    axis = _check_axis(axis, X.ndim)
    if X.ndim == 2:
        return (X if axis == 0 else X.T), axis
    moved = np.moveaxis(X, axis, 0)
    return moved.reshape(moved.shape[0], -1), axis


def pair_axis(A: np.ndarray, B: np.ndarray) -> int | None:
    """The example axis two sets (train, test) share: the one where their lengths may differ
    while the other axes (the features) agree. None when the shapes say nothing."""
    if A.ndim != B.ndim or A.ndim < 2:
        return None
    last = A.ndim - 1
    same_tail = A.shape[1:] == B.shape[1:]
    same_head = A.shape[:-1] == B.shape[:-1]
    if same_tail and not same_head:
        return 0
    if same_head and not same_tail:
        return last
    return None


def _check_axis(axis: int, ndim: int) -> int:
    if axis < 0:
        axis += ndim
    if not 0 <= axis < ndim:
        raise InvalidInputError(f"example_axis={axis} does not exist in an array with {ndim} dimensions.")
    return axis


def _label_counts(Y: np.ndarray) -> set[int]:
    if Y.ndim == 0:
        return set()
    if Y.ndim == 1:
        return {Y.shape[0]}
    if Y.ndim == 2 and 1 in Y.shape:
        return {Y.size}
    return set(Y.shape)


def _image_size(n: int) -> str | None:
    for channels in (1, 3):
        if n % channels:
            continue
        side = math.isqrt(n // channels)
        if side in IMAGE_SIDES and side * side * channels == n:
            return f"{side}x{side}" + (f"x{channels}" if channels > 1 else "")
    return None


def _array(X: Any, name: str) -> np.ndarray:
    try:
        arr = np.asarray(X)
    except Exception as exc:  # noqa: BLE001 - ragged lists and the like
        raise InvalidInputError(f"{name} cannot be read as a numpy array: {exc}") from None
    if arr.dtype == object:
        raise InvalidInputError(f"{name} is an array of Python objects (dtype=object), not numbers; "
                                f"build it with np.array(..., dtype=float).")
    return arr
