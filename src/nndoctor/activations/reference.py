"""The reference maths: what each known activation and its derivative compute.

`activation_value` and `derivative_value` are the float64 values every recognizer and check compares
a learner's functions with; `A_FORMS` holds the derivatives as they are usually written in terms of
the activation's output ``a = f(z)``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

KINDS = ("identity", "relu", "leaky-relu", "sigmoid", "tanh", "softmax", "elu", "softplus", "swish")
ELEMENTWISE = tuple(k for k in KINDS if k != "softmax")
# kinds whose derivative jumps at z = 0: no test point closer than KINK_GAP, no step across 0
KINKED = frozenset({"relu", "leaky-relu", "elu"})
KINK_GAP = 1e-3


def _sigmoid(z: np.ndarray) -> np.ndarray:
    out = np.empty_like(z, dtype=np.float64)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    e = np.exp(z[~pos])
    out[~pos] = e / (1.0 + e)
    return out


def softmax(z: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def activation_value(kind: str, z: np.ndarray, alpha: float | None = None, axis: int | None = None) -> np.ndarray:
    """The reference value of activation ``kind`` at ``z`` (float64)."""
    z = np.asarray(z, dtype=np.float64)
    if kind == "identity":
        return z.copy()
    if kind == "relu":
        return np.maximum(z, 0.0)
    if kind == "leaky-relu":
        return np.where(z > 0, z, (0.01 if alpha is None else alpha) * z)
    if kind == "sigmoid":
        return _sigmoid(z)
    if kind == "tanh":
        return np.tanh(z)
    if kind == "elu":
        return np.where(z > 0, z, (1.0 if alpha is None else alpha) * np.expm1(np.minimum(z, 0.0)))
    if kind == "softplus":
        return np.logaddexp(0.0, z)
    if kind == "swish":
        return z * _sigmoid(z)
    if kind == "softmax":
        return softmax(z, 0 if axis is None else axis)
    raise ValueError(f"unknown activation kind {kind!r}")


def derivative_value(kind: str, z: np.ndarray, alpha: float | None = None) -> np.ndarray:
    """The reference derivative of elementwise activation ``kind`` at ``z`` (1 at z > 0 for the kinked ones)."""
    z = np.asarray(z, dtype=np.float64)
    if kind == "identity":
        return np.ones_like(z)
    if kind == "relu":
        return (z > 0).astype(np.float64)
    if kind == "leaky-relu":
        return np.where(z > 0, 1.0, 0.01 if alpha is None else alpha)
    if kind == "sigmoid":
        s = _sigmoid(z)
        return s * (1.0 - s)
    if kind == "tanh":
        return 1.0 - np.tanh(z) ** 2
    if kind == "elu":
        return np.where(z > 0, 1.0, (1.0 if alpha is None else alpha) * np.exp(np.minimum(z, 0.0)))
    if kind == "softplus":
        return _sigmoid(z)
    if kind == "swish":
        s = _sigmoid(z)
        return s + z * s * (1.0 - s)
    raise ValueError(f"no elementwise derivative for {kind!r}")


# derivatives written in terms of the output a = f(z), where that is the usual way to write them
A_FORMS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sigmoid": lambda a: a * (1.0 - a),
    "tanh": lambda a: 1.0 - a ** 2,
    "softplus": lambda a: -np.expm1(-a),
    "relu": lambda a: (a > 0).astype(np.float64),
    "identity": lambda a: np.ones_like(a),
}
