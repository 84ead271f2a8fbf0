"""mini-batch: the user's batch builder, probed with data whose every column carries its own index.

`probe_minibatches(func)` calls a builder such as the course's ``random_mini_batches(X, Y,
mini_batch_size, seed)`` with ``X[r, j] = j + r / 8`` and ``Y[k, j] = j + k / 8`` (examples as
columns; as rows when the function expects that), for several seeds (epochs) and two data sizes
(one the batch size does not divide, one it does), and reads back which example every column of
every batch came from:

- ``coverage`` (error): an epoch's batches drop or repeat examples (overlapping or short slices,
  sampling with replacement, the last batch built from a wrong slice);
- ``misaligned`` (error): a column of X and the same column of Y come from different examples (X and
  Y shuffled with two permutations, or only one of them shuffled);
- info notes: the remainder dropped when the batch size does not divide m (kind ``coverage``), and
  the same batches for every seed (``problem: same-batches``, or ``no-shuffle``).

A correct builder gives no finding. Nothing here raises; numpy's global random state is restored.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from nndoctor.findings import Finding, Severity
from nndoctor.probes._common import guarded, location, name_of, parameters_of, user_code_finding

__all__ = ["MinibatchSignature", "looks_like_minibatch_builder", "probe_minibatches", "CONFIGS"]

N_FEATURES = 5
N_LABEL_ROWS = 1
ROW_STEP = 1 / 8  # X[r, j] = j + r / 8: exact in floating point
# (m, mini_batch_size, seeds): one size that leaves a remainder, one that divides m
CONFIGS = ((148, 64, (1, 2, 3)), (128, 32, (1, 2)))

_NAMES: dict[str, set[str]] = {
    "X": {"x", "data", "inputs", "input", "features", "xtrain", "trainx", "trainsetx", "xs", "dataset", "xdata"},
    "Y": {"y", "labels", "label", "targets", "target", "ytrain", "trainy", "trainsety", "ys", "ydata"},
    "size": {"minibatchsize", "batchsize", "size", "bs", "mbsize", "batch", "nbatch", "minibatch", "batchsz",
             "mbs", "sizeofminibatch", "minibatch_size", "nperbatch"},
    "seed": {"seed", "randomseed", "randomstate", "rngseed"},
    "rng": {"rng", "generator", "randomgenerator"},
    "shuffle": {"shuffle", "shuffled", "doshuffle", "randomize"},
}
_TEMPLATES = {2: ("X", "Y"), 3: ("X", "Y", "size"), 4: ("X", "Y", "size", "seed")}


def _norm(name: str) -> str:
    return name.lower().replace("_", "")


@dataclass(frozen=True)
class MinibatchSignature:
    """``roles`` maps ``X``, ``Y``, ``size``, ``seed``, ``rng``, ``shuffle`` to the function's
    parameter names (the ones it takes)."""

    roles: Mapping[str, str]
    positional_only: tuple[str, ...] = ()


def looks_like_minibatch_builder(func: Any) -> MinibatchSignature | None:
    """A function taking X and Y (named so, or first) and a batch size, or whose name says
    ``batch``; every required argument understood. None for anything else."""
    params = parameters_of(func)
    if not params or len(params) < 2:
        return None
    roles: dict[str, str] = {}
    assigned: set[str] = set()
    for p in params:
        n = _norm(p.name)
        for role, names in _NAMES.items():
            if n in names and role not in roles:
                roles[role] = p.name
                assigned.add(p.name)
                break
    template = _TEMPLATES.get(len(params))
    if template is not None:
        for p, role in zip(params, template):
            if p.name not in assigned and role not in roles:
                roles[role] = p.name
                assigned.add(p.name)
    if "X" not in roles or "Y" not in roles:
        return None
    if any(p.default is p.empty and p.name not in assigned for p in params):
        return None
    fname = _norm(getattr(getattr(func, "__func__", func), "__name__", "") or "")
    size_named = any(_norm(p.name) in _NAMES["size"] for p in params)
    if "batch" not in fname and not size_named:
        return None
    if any(w in fname for w in ("forward", "backward", "cost", "predict", "train", "model", "fit", "loss")):
        return None
    positional_only = tuple(p.name for p in params if p.kind == p.POSITIONAL_ONLY)
    return MinibatchSignature(roles, positional_only)


# --------------------------------------------------------------------------------------------
# data and decoding


def _data(m: int, layout: str) -> tuple[np.ndarray, np.ndarray]:
    idx = np.arange(m, dtype=np.float64)
    X = idx[None, :] + ROW_STEP * np.arange(N_FEATURES)[:, None]
    Y = idx[None, :] + ROW_STEP * np.arange(N_LABEL_ROWS)[:, None]
    if layout == "columns":
        return X, Y
    if layout == "rows":
        return X.T.copy(), Y.T.copy()
    return X.T.copy(), idx.copy()  # rows, labels as a vector


def _decode_block(b: Any, rows: int, m: int) -> np.ndarray | None:
    """The example index of every example of a batch array with ``rows`` values per example, in
    either orientation; None when it is not such a batch."""
    try:
        a = np.asarray(b, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    if a.ndim == 1 and rows == 1:
        a = a[None, :]
    if a.ndim != 2:
        return None
    offsets = ROW_STEP * np.arange(rows)
    for arr in ((a,) if a.shape[0] == rows else ()) + ((a.T,) if a.shape[1] == rows else ()):
        idx = arr[0]
        if arr.shape[1] and np.array_equal(arr, idx[None, :] + offsets[:, None]) \
                and np.all(idx == np.round(idx)) and np.all((idx >= 0) & (idx < m)):
            return idx.astype(np.int64)
        if arr.shape[1] == 0:
            return np.zeros(0, dtype=np.int64)
    return None


@dataclass
class _Epoch:
    m: int
    size: int | None
    seed: int
    x: list[np.ndarray]  # example index of every column, per batch (from X)
    y: list[np.ndarray]  # the same from Y

    @property
    def order_x(self) -> np.ndarray:
        return np.concatenate(self.x) if self.x else np.zeros(0, np.int64)

    @property
    def order_y(self) -> np.ndarray:
        return np.concatenate(self.y) if self.y else np.zeros(0, np.int64)


def _pairs(result: Any) -> list[list[tuple[Any, Any]]]:
    """The readings of a builder's result as a list of (X_batch, Y_batch), most likely first."""
    out: list[list[tuple[Any, Any]]] = []
    if isinstance(result, np.ndarray) or result is None or isinstance(result, (str, bytes, Mapping)):
        return out
    if not isinstance(result, (list, tuple)):
        return out
    items = list(result)
    if all(isinstance(it, (list, tuple)) and len(it) >= 2 for it in items):
        out.append([(it[0], it[1]) for it in items])
    if len(items) == 2 and all(isinstance(it, (list, tuple)) for it in items) and len(items[0]) == len(items[1]):
        out.append(list(zip(items[0], items[1])))  # (X_batches, Y_batches)
    if len(items) == 2 and all(isinstance(it, np.ndarray) for it in items):
        out.append([(items[0], items[1])])  # one shuffled (X, Y): a single batch
    return out


