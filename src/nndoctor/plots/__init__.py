"""Figures for reports: one function per figure, plain data in (the JSON report's sections),
SVG text out. Nothing here diagnoses anything; matplotlib is imported only when a figure is
drawn, through its object API (no pyplot, no window, the user's backend left alone).

- `cost_curve(run, marks)`: a run's cost curve, plateau / spike / NaN iterations marked
  (`cost_marks(findings, run)` picks them out of the findings);
- `gradient_norms(run)`: each gradient's norm over the iterations;
- `unit_health(run)`: dead ReLU units and saturated sigmoid/tanh outputs per layer;
- `gradient_errors(check)`: the gradient check's relative error per parameter.

``run`` is one entry of the report's ``training.runs``; ``check`` is the ``gradient_check`` section.
"""

from nndoctor.plots.cost import cost_curve, cost_marks
from nndoctor.plots.gradcheck import gradient_errors
from nndoctor.plots.gradnorms import gradient_norms
from nndoctor.plots.units import unit_health

__all__ = ["cost_curve", "cost_marks", "gradient_norms", "unit_health", "gradient_errors"]
