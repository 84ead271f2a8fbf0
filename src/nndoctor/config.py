"""``[tool.nndoctor]`` in pyproject.toml, found from the checked file upwards.

    [tool.nndoctor]
    fail-on = "warning"
    select = ["NND1", "NND3"]          # codes, code prefixes or rule names
    extend-select = ["dead-relu"]
    ignore = ["init-scale"]
    iterations = 200
    timeout = 30
    seed = 0
    memory = "2G"
    exclude = ["drafts/", "old_*.py"]  # gitignore-style, relative to this file's folder
    [tool.nndoctor.per-file-ignores]
    "solutions/*.py" = ["NND6"]

As ruff does, the closest pyproject.toml that has a ``[tool.nndoctor]`` table is the file's
configuration; one without that table is passed over. Keys are checked: a misspelt key or a value
of the wrong kind is a one-line `UsageError` naming the file, never silently ignored. The command
line's options override these values.
"""

from __future__ import annotations

import argparse
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nndoctor import arguments
from nndoctor.arguments import UsageError
from nndoctor.selection import Layer, PerFileIgnores, check_selectors, layer

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Config:
    """One pyproject.toml's ``[tool.nndoctor]`` table, checked. ``None`` fields were not set."""

    path: Path
    fail_on: str | None = None
    iterations: int | None = None
    timeout: float | None = None
    seed: int | None = None
    memory: str | None = None
    selection: Layer = field(default_factory=Layer)
    per_file_ignores: PerFileIgnores = field(default_factory=PerFileIgnores)
    exclude: tuple[str, ...] = ()

    @property
    def root(self) -> Path:
        return self.path.parent


def _text_value(check: Callable[[str], Any]) -> Callable[[Any, str], Any]:
    def read(value: Any, where: str) -> Any:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise UsageError(f"{where}: expected a single value, got {value!r}")
        try:
            return check(str(value))
        except argparse.ArgumentTypeError as err:
            raise UsageError(f"{where}: {err}") from None
    return read


def _fail_on(value: Any, where: str) -> str:
    if value not in SEVERITIES:
        raise UsageError(f"{where}: expected one of {', '.join(SEVERITIES)}, got {value!r}")
    return str(value)


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UsageError(f"{where}: expected a list of strings, got {value!r}")
    return tuple(value)


def _selectors(value: Any, where: str) -> tuple[str, ...]:
    return tuple(check_selectors(_strings(value, where), where))


def _per_file_ignores(value: Any, where: str) -> PerFileIgnores:
    if not isinstance(value, dict):
        raise UsageError(f"{where}: expected a table of glob = [rules], got {value!r}")
    return PerFileIgnores(tuple((glob, _selectors(rules, f"{where}.{glob}")) for glob, rules in value.items()))


_READERS: dict[str, Callable[[Any, str], Any]] = {
    "fail-on": _fail_on,
    "iterations": _text_value(arguments.iterations),
    "timeout": _text_value(arguments.seconds),
    "seed": _text_value(arguments.seed),
    "memory": _text_value(arguments.memory),
    "select": _selectors,
    "extend-select": _selectors,
    "ignore": _selectors,
    "per-file-ignores": _per_file_ignores,
    "exclude": _strings,
}


def read_config(path: Path) -> Config | None:
    """The ``[tool.nndoctor]`` table of ``path`` (a pyproject.toml), or None when it has none."""
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as err:
        raise UsageError(f"{path}: not valid TOML ({err}); fix it or remove its [tool.nndoctor] table.") from None
    except OSError as err:
        raise UsageError(f"{path}: cannot be read ({err.strerror}).") from None
    table = data.get("tool", {}).get("nndoctor") if isinstance(data.get("tool"), dict) else None
    if table is None:
        return None
    if not isinstance(table, dict):
        raise UsageError(f"{path}: tool.nndoctor must be a table ([tool.nndoctor]).")
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in _READERS:
            known = ", ".join(_READERS)
            raise UsageError(f"{path}: [tool.nndoctor] has no option {key!r}; the options are {known}.")
        values[key] = _READERS[key](value, f"{path}: [tool.nndoctor] {key}")
    selection = Layer(select=values.get("select"), extend_select=values.get("extend-select", ()),
                      ignore=values.get("ignore", ()))
    return Config(path=path, fail_on=values.get("fail-on"), iterations=values.get("iterations"),
                  timeout=values.get("timeout"), seed=values.get("seed"), memory=values.get("memory"),
                  selection=selection, per_file_ignores=values.get("per-file-ignores", PerFileIgnores()),
                  exclude=values.get("exclude", ()))


class ConfigFinder:
    """Finds each file's configuration, reading every folder's pyproject.toml once per run."""

    def __init__(self) -> None:
        self._by_folder: dict[Path, Config | None] = {}

    def for_folder(self, folder: Path) -> Config | None:
        """The configuration that applies in ``folder``: its own pyproject.toml's, or its parent's."""
        if folder not in self._by_folder:
            candidate = folder / "pyproject.toml"
            found = read_config(candidate) if candidate.is_file() else None
            if found is None and folder.parent != folder:
                found = self.for_folder(folder.parent)
            self._by_folder[folder] = found
        return self._by_folder[folder]

    def for_path(self, path: Path) -> Config | None:
        """The configuration of a checked file, or of a folder being searched for files."""
        path = path.resolve()
        return self.for_folder(path if path.is_dir() else path.parent)


__all__ = ["Config", "ConfigFinder", "read_config", "layer"]
