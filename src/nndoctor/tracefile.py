"""Training traces on disk: what a watched run recorded, streamed into an HDF5 file.

    doctor = nndoctor.Doctor(trace="run.h5")     # statistics go to run.h5 while training
    ...
    nndoctor report run.h5                       # the same diagnosis, later, from the file alone

Layout (schema ``nndoctor.trace/1``): one group per run (``runs/0``, ``runs/1``...) holding
appendable, chunked, compressed float64 tables, one row per record, plus JSON attributes:

- ``iterations``: index, sampled (0/1), cost, batch size, has a cost (0/1)
- ``activations``: iteration, layer, kind, units, examples, dead units, saturated fraction,
  mean, std, NaN/inf count, NaN/inf count of Z, std of Z
- ``arrays``: iteration, what (0 gradient, 1 parameter, 2 parameter checksum), key, norm,
  max |x|, NaN/inf count, size
- ``updates``: iteration, key, step norm, weight norm, cosine with -dW, learning rate
- ``derivatives``: iteration, function, activation it differentiates, layer
- ``dropout``: iteration, layer, keep_prob, kept fraction, entries, mask id, scaled, reapplied
- ``histograms``: iteration, layer, low, high, then the counts of 20 equal bins of the layer's
  outputs (sampled iterations)

Strings (kinds, keys, function names) are stored once in a JSON vocabulary attribute; rows hold
their index. Numbers and JSON only, never pickle. While training, the file is rewritten every
``FLUSH_SECONDS`` (less often as it grows: at most ``COST_SHARE`` of the training time) into a
temporary file renamed over the old one, so a run killed at any moment leaves a complete trace up
to the last write.

The user's files are safe: a Doctor refuses a path that holds anything but an nndoctor trace (an
empty file aside), before training starts; two Doctors never write one trace at once (the first
holds a lock, ``.NAME.lock`` next to it, taken with ``flock`` and so released when its Doctor is
closed or its process ends, however it ends: a killed process leaves only the empty lock file);
the temporary file is made by ``mkstemp`` (a name nobody can predict, created anew, never through
a link someone put there) and written through the descriptor mkstemp opened.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import math
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from nndoctor.errors import InvalidInputError
from nndoctor.trace import (
    ActivationStats,
    ArrayStats,
    CallSite,
    DerivativeCall,
    DropoutStats,
    Iteration,
    Problem,
    RecordedError,
    Run,
    Trace,
    UpdateStats,
    WeightInit,
)

SCHEMA = "nndoctor.trace/1"
TABLES = {
    "iterations": 5,
    "activations": 12,
    "arrays": 7,
    "updates": 6,
    "derivatives": 4,
    "dropout": 8,
    "histograms": 24,
}
HISTOGRAM_BINS = 20
FLUSH_SECONDS = 5.0  # the file is rewritten at most this often...
COST_SHARE = 0.05  # ...and less often as it grows, so writing takes at most 5% of the training time
CHUNK_ROWS = 1024


class TraceFileError(InvalidInputError):
    """A trace file that cannot be read: the message says why."""


class TraceWriter:
    """Keeps a file up to date with a Doctor's trace while it trains.

    Every ``FLUSH_SECONDS`` (or longer, so that writing never takes more than ``COST_SHARE`` of the
    training time as the trace grows) the whole trace is written to a temporary file next to the
    target, which then replaces it in one atomic rename: a run killed at any moment leaves the
    last complete trace, never a half-written file.
    """

    def __init__(self, path: str | Path, *, every: int) -> None:
        self.path = Path(path)
        self.every = every
        self.pending = 0
        self.save_seconds = 0.0
        self.trace: Trace | None = None
        self.last_flush = time.monotonic()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.lock = TraceLock(self.path)
        self.lock.acquire()  # before looking at the file: another Doctor may be writing it
        try:
            refuse_foreign(self.path)
        except BaseException:
            self.lock.release()
            raise

    def write(self, run: Run, it: Iteration, trace: Trace) -> None:
        """One finished iteration (called when the next one starts, or at the end)."""
        self.trace = trace
        self.pending += 1
        # each write rewrites the whole file: wait long enough that writing stays a small share
        wait = max(FLUSH_SECONDS, self.save_seconds / COST_SHARE)
        if time.monotonic() - self.last_flush > wait:
            self.flush(trace)

    def flush(self, trace: Trace | None) -> None:
        trace = trace or self.trace
        if trace is None:
            return
        start = time.monotonic()
        self.lock.acquire()  # again after close(), should the Doctor go on training
        save_trace(trace, self.path)
        self.save_seconds = time.monotonic() - start
        self.pending = 0
        self.last_flush = time.monotonic()

    def close(self, trace: Trace) -> None:
        try:
            self.flush(trace)
        finally:
            self.lock.release()


class TraceLock:
    """``.NAME.lock`` next to the trace, held with ``flock`` for as long as a Doctor writes it: a second
    Doctor (in this process or another) is refused with a clear error instead of both rewriting one
    file. The kernel drops the lock when its descriptor is closed, so a process that dies, even
    killed, never leaves a trace locked. Not taken where ``fcntl`` does not exist (Windows)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock_path = path.with_name(f".{path.name}.lock")
        self.fd: int | None = None

    def acquire(self) -> None:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not on POSIX
            return
        while self.fd is None:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                raise InvalidInputError(f"{self.path} is being written by another Doctor (it holds "
                                        f"{self.lock_path.name}): two Doctors never write one trace; give this "
                                        f"one another path, or close() the other first.") from None
            try:  # the holder before us may have removed the file we opened: lock the one at the path
                same = os.path.samestat(os.fstat(fd), os.stat(self.lock_path, follow_symlinks=False))
            except OSError:
                same = False
            if same:
                self.fd = fd
                atexit.register(self.release)  # a program that never closes its Doctor leaves no lock file
            else:
                os.close(fd)

    def release(self) -> None:
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.unlink(self.lock_path)  # while still holding it: whoever opens the name next locks a new file
            os.close(self.fd)
            self.fd = None
            atexit.unregister(self.release)

    def __del__(self) -> None:
        self.release()


