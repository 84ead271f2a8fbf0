"""Property-based tests of hand-written backprop: assertions, hypothesis strategies, a pytest plugin.

    from hypothesis import given, settings
    from nndoctor.testing import assert_backprop_correct, strategies as nst

    @settings(max_examples=200, deadline=None)
    @given(nst.problems(max_layers=3))
    def test_backprop(problem):
        assert_backprop_correct(L_model_forward, compute_cost, L_model_backward,
                                problem.X, problem.Y, problem.parameters)

- `assert_gradients_correct`, `assert_backprop_correct`, `assert_activation_derivative`: raise
  `GradientCheckFailed` (an ``AssertionError``) whose message is the finding (see
  `nndoctor.testing.assertions`); `assertion_defaults` sets their seed and threshold for a block.
- `strategies`: hypothesis strategies (needs ``hypothesis``; imported on first use, so the
  assertions work without it).
- `nndoctor.testing.plugin`: the pytest plugin, registered as the ``pytest11`` entry point
  ``nndoctor``: the ``doctor`` fixture, ``--nndoctor-report``, the ``nndoctor_strict`` marker.
  See docs/testing.md.
"""

from __future__ import annotations

from typing import Any

from nndoctor.testing.assertions import (
    GradientCheckFailed,
    assert_activation_derivative,
    assert_backprop_correct,
    assert_gradients_correct,
    assertion_defaults,
)

__all__ = [
    "assert_gradients_correct",
    "assert_backprop_correct",
    "assert_activation_derivative",
    "assertion_defaults",
    "GradientCheckFailed",
    "strategies",
]


def __getattr__(name: str) -> Any:
    if name == "strategies":  # hypothesis is a test dependency: imported only when asked for
        import importlib

        return importlib.import_module("nndoctor.testing.strategies")
    raise AttributeError(f"module 'nndoctor.testing' has no attribute {name!r}")
