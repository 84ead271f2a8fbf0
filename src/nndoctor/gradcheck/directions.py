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

from itertools import accumulate
from typing import Any

import numpy as np

SQRT3 = float(np.sqrt(3.0))
ANTI_CONCENTRATION = float(np.sqrt(2.0 / 3.0))  # P(|<e, u>| <= tau) <= this * tau / ||e||
CHUNK = 1 << 16
RAW_CHUNK = 1 << 15  # entries drawn per call of the raw stream (a 128 KB temporary)
_SCRATCH = np.empty(CHUNK)  # reused by the chunked reductions below (512 KB: stays in cache)


class Directions:
    def __init__(self, seed: int, sizes: list[int]) -> None:
        self.seed = seed
        self.sizes = sizes
        # each block starts on a 64-bit word of the stream (two float32 draws per word)
        self.words = [0, *accumulate((n + 1) // 2 for n in sizes)]
        self._starts: dict[int, dict] = {}
        # one bit generator, reused and set to each stream's state (building one costs a
        # SeedSequence): the one built for the first stream seeded
        self._bits: np.random.PCG64 | None = None

    def block(self, k: int, block: int) -> np.ndarray:
        """Direction ``k``'s part for ``block``: a new float32 array of the block's size."""
        return self.blocks(k, [block])[block]

    def blocks(self, k: int, blocks: list[int], into: Any = None, weights: dict[int, float] | None = None
               ) -> dict[int, np.ndarray]:
        """Direction ``k``'s parts for ``blocks``: views of one new float32 array, or written into
        ``into.part(b)`` (a combined direction laid out like the parameters), each times
        ``weights[b]`` when given (in the same pass).

        The numbers are numpy's float32 uniforms from the stream, ``Generator.random(dtype=
        np.float32)``, moved to [-√3, √3) and weighted; they are computed from the stream's raw
        words (`_fill`), the same numbers at a fraction of the cost. Blocks that follow each other
        in the stream and in memory are drawn as one run: the stream goes on from one block into
        the next as long as the earlier block ends on a whole word (an even size); an odd block
        ends its run, the other half of its last word unused."""
        whole = np.empty(sum(self.sizes[b] for b in blocks), dtype=np.float32) if into is None else None
        memory = whole if into is None else into.whole
        parts: dict[int, np.ndarray] = {}
        runs: list[list[tuple[int, int]]] = []  # runs of (block, memory start)
        at, end, after = 0, -1, None
        for b in blocks:
            n = self.sizes[b]
            lo = at if into is None else into.offsets[b] - into.start
            if not runs or after != b or lo != end or self.sizes[runs[-1][-1][0]] % 2:
                runs.append([])
            runs[-1].append((b, lo))
            parts[b] = memory[lo:lo + n]
            at, end, after = at + n, lo + n, b + 1
        stream_at = None  # the block the stream stands at
        for run in runs:
            if stream_at != run[0][0]:
                self._seek(k, run[0][0])
            scales = [np.float32(2.0 * SQRT3 * (1.0 if weights is None else weights[b])) for b, _ in run]
            self._fill(memory, run, scales)
            stream_at = run[-1][0] + 1
        return parts

    def _fill(self, memory: np.ndarray, run: list[tuple[int, int]], scales: list[np.float32]) -> None:
        """Block b of ``run`` gets ``(r - 0.5) * scale``, r the stream's next float32 uniforms, drawn
        RAW_CHUNK at a time through the raw words.

        numpy's float32 uniform is r = (w >> 8) * 2^-24 for w the stream's next 32 bits (the low
        half of a word, then its high half), so r - 0.5 = ((w >> 8) - 2^23) * 2^-24, exactly: the
        same float32 numbers, from one pass over the words and one conversion."""
        assert self._bits is not None
        start, stop = run[0][1], run[-1][1] + self.sizes[run[-1][0]]
        spans = [(lo, lo + self.sizes[b], scale) for (b, lo), scale in zip(run, scales)]
        first = 0
        for c0 in range(start, stop, RAW_CHUNK):
            c1 = min(stop, c0 + RAW_CHUNK)
            words = self._bits.random_raw((c1 - c0 + 1) // 2).view(np.uint32)
            np.right_shift(words, 8, out=words)
            m = words.view(np.int32)
            m -= _MIDDLE
            np.multiply(m[:c1 - c0], _TWO_M24, out=memory[c0:c1], dtype=np.float32)
            # each block's share of the chunk scaled while it is in cache
            while spans[first][1] <= c0:
                first += 1
            for lo, hi, scale in spans[first:]:
                if lo >= c1:
                    break
                memory[max(lo, c0):min(hi, c1)] *= scale
            del words, m  # one chunk of words alive at a time

    def _seek(self, k: int, block: int) -> None:
        if k not in self._starts:
            bits = np.random.PCG64(np.random.SeedSequence((self.seed, k)))
            self._starts[k] = bits.state
            if self._bits is None:
                self._bits = bits
        assert self._bits is not None
        self._bits.state = self._starts[k]
        self._bits.advance(self.words[block])


_TWO_M24 = np.float32(2.0 ** -24)
_MIDDLE = np.int32(1 << 23)


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


def dots(grads: dict[int, np.ndarray], vector: Any, blocks: list[int]) -> dict[int, float]:
    """``dot(grads[b], vector.part(b))`` for each of ``blocks``, the same numbers: the parts of
    small blocks side by side are widened to float64 in one copy, then one product per block."""
    out: dict[int, float] = {}
    run: list[int] = []

    def flush() -> None:
        lo, hi = vector.offsets[run[0]] - vector.start, vector.offsets[run[-1] + 1] - vector.start
        wide = _SCRATCH[:hi - lo]
        np.copyto(wide, vector.whole[lo:hi])
        for b in run:
            at = vector.offsets[b] - vector.start - lo
            out[b] = 0.0 + float(np.dot(grads[b], wide[at:at + grads[b].size]))  # as `dot` sums: -0.0 is 0.0
        run.clear()

    for b in blocks:
        g = grads[b]
        if g.size > CHUNK or g.dtype != np.float64:
            out[b] = dot(g, vector.part(b))
            continue
        if run and (run[-1] + 1 != b or vector.offsets[b + 1] - vector.offsets[run[0]] > CHUNK):
            flush()
        run.append(b)
    if run:
        flush()
    return out


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
