"""Every active rule has a test that plants its bug and a test of the correct twin (see rulecases.py).

The cases are read off the tests themselves: the ``planted`` and ``twin`` marks of the test
functions and of their parameters, the example and zoo programs' included (their marks come from
the bug-and-twin pairs their ``EXPECTED`` dicts document).
"""

from __future__ import annotations

import importlib
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from nndoctor.rules import all_rules

TESTS = Path(__file__).parent

# rule -> why it has no planted bug or no correct twin (none so far: add the tests instead)
EXEMPT: dict[str, str] = {}


def _cases(func: Any) -> list[tuple[str, list[Any]]]:
    """(name, marks) of a test function and of each of its parameters that carries marks."""
    own = list(getattr(func, "pytestmark", []))
    cases = [(func.__name__, own)]
    for mark in own:
        if mark.name != "parametrize":
            continue
        values = mark.args[1] if len(mark.args) > 1 else mark.kwargs.get("argvalues", [])
        for value in values:
            marks = getattr(value, "marks", None)
            if marks:
                cases.append((f"{func.__name__}[{value.id}]", [*own, *marks]))
    return cases


def declared() -> tuple[dict[str, list[str]], dict[str, list[str]], list[str]]:
    """(planted, twin, skipped modules): the tests marked for each rule, by slug."""
    found: dict[str, dict[str, list[str]]] = {"planted": defaultdict(list), "twin": defaultdict(list)}
    skipped = []
    for path in sorted(TESTS.glob("test_*.py")):
        try:
            module = importlib.import_module(path.stem)
        except pytest.skip.Exception:  # a module that needs an optional library
            skipped.append(path.name)
            continue
        for name, func in vars(module).items():
            if not name.startswith("test_") or not callable(func):
                continue
            for case, marks in _cases(func):
                if any(m.name in ("xfail", "skip") for m in marks):
                    continue  # a case expected to fail proves nothing
                for mark in marks:
                    if mark.name in found:
                        for slug in mark.args:
                            found[mark.name][slug].append(f"{path.name}::{case}")
    return found["planted"], found["twin"], skipped


def test_every_active_rule_has_a_planted_bug_and_a_correct_twin():
    planted, twin, skipped = declared()
    active = {r.slug for r in all_rules() if r.status == "active"}
    assert set(planted) | set(twin) <= {r.slug for r in all_rules()}, "a mark names an unknown rule"
    missing = {slug: [what for what, tests in (("planted bug", planted), ("correct twin", twin)) if not tests.get(slug)]
               for slug in sorted(active - set(EXEMPT))}
    missing = {slug: what for slug, what in missing.items() if what}
    assert missing == {}, f"rules without tests (modules skipped: {skipped or 'none'})"
    assert set(EXEMPT) <= active and all(EXEMPT.values()), "an exemption names an active rule and says why"


def test_the_rule_cases_include_the_example_and_zoo_pairs():
    planted, twin, _ = declared()
    zoo = "test_zoo.py::test_zoo_program_gets_its_documented_diagnosis"
    assert f"{zoo}[scripts/scr_slow_minibatch_bug.py-mini_batch]" in planted["mini-batch"]
    assert f"{zoo}[scripts/scr_slow_minibatch_ok.py-twin-mini_batch]" in twin["mini-batch"]
    check = "test_examples_check.py::test_check_gives_the_documented_diagnosis"
    assert f"{check}[zero_init.py-symmetric_init]" in planted["symmetric-init"]
    assert any(case.startswith(f"{check}[correct_he_init.py-twin-") for case in twin["symmetric-init"])


def test_every_twin_a_program_names_is_one_of_the_programs():
    import test_examples_check
    import test_zoo

    programs = {p: test_zoo.expected(p) for p in test_zoo.programs()}
    examples = sorted(p for p in test_examples_check.EXAMPLES.glob("*.py")
                      if p.name not in test_examples_check.NOT_MODELS)
    programs.update({p: test_examples_check.expected(p) for p in examples})
    dangling = {f"{p.parent.name}/{p.name}": e["twin"] for p, e in programs.items()
                if e.get("twin") and p.parent / e["twin"] not in programs}
    assert dangling == {}
    bugs_without_twin = sorted(p.name for p, e in programs.items() if e["verdict"] != "pass" and not e.get("twin"))
    # sigmoid_derivative_wrong.py: its field-guide case has its correct twins in the zoo
    # (scr_network_class_ok.py, shp_per_example_ok.py, shp_trainer_wrapper_ok.py)
    assert bugs_without_twin == ["sigmoid_derivative_wrong.py"]

