"""Reading a file's gradient check against the conventions its code follows.

A course assignment's later edition sums the losses of a mini-batch in ``compute_cost`` and averages
the gradients in the backward: every gradient is exactly 1/m of the printed cost's gradient, by
design. That is the same as a learning rate m times smaller: an info, not an error. What matters
then is a block that does *not* follow the convention the others follow (a ``dW2`` that forgot its
``1/m`` while the others have it): judged against the majority, it is the bug.

A factor shared by every block that is not the batch size (the number of classes, K/m) stays an
error: it is not a convention anyone writes on purpose.
"""

from __future__ import annotations

import math
from typing import Any

from nndoctor.findings import Finding, Location
from nndoctor.usercode import assignment_line

RTOL = 2e-3  # two factors this close are the same factor


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= RTOL * max(abs(a), abs(b))


def read_conventions(result: Any, findings: list[Finding], m: int | None, backward: Any = None) -> list[Finding]:
    """The gradient check's findings, with a sum-vs-mean convention recognized (see the module)."""
    if not m or m < 2:
        return findings
    factors: dict[str, float] = {}
    for name, p in result.parameters.items():
        if p.status == "ok":
            factors[name] = 1.0
        elif p.status == "mismatch" and p.kind == "scale" and p.factor:
            factors[name] = float(p.factor)
    if len(factors) < 2 or len(factors) < len(result.parameters) - 1:
        return findings
    for convention in (1.0 / m, float(m)):
        following = [n for n, f in factors.items() if _same(f, convention)]
        if len(following) * 2 <= len(factors):
            continue
        odd = [n for n in factors if n not in following]
        kept = [f for f in findings if not (f.rule == "gradient-mismatch" and f.location.parameter in following)]
        located = next((f.location for f in findings if f.location.parameter in following), Location())
        kept.append(_convention_finding(convention, m, following, located))
        for name in odd:
            relative = factors[name] / convention
            line = assignment_line(backward, f"d{name}") if backward is not None else None
            where = Location(function=located.function, file=located.file, line=line or located.line)
            kept = [f for f in kept if not (f.rule == "gradient-mismatch" and f.location.parameter == name)]
            kept.append(_odd_one_finding(name, relative, convention, m, following, where))
        return kept
    return findings


def _convention_finding(convention: float, m: int, following: list[str], located: Location) -> Finding:
    summed = convention < 1
    what = ("the cost adds up the losses of the batch's examples while the backward averages them"
            if summed else "the cost averages the losses of the batch's examples while the backward adds them up")
    effect = (f"{m} times smaller" if summed else f"{m} times larger")
    return Finding(
        rule="gradient-mismatch", severity="info",
        message=(f"Every gradient ({', '.join('d' + n for n in following)}) is {_factor(convention)} x the "
                 f"numerical gradient of the cost: {what} (m = {m}). That is a convention, not a bug: it "
                 f"works like a learning rate {effect}."),
        location=Location(function=located.function, file=located.file, line=located.line),
        evidence={"kind": "scale", "factor": convention, "convention": "sum-vs-mean", "examples": m,
                  "parameters": following},
        fix=("Nothing to fix if the learning rate suits it; to make the printed cost and the gradients "
             "agree, divide the cost by m (np.mean, or / m) or drop the / m in the backward."))


def _odd_one_finding(name: str, relative: float, convention: float, m: int, following: list[str],
                     located: Location) -> Finding:
    if _same(relative, float(m)) or _same(relative, 1.0 / m):
        cause = (f"it lacks the 1/m (m = {m}) the others have" if relative > 1
                 else f"it divides by m (m = {m}) once more than the others")
    else:
        cause = f"a stray factor {_factor(relative)}"
    return Finding(
        rule="gradient-mismatch", severity="error",
        message=(f"d{name} is {_factor(relative)} x what the other gradients' convention gives "
                 f"({', '.join('d' + n for n in following)} are all {_factor(convention)} x the cost's "
                 f"gradient; d{name} is not): {cause}."),
        location=Location(parameter=name, function=located.function, file=located.file, line=located.line),
        evidence={"kind": "scale", "factor": relative, "relative_to": "convention", "convention": convention,
                  "examples": m},
        fix=f"Compute d{name} like the others (with the same / m).")


def _factor(x: float) -> str:
    if x and x < 1 and math.isclose(1 / x, round(1 / x), rel_tol=1e-3):
        return f"1/{round(1 / x)}"
    return f"{x:.4g}"
