"""One gradient check from start to end: the stages in order, each block's outcome settled once.

start.py (cost, randomness, gradients) -> pairing each parameter with its gradient (missing,
non-finite, wrong shape, or regular) -> pipeline.py (joint test, search, blocks alone, diagnosis)
or textbook.py -> kinks.py for blocks kinks left undecided -> shapes.py -> verdict.py (rows and
findings). The evaluator is closed in every case: arrays and random state put back.
"""

from __future__ import annotations

import linecache
import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from nndoctor.findings import Finding, Location, Severity
from nndoctor.gradcheck import messages
from nndoctor.gradcheck.evaluator import Evaluator, UnusableOutput
from nndoctor.gradcheck.joint import RISK, RandomCost
from nndoctor.gradcheck.kinks import off_kinks
from nndoctor.gradcheck.numeric import eps_of
from nndoctor.gradcheck.pipeline import Outcome, examine
from nndoctor.gradcheck.point import Point, Precision
from nndoctor.gradcheck.randomstate import RandomState
from nndoctor.gradcheck.reach import reach
from nndoctor.gradcheck.result import GradientCheck, ParameterCheck
from nndoctor.gradcheck.shapes import values_verdict
from nndoctor.gradcheck.start import begin, precision_of
from nndoctor.gradcheck.textbook import textbook
from nndoctor.gradcheck.verdict import Context, settle
from nndoctor.params import Leaf, NotCheckable, gradient_keys, match_gradients
from nndoctor.usercode import UserCodeError, definition_site, function_name, gradient_site

WORST_ENTRIES = 3


