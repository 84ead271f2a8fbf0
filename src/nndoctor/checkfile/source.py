"""Reading a model file or a notebook into the statements its author runs, without running anything.

A ``.py`` file is read with its declared encoding (``tokenize.open``); its top-level statements
run in order, and the body of ``if __name__ == "__main__":`` is spliced in statement by statement
(the author runs the file as a script), so one failing line there does not hide the next.

A notebook is read with nbformat; each code cell is turned into Python by IPython's own input
transformer (line magics, ``?`` help, ``!`` shell lines), and cell magics whose body is Python
(``%%time``, ``%%capture``) run their body. What cannot run here (``%%bash``, ``%%writefile``, shell
lines) is listed in the notes. Every statement keeps its cell and line, so a failure can be located
in the learner's file, and is compiled with the loop instrumentation of `transform`.
"""

from __future__ import annotations

import ast
import re
import tokenize
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from types import CodeType

from nndoctor.checkfile.transform import instrument

# cell magics whose body is Python the author runs (timed, captured or profiled)
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug"})
# line magics whose argument is Python the author runs
PYTHON_LINE_MAGICS = frozenset({"time", "timeit", "prun"})


@dataclass(frozen=True)
class Statement:
    node: ast.stmt
    code: CodeType
    cell: int | None  # notebook cell number (1-based), None for a .py file
    line: int  # first line in the file or cell
    in_main_block: bool = False  # from the body of ``if __name__ == "__main__":``

    @property
    def where(self) -> str:
        return f"line {self.line}" if self.cell is None else f"cell {self.cell}, line {self.line}"


@dataclass
class Program:
    """What the author runs: statements in order, plus what nndoctor could not run and why."""

    path: Path
    statements: list[Statement] = field(default_factory=list)
    cell_sources: dict[int, str] = field(default_factory=dict)  # cell -> its Python (for tracebacks)
    syntax_errors: list[str] = field(default_factory=list)  # notebook cells that do not parse
    notes: list[str] = field(default_factory=list)  # shell lines and cell magics not run

    @property
    def is_notebook(self) -> bool:
        return self.path.suffix == ".ipynb"

    def filename(self, cell: int | None) -> str:
        return str(self.path) if cell is None else f"{self.path} (cell {cell})"


class SourceError(Exception):
    """The file cannot be read or parsed; the message says where and why."""


def read_program(path: Path) -> Program:
    program = Program(path)
    if path.suffix == ".ipynb":
        for cell, source in _notebook_cells(path, program):
            program.cell_sources[cell] = source
            _add(program, source, cell)
    else:
        _add(program, _read_python(path), None)
    return program


def _read_python(path: Path) -> str:
    try:
        with tokenize.open(path) as f:  # PEP 263 coding line and BOM, like python itself
            return f.read()
    except FileNotFoundError:
        raise SourceError(f"{path}: no such file") from None
    except (OSError, SyntaxError, UnicodeDecodeError, LookupError) as exc:
        raise SourceError(f"{path}: cannot be read ({exc})") from None


def _notebook_cells(path: Path, program: Program) -> list[tuple[int, str]]:
    """(cell number, Python source) of each code cell, IPython syntax turned into Python."""
    import nbformat

    try:
        with warnings.catch_warnings():  # a cell without an id is a notebook written by hand: fine
            warnings.simplefilter("ignore")
            notebook = nbformat.read(str(path), as_version=4)
    except FileNotFoundError:
        raise SourceError(f"{path}: no such file") from None
    except Exception as exc:  # noqa: BLE001 - nbformat raises many kinds for a broken file
        raise SourceError(f"{path}: not a readable Jupyter notebook ({type(exc).__name__}: "
                          f"{str(exc).splitlines()[0] if str(exc) else 'no details'})") from None
    manager = _LazyTransformer()
    cells = []
    for number, cell in enumerate(notebook.get("cells", []), start=1):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        cells.append((number, _cell_python(source, number, manager, program)))
    return cells


def _cell_python(source: str, number: int, manager: object, program: Program) -> str:
    stripped = source.lstrip()
    if stripped.startswith("%%"):
        first, _, body = stripped.partition("\n")
        magic = first[2:].split(None, 1)[0] if first[2:].strip() else ""
        if magic not in PYTHON_CELL_MAGICS:
            program.notes.append(f"cell {number}: the cell magic %%{magic} was not run (its body is not Python "
                                 f"nndoctor runs)")
            return ""
        # keep the body's line numbers those of the cell: the magic's line becomes blank
        leading = source[: len(source) - len(stripped)].count("\n")
        return "\n" * (leading + 1) + _transform(body, manager)
    return _transform(source, manager)


