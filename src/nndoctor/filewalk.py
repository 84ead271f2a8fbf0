"""Which files `nndoctor check PATH...` checks: folders searched for .py and .ipynb files.

A file named on the command line is always checked. Inside a folder, nndoctor skips what ruff
skips by default (hidden files and folders such as ``.git``, ``.venv``, ``.ipynb_checkpoints``;
``__pycache__``, ``venv``, ``node_modules``, ``site-packages``, ``dist``, ...), what the
``.gitignore`` files say (those in the folders searched, and above them up to the repository's
root, plus ``.git/info/exclude``), what ``--exclude`` says (gitignore-style patterns relative to
each folder given), and what ``exclude`` in ``[tool.nndoctor]`` says (relative to its
pyproject.toml). The patterns are matched by `pathspec`, which implements git's own rules
(negation with ``!``, anchoring with ``/``, ``**``, folder-only patterns).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import pathspec

from nndoctor.arguments import UsageError
from nndoctor.config import ConfigFinder

SUFFIXES = (".py", ".ipynb")
SKIPPED_FOLDERS = frozenset({"__pycache__", "__pypackages__", "_build", "buck-out", "dist", "node_modules",
                             "site-packages", "venv"})


class _IgnoreRules:
    """gitignore-style specs, each anchored at a folder; the deepest matching one decides."""

    def __init__(self) -> None:
        self._specs: list[tuple[Path, pathspec.GitIgnoreSpec]] = []  # outermost first
        self._read: set[Path] = set()

    def add(self, folder: Path, lines: Iterable[str]) -> None:
        lines = [line for line in lines if line.strip()]
        if lines:
            self._specs.append((folder, pathspec.GitIgnoreSpec.from_lines(lines)))
            self._specs.sort(key=lambda item: len(item[0].parts))

    def add_file(self, folder: Path, path: Path) -> None:
        if path in self._read:
            return
        self._read.add(path)
        try:
            self.add(folder, path.read_text("utf-8", errors="replace").splitlines())
        except OSError:
            pass  # an unreadable .gitignore ignores nothing, as git does

    def ignored(self, path: Path, is_dir: bool) -> bool:
        verdict = False
        for folder, spec in self._specs:
            try:
                relative = path.relative_to(folder).as_posix()
            except ValueError:
                continue
            result = spec.check_file(relative + ("/" if is_dir else ""))
            if result.include is not None:
                verdict = result.include
        return verdict


def _repository_root(folder: Path) -> Path | None:
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def _skipped_name(name: str) -> bool:
    return name.startswith(".") or name in SKIPPED_FOLDERS


def collect(paths: Sequence[str], exclude: Sequence[str] = (), configs: ConfigFinder | None = None) -> list[Path]:
    """The files to check, in command-line order, each folder's files sorted; raises `UsageError`
    for a path that does not exist or a named file that is neither .py nor .ipynb."""
    configs = configs or ConfigFinder()
    found: list[Path] = []
    seen: set[Path] = set()
    for text in paths:
        path = Path(text)
        if not path.exists():
            raise UsageError(f"nndoctor check: {text}: no such file or folder.")
        if path.is_dir():
            files = _walk(path, exclude, configs)
        elif path.suffix in SUFFIXES:
            files = [path]
        else:
            raise UsageError(f"nndoctor check: {text}: expected a Python file (.py), a notebook (.ipynb) or a folder.")
        for file in files:
            key = file.resolve()
            if key not in seen:
                seen.add(key)
                found.append(file)
    return found


def _walk(root: Path, exclude: Sequence[str], configs: ConfigFinder) -> list[Path]:
    rules = _IgnoreRules()
    absolute = root.resolve()
    repository = _repository_root(absolute)
    if repository is not None:
        for folder in (absolute, *absolute.parents):
            rules.add_file(folder, folder / ".gitignore")
            if folder == repository:
                break
        rules.add_file(repository, repository / ".git" / "info" / "exclude")
    rules.add(absolute, exclude)
    configs_seen: set[Path] = set()
    out: list[Path] = []
    for folder, dirs, files in os.walk(absolute):
        here = Path(folder)
        rules.add_file(here, here / ".gitignore")
        config = configs.for_folder(here)
        if config is not None and config.exclude and config.path not in configs_seen:
            configs_seen.add(config.path)
            rules.add(config.root, config.exclude)
        dirs[:] = sorted(d for d in dirs if not _skipped_name(d) and not rules.ignored(here / d, is_dir=True))
        for name in sorted(files):
            file = here / name
            if file.suffix in SUFFIXES and not name.startswith(".") and not rules.ignored(file, is_dir=False):
                out.append(root / file.relative_to(absolute))
    return out
