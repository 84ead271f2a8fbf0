"""`nndoctor check PATH...`: every argument checked, then the files, then the output.

Everything that can be refused is refused before any file is run (one line on stderr, exit code 2):
option values, paths, ``-o``, pyproject.toml, rule selectors. One file given alone gets the single
report of DESIGN.md (``nndoctor.report/1`` in JSON); several files or a folder get one summary
(``nndoctor.batch/1`` in JSON) and the exit code of the worst file.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from nndoctor.arguments import UsageError
from nndoctor.batch import Task, cores, dask_client, dask_threads, run_dask, run_local
from nndoctor.checkfile.parent import CheckSettings, check_one
from nndoctor.config import ConfigFinder
from nndoctor.filewalk import collect
from nndoctor.outputfile import OutputFile, check_folder, write_atomically
from nndoctor.progress import Progress
from nndoctor.render import BATCH_RENDERERS, RENDERERS
from nndoctor.render.escape import printable
from nndoctor.render.html import render_html
from nndoctor.results import CHECKED, EXIT_TOOL, BatchResult, FileResult
from nndoctor.selection import Layer, Selection, layer
from nndoctor.terminal import is_terminal, use_color

DEFAULTS = {"iterations": 300, "seed": 0, "timeout": 30.0, "fail_on": "error"}
CI_FORMATS = ("json", "junit", "sarif", "github")  # a CI job gets its file even when nothing was checked


@dataclass(frozen=True)
class Plan:
    files: list[Path]
    many: bool
    output: OutputFile | None
    pages: Path | None  # the folder of per-file HTML pages, for --format html with many files


def verbosity(args: argparse.Namespace) -> int:
    return max(-1, min(1, (args.verbose or 0) - (args.quiet or 0)))


def plan(args: argparse.Namespace, configs: ConfigFinder) -> Plan:
    files = collect(args.paths, exclude=args.exclude or (), configs=configs)
    many = len(args.paths) > 1 or any(Path(p).is_dir() for p in args.paths)
    if not files:
        raise UsageError(f"nndoctor check: no .py or .ipynb file found in {', '.join(args.paths)} "
                         f"(after --exclude and .gitignore).")
    output = OutputFile.check(args.output, checked=files) if args.output else None
    pages = None
    if many and args.format == "html":
        if output is None or output.stream:
            raise UsageError("nndoctor check: --format html with several files writes a summary page and a page per "
                             "file: give the summary's file name with -o, e.g. -o report.html.")
        pages = pages_folder(output.path)
        if pages.is_symlink() or (pages.exists() and not pages.is_dir()):
            raise UsageError(f"nndoctor check: -o {args.output}: the pages go to {pages}, which exists and is not a "
                             f"folder; choose another name.")
    return Plan(files, many, output, pages)


def pages_folder(summary: Path) -> Path:
    return summary.with_name(summary.stem + "_files")


def settings_for(path: Path, args: argparse.Namespace, configs: ConfigFinder, cli: Layer, memory: str,
                 cwd: str) -> CheckSettings:
    """The command line over the file's pyproject.toml over the defaults."""
    config = configs.for_path(path)

    def pick(name: str):
        value = getattr(args, name)
        if value is None and config is not None:
            value = getattr(config, name)
        return DEFAULTS[name] if value is None else value

    layers: tuple[Layer, ...] = (cli,)
    file_ignores: tuple[str, ...] = ()
    if config is not None:
        layers = (config.selection, cli)
        try:
            relative = path.resolve().relative_to(config.root).as_posix()
        except ValueError:
            relative = path.name
        file_ignores = config.per_file_ignores.for_path(relative)
    selection = Selection(layers, file_ignores)
    memory_value = args.memory or (config.memory if config is not None and config.memory else memory)
    asked = args.iterations is not None or (config is not None and config.iterations is not None)
    return CheckSettings(iterations=pick("iterations"), exact_iterations=asked, seed=pick("seed"), timeout=pick("timeout"),
                         memory=memory_value, fail_on=pick("fail_on"), rules=selection.rules, cwd=cwd,
                         config=_shown(config.path, cwd) if config is not None else None)


def _shown(path: Path, cwd: str) -> str:
    relative = os.path.relpath(path, cwd)
    return str(path) if relative.startswith("..") else relative