def _decode(result: Any, m: int, size: int | None, seed: int) -> _Epoch | None:
    for reading in _pairs(result):
        xs, ys = [], []
        for xb, yb in reading:
            ix = _decode_block(xb, N_FEATURES, m)
            iy = _decode_block(yb, N_LABEL_ROWS, m)
            if ix is None or iy is None:
                break
            xs.append(ix)
            ys.append(iy)
        else:
            return _Epoch(m, size, seed, xs, ys)
    return None


def _materialize(result: Any) -> Any:
    if inspect.isgenerator(result) or (hasattr(result, "__next__") and hasattr(result, "__iter__")):
        return [tuple(b) if isinstance(b, (list, tuple)) else b for b in result]
    return result


# --------------------------------------------------------------------------------------------
# the probe


class _Stop(Exception):
    def __init__(self, finding: Finding | None) -> None:
        super().__init__("probe stopped")
        self.finding = finding


def probe_minibatches(func: Callable[..., Any], *, name: str | None = None,
                      configs: tuple[tuple[int, int, tuple[int, ...]], ...] = CONFIGS) -> list[Finding]:
    """Probe a mini-batch builder; return its `mini-batch` findings (empty when every epoch holds
    every example once, with its own label), or a `user-code-error` / `unexpected-output` /
    `check-inconclusive` finding when it cannot be read. ``configs``: (m, batch size, seeds)."""
    fname = name_of(func, name)
    try:
        return _probe(func, fname, configs)
    except _Stop as stop:
        return [stop.finding] if stop.finding is not None else []
    except Exception as exc:  # noqa: BLE001 - a probe never breaks the report
        return [_inconclusive(func, fname, f"the mini-batch probe failed ({type(exc).__name__}: {exc})")]


