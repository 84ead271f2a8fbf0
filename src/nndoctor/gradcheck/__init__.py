"""Gradient checking that scales: every block vouched for at once by combined directions, then
classification and localization of what is wrong. See `check_gradients` and docs/gradient-check.md."""

from nndoctor.gradcheck.api import check_gradients
from nndoctor.gradcheck.compare import relative_difference
from nndoctor.gradcheck.result import GradientCheck, ParameterCheck, WorstEntry

__all__ = ["check_gradients", "relative_difference", "GradientCheck", "ParameterCheck", "WorstEntry"]
