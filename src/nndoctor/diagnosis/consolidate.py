"""Folding symptoms into their cause, so a learner reads one finding per problem.

A layer that died from a too-high learning rate also has zero gradients and a flat cost; zero
weights also give zero gradients and a cost frozen at ln 2. The cause keeps the numbers of its
symptoms in its evidence; the symptoms are dropped.
"""

from __future__ import annotations

from nndoctor.findings import Finding

# cause (rule, kind or None for any) -> symptoms it explains within one run ("rule" or "rule:kind")
EXPLAINS: dict[tuple[str, str | None], tuple[str, ...]] = {
    ("symmetric-init", None): ("zero-gradient", "cost-plateau", "dead-relu", "parameters-not-updated",
                               "vanishing-gradient", "learning-rate:too-low", "init-scale"),
    ("learning-rate", "too-high"): ("dead-relu", "zero-gradient", "cost-plateau", "cost-divergence",
                                    "cost-oscillation", "exploding-gradient", "init-scale:too-small"),
    # an extra activation shifts every layer number after it: the mismatch it causes is the same bug
    ("output-activation", None): ("activation-mismatch",),
    ("init-scale", "too-large"): ("initial-cost", "saturated-activation", "learning-rate:too-high",
                                  "cost-oscillation", "cost-divergence"),
    ("parameters-not-updated", None): ("cost-plateau", "learning-rate:too-low", "init-scale:too-small",
                                       "vanishing-gradient"),
    ("non-finite", None): ("cost-divergence", "cost-oscillation", "initial-cost", "saturated-activation"),
    ("optimizer-update", "sign"): ("cost-divergence", "cost-oscillation", "learning-rate:too-high",
                                   "exploding-gradient"),
    ("dead-relu", "whole-layer"): ("zero-gradient", "cost-plateau", "learning-rate:too-low", "vanishing-gradient"),
    ("init-scale", "too-small"): ("cost-plateau", "learning-rate:too-low"),
    ("vanishing-gradient", None): ("cost-plateau", "learning-rate:too-low"),
}


def _cause_keys(f: Finding) -> set[tuple[str, str | None]]:
    keys = {(f.rule, f.kind), (f.rule, None)}
    if f.rule == "dead-relu" and f.evidence.get("dead_units") == f.evidence.get("units"):
        keys.add(("dead-relu", "whole-layer"))  # a dead layer passes no gradient to anything below
    return keys


def consolidate(findings: list[Finding]) -> list[Finding]:
    causes = set().union(*(_cause_keys(f) for f in findings)) if findings else set()
    kept = []
    for f in findings:
        names = (f.rule, f"{f.rule}:{f.kind}")
        explained = any(cause in causes and cause[0] != f.rule and any(n in symptoms for n in names)
                        for cause, symptoms in EXPLAINS.items())
        if not explained:
            kept.append(f)
    return kept