def _transform(source: str, manager: object) -> str:
    if not _IPYTHON_SYNTAX.search(source):
        return source  # plain Python: no need to load IPython for it
    try:
        return manager.transform_cell(source)  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - leave it to the parser to say what is wrong
        return source


_IPYTHON_SYNTAX = re.compile(r"^\s*[%!]|\?|=\s*[%!]", re.M)  # a quick look: IPython decides what it means


class _LazyTransformer:
    """IPython's TransformerManager, imported the first time a cell needs it."""

    def __init__(self) -> None:
        self._manager: object | None = None

    def transform_cell(self, source: str) -> str:
        if self._manager is None:
            from IPython.core.inputtransformer2 import TransformerManager

            self._manager = TransformerManager()
        return self._manager.transform_cell(source)  # type: ignore[attr-defined]


def _add(program: Program, source: str, cell: int | None) -> None:
    filename = program.filename(cell)
    try:
        tree = ast.parse(source, filename=filename)
    except SyntaxError as exc:
        where = f"cell {cell}, line {exc.lineno}" if cell else f"line {exc.lineno}"
        if cell is None:
            from nndoctor.usercode import display_path

            raise SourceError(f"nndoctor check: {display_path(str(program.path))}: syntax error at {where}: "
                              f"{exc.msg}; fix it (python {program.path.name} shows it too) and check "
                              f"again.") from None
        program.syntax_errors.append(f"{where}: syntax error: {exc.msg} (the cell was skipped)")
        return
    for node in tree.body:
        for piece, in_main in _spliced(node, program, cell):
            module = ast.Module(body=instrument([piece]), type_ignores=[])
            code = compile(module, filename, "exec", dont_inherit=True)
            program.statements.append(Statement(piece, code, cell, piece.lineno, in_main))


def _spliced(node: ast.stmt, program: Program, cell: int | None) -> list[tuple[ast.stmt, bool]]:
    """A statement as the author's run executes it: a main guard's body one statement at a time,
    IPython's run_line_magic('time', 'model(...)') as the Python it times, shell lines left out."""
    if is_main_guard(node) and not node.orelse:  # type: ignore[attr-defined]
        return [(s, True) for child in node.body for s, _ in _spliced(child, program, cell)]  # type: ignore[attr-defined]
    magic = _ipython_call(node)
    if magic is None:
        return [(node, False)]
    method, args = magic
    where = f"cell {cell}, line {node.lineno}" if cell else f"line {node.lineno}"
    if method == "run_line_magic" and len(args) == 2 and args[0] in PYTHON_LINE_MAGICS:
        code = _strip_magic_options(args[1])
        try:
            inner = ast.parse(code)
        except SyntaxError:
            return [(node, False)]
        for sub in ast.walk(inner):  # the timed code sits on the magic's line
            if hasattr(sub, "lineno"):
                sub.lineno = sub.end_lineno = node.lineno  # type: ignore[attr-defined]
                sub.col_offset, sub.end_col_offset = 0, 0  # type: ignore[attr-defined]
        return [(s, False) for s in inner.body]
    if method in ("system", "getoutput"):
        program.notes.append(f"{where}: the shell line !{args[0] if args else ''} was not run")
    return [(node, False)]


def _strip_magic_options(line: str) -> str:
    """``-n 10 -r 3 f(x)`` -> ``f(x)``: %timeit's options come before the code."""
    words = line.split()
    i = 0
    while i < len(words) and words[i].startswith("-"):
        i += 2 if words[i] in ("-n", "-r", "-p") else 1
    return " ".join(words[i:]) if i else line


def _ipython_call(node: ast.stmt) -> tuple[str, list[object]] | None:
    """('run_line_magic', ['time', 'f(x)']) for ``get_ipython().run_line_magic('time', 'f(x)')``."""
    value = getattr(node, "value", None)
    if not isinstance(node, (ast.Expr, ast.Assign)) or not isinstance(value, ast.Call):
        return None
    func = value.func
    if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call)
            and isinstance(func.value.func, ast.Name) and func.value.func.id == "get_ipython"):
        return None
    args = [a.value for a in value.args if isinstance(a, ast.Constant)]
    return func.attr, args


def is_main_guard(node: ast.stmt) -> bool:
    """``if __name__ == "__main__":`` (either order of the comparison)."""
    test = getattr(node, "test", None)
    if not isinstance(node, ast.If) or not isinstance(test, ast.Compare) or len(test.ops) != 1:
        return False
    if not isinstance(test.ops[0], ast.Eq):
        return False
    names = [test.left, *test.comparators]
    has_name = any(isinstance(n, ast.Name) and n.id == "__name__" for n in names)
    has_main = any(isinstance(n, ast.Constant) and n.value == "__main__" for n in names)
    return has_name and has_main
