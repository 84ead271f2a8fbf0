"""`nndoctor check` on many files: the same per-file reports as one at a time, one summary, the
exit code of the worst file, HTML pages, and which files a folder holds."""

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from io import StringIO
from pathlib import Path

import pytest
from classkit import variant_of, write_class

from nndoctor.cli import main
from nndoctor.filewalk import collect
from nndoctor.progress import Progress
from nndoctor.render import render_batch_text
from nndoctor.results import BATCH_SCHEMA, BatchResult


def cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "nndoctor.cli", "check", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=600, stdin=subprocess.DEVNULL)


def without_timings(value):
    """A report with its wall-clock measurements taken out: the rest must be identical."""
    if isinstance(value, dict):
        return {k: without_timings(v) for k, v in value.items() if k != "seconds"}
    if isinstance(value, list):
        return [without_timings(v) for v in value]
    return value


@pytest.fixture(scope="module")
def class30(tmp_path_factory):
    """30 tiny course-style files checked with -j 2, and each of them checked alone."""
    root = tmp_path_factory.mktemp("class30")
    write_class(root / "class", 30)
    batch = cli("class", "-j", "2", "--format", "json", "-o", "batch.json", cwd=root)
    files = sorted((root / "class").glob("*.py"))

    def alone(path):
        """`nndoctor check class/FILE --format json -o ...`, through the CLI's own main() (one Python
        start-up less per file than a subprocess; the check itself is the same child process)."""
        out = root / "alone" / f"{path.stem}.json"
        code = main(["check", str(path.relative_to(root)), "--format", "json", "-o", str(out)])
        return code, json.loads(out.read_text())

    (root / "alone").mkdir()
    cwd = os.getcwd()
    os.chdir(root)  # paths in the reports are relative to where nndoctor runs, as in the batch
    try:
        with ThreadPoolExecutor(2) as pool:  # two at a time, as the batch ran them
            singles = dict(zip([f"class/{p.name}" for p in files], pool.map(alone, files)))
    finally:
        os.chdir(cwd)
    return root, batch, json.loads((root / "batch.json").read_text()), singles


def test_thirty_files_with_two_workers_give_the_reports_of_each_file_alone(class30):
    _, batch, data, singles = class30
    assert batch.stdout == "" and batch.stderr == ""  # -o: nothing on stdout; no terminal: no progress bar
    assert data["schema"] == BATCH_SCHEMA and data["summary"]["files"] == 30 and data["summary"]["workers"] == 2
    assert [f["path"] for f in data["files"]] == sorted(singles)
    for entry in data["files"]:
        code, single = singles[entry["path"]]
        assert entry["exit_code"] == code, entry["path"]
        assert without_timings(entry["report"]) == without_timings(single), entry["path"]
    verdicts = {f["path"]: (f["verdict"], [x["rule"] for x in f["report"]["findings"]]) for f in data["files"]}
    for i in range(30):
        expected = {"correct": ("pass", []), "factor": ("fail", ["gradient-mismatch"]),
                    "zeros": ("fail", ["symmetric-init"])}[variant_of(i)]
        assert verdicts[f"class/student_{i:02d}.py"] == expected
    assert batch.returncode == 1 == data["summary"]["exit_code"]  # the worst file's


def test_the_batch_document_counts_files_per_rule_most_common_first(class30):
    _, _, data, _ = class30
    assert data["summary"]["verdicts"] == {"fail": 20, "warn": 0, "pass": 10, "not-checked": 0}
    assert data["summary"]["findings"] == {"error": 20, "warning": 0, "info": 0}
    assert [(r["code"], r["rule"], r["files"], r["findings"]) for r in data["rules"]] == \
        [("NND101", "gradient-mismatch", 10, 10), ("NND401", "symmetric-init", 10, 10)]
    entry = data["files"][1]
    assert set(entry) == {"path", "status", "verdict", "exit_code", "seconds", "message", "config", "fail_on",
                          "report"}
    assert entry["report"]["schema"] == "nndoctor.report/1" and entry["status"] == "checked"


