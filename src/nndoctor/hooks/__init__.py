"""Watching the user's own functions while they train: `Doctor` and its decorators.

    doctor = nndoctor.Doctor()

    @doctor.forward
    def L_model_forward(X, parameters): ...

    doctor.watch(my_module)      # or: wrap every function a module defines, no decorators
    ...train as usual...
    print(doctor.report())

A wrapped function keeps its signature, docstring, return value and exceptions; the hooks only
read the arrays that flow through it and keep a few numbers per iteration (trace.py). Roles
(forward, cost, backward, update, activation, derivative helper) are given by the decorator or
recognized: activations and derivative helpers by sampling them numerically at their first call,
the others from what each call receives and returns (roles.py).

The modules, one job each:

    doctor.py         the `Doctor` façade: decorators, watch/unwatch, report, close, context manager
    wrapping.py       the wrapper put around a user function; what watch() replaced, to put back
    sites.py          what is known of each wrapped function: name, definition, role
    recognize.py      activations and derivative helpers recognized by sampling them
    calls.py          each watched call: its role guessed and settled, the step it opens, its handler
    steps.py          step bookkeeping: the parameters that opened it, its parts, its completion, its tape
    runs.py           run keys and lifecycle: which run a step belongs to, iterations, budget, trace file
    capture.py        statistics per iteration: activations, costs, gradients, updates, inline loops
    statistics.py     the numbers kept of arrays (activation statistics, weight inits, update steps)
    training_data.py  the data each run trained on, and the data checks on it
    evidence.py       probe mode: random forwards, evaluations, dropped optimizer state
    problems.py       declared functions returning unusable values, user exceptions, internal errors
    state.py          the Doctor's fields, grouped into typed state objects
"""

from nndoctor.hooks.doctor import Doctor, watch
from nndoctor.hooks.sites import Site as _Site  # noqa: F401 - the name tests and benchmarks import
from nndoctor.hooks.statistics import activation_stats as _activation_stats  # noqa: F401 - likewise

__all__ = ["Doctor", "watch"]
