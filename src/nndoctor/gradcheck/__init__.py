"""Gradient checking that scales: directional checks per parameter, then classification and
localization of what is wrong. See `check_gradients`."""

from nndoctor.gradcheck.api import check_gradients, relative_difference
from nndoctor.gradcheck.result import GradientCheck, ParameterCheck, WorstEntry

__all__ = ["check_gradients", "relative_difference", "GradientCheck", "ParameterCheck", "WorstEntry"]