class Run:
    def __init__(self, cost_fn: Callable[..., Any], grad_fn: Callable[..., Any], params: Any, leaves: list[Leaf],
                 skipped: list[NotCheckable], *, style: str, wider: bool, eps: float | None, seed: int, method: str,
                 n_examples: int | None, n_classes: int | None, worst: int) -> None:
        self.cost_fn, self.grad_fn, self.params, self.leaves, self.skipped = cost_fn, grad_fn, params, leaves, skipped
        self.style, self.eps_step, self.seed, self.method, self.worst = style, eps, seed, method, worst
        self.n_examples, self.n_classes = n_examples, n_classes
        self.rows = {leaf.name: ParameterCheck(leaf.name, tuple(leaf.array.shape), _dtype_name(leaf.array.dtype))
                     for leaf in leaves}
        for s in skipped:
            shape = tuple(getattr(s, "shape", ()) or ())
            self.rows[s.name] = ParameterCheck(s.name, shape, "-", status="not-checked", note=s.reason)
        self.findings: list[Finding] = [messages.not_checkable_finding(s.name, s.reason, s.is_array) for s in skipped]
        self.outcomes: dict[int, Outcome] = {}
        self.moved_off_kink: set[int] = set()
        self.block_findings: dict[int, Finding] = {}
        self.grad_name = function_name(grad_fn)
        self._code: list[Any] | None = None  # the user's code the gradient function reaches (for locations)
        self._matched: tuple[Any, dict[str, tuple[str, Any] | None]] | None = None
        randomness = RandomState(reach(cost_fn, grad_fn).generators)
        narrow = any(eps_of(dtype) > eps_of(np.float64) for dtype in {leaf.array.dtype for leaf in leaves})
        work = np.dtype(np.float64) if wider and narrow and style == "pure" else None
        self.ev = Evaluator(cost_fn, grad_fn, params, leaves, style, randomness, work)
        self.precision: Precision = precision_of(self.ev)
        self.cost0 = float("nan")
        self.stochastic = False

    def execute(self) -> GradientCheck:
        started = time.perf_counter()
        try:
            self._stages()
        except UserCodeError as err:
            self.findings.append(messages.user_code_finding(err))
        except UnusableOutput as err:
            self.findings.append(messages.unusable_finding(err))
        except RandomCost as err:
            self.stochastic = True
            self.findings.append(messages.stochastic_finding(err.first, err.second, False, self.ev.cost_name,
                                                             self.ev.random.names))
            self._undecided("inconclusive", "the cost is random and its randomness could not be replayed")
        finally:
            self.ev.close()
        self._settle()
        return GradientCheck(
            parameters=self.rows, findings=self.findings, evaluations=self.ev.evaluations,
            seconds=time.perf_counter() - started, method=self.method, precision=self.precision.label,
            seed=self.seed, stochastic=self.stochastic, style=self.style, gradient_function=self.grad_name,
            cost_function=function_name(self.cost_fn), gradient_calls=self.ev.gradient_calls,
            risk=RISK if self.method == "directional" else None,
        )

    # --- the stages ----------------------------------------------------------------------------
    def _stages(self) -> None:
        start = begin(self.ev, self._paired_arrays)
        self.precision, self.cost0, self.stochastic = start.precision, start.cost0, start.stochastic
        self.findings += start.findings
        if start.stopped:
            note = ("the cost is random and its randomness could not be replayed" if start.stochastic
                    else "the cost is not finite at these parameters")
            self._undecided("inconclusive" if start.stochastic else "not-checked", note)
            return
        regular = self._pair(start.grads)
        start.grads = None  # the gradients live on only as the blocks' flat arrays, released when drawn
        blocks = sorted(regular)
        point = Point(self.ev, self.cost0, self.precision, self.seed, regular, self.eps_step, self.squares)
        self.squares = {}
        del regular
        shapes = {b: tuple(leaf.array.shape) for b, leaf in enumerate(self.leaves)}
        if self.method == "full":
            self.outcomes = {b: textbook(point, b, shapes[b], self.worst) for b in blocks}
        elif blocks:
            self.outcomes = examine(point, blocks, lambda wanted: point.grads.update(self._gradients(wanted)),
                                    shapes, self.worst)
            kinky = [b for b, o in self.outcomes.items() if o.status == "inconclusive" and o.reason == "kink"]
            if kinky:
                # where kinks were seen, a disagreement of no known form may be one too: a pre-activation
                # exactly on a kink gives the central difference the mean of two slopes at every step
                unexplained = [b for b, o in self.outcomes.items() if o.status == "mismatch" and o.found is not None
                               and o.found.diagnosis.kind == "other"]
                moved = off_kinks(point, kinky + unexplained, self._gradients, shapes, self.worst)
                for b in unexplained:  # only agreement a little way off withdraws it; else it stands as measured
                    if b in moved and moved[b].reason != "exact-kink":
                        del moved[b]
                self.outcomes.update(moved)
                self.moved_off_kink = {b for b, o in moved.items() if o.status == "mismatch"}
        self.precision = point.precision
        for b, g in self.wrong_shape.items():
            self._shape(point, b, g)

    def _paired_arrays(self, grads: Any) -> list[np.ndarray]:
        return [hit[1] for hit in self._match(grads).values() if hit is not None and isinstance(hit[1], np.ndarray)]

    def _match(self, grads: Any) -> dict[str, tuple[str, Any] | None]:
        """match_gradients, once per gradients object (the start pairs them, then `_pair` again)."""
        if self._matched is None or self._matched[0] is not grads:
            self._matched = (grads, match_gradients(self.leaves, grads))
        return self._matched[1]

    def _pair(self, grads: Any) -> dict[int, np.ndarray]:
        """Each parameter's gradient: missing, non-finite and wrongly shaped ones are settled here;
        the regular ones come back flat in float64."""
        matched = self._match(grads)
        self._matched = None
        available = sorted(str(k) for k in grads) if isinstance(grads, dict) else []
        regular: dict[int, np.ndarray] = {}
        self.wrong_shape: dict[int, np.ndarray] = {}
        self.squares: dict[int, float] = {}  # g @ g of the regular ones, computed on the way
        for b, leaf in enumerate(self.leaves):
            p = self.rows[leaf.name]
            hit = matched[leaf.name]
            if hit is None:
                p.status = "missing"
                self.block_findings[b] = messages.missing_finding(leaf.name, gradient_keys(leaf.name),
                                                                  self._location(leaf.name, None), available)
                continue
            key, value = hit
            p.gradient_key = key
            g = _as_float_array(value, key, self.grad_name)
            p.gradient_shape = tuple(g.shape)
            flat = g.reshape(-1)
            squares = _squares(flat)
            if squares is None:
                p.status, p.kind = "non-finite", "non-finite"
                self.block_findings[b] = messages.non_finite_finding(key, g, tuple(g.shape), self._location(leaf.name, key),
                                                                     "The gradient")
            elif g.shape != leaf.array.shape:
                self.wrong_shape[b] = g
            else:
                regular[b] = flat
                self.squares[b] = squares
        return regular

    def _gradients(self, blocks: list[int]) -> dict[int, np.ndarray]:
        """The analytic gradients of ``blocks`` at the evaluator's base point (a new call), flat."""
        matched = match_gradients(self.leaves, self.ev.gradients())
        out = {}
        for b in blocks:
            hit = matched[self.leaves[b].name]
            if hit is not None:
                out[b] = _as_float_array(hit[1], hit[0], self.grad_name).reshape(-1)
        return out

    def _shape(self, point: Point, b: int, g: np.ndarray) -> None:
        leaf = self.leaves[b]
        p = self.rows[leaf.name]
        shape = tuple(leaf.array.shape)
        before = self.ev.evaluations
        values = values_verdict(point, b, g, shape)
        p.evaluations += self.ev.evaluations - before
        try:
            works = np.broadcast_shapes(shape, g.shape) == shape
        except ValueError:
            works = False
        p.status, p.kind = "shape", "shape"
        p.relative_error = 0.0 if values and values.startswith("match") else None
        severity = Severity.WARNING if works and values and values.startswith("match") else Severity.ERROR
        self.block_findings[b] = messages.shape_finding(p, p.gradient_key or leaf.name,
                                                        self._location(leaf.name, p.gradient_key), values, severity)

    # --- settling ------------------------------------------------------------------------------
    def _undecided(self, status: str, note: str) -> None:
        for b, leaf in enumerate(self.leaves):
            p = self.rows[leaf.name]
            if b not in self.outcomes and b not in self.block_findings and p.status == "not-checked":
                p.status, p.note = status, note

    def _settle(self) -> None:
        ctx = Context(self.n_examples, self.n_classes, self.precision.label, self.precision.tol.error_above, self.cost0)
        for b, leaf in enumerate(self.leaves):
            p = self.rows[leaf.name]
            finding = self.block_findings.get(b)
            if finding is None and b in self.outcomes:
                finding = settle(p, self.outcomes[b], lambda leaf=leaf, p=p: self._location(leaf.name, p.gradient_key),
                                 ctx, moved_off_kink=b in self.moved_off_kink)
            if finding is not None:
                self.findings.append(finding)

    def _location(self, name: str, key: str | None) -> Location:
        """Where the gradient of ``name`` is computed: the user line assigning ``key`` if found."""
        if self._code is None:
            self._code = list(reversed(reach(self.grad_fn).code))  # callees first
        site = gradient_site([c for c in self._code if _mentions(c, key)], key) if key else None
        if site is not None:
            function, file, line = site
            return Location(parameter=name, function=function, file=file, line=line)
        where = getattr(self.grad_fn, "nndoctor_location", None)  # a replay of the learner's own loop
        file, line = where if where else definition_site(self.grad_fn)
        return Location(parameter=name, function=self.grad_name, file=file, line=line)


