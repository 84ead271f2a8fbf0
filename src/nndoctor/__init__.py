"""nndoctor: diagnoses hand-written neural-network training code.

    >>> import nndoctor
    >>> result = nndoctor.check_gradients(cost_fn, grad_fn, params)   # doctest: +SKIP
    >>> print(result)                                                  # doctest: +SKIP
"""

__version__ = "0.1.0"

import os as _os  # noqa: E402
import sys as _sys  # noqa: E402


def _forget_working_directory() -> None:
    """`python -m nndoctor ...`, being started: Python put the working directory first on sys.path,
    where a learner's json.py or numpy.py would replace the real module for nndoctor itself. The
    `nndoctor` command does not search it, and neither does this (the checked program's own folder
    is put on its path by the check, as `python file.py` does)."""
    if _sys.argv[:1] != ["-m"] or not _sys.path:
        return
    try:
        if _os.path.samefile(_sys.path[0] or _os.curdir, _os.curdir):
            del _sys.path[0]
    except OSError:  # no working directory any more, or a path entry that does not exist
        pass


_forget_working_directory()

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
