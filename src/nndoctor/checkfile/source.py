"""Reading a model file or a notebook into top-level statements, without running anything.

A notebook's code cells are read in order; IPython magics (``%matplotlib inline``), shell lines
(``!pip install``) and help lines (``np.dot?``) are blanked out, keeping line numbers. Each
top-level statement keeps its cell and line, so a failure can be located in the learner's file.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from pathlib import Path

_IPYTHON_LINE = re.compile(r"^\s*(%|!|\?)|^\s*\S.*\?\s*$")


@dataclass(frozen=True)
class Statement:
    node: ast.stmt
    code: object  # a compiled code object
    cell: int | None  # notebook cell number (1-based), None for a .py file
    line: int  # first line in the file or cell

    @property
    def is_main_guard(self) -> bool:
        """``if __name__ == "__main__":`` — the block an import never runs."""
        test = getattr(self.node, "test", None)
        if not isinstance(self.node, ast.If) or not isinstance(test, ast.Compare):
            return False
        names = [test.left, *test.comparators]
        has_name = any(isinstance(n, ast.Name) and n.id == "__name__" for n in names)
        has_main = any(isinstance(n, ast.Constant) and n.value == "__main__" for n in names)
        return has_name and has_main


class SourceError(Exception):
    """The file cannot be read or parsed; the message says where and why."""


def read_cells(path: Path) -> list[tuple[int | None, str]]:
    """(cell number or None, source) pieces of a .py file or .ipynb notebook."""
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        raise SourceError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(f"{path}: cannot be read ({exc})") from None
    if path.suffix != ".ipynb":
        return [(None, text)]
    try:
        notebook = json.loads(text)
        cells = notebook["cells"]
    except (ValueError, KeyError, TypeError):
        raise SourceError(f"{path}: not a Jupyter notebook (no 'cells' in its JSON)") from None
    pieces = []
    for number, cell in enumerate(cells, start=1):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        pieces.append((number, _blank_ipython_lines(source)))
    return pieces


def _blank_ipython_lines(source: str) -> str:
    lines = source.splitlines()
    if lines and lines[0].startswith("%%"):
        return ""  # a cell magic (%%time, %%bash): the whole cell is not Python
    return "\n".join("" if _IPYTHON_LINE.match(line) else line for line in lines)


def statements(path: Path) -> tuple[list[Statement], list[str]]:
    """The top-level statements to run, and one message per cell that does not parse."""
    out: list[Statement] = []
    problems: list[str] = []
    filename = str(path)
    for cell, source in read_cells(path):
        try:
            tree = ast.parse(source, filename=filename)
        except SyntaxError as exc:
            where = f"cell {cell}, line {exc.lineno}" if cell else f"line {exc.lineno}"
            if cell is None:
                from nndoctor.usercode import display_path

                raise SourceError(f"nndoctor check: {display_path(str(path))}: syntax error at {where}: {exc.msg}; "
                                  f"fix it (python {path.name} shows it too) and check again.") from None
            problems.append(f"{where}: syntax error: {exc.msg} (the cell was skipped)")
            continue
        for node in tree.body:
            module = ast.Module(body=[node], type_ignores=[])
            code = compile(module, filename if cell is None else f"{filename} (cell {cell})", "exec")
            out.append(Statement(node, code, cell, node.lineno))
    return out, problems
