"""train-test-leakage: test examples that are also in the training set, exactly or nearly.

Two passes share one sweep over the data, in blocks of `CHUNK` examples (memory stays bounded,
whatever the layout or dtype):

- **Exact duplicates.** Every example is cast to float64 (so ``uint8`` and float copies of the same
  pixels compare equal; ``-0.0`` counts as ``0.0``), its 64-bit patterns are hashed with random
  odd multipliers (arithmetic modulo 2**64), the training hashes are sorted and each test hash is
  looked up by binary search. Every hit is confirmed by comparing the two examples entry by entry,
  so a hash collision can never be reported.
- **Near duplicates** (the same image re-saved, slightly noised or rescaled by rounding): the
  examples are projected on ``LSH_TABLES x LSH_PROJECTIONS`` random Gaussian directions and each
  projection is cut into buckets of width ``LSH_WIDTH x radius`` with a random offset (p-stable
  locality-sensitive hashing). Two examples within the radius land in the same bucket of a table
  with high probability (at least 99.8% over the 16 tables at the full radius, far more when
  closer); a test example and the training examples sharing one of its buckets are then compared
  by their actual distance. The radius: the root-mean-square difference per feature is at most
  `NEAR_TOLERANCE` (5%) of the training data's standard deviation. For scale: the closest pair
  of genuinely different MNIST digits measures about 14%, a test image of the course's cat set
  that also sits in its training set 0%.

Near duplicates are only looked for with at least `NEAR_MIN_FEATURES` features: in two or three
dimensions, close points are what a dense data set is made of, not copies.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nndoctor.data.axis import as_rows, infer_example_axis, pair_axis
from nndoctor.errors import InvalidInputError
from nndoctor.findings import Finding, Location

NEAR_TOLERANCE = 0.05  # RMS difference per feature, as a fraction of the training data's std
NEAR_MIN_FEATURES = 16  # below this, nearby points are not evidence of copying
DISCRETE_VALUES = 12  # a feature with at most this many distinct values is a category or a count
DISCRETE_SAMPLE = 1000  # training examples looked at to tell
LEAKAGE_ERROR_FRACTION = 0.05  # from 5% of the test set duplicated (or the same array): an error
LSH_TABLES = 16
LSH_PROJECTIONS = 5  # per table
LSH_WIDTH = 4.0  # bucket width in multiples of the radius
LSH_BUCKET_CAP = 64  # training examples compared per test example and table (huge buckets)
CHUNK = 4096
SKETCH_DIM = 128  # features folded to at most this many values before projecting
STD_SAMPLE = 4096  # examples sampled for the data's standard deviation
PREFILTER = 6.25  # a candidate pair is measured only if its projections differ by < 2.5 radii (RMS)
MAX_LISTED = 1000  # indices listed in the evidence
MAX_PAIRS = 20


@dataclass
class Duplicates:
    """The matches found between a training and a test set (indices along the example axis)."""

    train_examples: int
    test_examples: int
    features: int
    example_axis: int
    exact: np.ndarray  # (k, 2) int: test index, train index
    near: np.ndarray  # (k, 2) int: test index, train index (not exact)
    near_rms: np.ndarray  # (k,) the RMS difference per feature of each near pair
    same_array: bool
    near_checked: bool
    radius_rms: float | None  # the RMS difference per feature that counts as near
    data_std: float | None
    seconds: float = 0.0
    candidates: int = 0  # pairs compared by distance
    notes: list[str] = field(default_factory=list)

    @property
    def test_indices(self) -> np.ndarray:
        return np.sort(np.concatenate([self.exact[:, 0], self.near[:, 0]]))

    @property
    def count(self) -> int:
        return int(len(self.exact) + len(self.near))


def find_duplicates(X_train: Any, X_test: Any, *, example_axis: int | None = None, near: bool = True,
                    tolerance: float = NEAR_TOLERANCE, seed: int = 0) -> Duplicates:
    """The test examples that are also training examples: exact copies and near copies.

    ``example_axis`` is the axis of the examples in both arrays (0 rows, 1 columns); guessed from
    the shapes when not given. Never modifies the arrays and never touches numpy's global random
    state."""
    start = time.perf_counter()
    A, B = np.asarray(X_train), np.asarray(X_test)
    axis = _axis(A, B, example_axis)
    same_object = A is B or (A.shape == B.shape and A.strides == B.strides and A.dtype == B.dtype
                             and A.__array_interface__["data"][0] == B.__array_interface__["data"][0])
    train, _ = as_rows(A, axis)
    test, _ = as_rows(B, axis)
    if train.shape[1] != test.shape[1]:
        raise InvalidInputError(f"the training examples have {train.shape[1]} features and the test examples "
                                f"{test.shape[1]}; they cannot be compared (example_axis={axis}).")
    m1, n = train.shape
    m2 = test.shape[0]
    rng = np.random.default_rng(seed)
    kind = _hash_dtype(train.dtype, test.dtype)
    words = -(-n * kind.itemsize // 8)
    multipliers = rng.integers(1, 2**62, size=words, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    std = _std(train, rng)
    discrete = _discrete(train)
    do_near = near and n >= NEAR_MIN_FEATURES and m1 > 0 and m2 > 0 and std is not None and std > 0 and not discrete
    sketch = _Sketch(n, rng, train) if do_near else None
    h1, p1 = _sweep(train, kind, multipliers, sketch)
    h2, p2 = _sweep(test, kind, multipliers, sketch)
    exact = _exact_pairs(train, test, h1, h2, kind)
    notes: list[str] = []
    near_pairs = np.zeros((0, 2), dtype=np.int64)
    near_rms = np.zeros(0)
    candidates = 0
    radius_rms = None
    if do_near:
        radius_rms = tolerance * std
        skip = np.zeros(m2, dtype=bool)
        skip[exact[:, 0]] = True
        near_pairs, near_rms, candidates = _near_pairs(train, test, p1, p2, radius_rms * np.sqrt(n), skip, rng)
        zero = near_rms == 0.0  # equal values with different bits (-0.0 and 0.0): exact copies
        if zero.any():
            exact = np.concatenate([exact, near_pairs[zero]])
            exact = exact[np.argsort(exact[:, 0], kind="stable")]
            near_pairs, near_rms = near_pairs[~zero], near_rms[~zero]
    elif near and n < NEAR_MIN_FEATURES:
        notes.append(f"near duplicates not looked for: {n} features (fewer than {NEAR_MIN_FEATURES})")
    elif near and discrete:
        notes.append("near duplicates not looked for: the features take few distinct values (categories, counts), "
                     "where examples close to each other are common without any copying")
    same = same_object or (m1 == m2 and len(exact) == m2 and bool(np.all(exact[:, 0] == exact[:, 1])))
    return Duplicates(train_examples=m1, test_examples=m2, features=n, example_axis=axis, exact=exact, near=near_pairs,
                      near_rms=near_rms, same_array=same, near_checked=do_near,
                      radius_rms=radius_rms, data_std=std, seconds=time.perf_counter() - start,
                      candidates=candidates, notes=notes)


def _discrete(train: np.ndarray) -> bool:
    """Tabular data of categories and small counts: fewer than a quarter of the varying features take
    more than DISCRETE_VALUES distinct values (pixels of MNIST or of photos take dozens to hundreds)."""
    sample = train[:DISCRETE_SAMPLE]
    if sample.shape[0] < 2 * DISCRETE_VALUES:
        return False
    ordered = np.sort(sample, axis=0)
    distinct = 1 + np.count_nonzero(np.diff(ordered, axis=0), axis=0)  # NaNs count apart: never discrete by them
    varying = int(np.count_nonzero(distinct > 1))
    return varying > 0 and int(np.count_nonzero(distinct > DISCRETE_VALUES)) < 0.25 * varying


def check_leakage(X_train: Any, X_test: Any, *, example_axis: int | None = None, near: bool = True,
                  tolerance: float = NEAR_TOLERANCE, train_name: str = "train_x",
                  test_name: str = "test_x") -> list[Finding]:
    """``train-test-leakage``: one finding when test examples also appear in the training set
    (or the test set is the training set), naming how many and which; ``[]`` otherwise."""
    d = find_duplicates(X_train, X_test, example_axis=example_axis, near=near, tolerance=tolerance)
    if d.count == 0:
        return []
    fraction = d.count / d.test_examples
    low_dim = d.features < NEAR_MIN_FEATURES
    severity = "error" if d.same_array or (fraction >= LEAKAGE_ERROR_FRACTION and not low_dim) else "warning"
    indices = d.test_indices
    pairs = _pairs(d)
    if d.same_array:
        message = (f"{test_name} is {train_name} itself: the same {d.test_examples} examples in the same order, so "
                   f"the 'test' accuracy is the training accuracy and says nothing about new examples.")
    else:
        parts = []
        if len(d.exact):
            parts.append(f"{len(d.exact)} {'is an exact copy' if len(d.exact) == 1 else 'are exact copies'}")
        if len(d.near):
            worst = float(d.near_rms.max()) / d.data_std if d.data_std else 0.0
            parts.append(f"{len(d.near)} {'is a near copy' if len(d.near) == 1 else 'are near copies'} (differing "
                         f"by at most {worst:.1%} of the data's standard deviation per feature)")
        first = pairs[0]
        example = f"test example {first['test_index']} is training example {first['train_index']}"
        message = (f"{d.count} of the {d.test_examples} examples of {test_name} ({fraction:.1%}) also appear in "
                   f"{train_name}: {' and '.join(parts)} (e.g. {example}). The model has already seen them, so the "
                   f"test accuracy overstates how it does on new examples.")
        if low_dim:
            message += (f" With only {d.features} features, identical examples can also occur by chance "
                        f"(discrete values); check how the split was made.")
    evidence: dict[str, Any] = {
        "array": test_name, "train_array": train_name,
        "duplicates": d.count, "exact": int(len(d.exact)), "near": int(len(d.near)),
        "test_examples": d.test_examples, "train_examples": d.train_examples, "fraction": fraction,
        "test_indices": indices[:MAX_LISTED].tolist(), "pairs": pairs, "same_array": d.same_array,
        "near_checked": d.near_checked, "near_tolerance": NEAR_TOLERANCE if d.near_checked else None,
        "seconds": round(d.seconds, 3),
    }
    if len(indices) > MAX_LISTED:
        evidence["test_indices_truncated"] = True
    if d.same_array:
        fix = (f"Evaluate on a held-out set: split the examples once into disjoint parts (e.g. perm = "
               f"np.random.permutation(m); train_idx, test_idx = perm[:n_train], perm[n_train:]) and pass the "
               f"test part, not {train_name}, when reporting test accuracy.")
    else:
        listed = ", ".join(str(i) for i in indices) if len(indices) <= 10 else None
        dup = f"[{listed}]" if listed else "finding.evidence['test_indices']"
        take = "[:, keep]" if d.example_axis == 1 else "[keep]"
        fix = (f"Make the split disjoint: split once with one permutation (perm[:n_train] / perm[n_train:]), remove "
               f"duplicates before splitting, and augment or normalize only after the split. To measure without "
               f"them now: keep = np.setdiff1d(np.arange({d.test_examples}), {dup}); then index {test_name}{take} "
               f"and its labels the same way.")
    return [Finding(rule="train-test-leakage", severity=severity, message=message, location=Location(),
                    evidence=evidence, fix=fix)]


# -- internals -------------------------------------------------------------------------------------

def _axis(A: np.ndarray, B: np.ndarray, example_axis: int | None) -> int:
    if example_axis is not None:
        return example_axis
    shared = pair_axis(A, B)
    return shared if shared is not None else infer_example_axis(A)


def _hash_dtype(a: np.dtype, b: np.dtype) -> np.dtype:
    """Hash the stored bytes when both sets share a dtype; otherwise compare as float64 values."""
    if a == b and a.kind in "uif" and a.itemsize <= 8:
        return a
    if a == b and a.kind == "b":
        return np.dtype(np.uint8)
    return np.dtype(np.float64)


def _canonical(block: np.ndarray, kind: np.dtype) -> np.ndarray:
    """A C-contiguous copy in the hashed dtype; for floats ``-0.0`` becomes ``0.0`` (equal values,
    equal bits)."""
    out = np.array(block, dtype=kind, order="C", copy=True)
    if kind.kind == "f":
        out += 0.0
    return out


def _hash(block: np.ndarray, kind: np.dtype, multipliers: np.ndarray) -> np.ndarray:
    # the stored bytes as they are (no copy for contiguous rows); a pair that differs only by
    # -0.0 against 0.0 hashes apart here and is caught by the near search at distance 0
    data = np.ascontiguousarray(block, dtype=kind).view(np.uint8).reshape(block.shape[0], -1)
    width = multipliers.shape[0] * 8
    if data.shape[1] != width:
        padded = np.zeros((data.shape[0], width), dtype=np.uint8)
        padded[:, :data.shape[1]] = data
        data = padded
    return data.view(np.uint64) @ multipliers  # arithmetic modulo 2**64


def _std(train: np.ndarray, rng: np.random.Generator) -> float | None:
    """The standard deviation of the training entries, from up to `STD_SAMPLE` examples."""
    m = train.shape[0]
    if m == 0 or train.shape[1] == 0:
        return None
    rows = np.sort(rng.choice(m, size=min(m, STD_SAMPLE), replace=False))
    sample = np.asarray(train[rows], dtype=np.float64)
    sample = sample[np.isfinite(sample)]
    return float(sample.std()) if sample.size else None


class _Sketch:
    """Random projections of every example, for the near-duplicate buckets.

    Examples with many features are first folded to at most `SKETCH_DIM` values (feature ``j``
    added with a random sign into slot ``j mod SKETCH_DIM``: squared distances are kept in
    expectation) and then projected on Gaussian directions: the folding makes the projection
    about ``n / SKETCH_DIM`` times cheaper."""

    def __init__(self, n: int, rng: np.random.Generator, train: np.ndarray) -> None:
        self.n = n
        self.slots = min(n, SKETCH_DIM)
        self.groups = -(-n // self.slots)
        self.signs = rng.choice(np.array([-1.0, 1.0], dtype=np.float32), size=n)
        self.directions = rng.standard_normal((self.slots, LSH_TABLES * LSH_PROJECTIONS)).astype(np.float32)
        first = np.asarray(train[0], dtype=np.float64)
        first = np.where(np.isfinite(first), first, 0.0)
        self.origin = (first * self.signs).astype(np.float32)  # centre on the first example: no offsets
        self.buffer = np.zeros((CHUNK, self.groups * self.slots), dtype=np.float32)

    def fold(self, block: np.ndarray, out: np.ndarray) -> None:
        k = block.shape[0]
        buf = self.buffer[:k]
        np.multiply(block, self.signs, out=buf[:, :self.n], casting="unsafe")
        buf[:, :self.n] -= self.origin
        if self.groups > 1:
            np.sum(buf.reshape(k, self.groups, self.slots), axis=1, out=out)
        else:
            out[...] = buf

    def project(self, folded: np.ndarray) -> np.ndarray:
        # one matrix product for the whole set: a multi-threaded BLAS pays its start-up once
        # (per-block products cost several times more on a busy machine)
        proj = folded @ self.directions
        if not np.isfinite(proj).all():
            proj = np.nan_to_num(proj, nan=0.0, posinf=0.0, neginf=0.0)
        return proj


def _sweep(rows: np.ndarray, kind: np.dtype, multipliers: np.ndarray,
           sketch: _Sketch | None) -> tuple[np.ndarray, np.ndarray | None]:
    m = rows.shape[0]
    hashes = np.empty(m, dtype=np.uint64)
    folded = np.empty((m, sketch.slots), dtype=np.float32) if sketch is not None else None
    for lo in range(0, m, CHUNK):
        block = rows[lo:lo + CHUNK]
        hashes[lo:lo + CHUNK] = _hash(block, kind, multipliers)
        if sketch is not None:
            sketch.fold(block, folded[lo:lo + CHUNK])
    return hashes, (sketch.project(folded) if sketch is not None else None)


def _exact_pairs(train: np.ndarray, test: np.ndarray, h1: np.ndarray, h2: np.ndarray, kind: np.dtype) -> np.ndarray:
    if not len(h1) or not len(h2):
        return np.zeros((0, 2), dtype=np.int64)
    order = np.argsort(h1, kind="stable")
    sorted_h = h1[order]
    lo = np.searchsorted(sorted_h, h2, side="left")
    hi = np.searchsorted(sorted_h, h2, side="right")
    hit = np.nonzero(hi > lo)[0]
    if not len(hit):
        return np.zeros((0, 2), dtype=np.int64)
    first = order[lo[hit]]
    # prefer the training example at the same index (so a set compared with itself pairs i with i)
    same = np.nonzero(hit < len(h1))[0]
    if len(same):
        aligned = hit[same]
        aligned_ok = h1[aligned] == h2[aligned]
        first[same[aligned_ok]] = aligned[aligned_ok]
    pairs = []
    for start in range(0, len(hit), CHUNK):
        t_idx, r_idx = hit[start:start + CHUNK], first[start:start + CHUNK]
        equal = _rows_equal(test[t_idx], train[r_idx], kind)
        for t, r, ok in zip(t_idx.tolist(), r_idx.tolist(), equal.tolist()):
            if ok:
                pairs.append((t, r))
                continue
            for pos in range(lo[t], hi[t]):  # a hash collision: try the others with that hash
                candidate = int(order[pos])
                if _rows_equal(test[t:t + 1], train[candidate:candidate + 1], kind)[0]:
                    pairs.append((t, candidate))
                    break
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def _rows_equal(a: np.ndarray, b: np.ndarray, kind: np.dtype) -> np.ndarray:
    a, b = _canonical(a, kind), _canonical(b, kind)
    return np.all(a.view(np.uint8).reshape(len(a), -1) == b.view(np.uint8).reshape(len(b), -1), axis=1)


def _near_pairs(train: np.ndarray, test: np.ndarray, p1: np.ndarray, p2: np.ndarray, radius: float,
                skip: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, int]:
    width = LSH_WIDTH * radius
    offsets = rng.uniform(0.0, 1.0, size=p1.shape[1])
    mix = (rng.integers(1, 2**62, size=LSH_PROJECTIONS, dtype=np.int64) * 2 + 1)
    keys1 = _bucket_keys(p1, width, offsets, mix)
    keys2 = _bucket_keys(p2, width, offsets, mix)
    wanted = np.nonzero(~skip)[0]
    found: list[np.ndarray] = []
    for table in range(LSH_TABLES):
        k1 = keys1[:, table]
        order = np.argsort(k1, kind="stable")
        sorted_k = k1[order]
        k2 = keys2[wanted, table]
        lo = np.searchsorted(sorted_k, k2, side="left")
        hi = np.searchsorted(sorted_k, k2, side="right")
        counts = np.minimum(hi - lo, LSH_BUCKET_CAP)
        has = counts > 0
        if not has.any():
            continue
        t_idx, starts, counts = wanted[has], lo[has], counts[has]
        total = int(counts.sum())
        reps = np.repeat(np.arange(len(t_idx)), counts)
        within = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
        found.append(t_idx[reps].astype(np.int64) * len(train) + order[starts[reps] + within])
    if not found:
        return np.zeros((0, 2), dtype=np.int64), np.zeros(0), 0
    codes = np.unique(np.concatenate(found))
    t_all, r_all = codes // len(train), codes % len(train)
    # the projections estimate each pair's distance: only plausible pairs are measured exactly
    keep = np.empty(len(codes), dtype=bool)
    for start in range(0, len(codes), CHUNK * 4):
        dp = p2[t_all[start:start + CHUNK * 4]] - p1[r_all[start:start + CHUNK * 4]]
        keep[start:start + CHUNK * 4] = np.einsum("ij,ij->i", dp, dp) / dp.shape[1] <= PREFILTER * radius * radius
    t_all, r_all = t_all[keep], r_all[keep]
    rms = np.empty(len(t_all))
    for start in range(0, len(t_all), CHUNK):
        a = np.asarray(test[t_all[start:start + CHUNK]], dtype=np.float64)
        b = np.asarray(train[r_all[start:start + CHUNK]], dtype=np.float64)
        diff = a - b
        rms[start:start + CHUNK] = np.sqrt(np.einsum("ij,ij->i", diff, diff) / a.shape[1])
    close = np.nonzero(rms <= radius / np.sqrt(train.shape[1]))[0]
    if not len(close):
        return np.zeros((0, 2), dtype=np.int64), np.zeros(0), len(codes)
    # the closest training example for each test example
    t_c, r_c, d_c = t_all[close], r_all[close], rms[close]
    order = np.lexsort((d_c, t_c))
    t_c, r_c, d_c = t_c[order], r_c[order], d_c[order]
    first = np.ones(len(t_c), dtype=bool)
    first[1:] = t_c[1:] != t_c[:-1]
    pairs = np.stack([t_c[first], r_c[first]], axis=1).astype(np.int64)
    return pairs, d_c[first], len(codes)


def _bucket_keys(proj: np.ndarray, width: float, offsets: np.ndarray, mix: np.ndarray) -> np.ndarray:
    cells = np.floor(proj / np.float32(width) + offsets).astype(np.int64)
    cells = cells.reshape(proj.shape[0], LSH_TABLES, LSH_PROJECTIONS)
    with np.errstate(over="ignore"):
        return (cells * mix).sum(axis=2)


def _pairs(d: Duplicates) -> list[dict[str, Any]]:
    rows = [{"test_index": int(t), "train_index": int(r), "exact": True} for t, r in d.exact[:MAX_PAIRS]]
    for (t, r), rms in zip(d.near[:MAX_PAIRS], d.near_rms[:MAX_PAIRS]):
        if len(rows) >= MAX_PAIRS:
            break
        rows.append({"test_index": int(t), "train_index": int(r), "exact": False,
                     "rms_difference": float(rms)})
    return sorted(rows, key=lambda p: p["test_index"])