def cmd_check(args: argparse.Namespace) -> int:
    configs = ConfigFinder()
    the_plan = plan(args, configs)
    cli = layer(args.select, args.extend_select or (), args.ignore or (), where="nndoctor check")
    cwd = os.getcwd()
    client = dask_client(args.scheduler) if args.scheduler else None
    try:
        if client is not None:
            workers, at_once = sum(client.nthreads().values()), dask_threads(client)
        else:
            workers = at_once = (args.jobs or cores()) if the_plan.many else 1
        memory = f"{50 / at_once:.3g}%"  # half the machine, shared by the checks that run at once on it
        tasks = [(str(p), settings_for(p, args, configs, cli, memory, cwd)) for p in the_plan.files]
        started = time.monotonic()
        results = _run(tasks, the_plan.many, workers, client, show=verbosity(args) >= 0 and is_terminal(sys.stderr))
    except KeyboardInterrupt:
        print("nndoctor check: interrupted; the checks that were running were stopped.", file=sys.stderr)
        return EXIT_TOOL
    finally:
        if client is not None:
            client.close()
    if not the_plan.many:
        return _emit_single(results[0], args, the_plan)
    batch = BatchResult(results, seconds=time.monotonic() - started, workers=workers, scheduler=args.scheduler,
                        settings=_cli_settings(args))
    return _emit_batch(batch, args, the_plan)


def _run(tasks: list[Task], many: bool, workers: int, client, show: bool) -> list[FileResult]:
    """Every file's check, here or on the Dask cluster, with the progress line on a terminal."""
    progress = Progress(len(tasks), enabled=show, label=tasks[0][0])

    def done(result: FileResult) -> None:
        progress.finished(result.verdict)

    try:
        if client is not None:
            return run_dask(tasks, client, done)
        if not many:
            return [check_one(*tasks[0])]
        return run_local(tasks, workers, done)
    finally:
        progress.close()


def _cli_settings(args: argparse.Namespace) -> dict:
    names = ("iterations", "seed", "timeout", "memory", "fail_on", "select", "extend_select", "ignore", "exclude",
             "jobs", "scheduler")
    return {name: getattr(args, name) for name in names}


def write_output(text: str, output: OutputFile | None) -> None:
    if output is not None:
        output.write(text)
    else:
        sys.stdout.write(text if text.endswith("\n") or not text else text + "\n")


def _emit_single(result: FileResult, args: argparse.Namespace, the_plan: Plan) -> int:
    fmt = args.format
    if result.message is not None and result.status != CHECKED:
        print(printable(result.message), file=sys.stderr)
        if fmt not in CI_FORMATS:
            return result.exit_code
    if fmt == "text":
        color = use_color(args.color, None if the_plan.output else sys.stdout)
        text = RENDERERS["text"](result.to_report(), color=color, verbosity=verbosity(args))
    elif fmt in ("junit", "sarif", "github"):
        text = RENDERERS[fmt](result)
    else:
        text = RENDERERS[fmt](result.to_report())
    write_output(text, the_plan.output)
    return result.exit_code


def _page_name(index: int, path: str) -> str:
    return f"{index:03d}-{re.sub(r'[^A-Za-z0-9_.-]+', '_', path).strip('_')[:80]}.html"


def _write_pages(batch: BatchResult, summary: Path, pages: Path) -> list[str]:
    """A page per file in ``pages``, each linking back to the summary; their addresses, relative."""
    pages.mkdir(exist_ok=True)
    check_folder(pages, f"nndoctor check: {pages}")
    links = []
    for i, result in enumerate(batch.files):
        name = _page_name(i + 1, result.path)
        write_atomically(pages / name, render_html(result.to_report(), back=(f"../{summary.name}", "all files")))
        links.append(f"{pages.name}/{name}")
    return links


def _emit_batch(batch: BatchResult, args: argparse.Namespace, the_plan: Plan) -> int:
    fmt = args.format
    if fmt == "html" and the_plan.output is not None and the_plan.pages is not None:  # plan() required both
        links = _write_pages(batch, the_plan.output.path, the_plan.pages)
        text = BATCH_RENDERERS["html"](batch, links=links)
    elif fmt == "text":
        color = use_color(args.color, None if the_plan.output else sys.stdout)
        text = BATCH_RENDERERS["text"](batch, color=color, verbosity=verbosity(args))
    else:
        text = BATCH_RENDERERS[fmt](batch)
    write_output(text, the_plan.output)
    return batch.exit_code
