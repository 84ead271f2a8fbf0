"""Which tests plant each rule's bug and which run its correct twin.

`pytest -k dead_relu` selects a rule's tests: the rule's slug with ``_`` for ``-`` is in their ids
or their keywords. tests/test_rule_cases.py checks that every active rule has both kinds.

- A test that plants a bug and asserts rules report it is marked ``@pytest.mark.planted("rule", ...)``;
  a test that runs a correct twin and asserts those rules stay silent, ``@pytest.mark.twin("rule", ...)``.
  conftest.py adds the rules' keywords to the marked tests.
- The example and zoo programs say it in their ``EXPECTED`` dict: the findings they must get and their
  ``twin``. `program_params` makes one parameter per program, its id carrying the rules and its marks
  the bug-and-twin pairs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from nndoctor.rules import get_rule

Expected = dict[str, Any]


def keyword(slug: str) -> str:
    """The rule as it appears in test ids and keywords: ``dead-relu`` -> ``dead_relu`` (for ``-k``)."""
    return slug.replace("-", "_")


def severity(finding: Expected) -> str:
    """The severity an EXPECTED finding asks for: its own, else its rule's default."""
    return finding.get("severity") or get_rule(finding["rule"]).severity_name


def serious(expected: Expected, checked: Callable[[Expected], bool] = lambda f: True) -> list[str]:
    """The rules whose warnings or errors the program's test asserts (only the findings it checks)."""
    return _unique(f["rule"] for f in expected.get("findings", []) if checked(f) and severity(f) != "info")


def silent(expected: Expected, rule: str) -> bool:
    """The program's test asserts no warning and no error of ``rule``: a "pass" verdict allows
    neither, and ``absent`` names the rules it must not get."""
    if rule in serious(expected):
        return False
    return expected["verdict"] == "pass" or rule in expected.get("absent", [])


def pairs(programs: dict[Path, Expected],
          checked: Callable[[Expected], bool] = lambda f: True) -> tuple[dict[Path, list[str]], dict[Path, list[str]]]:
    """(planted, twin): for each program, the rules whose bug it plants and the rules it is the
    correct twin for. A pair is a program whose test asserts a rule's warning or error, and its
    ``twin`` (same folder), whose test asserts that rule stays silent."""
    planted: dict[Path, list[str]] = {p: [] for p in programs}
    twin: dict[Path, list[str]] = {p: [] for p in programs}
    for path, expected in programs.items():
        other = path.parent / expected["twin"] if expected.get("twin") else None
        if other not in programs:
            continue
        for rule in serious(expected, checked):
            if silent(programs[other], rule):
                planted[path] = _unique([*planted[path], rule])
                twin[other] = _unique([*twin[other], rule])
    return planted, twin


def program_params(programs: dict[Path, Expected], label: Callable[[Path], str],
                   checked: Callable[[Expected], bool] = lambda f: True,
                   marks: Callable[[Path], list[Any]] = lambda p: []) -> list[Any]:
    """One ``pytest.param(path)`` per program. Its id: the label, the rules of the findings the test
    checks, then ``twin`` and the rules it is the correct twin for (``zero_init.py-symmetric_init``,
    ``correct_he_init.py-twin-symmetric_init-non_finite-init_scale``); its marks: ``planted`` and
    ``twin`` for each pair (see `pairs`)."""
    planted, twin = pairs(programs, checked)
    params = []
    for path, expected in programs.items():
        named = _unique(f["rule"] for f in expected.get("findings", []) if checked(f))
        parts = [label(path), *map(keyword, named)]
        if twin[path]:
            parts += ["twin", *map(keyword, twin[path])]
        own = list(marks(path))
        if planted[path]:
            own.append(pytest.mark.planted(*planted[path]))
        if twin[path]:
            own.append(pytest.mark.twin(*twin[path]))
        params.append(pytest.param(path, id="-".join(parts), marks=own))
    return params


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
