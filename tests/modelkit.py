"""Loading a fresh copy of a test model module, so that watching one copy never leaks into another."""

from __future__ import annotations

import importlib.util
import itertools
import os
import warnings
from types import ModuleType
from typing import Any

import nndoctor

MODELS = os.path.join(os.path.dirname(__file__), "models")
_counter = itertools.count()


def load_model(name: str, **settings: Any) -> ModuleType:
    path = os.path.join(MODELS, f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"_nnd_model_{name}_{next(_counter)}", path)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    for key, value in settings.items():
        setattr(module, key, value)
    return module


def train_watched(name: str = "course_deep", *, every: int = 1, dims=(20, 8, 5, 1), learning_rate=0.05,
                  iterations=300, data: tuple | None = None, check_gradients: bool = True, **settings: Any):
    """Train the model module under a Doctor; returns (report, doctor, module, costs)."""
    module = load_model(name, **settings)
    doctor = nndoctor.Doctor(every=every, check_gradients=check_gradients).watch(module)
    X, Y = data if data is not None else module.load_data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the planted bugs overflow on purpose
        _, costs = module.L_layer_model(X, Y, list(dims), learning_rate=learning_rate, num_iterations=iterations)
    report = doctor.report(target=f"{name}.py")
    doctor.unwatch()
    return report, doctor, module, costs


def rules_of(report) -> dict[str, list]:
    found: dict[str, list] = {}
    for f in report.findings:
        found.setdefault(f.rule, []).append(f)
    return found