def _inconclusive(func: Callable[..., Any], fname: str, why: str) -> Finding:
    return Finding("check-inconclusive", f"{fname} could not be checked as a mini-batch builder: {why}.",
                   Severity.INFO, location(func, fname), {"check": "mini-batch", "function": fname},
                   "Declare the builder with the course's signature: random_mini_batches(X, Y, mini_batch_size, "
                   "seed) -> [(mini_batch_X, mini_batch_Y), ...].")


def _call(func: Callable[..., Any], sig: MinibatchSignature, X: np.ndarray, Y: np.ndarray, size: int, seed: int,
          call_number: int) -> tuple[bool, Any]:
    values: dict[str, Any] = {"X": X, "Y": Y, "size": size, "seed": seed, "shuffle": True}
    if "rng" in sig.roles:
        values["rng"] = np.random.default_rng(seed)
    args, kwargs = [], {}
    inv = {p: r for r, p in sig.roles.items()}
    for pname in sig.positional_only:
        args.append(values[inv[pname]])
    for role, pname in sig.roles.items():
        if pname not in sig.positional_only:
            kwargs[pname] = values[role]

    def call() -> Any:
        return _materialize(func(*args, **kwargs))

    # numpy's global generator differs at every call (a builder that draws from it without seeding
    # behaves as across epochs), and is restored afterwards
    return guarded(call, seed=7919 * (call_number + 1))


def _probe(func: Callable[..., Any], fname: str, configs: tuple[tuple[int, int, tuple[int, ...]], ...]
           ) -> list[Finding]:
    sig = looks_like_minibatch_builder(func)
    if sig is None:
        params = parameters_of(func)
        names = ", ".join(p.name for p in params) if params else "?"
        raise _Stop(_inconclusive(func, fname, f"its arguments ({names}) are not (X, Y, mini_batch_size, seed)"))
    has_size = "size" in sig.roles
    # which layout the function expects: the first one whose result reads back
    m0, size0, seeds0 = configs[0]
    chosen = None
    first_failure: BaseException | None = None
    first_result: Any = None
    for layout in ("columns", "rows", "rows-1d"):
        X, Y = _data(m0, layout)
        ok, result = _call(func, sig, X.copy(), Y.copy(), size0, seeds0[0], 0)
        if not ok:
            first_failure = first_failure or result
            continue
        epoch = _decode(result, m0, size0 if has_size else None, seeds0[0])
        if epoch is not None:
            chosen = (layout, epoch)
            break
        if first_result is None:
            first_result = result
    if chosen is None:
        if first_result is not None:
            raise _Stop(_unexpected(func, fname, first_result, m0))
        assert first_failure is not None
        raise _Stop(user_code_finding(func, fname, first_failure,
                                      f"called as a mini-batch builder with X of shape ({N_FEATURES}, {m0}), "
                                      f"Y of shape ({N_LABEL_ROWS}, {m0})"))
    layout, first = chosen
    epochs: dict[tuple[int, int], list[_Epoch]] = {}
    calls = 1
    for m, size, seeds in configs:
        for seed in seeds:
            if (m, size, seed) == (m0, size0, seeds0[0]):
                epochs.setdefault((m, size), []).append(first)
                continue
            X, Y = _data(m, layout)
            ok, result = _call(func, sig, X, Y, size, seed, calls)
            calls += 1
            if not ok:
                raise _Stop(user_code_finding(func, fname, result,
                                              f"called as a mini-batch builder with m = {m}, batch size {size}, "
                                              f"seed {seed}"))
            epoch = _decode(result, m, size if has_size else None, seed)
            if epoch is None:
                raise _Stop(_unexpected(func, fname, result, m))
            epochs.setdefault((m, size), []).append(epoch)
    return _judge(func, fname, sig, layout, epochs)


def _unexpected(func: Callable[..., Any], fname: str, result: Any, m: int) -> Finding:
    if isinstance(result, np.ndarray):
        what = f"an array of shape {result.shape}"
    elif isinstance(result, (list, tuple)):
        inner = {type(r).__name__ for r in result}
        what = f"a {type(result).__name__} of {len(result)} {'/'.join(sorted(inner)) or 'items'}"
    else:
        what = f"a {type(result).__name__}"
    message = (f"{fname} returned {what}, which is not a list of (X_batch, Y_batch) pairs whose columns are "
               f"examples of X and Y (called with m = {m} examples).")
    return Finding("unexpected-output", message, Severity.ERROR, location(func, fname, (r"\breturn\b",)),
                   {"function": fname, "returned": type(result).__name__, "probe": "mini-batch"},
                   "Return a list of pairs: mini_batches.append((mini_batch_X, mini_batch_Y)) for each batch, "
                   "then return mini_batches.")


