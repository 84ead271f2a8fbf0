"""Rule selection as ruff does it (--select, --extend-select, --ignore by code, prefix or slug),
[tool.nndoctor] in pyproject.toml found from the checked file upwards, per-file ignores, and
inline `# nndoctor: ignore[...]` comments on the line a finding points to."""

import json
import subprocess
import sys

import pytest
from classkit import write_class

from nndoctor import Finding, Location, Report
from nndoctor.arguments import UsageError
from nndoctor.checkcommand import settings_for
from nndoctor.commands import build_parser
from nndoctor.config import ConfigFinder, read_config
from nndoctor.rules import all_rules
from nndoctor.selection import Layer, PerFileIgnores, Selection, check_selectors, layer
from nndoctor.suppress import comments, drop_suppressed

EVERY = {r.slug for r in all_rules()}


def chosen(*layers, file_ignores=()):
    return set(Selection(tuple(layers), tuple(file_ignores)).rules)


# ---------------------------------------------------------------- selectors and layers


def test_selectors_are_codes_prefixes_or_slugs_checked_against_the_registry():
    assert check_selectors(["nnd1", "Dead-ReLU", "NND301", "NND"], "x") == ["NND1", "dead-relu", "NND301", "NND"]
    for bad in ("NND8", "NND1011", "dead_relu", "E501", ""):
        with pytest.raises(UsageError, match="nndoctor rules"):
            check_selectors([bad], "--select")


def test_select_replaces_extend_select_adds_ignore_removes():
    gradients = {r.slug for r in all_rules() if r.code.startswith("NND1")}
    assert chosen() == EVERY
    assert chosen(layer(["NND1"])) == gradients
    assert chosen(layer(["NND1"], ["dead-relu"])) == gradients | {"dead-relu"}
    assert chosen(layer(None, (), ["NND1"])) == EVERY - gradients
    assert chosen(layer(["learning-rate", "NND401"])) == {"learning-rate", "symmetric-init"}


def test_the_more_specific_selector_wins_and_ignore_wins_a_tie():
    gradients = {r.slug for r in all_rules() if r.code.startswith("NND1")}
    assert chosen(layer(["NND1"], (), ["NND101"])) == gradients - {"gradient-mismatch"}
    assert chosen(layer(["NND101"], (), ["NND1"])) == {"gradient-mismatch"}  # the code is more specific
    assert chosen(layer(None, ["gradient-mismatch"], ["NND1"])) == EVERY - gradients | {"gradient-mismatch"}
    assert chosen(layer(["NND1"], (), ["NND1"])) == set()


def test_the_command_line_layer_goes_on_top_of_the_configuration():
    config = Layer(select=("NND1", "NND3"), ignore=("NND305",))
    assert "zero-gradient" not in chosen(config) and "learning-rate" in chosen(config)
    assert chosen(config, layer(None, (), ["NND3"])) == {r.slug for r in all_rules() if r.code.startswith("NND1")}
    assert chosen(config, layer(["NND4"])) == {r.slug for r in all_rules() if r.code.startswith("NND4")}
    assert "dead-relu" in chosen(config, layer(None, ["dead-relu"]))
    assert chosen(config, file_ignores=["NND1"]) == chosen(config) - {r.slug for r in all_rules()
                                                                       if r.code.startswith("NND1")}


def test_per_file_ignores_match_paths_and_file_names():
    ignores = PerFileIgnores((("solutions/*.py", ("NND6",)), ("legacy_*.py", ("init-scale",)),
                              ("drafts/", ("NND1",))))
    assert ignores.for_path("solutions/a.py") == ("NND6",)
    assert ignores.for_path("class/legacy_b.py") == ("init-scale",)
    assert ignores.for_path("drafts/deep/c.py") == ("NND1",)
    assert ignores.for_path("class/a.py") == ()


# ---------------------------------------------------------------- pyproject.toml


def namespace(*argv):
    return build_parser().parse_args(["check", "x.py", *argv])


def test_configuration_is_found_from_the_file_upwards_and_the_command_line_overrides_it(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.nndoctor]\nfail-on = "warning"\niterations = 50\ntimeout = 12.5\nseed = 3\nmemory = "2G"\n'
        'ignore = ["NND2"]\n[tool.nndoctor.per-file-ignores]\n"week1/*.py" = ["symmetric-init"]\n')
    (tmp_path / "week1" / "sub").mkdir(parents=True)
    (tmp_path / "week1" / "pyproject.toml").write_text("[project]\nname = 'no-nndoctor-table-here'\n")
    model = tmp_path / "week1" / "model.py"
    model.write_text("")
    finder = ConfigFinder()
    settings = settings_for(model, namespace(), finder, layer(None), "50%", str(tmp_path))
    assert (settings.fail_on, settings.iterations, settings.timeout, settings.seed, settings.memory) == \
        ("warning", 50, 12.5, 3, "2G")
    assert "dead-relu" not in settings.rules and "symmetric-init" not in settings.rules
    assert settings.config == "pyproject.toml"  # the one with a [tool.nndoctor] table, shown relative
    cli = namespace("--fail-on", "error", "--iterations", "7", "--memory", "1G")
    settings = settings_for(model, cli, finder, layer(["NND2"]), "50%", str(tmp_path))
    assert (settings.fail_on, settings.iterations, settings.memory, settings.timeout) == ("error", 7, "1G", 12.5)
    assert settings.rules == {"dead-relu", "saturated-activation"}
    elsewhere = tmp_path.parent / f"{tmp_path.name}-elsewhere"
    elsewhere.mkdir()
    settings = settings_for(elsewhere / "m.py", namespace(), finder, layer(None), "50%", str(tmp_path))
    assert (settings.fail_on, settings.iterations, settings.config) == ("error", 300, None)


