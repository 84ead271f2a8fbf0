"""How bad a finding is: info < warning < error."""

from __future__ import annotations

import enum


class Severity(enum.IntEnum):
    """Ordered so that ``max()`` gives the worst; the JSON form is the lowercase name."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, value: Severity | str) -> Severity:
        if isinstance(value, Severity):
            return value
        try:
            return cls[str(value).upper()]
        except KeyError:
            names = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {value!r}; expected one of {names}") from None

    @property
    def label(self) -> str:
        return self.name.lower()
