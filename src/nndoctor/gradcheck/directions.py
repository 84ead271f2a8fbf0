"""Random directions: seeded, one per (direction number, block), regenerated instead of kept.

Entries are uniform on [-√3, √3]: mean 0, variance 1, like a Gaussian, at a quarter of the cost
to draw, and with the same guarantee against a small projection. For any error vector ``e``,
<e, u> has a density at most 1 / (√6 ||e||) (Ball's theorem on sections of the cube: a unit
vector's projection of a uniform cube point has density at most √2), against 1 / (√(2π) ||e||)
for a Gaussian. So P(|<e, u>| <= τ) <= √(2/3) τ / ||e|| for every ``e``, whatever its shape: one
wrong entry, a wrong factor, an error spread thin.

They are stored as float32 (half the memory of the parameters); the float32 numbers are the
direction, exactly, on both sides of a comparison. Direction k is one stream of the generator
seeded with (seed, k), block after block; a block's part is found by advancing the stream to the
block's offset, so any part is drawn again in time proportional to its own size. (float32
uniforms have 24 random bits: the guarantee above holds up to that grid, 2e-7 of an entry.)
"""

from __future__ import annotations

from typing import Any

import numpy as np

SQRT3 = float(np.sqrt(3.0))
ANTI_CONCENTRATION = float(np.sqrt(2.0 / 3.0))  # P(|<e, u>| <= tau) <= this * tau / ||e||
CHUNK = 1 << 16
_SCRATCH = np.empty(CHUNK)  # reused by the chunked reductions below (512 KB: stays in cache)


class Directions:
    def __init__(self, seed: int, sizes: list[int]) -> None:
        self.seed = seed
        self.sizes = sizes
        # each block starts on a 64-bit word of the stream (two float32 draws per word)
        self.words = np.concatenate([[0], np.cumsum([(n + 1) // 2 for n in sizes])]).astype(int).tolist()
        self._starts: dict[int, dict] = {}
        self._bits = np.random.PCG64(0)  # reused: a generator built from OS entropy costs 0.15 ms
        self._rng = np.random.Generator(self._bits)

    def block(self, k: int, block: int) -> np.ndarray:
        """Direction ``k``'s part for ``block``: a new float32 array of the block's size."""
        return self.blocks(k, [block])[block]

    def blocks(self, k: int, blocks: list[int], into: Any = None, weights: dict[int, float] | None = None
               ) -> dict[int, np.ndarray]:
        """Direction ``k``'s parts for ``blocks``: views of one new float32 array, or written into
        ``into.part(b)`` (a combined direction laid out like the parameters), each times
        ``weights[b]`` when given (in the same pass)."""
        whole = np.empty(sum(self.sizes[b] for b in blocks), dtype=np.float32) if into is None else None
        parts, at, after = {}, 0, None
        for b in blocks:
            n = self.sizes[b]
            if after != b:  # not where the stream stands: seek (each block starts on a word)
                self._seek(k, b)
            parts[b] = whole[at:at + n] if into is None else into.part(b)
            self._rng.random(out=parts[b], dtype=np.float32)
            if n % 2:
                self._rng.random(dtype=np.float32)  # the other half of the block's last word
            at, after = at + n, b + 1
        if weights is None:
            for part in _runs(parts, whole, into):
                part -= np.float32(0.5)
                part *= np.float32(2.0 * SQRT3)
        else:
            for b, part in parts.items():
                part -= np.float32(0.5)
                part *= np.float32(2.0 * SQRT3 * weights[b])
        return parts

    def _seek(self, k: int, block: int) -> None:
        if k not in self._starts:
            self._starts[k] = np.random.PCG64(np.random.SeedSequence((self.seed, k))).state
        self._bits.state = self._starts[k]
        self._bits.advance(self.words[block])


def _runs(parts: dict[int, np.ndarray], whole: np.ndarray | None, into: Any) -> list[np.ndarray]:
    """The arrays to transform in place: the new array, or the runs of consecutive blocks of ``into``."""
    if whole is not None:
        return [whole]
    runs, start, prev = [], None, None
    for b in parts:
        if start is None:
            start = b
        elif b != prev + 1:
            runs.append(into.whole[into.offsets[start]:into.offsets[prev + 1]])
            start = b
        prev = b
    if start is not None:
        runs.append(into.whole[into.offsets[start]:into.offsets[prev + 1]])
    return runs


def dot(x: np.ndarray, u: np.ndarray) -> float:
    """<x, u> in float64 for a flat float array ``x`` and a float32 direction, chunk by chunk
    through one small reused buffer (no full-size temporary, no fresh allocation per call)."""
    if x.dtype == np.float64 and u.dtype == np.float64:
        return float(np.dot(x, u))
    total = 0.0
    scratch = _SCRATCH
    for lo in range(0, u.size, CHUNK):
        hi = min(u.size, lo + CHUNK)
        part = scratch[:hi - lo]
        np.copyto(part, u[lo:hi])
        total += float(np.dot(x[lo:hi], part)) if x.dtype == np.float64 else float(np.dot(x[lo:hi].astype(np.float64), part))
    return total


def dot_transposed(g: np.ndarray, shape: tuple[int, ...], u: np.ndarray) -> float:
    """<g.T, u> for a square matrix ``g`` (flat) and a flat direction, row by row."""
    n = shape[0]
    gm = g.reshape(shape)
    um = u.reshape(shape)
    return float(sum(np.dot(gm[:, r].astype(np.float64), um[r].astype(np.float64)) for r in range(n)))


def weighted_squares(x: np.ndarray, weights: np.ndarray | None = None) -> float:
    """sum(x**2) (times ``weights**2`` entry by entry) in float64, chunk by chunk through one small
    reused buffer."""
    total = 0.0
    scratch = _SCRATCH
    for lo in range(0, x.size, CHUNK):
        hi = min(x.size, lo + CHUNK)
        part = scratch[:hi - lo]
        np.copyto(part, x[lo:hi])
        if weights is not None:
            part *= weights[lo:hi]
        total += float(np.dot(part, part))
    return total


def add_scaled(target: np.ndarray, coef: float, values: np.ndarray) -> None:
    """target += coef * values, in target's dtype, chunk by chunk through the reused buffer."""
    scratch = _SCRATCH if target.dtype == np.float64 else np.empty(CHUNK, dtype=target.dtype)
    c = target.dtype.type(coef)
    for lo in range(0, target.size, CHUNK):
        hi = min(target.size, lo + CHUNK)
        part = scratch[:hi - lo]
        np.multiply(values[lo:hi], c, out=part)
        target[lo:hi] += part
