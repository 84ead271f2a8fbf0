"""user-code-error: what the user's functions raised while watched (the exception passed through)."""

from __future__ import annotations

from nndoctor.checks.context import Context
from nndoctor.findings import Finding, Location
from nndoctor.usercode import user_code_finding


def check_user_errors(ctx: Context) -> list[Finding]:
    findings = []
    seen = set()
    for err in ctx.trace.errors:
        key = (err.function, err.exception, err.file, err.line)
        if key in seen:
            continue  # the same failure at every call is one finding
        seen.add(key)
        run = ctx.trace.runs[err.run].label if err.run < len(ctx.trace.runs) and len(ctx.trace.runs) > 1 else None
        where = f" at iteration {err.iteration}" if err.iteration is not None else ""
        findings.append(user_code_finding(
            err.function, err.exception, err.message, file=err.file, line=err.line, traceback_text=err.traceback,
            message=f"{err.function} raised {err.exception}: {err.message}{where}.", iteration=err.iteration, run=run,
            evidence={"role": err.role}, fix="Read the last line of the traceback: it is the line of your code that failed."))
    return findings


def check_unexpected_outputs(ctx: Context) -> list[Finding]:
    return [Finding(
        rule="unexpected-output",
        message=p.message,
        location=Location(function=p.function, file=p.file, line=p.line, iteration=p.iteration),
        evidence={"role": p.role},
        fix=(f"Return what the {p.role} step is expected to return, or mark the function with the decorator "
             f"of its real role (doctor.forward, doctor.cost, doctor.backward, doctor.update)."))
        for p in ctx.trace.problems]


CHECKS = (check_user_errors, check_unexpected_outputs)
