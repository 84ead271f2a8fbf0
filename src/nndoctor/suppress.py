"""Inline ``# nndoctor: ignore`` comments on the line a finding points to.

    W1 = np.zeros((n_h, n_x))  # nndoctor: ignore[symmetric-init]
    W1 = np.zeros((n_h, n_x))  # nndoctor: ignore[NND401, init-scale]
    W1 = np.zeros((n_h, n_x))  # nndoctor: ignore

Inside the brackets: rule codes, code prefixes or slugs, separated by commas; bare, every finding
on that line. Comments are read with Python's tokenizer, so the same text inside a string does not
count, and the file's declared encoding is honoured. In a notebook the line is counted inside its
cell, as the findings' locations count it (``model.ipynb (cell 4):5``).
"""

from __future__ import annotations

import io
import json
import re
import tokenize
from pathlib import Path

from nndoctor.findings import Finding, Report

COMMENT = re.compile(r"#\s*nndoctor:\s*ignore(?:\[(?P<rules>[^\]]*)\])?", re.IGNORECASE)
EVERY_RULE = "*"
_CELL = re.compile(r"^(?P<file>.*) \(cell (?P<cell>\d+)\)$")

# (file as the finding names it) -> {line: selectors, or {"*"}}
Ignores = dict[int, set[str]]


def comments(source: str) -> Ignores:
    """Line -> the selectors its ``# nndoctor: ignore`` comment names (``{"*"}`` for all)."""
    out: Ignores = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT:
                _add(out, token.start[0], token.string)
    except (tokenize.TokenError, SyntaxError, IndentationError):
        # a file the tokenizer cannot finish (a notebook cell with IPython syntax): line by line
        for number, line in enumerate(source.splitlines(), start=1):
            if "#" in line:
                _add(out, number, line[line.index("#"):])
    return out


def _add(out: Ignores, line: int, text: str) -> None:
    found = COMMENT.search(text)
    if found is None:
        return
    rules = found.group("rules")
    names = {EVERY_RULE} if rules is None else {r.strip() for r in rules.split(",") if r.strip()}
    out.setdefault(line, set()).update(names or {EVERY_RULE})


def _matches(selector: str, finding: Finding) -> bool:
    if selector == EVERY_RULE:
        return True
    return selector.lower() == finding.rule or (selector.upper().startswith("NND")
                                                and finding.code.startswith(selector.upper()))


class SourceComments:
    """Reads (once) the files findings point into, relative to the working directory of the check."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self._cache: dict[str, Ignores] = {}

    def ignores(self, file: str) -> Ignores:
        if file not in self._cache:
            self._cache[file] = self._read(file)
        return self._cache[file]

    def _read(self, file: str) -> Ignores:
        cell = _CELL.match(file)
        path = self.base / (cell.group("file") if cell else file)
        try:
            if cell:
                return comments(_cell_source(path, int(cell.group("cell"))))
            with tokenize.open(path) as handle:  # the file's declared encoding and BOM
                return comments(handle.read())
        except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
            return {}  # a file that cannot be read has no comments to honour


def _cell_source(path: Path, number: int) -> str:
    cells = json.loads(path.read_text("utf-8")).get("cells", [])
    if not 1 <= number <= len(cells):
        return ""
    source = cells[number - 1].get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def suppressed(finding: Finding, sources: SourceComments) -> bool:
    where = finding.location
    if where.file is None or where.line is None:
        return False
    names = sources.ignores(where.file).get(where.line, set())
    return any(_matches(name, finding) for name in names)


def drop_suppressed(report: Report, base: Path) -> int:
    """Removes the findings an inline comment ignores; returns how many."""
    sources = SourceComments(base)
    kept = [f for f in report.findings if not suppressed(f, sources)]
    dropped = len(report.findings) - len(kept)
    report.findings[:] = kept
    return dropped
