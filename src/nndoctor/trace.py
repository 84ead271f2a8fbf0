"""What a watched training run recorded: per-iteration statistics, kept small.

The hooks (hooks/) compute these records while the user's code runs, from the arrays their
functions receive and return; the runtime checks (checks/) read them afterwards. Nothing here
holds a reference to a user array: every record is a few numbers, so a long run stays cheap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class ActivationStats:
    """One call of an activation function: a layer's output at one iteration."""

    layer: int
    kind: str | None  # "relu", "sigmoid", ... as recognized numerically; None if unknown
    function: str
    units: int
    examples: int
    dead_units: int  # ReLU units that output 0 for every example of the batch
    saturated_fraction: float  # sigmoid/tanh entries in the flat tails
    mean: float
    std: float
    nonfinite: int  # entries that are NaN or inf (output)
    input_nonfinite: int  # entries of Z that are NaN or inf
    input_std: float
    # (low, high, counts): a histogram of the outputs over HISTOGRAM_BINS equal bins, kept when a
    # trace file is written (nndoctor report can show how the distribution moved)
    histogram: tuple[float, float, list[int]] | None = None


@dataclass
class DerivativeCall:
    """One call of a derivative helper during a backward pass."""

    function: str
    of: str | None  # which activation it differentiates, recognized numerically
    layer: int | None  # matched through the cache it was given (the forward's Z)


MAX_ABS_SIZE = 65536


@dataclass
class ArrayStats:
    """Norms of one parameter or gradient array."""

    norm: float
    max_abs: float
    nonfinite: int
    size: int

    @classmethod
    def of(cls, array: np.ndarray) -> ArrayStats:
        a = np.asarray(array)
        if a.dtype.kind not in "fc":
            a = a.astype(np.float64)
        norm = float(np.linalg.norm(a.ravel()))
        if np.isfinite(norm):  # a finite norm means every entry is finite: no separate scan
            # max |x| only for small arrays: no rule needs it, and two more passes over a
            # 12288 x 20 weight matrix every iteration cost more than the rest of its statistics
            max_abs = float(max(a.max(), -a.min())) if 0 < a.size <= MAX_ABS_SIZE else (0.0 if not a.size else math.nan)
            bad = 0
        else:
            mask = np.isfinite(a)
            bad = int(a.size - mask.sum())
            clean = np.where(mask, a, 0.0)
            norm = float(np.linalg.norm(clean.ravel()))
            max_abs = float(np.max(np.abs(clean))) if a.size else 0.0
        return cls(norm, max_abs, bad, int(a.size))


@dataclass
class WeightInit:
    """A weight matrix as the run first saw it (for symmetric-init and init-scale)."""

    name: str
    shape: tuple[int, ...]
    fan_in: int
    units: int
    std: float
    mean: float
    row_spread: float  # largest difference between any unit's weights and unit 0's
    all_zero: bool


@dataclass
class UpdateStats:
    """One call of the update step."""

    function: str
    learning_rate: float | None
    change: dict[str, float]  # parameter -> ||W_after - W_before||
    before: dict[str, float]  # parameter -> ||W_before||
    in_place: bool
    # parameter -> cosine between the step W_after - W_before and -dW (1: plain descent,
    # -1: the step climbs the gradient); only when the update received the gradients
    descent: dict[str, float] = field(default_factory=dict)
    momentum: float | None = None  # the momentum coefficient the update got (beta, momentum, mu)


@dataclass
class DropoutStats:
    """One layer's dropout mask at one iteration."""

    layer: int
    keep_prob: float
    kept: float  # fraction of units kept
    size: int  # entries in the mask
    fingerprint: str  # identifies the mask: the same every iteration means a frozen mask
    scaled: bool | None  # A divided by keep_prob (None: could not tell)
    reapplied: bool | None  # dA zero where the mask dropped (None: no dA in the gradients)
    mask: Any = None  # only between the forward and the backward of the iteration


@dataclass(eq=False)  # compared by identity: finding one in a run's list must not compare every field
class Iteration:
    index: int
    sampled: bool  # full statistics were computed for this iteration
    cost: float | None = None
    activations: list[ActivationStats] = field(default_factory=list)
    derivatives: list[DerivativeCall] = field(default_factory=list)
    grads: dict[str, ArrayStats] = field(default_factory=dict)
    params: dict[str, ArrayStats] = field(default_factory=dict)
    param_fingerprint: tuple[float, ...] | None = None
    update: UpdateStats | None = None
    dropout: dict[int, DropoutStats] = field(default_factory=dict)
    batch: int | None = None  # examples in this iteration's forward pass
    data_id: int | None = None  # identity of the input array (changes with every mini-batch)
    completed: bool = False  # a backward pass (or, without one, a forward pass) finished
    random: bool = False  # its forward pass drew random numbers (dropout masks): its cost is noisy


@dataclass
class CallSite:
    """A user function the hooks saw, with where it is defined."""

    name: str
    role: str
    file: str | None
    line: int | None
    calls: int = 0