# --------------------------------------------------------------------------------------------
# the verdicts


def _preview(values: np.ndarray, n: int = 8) -> str:
    shown = ", ".join(str(int(v)) for v in values[:n])
    return shown + (", ..." if values.size > n else "")


@dataclass(frozen=True)
class _Builder:
    """What every verdict about one builder names: the function, its size and seed arguments (as the
    user called them), its labels argument, and the layout it was read in."""

    func: Callable[..., Any]
    fname: str
    size_name: str
    seed_name: str
    y_name: str
    common: dict[str, str]


def _judge(func: Callable[..., Any], fname: str, sig: MinibatchSignature, layout: str,
           epochs: dict[tuple[int, int], list[_Epoch]]) -> list[Finding]:
    """The verdicts on a builder's epochs, in this order: X and Y misaligned, examples dropped or
    repeated (or only the remainder dropped), the same batches for every seed; at most one of each."""
    builder = _Builder(func, fname, sig.roles.get("size", "mini_batch_size"), sig.roles.get("seed", "seed"),
                       sig.roles["Y"],
                       {"layout": "examples as columns" if layout == "columns" else "examples as rows"})
    all_epochs = [e for group in epochs.values() for e in group]
    return _misalignment(builder, all_epochs) + _coverage(builder, epochs) + _same_batches(builder, epochs)


# misaligned: X and Y of one column from different examples


def _misalignment(builder: _Builder, all_epochs: list[_Epoch]) -> list[Finding]:
    """The first epoch whose X and Y columns do not pair up, as one finding."""
    for e in all_epochs:
        finding = _sizes_differ(builder, e)
        if finding is None:
            finding = _labels_of_other_examples(builder, e)
        if finding is not None:
            return [finding]
    return []


def _sizes_differ(builder: _Builder, e: _Epoch) -> Finding | None:
    sizes_x = [len(b) for b in e.x]
    sizes_y = [len(b) for b in e.y]
    if sizes_x == sizes_y:
        return None
    return Finding(
        "mini-batch",
        f"{builder.fname} returns X and Y batches of different sizes (m = {e.m}, {builder.size_name} = {e.size}): "
        f"X batches of {sizes_x}, Y batches of {sizes_y}. Inputs and labels cannot be paired.",
        Severity.ERROR, location(builder.func, builder.fname, (r"append\(",)),
        {"kind": "misaligned", "problem": "sizes-differ", "examples": e.m, "batch_size": e.size,
         "seed": e.seed, "x_batch_sizes": sizes_x, "y_batch_sizes": sizes_y, **builder.common},
        "Slice X and Y with the same indices: mini_batch_X = shuffled_X[:, a:b]; mini_batch_Y = "
        "shuffled_Y[:, a:b].")


def _shuffle_pattern(ox: np.ndarray, oy: np.ndarray) -> tuple[str, str]:
    """Which of X and Y was shuffled: the problem's name and the phrase that says it."""
    x_sorted = bool(np.all(np.diff(ox) > 0))
    y_sorted = bool(np.all(np.diff(oy) > 0))
    if y_sorted and not x_sorted:
        return "only-x-shuffled", "X was shuffled and Y kept in its original order"
    if x_sorted and not y_sorted:
        return "only-y-shuffled", "Y was shuffled and X kept in its original order"
    return "separate-permutations", "X and Y were shuffled with two different permutations"


