"""Which rules a check reports: ``--select``, ``--extend-select``, ``--ignore``, as ruff does it.

A selector is a rule code (``NND301``), a code prefix (``NND3``, ``NND``: a family, or all) or a
rule's slug (``learning-rate``). Selections come in layers, the configuration file's first and the
command line's on top: a layer with ``select`` starts over from it, ``extend-select`` adds to what
the layers below chose, and ``ignore`` takes away. Within a layer, when a rule is both selected and
ignored, the more specific selector wins (a slug or a full code over a prefix); on a tie, ignore
wins. With no ``select`` anywhere, every rule is selected.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from nndoctor.arguments import UsageError
from nndoctor.rules import CODE_PATTERN, all_rules, get_rule

ALL = "NND"


def _specificity(selector: str, slug: str) -> int:
    """How closely ``selector`` names the rule ``slug``: 0 not at all, else longer is closer."""
    rule = get_rule(slug)
    if selector == slug:
        return 100
    text = selector.upper()
    return len(text) if rule.code.startswith(text) else 0


def check_selectors(selectors: Iterable[str], where: str) -> list[str]:
    """The selectors, each checked to name at least one rule; a one-line `UsageError` otherwise."""
    out = []
    for selector in selectors:
        name = selector.strip()
        lowered = name.lower()
        if lowered in {r.slug for r in all_rules()}:
            out.append(lowered)
        elif name.upper().startswith(ALL) and any(r.code.startswith(name.upper()) for r in all_rules()):
            out.append(name.upper())
        else:
            hint = " (a code looks like NND301, a family like NND3)" if not CODE_PATTERN.match(name.upper()) else ""
            raise UsageError(f"{where}: {name!r} is no rule code, code prefix or rule name{hint}; "
                             f"`nndoctor rules` lists them.")
    return out


@dataclass(frozen=True)
class Layer:
    """One source's choice: the configuration file's, or the command line's."""

    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()

    def apply(self, chosen: set[str]) -> set[str]:
        out = set(chosen)
        if self.select is not None:
            out = set()
        picks = (self.select or ()) + self.extend_select
        for rule in all_rules():
            pick = max((_specificity(s, rule.slug) for s in picks), default=0)
            drop = max((_specificity(s, rule.slug) for s in self.ignore), default=0)
            if pick and pick > drop:
                out.add(rule.slug)
            elif drop and drop >= pick:
                out.discard(rule.slug)
        return out


@dataclass(frozen=True)
class Selection:
    """The rules a file's report keeps, and its per-file ignores (slugs)."""

    layers: tuple[Layer, ...] = ()
    file_ignores: tuple[str, ...] = ()

    @property
    def rules(self) -> frozenset[str]:
        chosen = {r.slug for r in all_rules()}
        for layer in self.layers:
            chosen = layer.apply(chosen)
        ignored = {r.slug for r in all_rules() if any(_specificity(s, r.slug) for s in self.file_ignores)}
        return frozenset(chosen - ignored)

    def keeps(self, slug: str) -> bool:
        return slug in self.rules


@dataclass(frozen=True)
class PerFileIgnores:
    """``per-file-ignores`` of pyproject.toml: glob -> selectors, globs relative to its folder."""

    entries: tuple[tuple[str, tuple[str, ...]], ...] = field(default_factory=tuple)

    def for_path(self, relative: str) -> tuple[str, ...]:
        """The selectors ignored for a file at ``relative`` (a POSIX path from the config's folder)."""
        path = PurePosixPath(relative)
        out: list[str] = []
        for pattern, selectors in self.entries:
            if _glob_matches(pattern, path):
                out += selectors
        return tuple(out)


def _glob_matches(pattern: str, path: PurePosixPath) -> bool:
    """A glob against the whole relative path, or (for a pattern without a slash) the file name."""
    pattern = pattern.removeprefix("./")
    if fnmatch.fnmatchcase(str(path), pattern):
        return True
    if pattern.endswith("/") or pattern.endswith("/**"):  # a folder: everything below it
        folder = pattern.rstrip("*").rstrip("/")
        return str(path).startswith(folder + "/")
    return "/" not in pattern and fnmatch.fnmatchcase(path.name, pattern)


def layer(select: Sequence[str] | None, extend_select: Sequence[str] = (), ignore: Sequence[str] = (),
          where: str = "the command line") -> Layer:
    return Layer(select=None if select is None else tuple(check_selectors(select, where)),
                 extend_select=tuple(check_selectors(extend_select, where)),
                 ignore=tuple(check_selectors(ignore, where)))
