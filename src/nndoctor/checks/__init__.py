"""Runtime checks: the rules that read a watched run's trace and name what went wrong.

One module per family (cost curve, gradients, units, initialization, updates, layers, errors);
each exposes ``CHECKS``, functions ``(run, context) -> list[Finding]`` (or ``(context) -> ...`` for
whole-trace checks in ``TRACE_CHECKS``). A check that fails becomes a `check-inconclusive`
finding; the others still run. Folding symptoms into their cause is `nndoctor.diagnosis`'s job.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nndoctor.checks import cost, dropout, errors, finite, gradients, init, layers, units, updates
from nndoctor.checks.context import Context
from nndoctor.findings import Finding

RUN_CHECKS: tuple[Callable[..., list[Finding]], ...] = (
    *finite.CHECKS,
    *units.CHECKS,
    *gradients.CHECKS,
    *cost.CHECKS,
    *init.CHECKS,
    *updates.CHECKS,
    *layers.CHECKS,
    *dropout.CHECKS,
)
TRACE_CHECKS: tuple[Callable[..., list[Finding]], ...] = (*errors.CHECKS, *layers.TRACE_CHECKS, *updates.TRACE_CHECKS)


def run_checks(trace: Any, internal_errors: list[str] | None = None) -> list[Finding]:
    """Every runtime rule over every run of ``trace`` (not yet folded: `nndoctor.diagnosis.diagnose`)."""
    ctx = Context(trace)
    found: list[Finding] = []
    for check in TRACE_CHECKS:
        found += run_safely(check, ctx)
    for run in ctx.runs:
        run_found: list[Finding] = []
        for check in RUN_CHECKS:
            run_found += run_safely(check, run, ctx)
        if len(ctx.runs) > 1:
            run_found = [f.with_location(run=run.label) for f in run_found]
        found += run_found
    for problem in internal_errors or []:
        found.append(Finding(
            rule="check-inconclusive", severity="info",
            message=f"nndoctor could not record part of a call ({problem}); the statistics of that call are missing.",
            evidence={"reason": "recording", "detail": problem},
            fix="Nothing to change in your code; please report this to the nndoctor maintainers if it repeats."))
    return found


def run_safely(check: Callable[..., Any], *args: Any, what: str | None = None, **kwargs: Any) -> list[Finding]:
    """``check(*args, **kwargs)`` as a list of findings; if it fails inside nndoctor, one finding
    that says so instead, and the rest of the report still comes out."""
    try:
        return list(check(*args, **kwargs))
    except Exception as exc:  # noqa: BLE001 - a broken check must not lose the rest of the report
        name = what or f"the check {getattr(check, '__name__', '')}".strip()
        return [Finding(
            rule="check-inconclusive", severity="warning",
            message=f"{name[0].upper()}{name[1:]} failed inside nndoctor ({type(exc).__name__}: {exc}); "
                    f"its findings are missing.",
            evidence={"reason": "internal-error", "check": name, "exception": f"{type(exc).__name__}: {exc}"},
            fix="Nothing to change in your code; please report this to the nndoctor maintainers.")]