def _labels_of_other_examples(builder: _Builder, e: _Epoch) -> Finding | None:
    ox, oy = e.order_x, e.order_y
    bad = ox != oy
    if not bad.any():
        return None
    count = int(bad.sum())
    first_pos = int(np.flatnonzero(bad)[0])
    b, col = _batch_position(e.x, first_pos)
    x_ex, y_ex = int(ox[first_pos]), int(oy[first_pos])
    pattern, how = _shuffle_pattern(ox, oy)
    fraction = count / ox.size
    message = (f"{builder.fname} pairs inputs with the labels of other examples: for {builder.seed_name} {e.seed}, "
               f"{count} of {ox.size} columns ({fraction:.0%}) hold X of one example and Y of another "
               f"(batch {b}, column {col}: X of example {x_ex}, Y of example {y_ex}); {how}. "
               + ("Y shuffled with its own permutation" if pattern != "only-x-shuffled" else
                  "Labels left in their original order")
               + " are random labels for the shuffled inputs: the network cannot learn them and the cost "
                 "stays near ln 2 = 0.693 (binary labels) however good the backprop.")
    return Finding(
        "mini-batch", message, Severity.ERROR,
        location(builder.func, builder.fname, (r"\b" + re.escape(builder.y_name) + r"\s*\[", r"permutation|shuffle")),
        {"kind": "misaligned", "problem": pattern, "examples": e.m, "batch_size": e.size, "seed": e.seed,
         "batches": len(e.x), "misaligned": count, "fraction": fraction,
         "first_bad": {"batch": b, "column": col, "x_example": x_ex, "y_example": y_ex}, **builder.common},
        "Draw one permutation and index X and Y with it: permutation = list(np.random.permutation(m)); "
        "shuffled_X = X[:, permutation]; shuffled_Y = Y[:, permutation].")


# coverage: every example exactly once per epoch


