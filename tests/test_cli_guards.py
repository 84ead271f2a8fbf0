"""Everything `nndoctor check` refuses, it refuses before running anything: one line on stderr,
exit code 2, no traceback, and every file in the folder byte-identical afterwards.

The checked file writes ran.txt when it runs, so "before the check" is proven, not timed."""

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from classkit import write_class

from nndoctor.cli import main

MARKER = "open('ran.txt', 'w').write('the check ran')\n"


@pytest.fixture
def folder(tmp_path, monkeypatch):
    (model,) = write_class(tmp_path, 1)
    model.rename(tmp_path / "model.py")
    (tmp_path / "model.py").write_text(MARKER + (tmp_path / "model.py").read_text())
    (tmp_path / "victim.txt").write_text("a file nndoctor must not touch\n")
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def snapshot(folder):
    out = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(root, name)
            if path.is_symlink():
                out[str(path)] = "link -> " + os.readlink(path)
            elif path.is_file():
                out[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                out[str(path)] = "folder"
    return out


def refused(capsys, folder, *args):
    before = snapshot(folder)
    code = main(["check", *args])
    out, err = capsys.readouterr()
    assert code == 2, (args, out, err)
    assert out == "" and len(err.strip().splitlines()) == 1 and "Traceback" not in err, (args, err)
    assert snapshot(folder) == before, args  # nothing written, nothing run (no ran.txt)
    return err.strip()


def test_the_checked_file_is_never_the_output(folder, capsys):
    os.link("model.py", "hardlink.py")
    os.symlink("model.py", "link_to_model.py")
    for target in ("model.py", "./model.py", str(folder / "model.py"), "hardlink.py", "link_to_model.py"):
        assert "the file being checked" in refused(capsys, folder, "model.py", "-o", target)
    assert "the file being checked" in refused(capsys, folder, ".", "--exclude", "hardlink.py,link_to_model.py",
                                               "-o", "model.py")


def test_no_write_through_an_unexpected_symbolic_link(folder, capsys):
    os.symlink("victim.txt", "report.txt")
    os.symlink("missing.txt", "dangling.txt")
    assert "symbolic link" in refused(capsys, folder, "model.py", "-o", "report.txt")
    assert "symbolic link" in refused(capsys, folder, "model.py", "-o", "dangling.txt")
    assert not (folder / "missing.txt").exists()


def test_a_folder_a_missing_folder_and_an_unwritable_place_are_refused(folder, capsys):
    assert "is a folder" in refused(capsys, folder, "model.py", "-o", "sub")
    assert "does not exist" in refused(capsys, folder, "model.py", "-o", "nowhere/report.json")
    assert "not a folder" in refused(capsys, folder, "model.py", "-o", "victim.txt/report.json")
    if os.geteuid() == 0:  # root writes through permission bits; /proc refuses new files to everyone
        assert "cannot write" in refused(capsys, folder, "model.py", "-o", "/proc/self/report.json")
    else:
        (folder / "sub").chmod(0o500)
        try:
            assert "cannot write" in refused(capsys, folder, "model.py", "-o", "sub/report.json")
        finally:
            (folder / "sub").chmod(0o700)


def test_html_pages_of_many_files_need_a_file_name(folder, capsys):
    assert "-o" in refused(capsys, folder, ".", "--format", "html")
    (folder / "report_files").write_text("in the way\n")
    assert "not a folder" in refused(capsys, folder, ".", "--format", "html", "-o", "report.html")


@pytest.mark.parametrize("args", [
    ("--timeout", "nan"), ("--timeout", "-1"), ("--timeout", "inf"), ("--timeout", "soon"),
    ("--seed", "-1"), ("--seed", str(2**32)), ("--iterations", "0"), ("--iterations", "1.5"),
    ("--memory", "3Q"), ("--memory", "10M"), ("--memory", "150%"), ("-j", "0"),
    ("--select", "NND999"), ("--ignore", "dead-relus"), ("--extend-select", ","), ("--format", "pdf"),
    ("--color", "blue"), ("--fail-on", "severe"),
])
def test_every_argument_error_is_one_line_and_exit_2(folder, capsys, args):
    message = refused(capsys, folder, "model.py", *args)
    assert message.startswith("nndoctor check: ")


def test_paths_that_cannot_be_checked(folder, capsys):
    assert "no such file or folder" in refused(capsys, folder, "nope.py")
    assert "no such file or folder" in refused(capsys, folder, "model.py", "nope.py")  # before model.py runs
    (folder / "data.csv").write_text("1,2\n")
    assert ".ipynb" in refused(capsys, folder, "data.csv")
    assert "no .py or .ipynb file" in refused(capsys, folder, "sub")


def test_a_broken_configuration_is_refused_with_its_file(folder, capsys):
    pyproject = folder / "pyproject.toml"
    for text, expected in (("[tool.nndoctor]\nfail_on = 'warning'\n", "has no option 'fail_on'"),
                           ("[tool.nndoctor]\niterations = 0\n", "iterations"),
                           ("[tool.nndoctor]\nselect = ['NND8']\n", "'NND8' is no rule code"),
                           ("[tool.nndoctor]\nselect = 'NND1\n", "not valid TOML")):
        pyproject.write_text(text)
        message = refused(capsys, folder, "model.py")
        assert str(pyproject) in message and expected in message, message


def test_as_a_user_runs_it_one_line_no_traceback(folder):
    """The same, through the installed entry point in a process of its own."""
    for args in (("--timeout", "nan"), ("-o", "model.py")):
        out = subprocess.run([sys.executable, "-m", "nndoctor.cli", "check", "model.py", *args], capture_output=True,
                             text=True, timeout=120, stdin=subprocess.DEVNULL)
        assert out.returncode == 2 and out.stdout == "" and len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert not (folder / "ran.txt").exists()