def _mentions(code: Any, key: str) -> bool:
    """Does the source of ``code`` contain ``key`` at all? Read through linecache, which is cheap,
    before the exact search reads the function's source again, which is not."""
    lines = [line for _, _, line in code.co_lines() if line is not None]
    if not lines:
        return False
    return any(key in linecache.getline(code.co_filename, n) for n in range(code.co_firstlineno, max(lines) + 1))


_DTYPE_NAMES: dict[np.dtype, str] = {}


def _dtype_name(dtype: np.dtype) -> str:
    """str(dtype), which numpy builds afresh at every call (slow enough to matter per block)."""
    name = _DTYPE_NAMES.get(dtype)
    if name is None:
        name = _DTYPE_NAMES[dtype] = str(dtype)
    return name


def _squares(flat: np.ndarray) -> float | None:
    """flat @ flat for a flat float64 array, whose norm the check needs anyway, or None when it
    holds an inf or a NaN: a finite sum of squares says every entry is finite in one pass without a
    temporary (an inf or NaN entry makes it inf or NaN; only a sum that overflows asks the entries)."""
    squares = flat @ flat
    if math.isfinite(squares) or np.all(np.isfinite(flat)):
        return squares
    return None


def _as_float_array(value: Any, key: str, function: str) -> np.ndarray:
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise UnusableOutput(function, f"{function} returned {key!r} as a {type(value).__name__}, which is not "
                                       f"an array of numbers.", value, "a float array") from None
