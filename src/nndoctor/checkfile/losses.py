"""The losses an output layer may be trained with, when the program computes none: the
cross-entropy (softmax or sigmoid) and the squared error of the output against the labels the
backward got. implied.py checks which one an applied update descends; replay.py and inline.py
replay a step against them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from nndoctor import roles as R
from nndoctor.recorded import TapeEntry, find_path

CLIP = np.finfo(np.float64).tiny  # a log of an underflowed probability stays finite, and no larger one is cut


def fused_labels(fused: TapeEntry, forward: TapeEntry, output: Any) -> np.ndarray | None:
    """The labels the fused backward got: an array shaped like the output that is not the data."""
    data = {id(a) for a in forward.call.inputs if isinstance(a, np.ndarray)}
    for a in fused.call.inputs:
        if isinstance(a, np.ndarray) and id(a) not in data and a is not output and a.shape == np.shape(output):
            return np.asarray(a, dtype=np.float64)
    return None


def loss_candidates(forward: TapeEntry, backward: TapeEntry,
                    params: Mapping[str, np.ndarray]) -> list[tuple[str, Callable[[np.ndarray], float]]]:
    """The losses a backward that comes with no cost may differentiate: the cross-entropy (softmax or
    sigmoid) and the squared error of the forward's output against the labels the backward got
    (class indices become one-hot along the output's class axis)."""
    output = R.output_of(forward.call.result)
    if not isinstance(output, np.ndarray) or output.dtype.kind != "f" or output.ndim not in (1, 2):
        return []
    data = {id(a) for a in forward.call.inputs if isinstance(a, np.ndarray)}
    own = {id(v) for v in params.values()}
    for a in backward.call.inputs:
        if not isinstance(a, np.ndarray) or id(a) in data or id(a) in own or a.dtype.kind not in "fiub":
            continue
        if find_path(a, forward.call.result) is not None:
            continue  # the output or a cache, not the labels
        labels = labels_like_output(a, output)
        if labels is not None:
            return losses_for(np.asarray(output, dtype=np.float64), labels)
    return []


def labels_like_output(labels: np.ndarray, output: np.ndarray) -> np.ndarray | None:
    """The labels shaped like the output: as they are, or class indices made one-hot."""
    if labels.shape == output.shape:
        return np.asarray(labels, dtype=np.float64)
    if labels.size == output.size and 1 in output.shape:
        return np.asarray(labels, dtype=np.float64).reshape(output.shape)
    flat = labels.ravel()
    if output.ndim != 2 or labels.ndim > 2 or (labels.ndim == 2 and 1 not in labels.shape) or \
            flat.dtype.kind not in "iub" and not np.all(flat == np.round(flat)):
        return None
    for axis in (1, 0):  # the axis of the examples in the output
        if output.shape[axis] == flat.size and flat.size and 0 <= flat.min() and flat.max() < output.shape[1 - axis]:
            one_hot = np.zeros(output.shape)
            index = flat.astype(np.int64)
            if axis == 1:
                one_hot[index, np.arange(flat.size)] = 1.0
            else:
                one_hot[np.arange(flat.size), index] = 1.0
            return one_hot
    return None


def losses_for(output: np.ndarray, labels: np.ndarray) -> list[tuple[str, Callable[[np.ndarray], float]]]:
    found: list[tuple[str, Callable[[np.ndarray], float]]] = []
    if np.all((output > 0) & (output < 1)) and np.all((labels >= 0) & (labels <= 1)):
        one_hot = output.ndim == 2 and min(output.shape) > 1 and (
            np.allclose(labels.sum(axis=0), 1) or np.allclose(labels.sum(axis=1), 1))
        if one_hot:
            found.append(("cross-entropy", lambda A: float(-np.sum(labels * np.log(np.clip(A, CLIP, None))))))
        else:
            found.append(("cross-entropy", lambda A: float(-np.sum(labels * np.log(np.clip(A, CLIP, None))
                                                            + (1 - labels) * np.log(np.clip(1 - A, CLIP, None))))))
    found.append(("squared-error", lambda A: float(0.5 * np.sum((A - labels) ** 2))))
    return found
