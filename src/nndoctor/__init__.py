"""nndoctor: diagnoses hand-written neural-network training code.

    >>> import nndoctor
    >>> result = nndoctor.check_gradients(cost_fn, grad_fn, params)   # doctest: +SKIP
    >>> print(result)                                                  # doctest: +SKIP
"""

__version__ = "0.1.0"

from nndoctor.errors import InvalidInputError, NndoctorError  # noqa: E402
from nndoctor.findings import Finding, Location, Report, Severity  # noqa: E402
from nndoctor.gradcheck import (  # noqa: E402
    GradientCheck,
    ParameterCheck,
    WorstEntry,
    check_gradients,
    relative_difference,
)
from nndoctor.hooks import Doctor, watch  # noqa: E402
from nndoctor.rules import Rule, all_rules, get_rule  # noqa: E402
from nndoctor.spec import spec  # noqa: E402

__all__ = [
    "__version__",
    "check_gradients",
    "Doctor",
    "spec",
    "watch",
    "relative_difference",
    "GradientCheck",
    "ParameterCheck",
    "WorstEntry",
    "Finding",
    "Location",
    "Report",
    "Severity",
    "Rule",
    "all_rules",
    "get_rule",
    "NndoctorError",
    "InvalidInputError",
]