def refuse_foreign(path: Path) -> None:
    """A Doctor replaces its trace file whole: refuse a path that holds anything else (an empty file
    is fine), before a single iteration is written."""
    if path.is_dir():
        raise InvalidInputError(f"{path} is a folder: Doctor(trace=...) needs the path of a file, such as run.h5.")
    try:
        if not path.exists() or path.stat().st_size == 0:
            return
    except OSError:
        return
    try:
        import h5py

        with h5py.File(path, "r") as f:
            schema = f.attrs.get("schema")
    except (OSError, ImportError):
        schema = None
    if not (isinstance(schema, str) and schema.startswith("nndoctor.trace/")):
        raise InvalidInputError(f"{path} already exists and is not an nndoctor trace: Doctor(trace=...) would replace "
                                f"it, so it was left alone. Give another path, or move that file away first.")


def save_trace(trace: Trace, path: str | Path) -> None:
    """Write a whole trace to ``path`` (atomically: a temporary file renamed over it)."""
    import h5py

    path = Path(path)
    # a new file of an unpredictable name, written through the descriptor that created it: never a
    # file or a link someone else put in the folder
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(name)
    vocab: dict[str, int] = {}

    def word(text: str | None) -> float:
        if text is None:
            return -1.0
        return float(vocab.setdefault(text, len(vocab)))

    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, _file_mode(path))
        with os.fdopen(fd, "w+b") as handle, h5py.File(handle, "w") as f:
            f.attrs["schema"] = SCHEMA
            f.attrs["every"] = trace.every
            for run in trace.runs:
                group = f.create_group(f"runs/{run.index}")
                tables = _tables(run, word)
                for name, width in TABLES.items():
                    rows = np.asarray(tables[name], dtype=np.float64).reshape(-1, width)
                    group.create_dataset(name, data=rows, maxshape=(None, width),
                                         chunks=(max(1, min(CHUNK_ROWS, len(rows) or 1)), width),
                                         compression="gzip", compression_opts=4)
                group.attrs["label"] = run.label
                updates = [it.update.function for it in run.completed if it.update is not None]
                group.attrs["update_function"] = updates[0] if updates else "update"
                group.attrs["meta"] = json.dumps({
                    "examples": run.examples, "example_axis": run.example_axis, "output_units": run.output_units,
                    "learning_rate": run.learning_rate, "label_values": run.label_values,
                    "weights": {k: vars(w) for k, w in run.weights.items()}}, default=_plain)
            f.attrs["vocab"] = json.dumps(vocab)
            f.attrs["sites"] = json.dumps([vars(s) for s in trace.sites.values()], default=_plain)
            f.attrs["errors"] = json.dumps([vars(e) for e in trace.errors], default=_plain)
            f.attrs["problems"] = json.dumps([vars(p) for p in trace.problems], default=_plain)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            os.close(fd)  # when fdopen was never reached
        if tmp.exists():
            tmp.unlink()


