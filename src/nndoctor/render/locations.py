"""Where a finding points, as CI tools want it: a file path and a line of that file.

A finding's ``location.file`` is relative to the directory nndoctor was run from (absolute when
outside it); in a notebook it reads ``model.ipynb (cell 4)`` and its line counts inside the cell,
which is no line of the .ipynb file: then only the file is given to CI tools, and the cell and its
line go into the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nndoctor.findings import Finding

_CELL = re.compile(r"^(?P<file>.*) \(cell (?P<cell>\d+)\)$")


@dataclass(frozen=True)
class Spot:
    file: str
    line: int | None  # a line of ``file``; None when unknown or inside a notebook cell
    cell: int | None = None
    cell_line: int | None = None

    def describe(self) -> str:
        if self.cell is not None:
            return f"{self.file}, cell {self.cell}" + (f", line {self.cell_line}" if self.cell_line else "")
        return self.file + (f":{self.line}" if self.line else "")


def spot(finding: Finding, default_file: str) -> Spot:
    """The finding's place, or the checked file when the finding names none."""
    file, line = finding.location.file, finding.location.line
    if not file:
        return Spot(default_file, None)
    cell = _CELL.match(file)
    if cell:
        return Spot(cell.group("file"), None, int(cell.group("cell")), line)
    return Spot(file, line if isinstance(line, int) and line >= 1 else None)
