"""Recording inverted dropout from what the forward and backward passes hand over.

The course writes dropout inline: ``D1 = np.random.rand(*A1.shape) < keep_prob; A1 = A1 * D1 /
keep_prob``, and keeps ``D1`` in the cache for the backward pass. So the masks are found in the
forward's output (0/1 arrays shaped like a layer's activations), ``keep_prob`` among its
arguments, the activation before dropout from the activation hook, and ``dA1`` in the gradient
dict. Per sampled iteration and layer a few numbers are kept (trace.DropoutStats).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from nndoctor.trace import DropoutStats

KEEP_PROB_NAMES = ("keep_prob", "keep_probability", "kp", "keep", "p_keep", "keep_rate")


def keep_prob_in(args: tuple[Any, ...], kwargs: Mapping[str, Any], names: list[str]) -> float | None:
    for name, value in list(zip(names, args)) + list(kwargs.items()):
        if name.lower() in KEEP_PROB_NAMES and isinstance(value, (int, float, np.floating)) and 0 < value <= 1:
            return float(value)
    return None


def _arrays(value: Any, depth: int = 0) -> Iterator[np.ndarray]:
    """Every array inside a forward's output (tuples, lists, dicts of caches), a few levels deep."""
    if isinstance(value, np.ndarray):
        yield value
    elif depth < 4 and isinstance(value, (tuple, list)):
        for v in value:
            yield from _arrays(v, depth + 1)
    elif depth < 4 and isinstance(value, Mapping):
        for v in value.values():
            yield from _arrays(v, depth + 1)


def _is_mask(a: np.ndarray) -> bool:
    if a.dtype == bool:
        return True
    if a.dtype.kind not in "iuf" or a.size < 2:
        return False
    return bool(np.all((a == 0) | (a == 1)))


def find_masks(result: Any, activations: Mapping[int, np.ndarray], keep_prob: float) -> dict[int, DropoutStats]:
    """Dropout masks in a forward's output, matched to the layers by shape, with the scale check."""
    arrays = list(_arrays(result))
    found: dict[int, DropoutStats] = {}
    for layer, act in activations.items():
        if layer == max(activations):
            continue  # the output layer never has dropout
        masks = [a for a in arrays if a.shape == act.shape and _is_mask(a) and a is not act]
        if not masks:
            continue
        mask = masks[0].astype(bool)
        kept = float(mask.mean())
        scaled = None
        post = [a for a in arrays if a.shape == act.shape and a is not act and a is not masks[0]
                and a.dtype.kind == "f" and not _is_mask(a)]
        on = mask & (act != 0)
        for a in post:
            if not on.any() or np.any(a[~mask] != 0):
                continue  # not the dropped-out activation
            ratio = np.median(a[on] / act[on])
            if np.isclose(ratio, 1.0 / keep_prob, rtol=1e-6):
                scaled = True
            elif np.isclose(ratio, 1.0, rtol=1e-6):
                scaled = False
            break
        digest = hashlib.blake2b(np.packbits(mask).tobytes(), digest_size=8).hexdigest()
        found[layer] = DropoutStats(layer=layer, keep_prob=keep_prob, kept=kept, size=int(mask.size),
                                    fingerprint=digest, scaled=scaled, reapplied=None, mask=mask)
    return found


def check_reapplied(stats: dict[int, DropoutStats], grads: Mapping[str, Any]) -> None:
    """``dA_l`` (course gradient dicts keep it) must be 0 wherever layer l's mask dropped a unit."""
    for layer, s in stats.items():
        dA = grads.get(f"dA{layer}") if isinstance(grads, Mapping) else None
        if s.mask is not None and isinstance(dA, np.ndarray) and dA.shape == s.mask.shape:
            dropped = ~s.mask
            if dropped.any() and np.any(dA[s.mask] != 0):  # undecidable while no gradient flows at all
                # reapplied, the mask zeroes dA exactly where it dropped units; forgotten, gradient
                # reaches some of them
                s.reapplied = not bool(np.any(dA[dropped] != 0))
        s.mask = None  # no array is kept past the iteration