@dataclass
class RecordedError:
    """A user function raised while watched; the exception passed through unchanged."""

    function: str
    role: str
    iteration: int | None
    run: int
    exception: str
    message: str
    file: str | None
    line: int | None
    traceback: str


@dataclass
class DroppedState:
    """An optimizer's state (momentum's velocity, Adam's moments) that its update returned, and that
    the next call did not get: it received the old state again, unchanged."""

    function: str  # the update
    caller: str | None  # where its result is dropped
    file: str | None
    line: int | None
    iteration: int | None
    calls: int  # consecutive calls seen receiving the same state


@dataclass
class Problem:
    """A watched function returned something its role cannot use (recorded once per function)."""

    function: str
    role: str
    iteration: int | None
    message: str
    file: str | None
    line: int | None


@dataclass
class Run:
    """One training run: the iterations between two starts of the user's training function."""

    index: int
    label: str  # e.g. 'model(initialization="zeros")', or "main"
    iterations: list[Iteration] = field(default_factory=list)
    weights: dict[str, WeightInit] = field(default_factory=dict)
    examples: int | None = None  # m, the batch size seen by the forward pass
    example_axis: int | None = None  # 1 for X of shape (n_x, m), 0 for (m, n_x)
    settled_axis: bool = False  # the example axis was decided by the output (X reads both ways)
    output_units: int | None = None
    learning_rate: float | None = None
    label_values: Any = None  # summary of Y when seen (for the expected initial cost)
    # the cost received the parameters (an L2 or other penalty may be part of it)
    cost_sees_parameters: bool = False
    # something changed the parameters between steps (an update call, an inline update, an optimizer
    # moving theta): without it the "steps" are evaluations (a gradient-checking loop), not training
    updates_seen: bool | None = None  # None: not known (a trace read from a file)
    cut_short: str | None = None  # why nndoctor stopped it before its author's end ("iterations", "time", ...)

    @property
    def completed(self) -> list[Iteration]:
        return [it for it in self.iterations if it.completed]

    def costs(self) -> tuple[np.ndarray, np.ndarray]:
        """(iteration indices, costs) of the completed iterations that recorded a cost."""
        pairs = [(it.index, it.cost) for it in self.completed if it.cost is not None]
        if not pairs:
            return np.zeros(0, dtype=int), np.zeros(0)
        idx, vals = zip(*pairs)
        return np.asarray(idx), np.asarray(vals, dtype=float)

    def sampled(self) -> list[Iteration]:
        return [it for it in self.completed if it.sampled]

    @property
    def maximizes(self) -> bool:
        """The tracked quantity is below zero: a log-likelihood or a score the program climbs (a loss,
        cross-entropy or squared error, is never negative)."""
        _, costs = self.costs()
        finite = costs[np.isfinite(costs)]
        return bool(finite.size) and bool(np.all(finite <= 0)) and bool(np.any(finite < 0))

    def objective(self) -> tuple[np.ndarray, np.ndarray]:
        """(iterations, the value training drives down): the cost, or minus a quantity it maximizes."""
        idx, costs = self.costs()
        return (idx, -costs) if self.maximizes else (idx, costs)

    def typical(self) -> list[Iteration]:
        """Sampled iterations with the usual number of activation calls (the first iteration may
        count extra calls made before every function's role was known)."""
        sampled = [it for it in self.sampled() if it.activations]
        if not sampled:
            return []
        counts: dict[int, int] = {}
        for it in sampled:
            counts[len(it.activations)] = counts.get(len(it.activations), 0) + 1
        usual = max(counts, key=lambda n: (counts[n], -n))
        return [it for it in sampled if len(it.activations) == usual]

    def layer_kinds(self) -> dict[int, str | None]:
        """The activation each layer used, from the first typical iteration that saw it."""
        kinds: dict[int, str | None] = {}
        for it in self.typical():
            for a in it.activations:
                kinds.setdefault(a.layer, a.kind)
        return kinds