def _file_mode(path: Path) -> int:
    """The permissions the trace had, or those a new file gets (mkstemp's are owner-only)."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        pass
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            umask = next(int(line.split()[1], 8) for line in status if line.startswith("Umask:"))
    except (OSError, StopIteration, ValueError, IndexError):
        umask = os.umask(0o022)
        os.umask(umask)
    return 0o666 & ~umask


def _tables(run: Run, word: Any) -> dict[str, list[list[float]]]:
    t: dict[str, list[list[float]]] = {name: [] for name in TABLES}
    for it in run.completed:
        i = float(it.index)
        t["iterations"].append([i, float(it.sampled), _num(it.cost), _num(it.batch), float(it.cost is not None)])
        t["activations"] += [[i, a.layer, word(a.kind), a.units, a.examples, a.dead_units, a.saturated_fraction,
                              a.mean, a.std, a.nonfinite, a.input_nonfinite, a.input_std] for a in it.activations]
        t["arrays"] += [[i, 0, word(k), g.norm, g.max_abs, g.nonfinite, g.size] for k, g in it.grads.items()]
        t["arrays"] += [[i, 1, word(k), p.norm, p.max_abs, p.nonfinite, p.size] for k, p in it.params.items()]
        if it.param_fingerprint is not None:
            t["arrays"] += [[i, 2, float(n), v, 0, 0, 0] for n, v in enumerate(it.param_fingerprint)]
        if it.update is not None:
            u = it.update
            t["updates"] += [[i, word(k), c, u.before.get(k, math.nan), u.descent.get(k, math.nan),
                              _num(u.learning_rate)] for k, c in u.change.items()]
        t["derivatives"] += [[i, word(d.function), word(d.of), _num(d.layer)] for d in it.derivatives]
        t["dropout"] += [[i, s.layer, s.keep_prob, s.kept, s.size, float(int(s.fingerprint, 16) % 2**52),
                          _tri(s.scaled), _tri(s.reapplied)] for s in it.dropout.values()]
        t["histograms"] += [[i, a.layer, a.histogram[0], a.histogram[1], *a.histogram[2]]
                            for a in it.activations if a.histogram is not None and len(a.histogram[2]) == HISTOGRAM_BINS]
    return t


# -------------------------------------------------------------------- reading
def read_trace(path: str | Path) -> Trace:
    """A Trace rebuilt from a file written by `Doctor(trace=...)`; raises TraceFileError."""
    try:
        import h5py
    except ImportError as exc:  # pragma: no cover - a runtime dependency
        raise TraceFileError("reading a trace needs h5py (pip install h5py)") from exc
    path = Path(path)
    if not path.exists():
        raise TraceFileError(f"{path}: no such file")
    try:
        handle = h5py.File(path, "r")
    except OSError as exc:
        raise TraceFileError(f"{path}: not a readable HDF5 file ({exc}); a trace cut off before its first "
                             f"flush cannot be read") from None
    with handle as f:
        schema = f.attrs.get("schema")
        if schema != SCHEMA:
            if isinstance(schema, str) and schema.startswith("nndoctor.trace/"):
                raise TraceFileError(f"{path}: written as {schema} by a newer nndoctor; this version reads "
                                     f"{SCHEMA}. Upgrade nndoctor to read it.")
            raise TraceFileError(f"{path}: not an nndoctor trace (no '{SCHEMA}' schema attribute)")
        try:
            return _read_contents(f)
        except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
            # a table whose compressed bytes were overwritten, an attribute that is not the JSON written
            # there, a run or a column missing: the file was changed after nndoctor wrote it
            detail = str(exc).splitlines()[0] if str(exc) else "no details"
            raise TraceFileError(f"{path}: a damaged nndoctor trace, it cannot be read ({type(exc).__name__}: "
                                 f"{detail}); write it again with Doctor(trace=...)") from None


def _read_contents(f: Any) -> Trace:
    vocab = {v: k for k, v in json.loads(f.attrs.get("vocab", "{}")).items()}
    trace = Trace(every=int(f.attrs.get("every", 1)))
    for site in json.loads(f.attrs.get("sites", "[]")):
        trace.sites[site["name"]] = CallSite(**site)
    trace.errors = [RecordedError(**e) for e in json.loads(f.attrs.get("errors", "[]"))]
    trace.problems = [Problem(**p) for p in json.loads(f.attrs.get("problems", "[]"))]
    for name in sorted(f.get("runs", {}), key=int):
        trace.runs.append(_read_run(f["runs"][name], int(name), vocab))
    return trace


def _read_run(group: Any, index: int, vocab: dict[int, str]) -> Run:
    meta = json.loads(group.attrs.get("meta", "{}"))
    run = Run(index=index, label=str(group.attrs.get("label", f"run {index}")),
              examples=meta.get("examples"), example_axis=meta.get("example_axis"),
              output_units=meta.get("output_units"), learning_rate=meta.get("learning_rate"),
              label_values=meta.get("label_values"))
    run.weights = {k: WeightInit(**{**w, "shape": tuple(w["shape"])}) for k, w in meta.get("weights", {}).items()}
    word = lambda x: None if x < 0 else vocab.get(int(x))  # noqa: E731
    by_index: dict[int, Iteration] = {}
    for i, sampled, cost, batch, has_cost in group["iterations"][:]:
        it = Iteration(index=int(i), sampled=bool(sampled), cost=float(cost) if has_cost else None,
                       batch=None if math.isnan(batch) else int(batch), completed=True)
        by_index[it.index] = it
        run.iterations.append(it)
    for row in group["activations"][:]:
        it = by_index.get(int(row[0]))
        if it is not None:
            it.activations.append(ActivationStats(
                layer=int(row[1]), kind=word(row[2]), function="", units=int(row[3]), examples=int(row[4]),
                dead_units=int(row[5]), saturated_fraction=float(row[6]), mean=float(row[7]), std=float(row[8]),
                nonfinite=int(row[9]), input_nonfinite=int(row[10]), input_std=float(row[11])))
    fingerprints: dict[int, list[tuple[int, float]]] = {}
    for i, what, key, norm, max_abs, bad, size in group["arrays"][:]:
        it = by_index.get(int(i))
        if it is None:
            continue
        if what == 2:
            fingerprints.setdefault(it.index, []).append((int(key), float(norm)))
            continue
        stats = ArrayStats(norm=float(norm), max_abs=float(max_abs), nonfinite=int(bad), size=int(size))
        (it.grads if what == 0 else it.params)[word(key)] = stats
    for i, values in fingerprints.items():
        by_index[i].param_fingerprint = tuple(v for _, v in sorted(values))
    function = str(group.attrs.get("update_function", "update"))
    for i, key, change, before, descent, lr in group["updates"][:]:
        it = by_index.get(int(i))
        if it is None:
            continue
        if it.update is None:
            it.update = UpdateStats(function, None if math.isnan(lr) else float(lr), {}, {}, in_place=False)
        k = word(key)
        it.update.change[k] = float(change)
        it.update.before[k] = float(before)
        if not math.isnan(descent):
            it.update.descent[k] = float(descent)
    for i, func, of, layer in group["derivatives"][:]:
        it = by_index.get(int(i))
        if it is not None:
            it.derivatives.append(DerivativeCall(word(func) or "", word(of), None if math.isnan(layer) else int(layer)))
    for i, layer, keep, kept, size, fp, scaled, reapplied in group["dropout"][:]:
        it = by_index.get(int(i))
        if it is not None:
            it.dropout[int(layer)] = DropoutStats(int(layer), float(keep), float(kept), int(size), f"{int(fp):x}",
                                                  _untri(scaled), _untri(reapplied))
    if "histograms" in group:
        for row in group["histograms"][:]:
            it = by_index.get(int(row[0]))
            for a in (it.activations if it is not None else []):
                if a.layer == int(row[1]):
                    a.histogram = (float(row[2]), float(row[3]), [int(c) for c in row[4:]])
    for it in run.iterations:  # activations' function names are not stored per row
        for a in it.activations:
            a.function = a.function or (a.kind or "activation")
    return run


def _num(x: Any) -> float:
    return math.nan if x is None else float(x)


def _tri(x: bool | None) -> float:
    return -1.0 if x is None else float(x)


def _untri(x: float) -> bool | None:
    return None if x < 0 else bool(x)


def _plain(x: Any) -> Any:
    if isinstance(x, (np.generic,)):
        return x.item()
    if isinstance(x, tuple):
        return list(x)
    return str(x)