def test_the_text_summary_lists_each_file_then_the_rules_by_files(class30):
    _, _, data, _ = class30
    batch = BatchResult.from_dict(data)
    text = render_batch_text(batch)
    lines = text.splitlines()
    assert lines[0].startswith("class/student_00.py: PASS — no findings")
    assert lines[1].startswith("class/student_01.py: FAIL — 1 error")
    assert lines[2].startswith("  error   NND101 gradient-mismatch (scale)  parameter b1")
    table = lines.index("Rules by how many files have them:")
    assert lines[table + 1].startswith("  10 files  NND101 gradient-mismatch")
    assert lines[-1].startswith("30 files checked: 20 FAIL, 10 PASS")
    quiet = render_batch_text(batch, verbosity=-1).splitlines()
    assert len(quiet) == 20 + 1 + 3 + 1 + 1 and not any("PASS —" in line for line in quiet)
    verbose = render_batch_text(batch, verbosity=1)
    assert verbose.count("gradient check of") == 30 and "fix: " in verbose


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links = []

    def handle_starttag(self, tag, attrs):
        self.links += [v for k, v in attrs if tag == "a" and k == "href"]


def test_text_html_and_exit_codes_of_a_small_class(tmp_path):
    write_class(tmp_path / "class", 2)
    (tmp_path / "class" / "empty.py").write_text("x = 1\n")  # nothing to check: exit 2 for this file
    out = cli("class", "-j", "2", cwd=tmp_path)
    assert out.returncode == 2 and out.stderr == ""  # the worst file's exit code; its message is in the summary
    assert "class/empty.py: not checked — " in out.stdout and "found nothing to check" in out.stdout
    assert out.stdout.splitlines()[-1].startswith("3 files checked: 1 FAIL, 1 PASS, 1 not checked")
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        assert main(["check", "class", "-j", "2", "--format", "html", "-o", "report.html"]) == 2
    finally:
        os.chdir(cwd)
    summary = (tmp_path / "report.html").read_text()
    parser = Links()
    parser.feed(summary)
    assert len(parser.links) == 3 and all(link.startswith("report_files/") for link in parser.links)
    for link in parser.links:
        page = (tmp_path / link).read_text()
        assert page.startswith("<!DOCTYPE html>") and "href='../report.html'" in page
    assert "Rules by how many files have them" in summary and "gradient-mismatch" in summary


def test_progress_is_drawn_only_when_asked_and_erased():
    stream = StringIO()
    progress = Progress(3, enabled=True, stream=stream)
    progress.finished("pass")
    progress.finished("fail")
    progress.close()
    text = stream.getvalue()
    assert "2/3 files" in text and "1 FAIL 1 PASS" in text and text.endswith("\r")
    silent = StringIO()
    progress = Progress(3, enabled=False, stream=silent)
    progress.finished("pass")
    progress.close()
    assert silent.getvalue() == ""


# ---------------------------------------------------------------- which files


def names(files, root):
    return sorted(str(Path(f).relative_to(root)) for f in files)


def test_folders_are_searched_with_gitignore_exclude_and_configuration(tmp_path):
    for name in ("a.py", "b.ipynb", "notes.txt", "sub/c.py", "sub/keep.py", "build/d.py", "old/e.py",
                 ".hidden/f.py", ".ipynb_checkpoints/b-checkpoint.ipynb", "venv/lib/g.py", "__pycache__/h.py",
                 "drafts/i.py", "deep/er/j.py"):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("build/\nsub/*.py\n!sub/keep.py\n")
    (tmp_path / "deep" / ".gitignore").write_text("er/\n")
    (tmp_path / "pyproject.toml").write_text("[tool.nndoctor]\nexclude = ['drafts/']\n")
    found = collect([str(tmp_path)], exclude=["old"])
    assert names(found, tmp_path) == ["a.py", "b.ipynb", "sub/keep.py"]
    assert names(collect([str(tmp_path)]), tmp_path) == ["a.py", "b.ipynb", "old/e.py", "sub/keep.py"]
    # a file named on the command line is checked whatever the ignore files say; each file once
    found = collect([str(tmp_path / "build" / "d.py"), str(tmp_path), str(tmp_path / "a.py")], exclude=["old"])
    assert names(found, tmp_path) == ["a.py", "b.ipynb", "build/d.py", "sub/keep.py"]


def test_a_gitignore_above_the_folder_counts_inside_a_repository(tmp_path, monkeypatch):
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("solutions/\n")
    for name in ("class/a.py", "class/solutions/b.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    monkeypatch.chdir(tmp_path / "class")
    assert [str(p) for p in collect(["."])] == ["a.py"]


@pytest.mark.skipif(os.name != "posix", reason="file names with a newline")
def test_paths_are_kept_as_given_relative_or_absolute(tmp_path, monkeypatch):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "m.py").write_text("")
    monkeypatch.chdir(tmp_path)
    assert [str(p) for p in collect(["x"])] == ["x/m.py"]
    assert [str(p) for p in collect([str(tmp_path / "x")])] == [str(tmp_path / "x" / "m.py")]