@dataclass
class _Gap:
    """An epoch whose batches do not hold every one of the m examples exactly once."""

    epoch: _Epoch
    m: int
    counts: np.ndarray  # how many times each example appears
    missing: np.ndarray
    repeated: np.ndarray
    sizes: list[int]  # the batch sizes
    step: int  # the batch size (the largest batch when the function takes none)

    @property
    def expected_sizes(self) -> list[int]:
        step, m = self.step, self.m
        return [step] * (m // step) + ([m % step] if step and m % step else []) if step else []

    @property
    def only_remainder_dropped(self) -> bool:
        """Complete batches of the size, and exactly the m % size examples of a last batch missing."""
        step, m, sizes = self.step, self.m, self.sizes
        return bool(not self.repeated.size and step and m % step and self.missing.size == m % step
                    and len(sizes) == m // step and all(s == step for s in sizes))


def _gap(e: _Epoch, m: int) -> _Gap | None:
    counts = np.bincount(e.order_x, minlength=m)
    missing = np.flatnonzero(counts == 0)
    repeated = np.flatnonzero(counts > 1)
    if not missing.size and not repeated.size:
        return None
    sizes = [len(b) for b in e.x]
    step = e.size if e.size is not None else (max(sizes) if sizes else 0)
    return _Gap(e, m, counts, missing, repeated, sizes, step)


def _coverage(builder: _Builder, epochs: dict[tuple[int, int], list[_Epoch]]) -> list[Finding]:
    """The first epoch that drops or repeats examples, as an error; else the first that only drops the
    remainder, as a note; else nothing."""
    first_gap: _Gap | None = None
    first_remainder: _Gap | None = None
    for (m, _size), group in epochs.items():
        for e in group:
            gap = _gap(e, m)
            if gap is None:
                continue
            if gap.only_remainder_dropped:
                if first_remainder is None:
                    first_remainder = gap
            elif first_gap is None:
                first_gap = gap
    if first_gap is not None:
        return [_coverage_finding(builder, first_gap)]
    if first_remainder is not None:
        return [_remainder_finding(builder, first_remainder)]
    return []


def _gap_parts(gap: _Gap) -> list[str]:
    """The examples that never appear and those that appear more than once, in words."""
    m, missing, repeated = gap.m, gap.missing, gap.repeated
    parts = []
    if missing.size:
        parts.append(f"{missing.size} of the {m} examples never appear (examples {_preview(missing)})")
    if repeated.size:
        extra = int((gap.counts[repeated] - 1).sum())
        of_m = "" if missing.size else f" of the {m} examples"
        parts.append(f"{repeated.size}{of_m} appear more than once ({extra} extra copies; examples "
                     f"{_preview(repeated)})")
    return parts


def _gap_cause(gap: _Gap) -> str:
    """The likely cause of the gap, as a sentence (with its leading space), or ""."""
    missing, repeated = gap.missing, gap.repeated
    if missing.size and repeated.size and sum(gap.sizes) == gap.m:
        return " The batches hold m columns in all, but some examples twice and others never: examples are " \
               "drawn with replacement, or the slices overlap and leave gaps."
    if repeated.size and not missing.size:
        return " Slices overlap, or a batch is added twice (e.g. the last one when m is a multiple of the size)."
    if missing.size:
        return " Slices leave gaps between batches, or a batch is missing."
    return ""


def _coverage_finding(builder: _Builder, gap: _Gap) -> Finding:
    m, step, sizes, size_name = gap.m, gap.step, gap.sizes, builder.size_name
    expected_sizes = gap.expected_sizes
    message = (f"{builder.fname} does not put every example in exactly one batch per epoch: with m = {m} and "
               f"{size_name} = {step} ({builder.seed_name} {gap.epoch.seed}), " + " and ".join(_gap_parts(gap))
               + f". Batch sizes {sizes}, expected {expected_sizes}." + _gap_cause(gap))
    return Finding(
        "mini-batch", message, Severity.ERROR,
        location(builder.func, builder.fname, (r"range\(", r"\[\s*:\s*,.*:", r"permutation|choice|randint")),
        {"kind": "coverage", "examples": m, "batch_size": step, "seed": gap.epoch.seed, "batches": len(sizes),
         "batch_sizes": sizes, "expected_batch_sizes": expected_sizes,
         "missing": gap.missing.tolist(), "repeated": gap.repeated.tolist(),
         "missing_count": int(gap.missing.size), "repeated_count": int(gap.repeated.size), **builder.common},
        f"Shuffle with one permutation of range(m) (np.random.permutation(m): every example once), cut "
        f"m // {size_name} complete batches [k * {size_name}:(k + 1) * {size_name}], then, only if "
        f"m % {size_name} != 0, the last batch [(m // {size_name}) * {size_name}:m].")


def _remainder_finding(builder: _Builder, gap: _Gap) -> Finding:
    e, step, missing, size_name = gap.epoch, gap.step, gap.missing, builder.size_name
    return Finding(
        "mini-batch",
        f"{builder.fname} drops the last, smaller batch: with m = {e.m} and {size_name} = {step}, {missing.size} "
        f"examples are left out of every epoch (which ones changes with the shuffle, so all are used over several "
        f"epochs). The course keeps the remainder as a last batch of {e.m % step}.",
        Severity.INFO, location(builder.func, builder.fname, (r"range\(", r"//")),
        {"kind": "coverage", "problem": "remainder-dropped", "examples": e.m, "batch_size": step,
         "batches": len(gap.sizes), "dropped": int(missing.size), "missing": missing.tolist(), "seed": e.seed,
         **builder.common},
        f"If every example should count in every epoch, add the last batch when m % {size_name} != 0: "
        f"shuffled_X[:, (m // {size_name}) * {size_name}:].")


# the same batches whatever the seed


def _same_every_seed(group: list[_Epoch]) -> bool:
    orders = [e.order_x for e in group]
    return all(np.array_equal(orders[0], o) for o in orders[1:]) and \
        all(len(a) == len(b) for a, b in zip(group[0].x, group[-1].x))


def _same_batches(builder: _Builder, epochs: dict[tuple[int, int], list[_Epoch]]) -> list[Finding]:
    """The first (m, size) whose seeds all give the same batches, as one note."""
    for (m, size), group in epochs.items():
        if len(group) >= 2 and _same_every_seed(group):
            return [_same_batches_finding(builder, m, size, group)]
    return []


def _same_batches_finding(builder: _Builder, m: int, size: int, group: list[_Epoch]) -> Finding:
    fname, seed_name = builder.fname, builder.seed_name
    seeds = ", ".join(str(e.seed) for e in group)
    order = group[0].order_x
    if np.array_equal(order, np.sort(order)):
        message = (f"{fname} does not shuffle: for {seed_name} {seeds} the batches are the examples in "
                   f"their original order, the same every epoch.")
        problem = "no-shuffle"
    else:
        message = (f"{fname} returns the same batches, in the same order, for {seed_name} {seeds}: every "
                   f"epoch sees the same mini-batches (the seed does not reach the shuffle, or numpy is "
                   f"reseeded with a constant).")
        problem = "same-batches"
    return Finding(
        "mini-batch", message, Severity.INFO,
        location(builder.func, builder.fname, (r"seed\(", r"permutation|shuffle")),
        {"problem": problem, "examples": m, "batch_size": size, "seeds": [e.seed for e in group], **builder.common},
        f"Shuffle with the seed you are given (np.random.seed({seed_name}); permutation = "
        f"np.random.permutation(m)) and pass a different one every epoch ({seed_name} = {seed_name} + 1).")


def _batch_position(batches: list[np.ndarray], pos: int) -> tuple[int, int]:
    for b, arr in enumerate(batches):
        if pos < len(arr):
            return b, pos
        pos -= len(arr)
    return len(batches) - 1, 0

