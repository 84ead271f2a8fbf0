"""Probe mode (nndoctor check, ``keep_calls=True``): what the program's calls show beyond the
statistics, kept for the checks made after the run.

- forward passes that drew random numbers (checkfile/predict.py: dropout left on in a prediction);
- forward passes whose caller holds labels for the same examples (checkfile/fit.py: train and dev
  errors, for bias and variance);
- optimizer updates whose returned state is dropped (the velocity reset at every call).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any

import numpy as np

from nndoctor import roles as R
from nndoctor.hooks.sites import Site
from nndoctor.recorded import Call
from nndoctor.trace import DroppedState, Iteration, Run, Trace
from nndoctor.usercode import display_path

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # frames in it are nndoctor's
MAX_RANDOM_FORWARDS = 8  # past this many, only those of calls that trained nothing are kept (the last 4)
MAX_EVALUATIONS = 12  # likewise (the last 6)


class ProbeEvidence:
    def __init__(self) -> None:
        # forward passes that drew random numbers, with their iteration (a prediction with dropout
        # left on never completes a training step)
        self.random_forwards: list[tuple[Call, Iteration]] = []
        # (X, output, labels, iteration, example axis, the run trained last) of forward passes whose
        # caller holds labels for the same examples; the ones that trained nothing are evaluations
        self.evaluation_records: list[tuple[Any, ...]] = []
        self.arguments: list[tuple[tuple[Any, ...], Mapping[str, Any]]] = []  # of the watched calls running now
        self.state_seen: dict[str, Any] = {}  # update -> (state it got, whether it returned a new one, calls)

    def drew_random(self, site: Site, args: tuple[Any, ...], kwargs: Mapping[str, Any], result: Any,
                    it: Iteration) -> None:
        """A forward pass that drew random numbers during iteration ``it``."""
        if len(self.random_forwards) >= MAX_RANDOM_FORWARDS:  # the training steps' own draws are not what is kept for
            self.random_forwards[:] = [(c, i) for c, i in self.random_forwards if not i.completed][-4:]
        self.random_forwards.append((Call(site.func, tuple(args), dict(kwargs), result), it))

    def note_evaluation(self, args: tuple[Any, ...], kwargs: Mapping[str, Any], result: Any, run: Run | None,
                        params: Mapping[str, np.ndarray] | None, it: Iteration | None,
                        last_trained: Run | None) -> None:
        """A forward pass and the labels its caller holds for the same examples: if it trains nothing
        (a prediction after training), its accuracy is a train or dev accuracy (bias and variance)."""
        out = R.output_of(result)
        if run is None or run.example_axis is None or not isinstance(out, np.ndarray) or out.ndim != 2:
            return
        X = next((a for a in R.arrays_in(list(args) + list(kwargs.values())) if a.ndim == 2
                  and (params is None or all(a is not v for v in params.values()))), None)
        if X is None:
            return
        m = X.shape[run.example_axis]
        labels = None
        for outer_args, outer_kwargs in reversed(self.arguments):  # the calls around this one
            for a in list(outer_args) + list(outer_kwargs.values()):
                if isinstance(a, np.ndarray) and a is not X and m in a.shape and a.size in (m, out.size) \
                        and a.dtype.kind in "biuf" and a.size > 1:
                    labels = a
                    break
            if labels is not None:
                break
        if labels is None:
            return
        if len(self.evaluation_records) >= MAX_EVALUATIONS:
            self.evaluation_records[:] = [e for e in self.evaluation_records if not e[3].completed][-6:]
        self.evaluation_records.append((X, out, labels, it, run.example_axis, last_trained))

    def follow_state(self, site: Site, args: tuple[Any, ...], kwargs: Mapping[str, Any], result: Any,
                     params: Mapping[str, np.ndarray] | None, grads: Any, trace: Trace,
                     it: Iteration | None) -> None:
        """An optimizer that returns its new state (velocity, moments) must get it back at the next call.
        Seen from the calls alone: the state it received, the state it returned, and whether the next
        call receives the old one again, unchanged. ``grads``: what the last backward returned."""
        inputs = list(args) + list(kwargs.values())
        state_in = [a for a in inputs if isinstance(a, Mapping) and a is not params and not R.is_parameter_dict(a)
                    and a is not grads and not (grads is None and _gradient_dict(a, params))]
        outs = list(result) if isinstance(result, tuple) else [result]
        state_out = [o for o in outs if isinstance(o, Mapping) and o is not params and not R.is_parameter_dict(o)]
        if not state_in or not state_out:
            return
        record = (tuple(id(s) for s in state_in), fingerprint_of_dicts(state_in))
        previous = self.state_seen.get(site.name)
        returned_new = any(o is not s for o in state_out for s in state_in)
        if previous is not None and previous[0] == record and previous[1] and record[1] is not None:
            calls = previous[2] + 1
            if calls == 3 and not any(d.function == site.name for d in trace.dropped_states):
                caller = sys._getframe(1)  # the learner's code that called the update and dropped its result
                while caller is not None and caller.f_code.co_filename.startswith(_PACKAGE_DIR):
                    caller = caller.f_back
                trace.dropped_states.append(DroppedState(
                    site.name, caller.f_code.co_qualname if caller else None,
                    display_path(caller.f_code.co_filename) if caller else None, caller.f_lineno if caller else None,
                    it.index if it is not None else None, calls))
            self.state_seen[site.name] = (record, returned_new, calls)
        else:
            self.state_seen[site.name] = (record, returned_new, 1)


def _gradient_dict(d: Mapping[str, Any], params: Mapping[str, np.ndarray] | None) -> bool:
    return bool(R.gradient_entries(d, params)) or bool(R.gradient_entries(d, None))


def fingerprint_of_dicts(dicts: list[Mapping[str, Any]]) -> tuple[float, ...] | None:
    sums = []
    for d in dicts:
        for v in d.values():
            if isinstance(v, np.ndarray) and v.dtype.kind in "fiu":
                sums.append(float(np.sum(v, dtype=np.float64)))
    return tuple(sums) or None
