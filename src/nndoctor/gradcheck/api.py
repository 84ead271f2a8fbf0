"""`check_gradients`: is the user's backprop the gradient of the user's cost?

Per parameter block: a directional check (4 cost evaluations when it passes), independent of the
block's size. A failing block gets a second direction, a classification (classify.py) and its
worst entries (localize.py). The textbook per-coordinate loop is available as ``method="full"``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from nndoctor.findings import Finding, Location, Severity
from nndoctor.gradcheck import localize, messages
from nndoctor.gradcheck.classify import Diagnosis, Measured, classify
from nndoctor.gradcheck.numeric import (
    ROUNDOFF_FACTOR,
    SIGNIFICANCE,
    Probe,
    Tolerance,
    initial_step,
    measured_noise,
    probe,
    tolerance_for,
)
from nndoctor.gradcheck.oracle import Oracle, UnusableOutput, detect_style
from nndoctor.gradcheck.result import GradientCheck, ParameterCheck, WorstEntry
from nndoctor.params import Leaf, flatten, gradient_keys, match_gradients
from nndoctor.usercode import UserCodeError, definition_site, function_name, gradient_site

MARGINAL_SIGNIFICANCE = 10.0  # detected below 10x the error bound...
MARGINAL_RELATIVE = 0.05  # ...and under 5% along that direction: a warning, not an error
STEP_AGREEMENT = 0.1  # a disagreement that shrinks to a tenth at smaller steps was a kink effect
STEP_NOISE_LIMIT = 0.5  # ...measured with round-off below half the original disagreement (a real
#                         error would still show as at least half of itself)
MAX_ATTEMPTS = 6  # directions tried per block: 1 detection + 2 for classification + retries
KINK_ATTEMPTS = 4  # directions tried at the moved point, to confirm a mismatch off the kinks
WORST_ENTRIES = 3
# A verified entry this far off (relatively) makes the finding an error even when the block as a
# whole is close: one wrong entry among 250,000 barely moves the block's relative error.
ENTRY_ERROR_RTOL = 1e-2
# Severity of an unnamed ('other') error: an estimate this far above / below the error level is
# clear from two random directions; in between, up to SEVERITY_DIRECTIONS are used.
CLEAR_ABOVE, CLEAR_BELOW = 4.0, 100.0
SEVERITY_DIRECTIONS = 8


def check_gradients(
    cost_fn: Callable[..., Any],
    grad_fn: Callable[..., Any],
    params: Any,
    *,
    eps: float | None = None,
    seed: int | None = None,
    method: str = "directional",
    style: str = "auto",
    precision: str = "auto",
    n_examples: int | None = None,
    n_classes: int | None = None,
    worst_entries: int = WORST_ENTRIES,
) -> GradientCheck:
    """Check ``grad_fn`` against numerical derivatives of ``cost_fn`` at ``params``.

    Args:
        cost_fn: ``cost_fn(params) -> float`` (pure), or ``cost_fn() -> float`` reading arrays that
            the check perturbs in place (stateful, for class-based networks). ``(cost, cache)``
            tuples are accepted.
        grad_fn: ``grad_fn(params) -> grads`` or ``grad_fn() -> grads``. ``grads`` has the structure
            of ``params`` or is a course-style dict keyed ``d`` + name (``dW1``); extra entries such
            as ``dA1``/``dZ2`` are ignored.
        params: a dict (possibly nested), list or tuple of float arrays. Never modified.
        eps: per-entry step of the finite differences. Default: cbrt(machine eps) x the parameter's
            RMS, refined automatically.
        seed: seed of the random directions (a private generator; numpy's global state is untouched).
        method: ``"directional"`` (default; cost independent of the parameter count) or ``"full"``
            (the textbook loop, two evaluations per entry).
        style: ``"auto"`` (from cost_fn's signature), ``"pure"`` or ``"stateful"``.
        precision: ``"auto"`` evaluates float32 parameters in float64 when the user's functions
            allow it (pure style); ``"native"`` keeps the user's dtype (a weaker guarantee).
        n_examples, n_classes: let the report name a wrong factor ("off by m = 209").
        worst_entries: how many worst entries to report per failing parameter.

    Returns:
        GradientCheck: ``.ok``, ``.parameters[name]``, ``.findings``, ``.evaluations``.

    Raises:
        InvalidInputError: ``params`` is empty or holds non-float arrays, or an argument is invalid.
    """
    from nndoctor.errors import InvalidInputError

    if method not in ("directional", "full"):
        raise InvalidInputError(f"method must be 'directional' or 'full', not {method!r}.")
    if precision not in ("auto", "native"):
        raise InvalidInputError(f"precision must be 'auto' or 'native', not {precision!r}.")
    if eps is not None and not (np.isfinite(eps) and eps > 0):
        raise InvalidInputError(f"eps must be a positive finite step, not {eps!r}.")
    for fn, label in ((cost_fn, "cost_fn"), (grad_fn, "grad_fn")):
        if not callable(fn):
            raise InvalidInputError(f"{label} must be a function, not {type(fn).__name__}.")
    leaves = flatten(params)  # raises on empty / integer / non-array parameters
    if style == "auto":
        style = detect_style(cost_fn)
    if style not in ("pure", "stateful"):
        raise InvalidInputError(f"style must be 'auto', 'pure' or 'stateful', not {style!r}.")
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % (2**63))  # fresh entropy, global state untouched
    return _Checker(cost_fn, grad_fn, params, leaves, style, precision, eps, seed, method,
                    n_examples, n_classes, worst_entries).run()


class _Checker:
    def __init__(self, cost_fn, grad_fn, params, leaves: list[Leaf], style, precision, eps, seed, method,
                 n_examples, n_classes, worst_entries) -> None:
        self.cost_fn, self.grad_fn, self.params, self.leaves = cost_fn, grad_fn, params, leaves
        self.style, self.precision, self.eps_step, self.seed, self.method = style, precision, eps, seed, method
        self.n_examples, self.n_classes, self.k = n_examples, n_classes, worst_entries
        self.rng = np.random.default_rng(seed)
        self.findings: list[Finding] = []
        self.table = {leaf.name: ParameterCheck(leaf.name, tuple(leaf.array.shape), str(leaf.array.dtype))
                      for leaf in leaves}
        self.grad_name = function_name(grad_fn)
        self.grad_file, self.grad_line = definition_site(grad_fn)
        self.stochastic = False
        self.gradient_code: list[Any] = []
        # The relative noise of one cost evaluation (the dtypes' eps, raised where the cost's own
        # round-off was measured to be larger) and the tolerance row it selects. Set from the
        # parameters now, so that a check that stops early still names its precision.
        self.dtype_eps = max(float(np.finfo(leaf.array.dtype).eps) for leaf in leaves)
        self.eps = self.dtype_eps
        self.tol = tolerance_for(self.eps)
        self.work_note = ""
        self.noise_checked: set[int] = set()  # blocks whose cost noise was measured
        self.first_direction: dict[int, np.ndarray] = {}  # the direction of each block's first mismatch
        self.first_gap: dict[int, float] = {}  # |discrepancy| of the first mismatching probe per block
        self.rough: set[int] = set()  # blocks along which the cost was seen to bend sharply (kinks)

    @property
    def precision_label(self) -> str:
        notes = [self.work_note] if self.work_note else []
        own = tolerance_for(self.dtype_eps).label
        if self.tol.label != own:
            notes.append(f"the cost's own round-off, measured at {self.eps:.1g} of its value, is above {own}'s")
        return self.tol.label + (f" ({'; '.join(notes)})" if notes else "")

    # --- orchestration ---------------------------------------------------------------------
    def run(self) -> GradientCheck:
        started = time.perf_counter()
        oracle = self._make_oracle()
        try:
            self._check_all(oracle)
        finally:
            oracle.close()
        return GradientCheck(
            parameters=self.table, findings=self.findings, evaluations=oracle.evaluations,
            seconds=time.perf_counter() - started, method=self.method, precision=self.precision_label,
            seed=self.seed, stochastic=self.stochastic, style=self.style,
            gradient_function=self.grad_name, cost_function=function_name(self.cost_fn),
        )

    def _make_oracle(self) -> Oracle:
        narrow = [leaf for leaf in self.leaves if np.finfo(leaf.array.dtype).eps > np.finfo(np.float64).eps]
        if narrow and self.style == "pure" and self.precision == "auto":
            self._set_dtype_eps(float(np.finfo(np.float64).eps), "float32 parameters evaluated in float64")
            return Oracle(self.cost_fn, self.grad_fn, self.params, style="pure", work_dtype=np.dtype(np.float64))
        return Oracle(self.cost_fn, self.grad_fn, self.params, style=self.style)

    def _set_dtype_eps(self, eps: float, note: str = "") -> None:
        self.dtype_eps = self.eps = eps
        self.tol = tolerance_for(eps)
        self.work_note = note

    def _check_all(self, oracle: Oracle) -> None:
        try:
            start = self._starting_point(oracle)
        except UserCodeError as err:
            self.findings.append(user_code_finding(err))
            return
        except UnusableOutput as err:
            self.findings.append(unusable_finding(err))
            return
        if start is None:
            return
        cost0, grads = start
        self.gradient_code = oracle.gradient_code
        matched = match_gradients(self.leaves, grads)
        available = sorted(str(k) for k in grads) if isinstance(grads, dict) else []
        self._set_dtype_eps(self._working_eps(oracle, matched),
                            "float32 parameters evaluated in float64" if oracle.work_dtype is not None else "")
        pending: list[tuple[Finding, int]] = []
        for block, leaf in enumerate(self.leaves):
            try:
                before = len(self.findings)
                self._check_block(oracle, block, leaf, matched[leaf.name], cost0, available)
                if self.table[leaf.name].status in ("mismatch", "suspicious"):
                    pending += [(f, block) for f in self.findings[before:] if f.rule == "gradient-mismatch"]
            except UserCodeError as err:
                self.findings.append(user_code_finding(err, parameter=leaf.name))
                self.table[leaf.name].status = "not-checked"
            except UnusableOutput as err:
                self.findings.append(unusable_finding(err))
                self.table[leaf.name].status = "not-checked"
        if pending and self.method == "directional":
            self._confirm_off_kinks(oracle, pending)
            self._soften_marginal()

    def _starting_point(self, oracle: Oracle) -> tuple[float, Any] | None:
        """The cost and gradients at the user's parameters; detects a random cost (dropout)."""
        first = oracle.cost().cost
        if not np.isfinite(first):
            self.findings.append(Finding(
                "non-finite",
                f"The cost is {first} at the starting parameters, so nothing can be compared with it.",
                Severity.ERROR, Location(function=function_name(self.cost_fn)),
                {"array": "cost", "count": 1, "size": 1, "first_index": [], "first_value": str(first)},
                "A cost of inf usually means log(0): the output sigmoid is saturated (weights initialized too "
                "large, e.g. randn * 10) or a label is outside {0, 1}. Scale the initialization down "
                "(He: randn * sqrt(2 / n_prev)) or clip the predictions before the log.",
            ))
            return None
        oracle.replay = False  # one evaluation drawing fresh random numbers
        second = oracle.cost().cost
        oracle.replay = True
        if second != first:
            self.stochastic = True
            replayed = oracle.cost().cost
            ok = replayed == first
            self.findings.append(stochastic_finding(first, second, ok, function_name(self.cost_fn)))
            if not ok:
                for p in self.table.values():
                    p.status, p.note = "inconclusive", "the cost is random and its randomness could not be replayed"
                return None
        if oracle.work_dtype is not None:
            grads = oracle.gradients()
            if not _is_wide(grads):
                # the user's code narrows to float32 internally: check in the user's own dtype
                oracle.use_native_dtype()
                self._set_dtype_eps(max(float(np.finfo(b.dtype).eps) for b in oracle.base))
                first = oracle.cost().cost
                return first, oracle.gradients()
            return first, grads
        return first, oracle.gradients()

    def _confirm_off_kinks(self, oracle: Oracle, pending: list[tuple[Finding, int]]) -> None:
        """Re-check mismatching blocks at a slightly moved point.

        At parameters where pre-activations sit exactly on a ReLU kink (zero weights, zero biases
        with all-zero inputs) the cost has no gradient, and the backward pass's convention
        (relu'(0) = 0) need not match any finite difference. Moving every parameter by a relative
        1e-3 takes them off the kink; a real bug survives the move, a kink artefact does not.
        A finding is withdrawn only for a block along which the cost was seen to bend sharply at
        the original point: on a smooth cost a disagreement is never a kink artefact.
        """
        pending = self._withdraw_step_dependent(oracle, pending)
        if not pending:
            return
        shift_rng = np.random.default_rng(self.seed + 1)
        saved = oracle.base
        oracle.base = []
        for base in saved:
            b = base.astype(np.float64)
            rms = float(np.sqrt(np.mean(b ** 2))) if b.size else 0.0
            step = 1e-3 * (rms if rms > 0 else 1.0)
            oracle.base.append((b + step * shift_rng.standard_normal(b.shape)).astype(base.dtype))
        try:
            cost1 = oracle.cost().cost
            matched = match_gradients(self.leaves, oracle.gradients())
            for finding, block in pending:
                leaf = self.leaves[block]
                hit = matched.get(leaf.name)
                if hit is None or not np.isfinite(cost1):
                    continue
                g1 = np.asarray(hit[1], dtype=np.float64)
                if g1.shape != leaf.array.shape or not np.all(np.isfinite(g1)):
                    continue
                if self._still_wrong(oracle, block, g1.ravel(), cost1) or block not in self.rough:
                    continue
                p = self.table[leaf.name]
                self.findings.remove(finding)
                p.status, p.kind, p.factor, p.coefficient, p.worst_entries = "inconclusive", None, None, None, []
                p.note = "disagrees only at these exact parameters: pre-activations on a ReLU kink"
                self.findings.append(kink_finding(leaf.name, p.relative_error, self._location(leaf.name, p.gradient_key)))
        finally:
            oracle.base = saved

    def _soften_marginal(self) -> None:
        """An unexplained ('other') disagreement of a few percent, detected barely above the error
        bound, is what ReLU kinks crowded near 0 or a cost at the edge of float64 resolution can
        produce on a correct network: a warning ('suspicious'), not an error. A real bug of that
        size is still reported, at warning level, with its numbers."""
        for i, f in enumerate(self.findings):
            d = f.evidence.get("directional") if f.rule == "gradient-mismatch" else None
            if f.kind != "other" or not isinstance(d, dict) or f.severity is not Severity.ERROR:
                continue
            gap, bound, analytic = abs(d["analytic"] - d["numeric"]), d["error_bound"], abs(d["analytic"])
            if gap < MARGINAL_SIGNIFICANCE * bound and gap < MARGINAL_RELATIVE * max(analytic, 1e-300):
                name = f.location.parameter
                self.findings[i] = Finding(
                    f.rule, f.message + (f" The disagreement along the checked direction is only {gap / analytic:.1%}, "
                                         f"{gap / bound:.1f} times the error bound: near ReLU kinks or at the limit "
                                         f"of the cost's precision this can happen without a bug."),
                    Severity.WARNING, f.location, {**f.evidence, "marginal": True}, f.fix)
                if name in self.table:
                    self.table[name].status = "suspicious"

    def _withdraw_step_dependent(self, oracle: Oracle, pending: list[tuple[Finding, int]]) -> list[tuple[Finding, int]]:
        """Keep only the mismatches that do not go away at smaller steps.

        Pre-activations packed within a hair of a ReLU kink (tiny weights: every unit's input is
        near 0) make the cost piecewise linear at the scale of the step, so two steps a factor 2
        apart agree with each other and still not with the gradient; the cost's "noise" measured
        there is really those kinks. A real error does not depend on the step: a wrong factor,
        sign or term disagrees by the same amount at every step. So along the direction that
        disagreed, steps 8, 64, ... up to 2**18 times smaller are tried, judged with the dtype's
        own round-off model: if the disagreement falls below a tenth of what it was, measured with
        round-off below half of it (a real error would still show as at least half of itself), it
        was a kink effect and the finding is withdrawn.
        """
        kept = []
        cost0 = oracle.cost().cost
        matched = match_gradients(self.leaves, oracle.gradients())
        for finding, block in pending:
            leaf = self.leaves[block]
            hit = matched.get(leaf.name)
            v = self.first_direction.get(block)
            gap0 = self.first_gap.get(block)
            if hit is None or v is None or not gap0:
                kept.append((finding, block))
                continue
            g = np.asarray(hit[1], dtype=np.float64).ravel()
            theta = oracle.base[block].astype(np.float64).ravel()
            t = self.table[leaf.name].step or initial_step(self.eps, theta)
            vanished = False
            for shrink in (8.0, 64.0, 512.0, 4096.0, 32768.0, 262144.0):
                pr = probe(oracle, block, g, v, t / shrink, cost0, self.dtype_eps)
                if pr.roundoff > STEP_NOISE_LIMIT * gap0:
                    break  # smaller steps only measure noise (kink and curvature terms do not matter here:
                    #        a real error keeps its size whatever they are)
                if abs(pr.discrepancy) <= STEP_AGREEMENT * gap0:
                    vanished = True
                    break
            if not vanished:
                kept.append((finding, block))
                continue
            p = self.table[leaf.name]
            self.findings.remove(finding)
            p.status, p.kind, p.factor, p.coefficient, p.worst_entries = "inconclusive", None, None, None, []
            p.note = "agrees at steps small enough not to cross ReLU kinks: pre-activations crowd near 0"
            self.findings.append(kink_finding(leaf.name, p.relative_error, self._location(leaf.name, p.gradient_key)))
        return kept

    def _still_wrong(self, oracle: Oracle, block: int, g1: np.ndarray, cost1: float) -> bool:
        """Does the block still disagree at the moved point?

        Withdrawing takes two agreeing directions, the first being the one that disagreed at the
        original point: a smooth error changes little over the move, so it shows again along that
        direction, while one random direction can miss a small error by bad luck.
        """
        theta = oracle.base[block].astype(np.float64).ravel()
        t = self.eps_step if self.eps_step is not None else initial_step(self.eps, theta)
        norm = float(np.linalg.norm(g1))
        agreeing = 0
        for attempt in range(KINK_ATTEMPTS):
            if attempt == 0 and block in self.first_direction:
                v = self.first_direction[block]
            else:
                v = self.rng.standard_normal(g1.size)
                if norm > 0:
                    v = v + (3.0 if float(np.dot(g1, v)) >= 0 else -3.0) * g1 / norm
            pr = probe(oracle, block, g1, v, t, cost1, self.eps)
            verdict = pr.verdict(max(norm, abs(pr.analytic)), self.tol)
            if verdict == "mismatch":
                return True
            if verdict == "match":
                agreeing += 1
                if agreeing >= 2:
                    return False
            elif self.eps_step is None:
                t = self._next_step(t, pr, theta)
        return True  # could not confirm off the kink: keep the original finding

    def _working_eps(self, oracle: Oracle, matched: dict[str, tuple[str, Any] | None]) -> float:
        eps = max(np.finfo(b.dtype).eps for b in oracle.base)
        eps = max(eps, np.finfo(oracle.cost_dtype).eps)
        for hit in matched.values():
            if hit is not None and isinstance(hit[1], np.ndarray) and np.issubdtype(hit[1].dtype, np.floating):
                eps = max(eps, np.finfo(hit[1].dtype).eps)
        return float(eps)

    @property
    def _noisy(self) -> bool:
        """The cost was measured noisier than its dtype's round-off model allows."""
        return self.eps > ROUNDOFF_FACTOR * self.dtype_eps

    def _steady(self, oracle: Oracle, block: int, g_a: np.ndarray, v: np.ndarray, cost0: float, first: Probe) -> bool:
        """Is a first disagreement the same at twice the step? A wrong gradient gives the same
        discrepancy along v at any step; noise and kinks give one that changes with the step. On a
        noisy cost the steps are large and the bound's kink signal is partly hidden under the noise
        allowance, so a disagreement is only accepted once it is seen twice (4 evaluations)."""
        again = probe(oracle, block, g_a, v, 2.0 * first.step, cost0, self.eps)
        if _judge(again, float(np.linalg.norm(g_a)), self.tol) != "mismatch":
            return False
        gap = abs(again.discrepancy - first.discrepancy)
        return bool(gap <= SIGNIFICANCE * (first.bound + again.bound) + 0.1 * abs(first.discrepancy))

    def _next_step(self, t: float, pr: Probe, theta: np.ndarray) -> float:
        """The step after an undecided measurement: larger when round-off dominated, else smaller.

        A cost measured noisier than its dtype's model gets no step below the one balanced for
        that noise: a smaller step can fall between two of its rounding steps, where a term such as
        log(1 - A) does not move at all and the finite difference silently misses it.
        """
        if pr.dominant_error == "roundoff":
            return t * 4.0
        return max(t / 4.0, initial_step(self.eps, theta) if self._noisy else 0.0)

    def _measure_noise(self, oracle: Oracle, block: int, v: np.ndarray, pr: Probe) -> bool:
        """Measure the cost's round-off around ``pr`` (once per block; 4 evaluations). True when it is
        above the noise assumed so far, which then widens every bound and tolerance from here on."""
        if block in self.noise_checked:
            return False
        self.noise_checked.add(block)
        measured = measured_noise(oracle, block, v, pr)
        if not measured > self.eps:
            return False
        self.eps = measured
        self.tol = tolerance_for(measured)
        return True

    # --- one parameter ---------------------------------------------------------------------
    def _location(self, name: str, key: str | None) -> Location:
        """Where the gradient of ``name`` is computed: the user line assigning ``key`` if found."""
        site = gradient_site(self.gradient_code, key) if key else None
        if site is not None:
            function, file, line = site
            return Location(parameter=name, function=function, file=file, line=line)
        return Location(parameter=name, function=self.grad_name, file=self.grad_file, line=self.grad_line)

    def _check_block(self, oracle: Oracle, block: int, leaf: Leaf, hit, cost0: float, available: list[str]) -> None:
        p = self.table[leaf.name]
        if hit is None:
            p.status = "missing"
            self.findings.append(messages.missing_finding(
                leaf.name, gradient_keys(leaf.name), self._location(leaf.name, None), available))
            return
        key, value = hit
        p.gradient_key = key
        location = self._location(leaf.name, key)
        try:
            g = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise UnusableOutput(self.grad_name, f"{self.grad_name} returned {key!r} as a {type(value).__name__}, "
                                 f"which is not an array of numbers.", value, "a float array") from None
        p.gradient_shape = tuple(g.shape)
        if not np.all(np.isfinite(g)):
            p.status, p.kind = "non-finite", "non-finite"
            self.findings.append(messages.non_finite_finding(key, g, tuple(g.shape), location, "The gradient"))
            return
        shape = tuple(leaf.array.shape)
        if g.shape != shape:
            self._check_shape(oracle, block, leaf, g, cost0, location)
            return
        before = oracle.evaluations
        if self.method == "full":
            diag, directional = self._full(oracle, block, leaf, g.ravel(), cost0)
        else:
            diag, directional = self._directional(oracle, block, leaf, g.ravel(), cost0)
        p.evaluations = oracle.evaluations - before
        if diag is None:
            return
        self._report_mismatch(p, diag, key, location, directional, g)

    def _check_shape(self, oracle, block, leaf, g, cost0, location) -> None:
        p = self.table[leaf.name]
        shape = tuple(leaf.array.shape)
        values = None
        if g.size == leaf.array.size:
            candidates = [("match-after-reshape", g.reshape(shape))]
            if g.ndim == 2 and g.shape == shape[::-1]:
                candidates.insert(0, ("match-after-transpose", g.T))
            values = "wrong"
            for label, candidate in candidates:
                before = oracle.evaluations
                verdict = self._directional(oracle, block, leaf, np.ascontiguousarray(candidate).ravel(),
                                            cost0, diagnose=False)[0]
                p.evaluations += oracle.evaluations - before
                if verdict is None and p.status == "ok":
                    values = label
                    break
        try:
            works = np.broadcast_shapes(shape, g.shape) == shape
        except ValueError:
            works = False
        p.status, p.kind = "shape", "shape"
        p.worst_entries = []
        p.relative_error = 0.0 if values and values.startswith("match") else p.relative_error
        severity = Severity.WARNING if works and values and values.startswith("match") else Severity.ERROR
        self.findings.append(messages.shape_finding(p, p.gradient_key or leaf.name, location, values, severity))

    def _directional(self, oracle, block, leaf, g_a, cost0, diagnose: bool = True) -> tuple[Diagnosis | None, dict]:
        """Verify one block; returns (None, {}) when it passes or is inconclusive.

        With ``diagnose=False`` only the verdict is wanted (p.status): no classification,
        localization or inconclusive finding.
        """
        p = self.table[leaf.name]
        theta = oracle.base[block].astype(np.float64).ravel()
        t = self.eps_step if self.eps_step is not None else initial_step(self.eps, theta)
        norm_ga = float(np.linalg.norm(g_a))
        mismatches: list[Measured] = []
        randoms: list[Probe] = []  # decided measurements along purely random directions
        last: Probe | None = None
        attempts = 0
        while attempts < MAX_ATTEMPTS and len(mismatches) < 3:
            attempts += 1
            v = self.rng.standard_normal(g_a.size)
            if not mismatches and norm_ga > 0:
                # Detection direction: random plus 3 units of the analytic gradient's own direction,
                # signed to add up, so |<g_a, v>| >= 3 |g_a| and a wrong factor or sign can never
                # hide in a direction nearly orthogonal to g_a. Small next to the random part
                # (norm ~sqrt(n)), so it barely changes the step. Classification uses pure random ones.
                along = float(np.dot(g_a, v))
                v = v + (3.0 if along >= 0 else -3.0) * g_a / norm_ga
            pr = probe(oracle, block, g_a, v, t, cost0, self.eps)
            verdict = _judge(pr, norm_ga, self.tol)
            if verdict != "match" and not mismatches:
                pr, verdict, t = self._second_look(oracle, block, g_a, v, t, theta, cost0, pr, verdict)
            last = pr
            if pr.rough:
                self.rough.add(block)
            if verdict == "retry":
                continue
            if verdict == "mismatch":
                if not mismatches:
                    self.first_direction[block] = v
                    self.first_gap[block] = abs(pr.discrepancy)
                else:
                    randoms.append(pr)
                mismatches.append(Measured(pr, v))
                if not diagnose:
                    break
                continue
            if verdict == "match" and not mismatches:
                p.status, p.step, p.directions = "ok", t, attempts
                p.relative_error = abs(pr.discrepancy) / max(norm_ga + abs(pr.numeric), 1e-300)
                if _scale(pr, norm_ga) == 0.0:
                    p.relative_error = 0.0
                return None, {}
            if verdict == "match":
                randoms.append(pr)
                break  # one direction disagreed, this one agrees: a real but direction-dependent error
            # inconclusive: adjust the step to the error that dominated, and draw a new direction
            if self.eps_step is None:
                t = self._next_step(t, pr, theta)
        p.directions, p.step = attempts, t
        if not mismatches:
            p.status = "inconclusive"
            if not diagnose:
                return None, {}
            bound = last.bound if last else float("nan")
            p.note = f"every direction tried was dominated by {last.dominant_error if last else 'noise'} error"
            self.findings.append(inconclusive_finding(leaf.name, attempts, bound, last, self._location(leaf.name, p.gradient_key)))
            return None, {}
        p.status = "mismatch"
        first = mismatches[0].probe
        if not diagnose:
            return Diagnosis("other", 1.0), {}
        directional = {"analytic": first.analytic, "numeric": first.numeric, "error_bound": first.bound}
        random_ones = mismatches[1:]
        if len(random_ones) < 2:
            diag = Diagnosis("other", _estimated_error(randoms or [first], norm_ga))
        else:
            diag = classify(g_a, theta, tuple(leaf.array.shape), random_ones)
        self._localize(oracle, block, leaf, g_a, diag, t, cost0)
        if diag.kind == "other" and not diag.numeric_is_zero and not _entry_wrong(p.worst_entries, g_a):
            # the size of an unnamed error is only estimated: make that estimate steady enough
            # that the severity does not depend on the seed
            diag.relative_error = self._steady_error(oracle, block, g_a, randoms, t, cost0)
        return diag, directional

    def _second_look(self, oracle, block, g_a, v, t, theta, cost0, pr: Probe, verdict: str) -> tuple[Probe, str, float]:
        """A block's first measurement that is not a clean match, looked at again for noise.

        Returns (probe, verdict, step); the verdict 'retry' means: a new direction at that step.
        """
        if self._measure_noise(oracle, block, v, pr):
            # The cost is noisier than its dtype (float32 inside, log(1 - A) with A within 1e-9 of
            # 1): judge this measurement again with the measured noise, at a step made for it.
            pr = pr.rescored(self.eps)
            verdict = _judge(pr, float(np.linalg.norm(g_a)), self.tol)
            if self.eps_step is None:
                t = max(t, initial_step(self.eps, theta))
            if verdict == "inconclusive":
                return pr, "retry", t
        if verdict == "mismatch" and self._noisy and not self._steady(oracle, block, g_a, v, cost0, pr):
            return pr, "retry", t  # the disagreement moved with the step: noise or a kink, not the gradient
        return pr, verdict, t

    def _steady_error(self, oracle, block, g_a, randoms: list[Probe], t, cost0) -> float:
        """The course's relative error of a block, from random directions: E[<x, v>^2] = |x|^2.

        Two directions misjudge it by a factor 5 about one time in 25, enough to flip the severity
        with the seed. Far from the error level they suffice; near it, more directions are drawn
        (up to SEVERITY_DIRECTIONS in all), which brings that chance below one in a thousand for an
        error 3x away from the level.
        """
        norm_ga = float(np.linalg.norm(g_a))
        level = self.tol.error_above
        extra = 0
        while True:
            rel = _estimated_error(randoms, norm_ga)
            clear = len(randoms) >= 2 and (rel >= CLEAR_ABOVE * level or rel < level / CLEAR_BELOW)
            if clear or len(randoms) >= SEVERITY_DIRECTIONS or extra >= SEVERITY_DIRECTIONS:
                return rel
            extra += 1
            pr = probe(oracle, block, g_a, self.rng.standard_normal(g_a.size), t, cost0, self.eps)
            if _judge(pr, norm_ga, self.tol) != "inconclusive":
                randoms.append(pr)

    def _localize(self, oracle, block, leaf, g_a, diag: Diagnosis, t, cost0) -> None:
        p = self.table[leaf.name]
        shape = tuple(leaf.array.shape)
        if diag.predicted_error is not None and not diag.numeric_is_zero:
            entries, agree = localize.confirm_predicted(oracle, block, g_a, diag.predicted_error, shape, t, self.k,
                                                        localize.noise(cost0, self.eps, t), self.tol.passes_below)
            if not agree:  # the entries contradict the hypothesis: say less, not something wrong
                diag.kind, diag.factor, diag.coefficient = "other", None, None
            p.worst_entries = entries
        else:
            p.worst_entries = localize.bisect(oracle, block, g_a, shape, t, self.rng, cost0, self.eps, self.k)

    def _full(self, oracle, block, leaf, g_a, cost0) -> tuple[Diagnosis | None, dict]:
        """The textbook loop: a central difference per entry (2 evaluations each)."""
        p = self.table[leaf.name]
        theta = oracle.base[block].astype(np.float64).ravel()
        t = self.eps_step if self.eps_step is not None else initial_step(self.eps, theta)
        numeric = np.empty_like(g_a)
        for i in range(g_a.size):
            _, numeric[i] = localize.coordinate(oracle, block, g_a, i, t)
        rel = relative_difference(g_a, numeric)
        p.relative_error, p.step, p.directions = rel, t, g_a.size
        entry_noise = localize.noise(cost0, self.eps, t)
        noise = entry_noise * np.sqrt(g_a.size)
        if rel <= self.tol.passes_below or np.linalg.norm(g_a - numeric) <= 4 * noise:
            p.status = "ok"
            return None, {}
        p.status = "mismatch"
        # classify with exact projections of the full vectors on a few random directions
        measured = []
        for _ in range(3):
            v = self.rng.standard_normal(g_a.size)
            a, n = float(v @ g_a), float(v @ numeric)
            pr = Probe(a, n, noise * 1e-3 + 1e-300, t, 0.0, 0.0, noise, 0)
            measured.append(Measured(pr, v))
        diag = classify(g_a, theta, tuple(leaf.array.shape), measured)
        diag.relative_error = rel
        order = np.argsort(-np.abs(g_a - numeric), kind="stable")[: self.k]
        # only entries that really disagree: a block with one wrong entry lists that one alone
        order = [i for i in order if localize.differ(g_a[i], numeric[i], entry_noise, self.tol.passes_below)]
        p.worst_entries = [WorstEntry(tuple(int(j) for j in np.unravel_index(i, leaf.array.shape)),
                                      float(g_a[i]), float(numeric[i])) for i in order]
        return diag, {"analytic": float(np.linalg.norm(g_a)), "numeric": float(np.linalg.norm(numeric)),
                      "error_bound": float(noise)}

    def _report_mismatch(self, p: ParameterCheck, diag: Diagnosis, key: str, location: Location,
                         directional: dict, g_a: np.ndarray) -> None:
        p.kind, p.relative_error = diag.kind, diag.relative_error
        p.factor, p.coefficient = diag.factor, diag.coefficient
        big = diag.relative_error >= self.tol.error_above or _entry_wrong(p.worst_entries, g_a)
        severity = Severity.ERROR if big else Severity.WARNING
        if severity is Severity.WARNING:
            p.status = "suspicious"
        self.findings.append(messages.mismatch_finding(
            p, diag, key, location, directional, severity, self.n_examples, self.n_classes, self.tol.label))


def _scale(pr: Probe, norm_ga: float) -> float:
    """The size of the gradient in the units of the directional derivative."""
    return max(norm_ga, abs(pr.analytic), abs(pr.numeric) if np.isfinite(pr.numeric) else 0.0)


def _judge(pr: Probe, norm_ga: float, tol: Tolerance) -> str:
    return pr.verdict(_scale(pr, norm_ga), tol)


def _estimated_error(randoms: list[Probe], norm_ga: float) -> float:
    """The course's ||g_a - g|| / (||g_a|| + ||g||) from random directions, where E[<x, v>^2] = |x|^2.
    ||g|| is at least ||g_a|| - ||g_a - g||: that bound, exact for a small error, steadies the
    estimate of the denominator."""
    if not randoms:
        return 1.0
    error = float(np.sqrt(np.mean([pr.discrepancy ** 2 for pr in randoms])))
    numeric = float(np.sqrt(np.mean([pr.numeric ** 2 for pr in randoms])))
    return min(error / max(norm_ga + max(numeric, norm_ga - error), 1e-300), 1.0)


def _entry_wrong(entries: list[WorstEntry], g_a: np.ndarray) -> bool:
    """A verified entry far off, relative to its own value and to the block's typical entry.

    One wrong entry among 250,000 barely moves the block's relative error, but it is a bug; the
    second condition keeps a small error spread over every entry from counting because it is
    large next to one entry that happens to be near zero.
    """
    typical = float(np.sqrt(np.mean(np.square(g_a)))) if g_a.size else 0.0
    return any(w.error > ENTRY_ERROR_RTOL * max(abs(w.analytic), abs(w.numeric), typical) for w in entries)


def _is_wide(grads: Any) -> bool:
    try:
        leaves = flatten(grads, what="grads")
    except Exception:  # noqa: BLE001 - odd structures are handled by the normal path
        return False
    return all(np.finfo(leaf.array.dtype).eps <= np.finfo(np.float64).eps for leaf in leaves)


def relative_difference(grad: Any, gradapprox: Any) -> float:
    """The course's relative difference ||grad - gradapprox||_2 / (||grad||_2 + ||gradapprox||_2).

    Accepts arrays or matching structures of arrays (compared as one long vector). Two dicts are
    matched by key, whatever their order, also when one is keyed like the parameters and the other
    course-style (``W1`` against ``dW1``; extra entries such as ``dA1`` are ignored). Returns 0.0
    when both are zero. Below 1e-7 is right, around 1e-5 suspicious, above 1e-3 a bug (float64).
    """
    a, b = _aligned(grad, gradapprox)
    if a.shape != b.shape:
        from nndoctor.errors import InvalidInputError

        raise InvalidInputError(f"grad has {a.size} entries but gradapprox has {b.size}; they must match.")
    denominator = np.linalg.norm(a) + np.linalg.norm(b)
    if denominator == 0:
        return 0.0
    return float(np.linalg.norm(a - b) / denominator)


def _aligned(grad: Any, gradapprox: Any) -> tuple[np.ndarray, np.ndarray]:
    """Both sides as vectors, entry for entry: dicts paired by key, anything else in its order.
    (The formula is symmetric, so which side is returned first does not matter.)"""
    from nndoctor.errors import InvalidInputError

    if not (isinstance(grad, Mapping) and isinstance(gradapprox, Mapping)):
        return _as_vector(grad), _as_vector(gradapprox)
    for reference, other in ((gradapprox, grad), (grad, gradapprox)):
        leaves = flatten(reference)
        pairs = match_gradients(leaves, other)
        if any(pairs[leaf.name] is None for leaf in leaves):
            continue
        theirs = [np.asarray(pairs[leaf.name][1]) for leaf in leaves]
        for leaf, value in zip(leaves, theirs):
            if leaf.array.size != value.size:
                raise InvalidInputError(f"{leaf.name!r} has {leaf.array.size} entries on one side and "
                                        f"{value.size} on the other; they must match.")
        return _concatenated([leaf.array for leaf in leaves]), _concatenated(theirs)
    raise InvalidInputError(
        f"grad and gradapprox do not have the same keys (grad: {', '.join(map(str, list(grad)[:8]))}; "
        f"gradapprox: {', '.join(map(str, list(gradapprox)[:8]))}), so they cannot be compared entry for entry."
    )


def _concatenated(arrays: list[Any]) -> np.ndarray:
    return np.concatenate([np.asarray(x, dtype=np.float64).ravel() for x in arrays])


def _as_vector(x: Any) -> np.ndarray:
    if isinstance(x, np.ndarray) or np.isscalar(x):
        return np.asarray(x, dtype=np.float64).ravel()
    return _concatenated([leaf.array for leaf in flatten(x)])


# --- findings that are not about one gradient's values -----------------------------------

def user_code_finding(err: UserCodeError, parameter: str | None = None) -> Finding:
    exc = err.exception
    return Finding(
        "user-code-error",
        f"{err.function} raised {type(exc).__name__}: {exc}",
        Severity.ERROR,
        Location(parameter=parameter, function=err.function, file=err.file, line=err.line),
        {"exception": type(exc).__name__, "exception_message": str(exc), "function": err.function,
         "file": err.file, "line": err.line, "traceback": err.traceback_text},
        "Fix the exception first: the check needs the function to run at these parameters.",
    )


def unusable_finding(err: UnusableOutput) -> Finding:
    returned = err.returned
    return Finding(
        "unexpected-output", str(err), Severity.ERROR, Location(function=err.function),
        {"function": err.function, "returned_type": type(returned).__name__,
         "returned_shape": list(getattr(returned, "shape", ()) or []) or None, "expected": err.expected},
        f"Make {err.function} return {err.expected}.",
    )


def stochastic_finding(first: float, second: float, replayed: bool, function: str) -> Finding:
    if replayed:
        message = (f"{function} is random (two evaluations at the same point gave {first:.10g} and "
                   f"{second:.10g}: dropout?); the check replayed numpy's random state before every "
                   f"evaluation, so all of them saw the same masks.")
        fix = "Nothing to fix: the gradients were checked with the dropout masks held fixed."
        severity = Severity.INFO
    else:
        message = (f"{function} is random ({first:.10g} then {second:.10g}) and replaying numpy's global random "
                   f"state does not make it repeatable, so no gradient could be checked.")
        fix = ("Draw the randomness from np.random (seeded globally) or pass a generator seeded anew for each "
               "call; or switch dropout off (keep_prob=1) for the check.")
        severity = Severity.WARNING
    return Finding("stochastic-cost", message, severity, Location(function=function),
                   {"first": first, "second": second, "replayed": replayed}, fix)


def kink_finding(name: str, relative_error: float | None, location: Location) -> Finding:
    rel = f" (relative error {relative_error:.2g} there)" if relative_error is not None else ""
    return Finding(
        "check-inconclusive",
        f"The gradient of {name} disagrees with the cost only at these exact parameters{rel}: some "
        f"pre-activations sit exactly on a ReLU kink (zero weights, or zero biases with all-zero inputs), "
        f"where the cost has no derivative. Moved slightly off the kink, the gradient is right.",
        Severity.INFO, location,  # nothing to fix: a note, not a warning
        {"parameter": name, "reason": "exact-kink", "relative_error": relative_error},
        "Nothing to fix in the backward pass. If the weights are all zero, that is a bug of its own "
        "(symmetry is never broken): initialize them randomly, e.g. He: randn * sqrt(2 / n_prev).",
    )


def inconclusive_finding(name: str, attempts: int, bound: float, last: Probe | None, location: Location) -> Finding:
    reason = last.dominant_error if last else "noise"
    why = {
        "kink": "every direction crossed a kink of a ReLU or max (the cost is not smooth there)",
        "roundoff": "round-off noise in the cost drowned the differences",
        "truncation": "the cost curves too strongly for the step sizes tried",
    }.get(reason, "the measurements were too noisy")
    return Finding(
        "check-inconclusive",
        f"The gradient of {name} could not be verified: {why} ({attempts} directions tried).",
        Severity.WARNING, location,
        {"parameter": name, "attempts": attempts, "error_bound": bound, "reason": reason},
        "Run the check at another point (e.g. after a few training steps, or with pre-activations away from 0), "
        "or pass eps= to choose the step yourself.",
    )
