"""Probes: the user's own helper functions called on controlled inputs and compared with what they
should compute.

- `probe_update(func)`: an update step (gradient descent, momentum, RMSprop, Adam) against its
  formula over consecutive calls (rule ``optimizer-update``);
- `probe_minibatches(func)`: a mini-batch builder on data whose every column carries its own
  index (rule ``mini-batch``);
- `looks_like_update(func)` / `looks_like_minibatch_builder(func)`: recognize such functions by
  their signatures (None when they are not);
- `probe_functions(functions)`: both, on every function of a module that looks like one.

Every probe returns a list of findings and never raises; numpy's global random state and the
caller's objects are left as they were.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from nndoctor.findings import Finding
from nndoctor.probes.minibatch import MinibatchSignature, looks_like_minibatch_builder, probe_minibatches
from nndoctor.probes.optimizer import UpdateSignature, looks_like_update, probe_update

__all__ = [
    "probe_update",
    "probe_minibatches",
    "looks_like_update",
    "looks_like_minibatch_builder",
    "probe_functions",
    "UpdateSignature",
    "MinibatchSignature",
]


def probe_functions(functions: Mapping[str, Callable[..., Any]]) -> list[Finding]:
    """Probe every function of ``functions`` (name -> function, e.g. a module's namespace filtered
    to the functions it defines) that looks like an update step or a mini-batch builder."""
    findings: list[Finding] = []
    for name, func in functions.items():
        if not callable(func):
            continue
        if looks_like_update(func) is not None:
            findings.extend(probe_update(func, name=name))
        elif looks_like_minibatch_builder(func) is not None:
            findings.extend(probe_minibatches(func, name=name))
    return findings
