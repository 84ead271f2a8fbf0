"""One root exception; each subclass says what was wrong in a full sentence."""

from __future__ import annotations


class NndoctorError(Exception):
    """Root of every error nndoctor raises on purpose."""


class InvalidInputError(NndoctorError, ValueError):
    """The arguments given to an nndoctor function cannot be used as they are."""


class GradientCheckFailed(NndoctorError, AssertionError):
    """Raised by assertions when a gradient check finds a bug; the message is the finding."""