def test_a_pyproject_without_the_table_is_passed_over_and_keys_are_checked(tmp_path):
    path = tmp_path / "pyproject.toml"
    path.write_text("[tool.ruff]\nline-length = 100\n")
    assert read_config(path) is None
    for text, expected in (('[tool.nndoctor]\nfail-on = "sometimes"\n', "expected one of error"),
                           ("[tool.nndoctor]\ntimeout = -3\n", "greater than 0"),
                           ("[tool.nndoctor]\nselect = 'NND1'\nignore = [1]\n", "list of strings"),
                           ("[tool.nndoctor]\nper-file-ignores = ['x']\n", "table of glob"),
                           ("[tool.nndoctor]\nselct = ['NND1']\n", "has no option 'selct'")):
        path.write_text(text)
        with pytest.raises(UsageError, match=expected):
            read_config(path)


# ---------------------------------------------------------------- inline comments


def test_inline_comments_name_rules_by_slug_code_or_prefix_or_all():
    source = ("W = 0  # nndoctor: ignore[symmetric-init]\n"
              "x = 1  # nndoctor: ignore[NND101, dead-relu]\n"
              "y = 2  # NNDoctor: Ignore\n"
              "s = '# nndoctor: ignore'  # only the comment counts, not the string\n"
              "z = 3  # nndoctor: ignore[NND4]\n")
    assert comments(source) == {1: {"symmetric-init"}, 2: {"NND101", "dead-relu"}, 3: {"*"}, 5: {"NND4"}}
    assert comments("s = '# nndoctor: ignore'\n") == {}


def test_inline_comments_drop_the_findings_on_their_line(tmp_path):
    (tmp_path / "m.py").write_text("a = 1  # nndoctor: ignore[NND4]\nb = 2\nc = 3  # nndoctor: ignore\n")
    nb = {"cells": [{"cell_type": "markdown", "source": "# nndoctor: ignore"},
                    {"cell_type": "code", "source": ["W1 = 0\n", "W2 = 0  # nndoctor: ignore[symmetric-init]\n"]}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "nb.ipynb").write_text(json.dumps(nb))
    report = Report(findings=[
        Finding("symmetric-init", "line 1", location=Location(file="m.py", line=1)),  # NND401 under NND4: dropped
        Finding("gradient-mismatch", "line 1 too", location=Location(file="m.py", line=1)),  # not named: kept
        Finding("dead-relu", "line 2", location=Location(file="m.py", line=2)),  # no comment: kept
        Finding("dead-relu", "line 3", location=Location(file="m.py", line=3)),  # bare comment: dropped
        Finding("symmetric-init", "cell 2 line 2", location=Location(file="nb.ipynb (cell 2)", line=2)),
        Finding("symmetric-init", "cell 2 line 1", location=Location(file="nb.ipynb (cell 2)", line=1)),
        Finding("dead-relu", "no line", location=Location(file="m.py"))])
    assert drop_suppressed(report, tmp_path) == 3
    assert [f.message for f in report.findings] == ["line 1 too", "line 2", "cell 2 line 1", "no line"]


# ---------------------------------------------------------------- end to end


def test_configuration_per_file_ignores_and_inline_comments_end_to_end(tmp_path):
    """Two files of a class: a stray factor 2 in db1 (gradient-mismatch), zero weights (symmetric-init)."""
    correct, factor, zeros = write_class(tmp_path / "class", 3)
    correct.unlink()
    zeros.rename(tmp_path / "class" / "legacy_zeros.py")
    lines = factor.read_text().splitlines()
    (line,) = [i for i, text in enumerate(lines) if "db1 = 2 * " in text]
    lines[line] += "  # nndoctor: ignore[gradient-mismatch]"
    factor.write_text("\n".join(lines) + "\n")
    (tmp_path / "pyproject.toml").write_text('[tool.nndoctor]\niterations = 60\nignore = ["NND6"]\n'
                                             '[tool.nndoctor.per-file-ignores]\n"legacy_*.py" = ["NND4"]\n')

    def check(*extra):
        out = subprocess.run([sys.executable, "-m", "nndoctor.cli", "check", "class", "--format", "json", "-j", "2",
                              *extra], cwd=tmp_path, capture_output=True, text=True, timeout=300)
        data = json.loads(out.stdout)
        return out.returncode, {f["path"]: [x["rule"] for x in f["report"]["findings"]] for f in data["files"]}, data

    # the command line's layer goes on top; the inline comment and the per-file ignore still hold
    code, found, data = check("--select", "NND1,NND4", "--ignore", "NND102")
    assert code == 0 and found == {"class/legacy_zeros.py": [], "class/student_01.py": []}, found
    assert all(f["config"] == "pyproject.toml" for f in data["files"])
    assert data["files"][0]["report"]["training"]["iterations"] == 60
    lines[line] = lines[line].replace("ignore[gradient-mismatch]", "ignore[NND4]")
    factor.write_text("\n".join(lines) + "\n")
    code, found, _ = check("--extend-select", "NND6")
    assert code == 1 and found == {"class/legacy_zeros.py": [], "class/student_01.py": ["gradient-mismatch"]}