@dataclass
class Trace:
    runs: list[Run] = field(default_factory=list)
    sites: dict[str, CallSite] = field(default_factory=dict)
    errors: list[RecordedError] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    dropped_states: list[DroppedState] = field(default_factory=list)
    every: int = 1
    # activations and derivative helpers the program called: name -> the function (bound to its
    # object for a method), and the shape of the arrays it was called with
    module_functions: dict[str, Any] = field(default_factory=dict)
    helper_shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)

    @property
    def iterations(self) -> int:
        return sum(len(r.completed) for r in self.runs)

    def diagnosable_runs(self) -> list[Run]:
        """The runs that trained: not a predict() after training, nor one gradient or cost evaluated
        on the trained network after an earlier run trained it (``NN.costFunctionPrime(X, y)``)."""
        out = []
        for i, run in enumerate(self.runs):
            if not run.completed:
                continue
            if len(run.completed) <= 1 and not run.updates_seen and \
                    any(len(earlier.completed) > 1 for earlier in self.runs[:i]):
                continue
            out.append(run)
        return out

    def site(self, role: str) -> CallSite | None:
        """The most-called user function with this role."""
        found = [s for s in self.sites.values() if s.role == role]
        return max(found, key=lambda s: s.calls) if found else None

    def to_dict(self) -> dict[str, Any]:
        """The `training` section of the JSON report: what the probe measured, per run."""
        runs = []
        trained = {id(r) for r in self.diagnosable_runs()}
        for run in self.runs:
            idx, costs = run.costs()
            runs.append({
                "run": run.label,
                "iterations": len(run.completed),
                "trained": id(run) in trained,  # False: a predict() or one evaluation after training
                "examples": run.examples,
                "learning_rate": run.learning_rate,
                "cost": {"first": float(costs[0]) if costs.size else None,
                         "last": float(costs[-1]) if costs.size else None,
                         "curve": _thin_curve(idx, costs)},
                "layers": {str(l): k for l, k in sorted(run.layer_kinds().items())},
                "layers_over_time": _layers_over_time(run),
                "gradient_norms": _gradient_norms(run),
            })
        return {
            "iterations": self.iterations,
            "statistics_every": self.every,
            "functions": {s.name: {"role": s.role, "calls": s.calls, "file": s.file, "line": s.line}
                          for s in self.sites.values()},
            "runs": runs,
        }


SERIES_POINTS = 100  # per-iteration series in the report are thinned to at most this many samples


def _thin_curve(idx: np.ndarray, costs: np.ndarray, points: int = 50) -> list[list[float]]:
    """At most `points` (iteration, cost) pairs, evenly spread, always keeping the last one."""
    if idx.size == 0:
        return []
    return [[int(idx[i]), float(costs[i])] for i in _thin_positions(idx.size, points)]


def _thin_positions(count: int, points: int) -> list[int]:
    """At most `points` positions out of `count`, evenly spread, keeping the first and the last."""
    if count <= 0:
        return []
    return [int(i) for i in np.unique(np.linspace(0, count - 1, min(points, count)).round().astype(int))]


def _compact(value: float | None, digits: int = 6) -> float | None:
    """A float rounded to `digits` significant digits; None for a missing or non-finite value
    (the report's series are numbers or null, never strings)."""
    if value is None or not np.isfinite(value):
        return None
    return float(f"{float(value):.{digits}g}")


def _layers_over_time(run: Run, points: int = SERIES_POINTS) -> dict[str, Any]:
    """Per-layer unit health over the sampled iterations: the fraction of dead ReLU units and
    the fraction of sigmoid/tanh outputs in the flat tails, one list per layer (null where the
    layer was not seen at that iteration). Layers are keyed by their number, as in ``layers``."""
    sampled = [it for it in run.sampled() if it.activations]
    chosen = [sampled[i] for i in _thin_positions(len(sampled), points)]
    kinds = run.layer_kinds()
    dead_layers = [layer for layer, kind in sorted(kinds.items()) if kind == "relu"]
    sat_layers = [layer for layer, kind in sorted(kinds.items()) if kind in ("sigmoid", "tanh")]
    dead: dict[str, list[float | None]] = {str(layer): [] for layer in dead_layers}
    saturated: dict[str, list[float | None]] = {str(layer): [] for layer in sat_layers}
    for it in chosen:
        first: dict[int, ActivationStats] = {}
        for a in it.activations:  # the first call of a layer in an iteration, as the checks read it
            first.setdefault(a.layer, a)
        for layer in dead_layers:
            a = first.get(layer)
            ok = a is not None and a.kind == "relu" and 0 < a.units and a.nonfinite < a.units * a.examples
            dead[str(layer)].append(_compact(a.dead_units / a.units, 4) if ok else None)  # type: ignore[union-attr]
        for layer in sat_layers:
            a = first.get(layer)
            ok = a is not None and a.kind in ("sigmoid", "tanh") and a.nonfinite < a.units * a.examples
            saturated[str(layer)].append(_compact(a.saturated_fraction, 4) if ok else None)  # type: ignore[union-attr]
    return {"iterations": [it.index for it in chosen], "dead_fraction": dead, "saturated_fraction": saturated}


def _gradient_norms(run: Run, points: int = SERIES_POINTS) -> dict[str, Any]:
    """The norm of every gradient array over the sampled iterations, keyed by the parameter it
    belongs to (the user's own key); null where the gradient was missing or held NaN/inf."""
    sampled = [it for it in run.sampled() if it.grads]
    chosen = [sampled[i] for i in _thin_positions(len(sampled), points)]
    names: list[str] = []
    for it in chosen:
        names += [name for name in it.grads if name not in names]
    norms: dict[str, list[float | None]] = {name: [] for name in names}
    for it in chosen:
        for name in names:
            stats = it.grads.get(name)
            ok = stats is not None and stats.nonfinite == 0
            norms[name].append(_compact(stats.norm) if ok else None)  # type: ignore[union-attr]
    return {"iterations": [it.index for it in chosen], "norms": norms}
