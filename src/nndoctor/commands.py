"""Subcommands of the `nndoctor` CLI. Each takes parsed arguments and returns an exit code."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nndoctor import __version__, arguments
from nndoctor.arguments import Parser
from nndoctor.render import FORMATS, RENDERERS
from nndoctor.rules import UnknownRuleError, all_rules, get_rule
from nndoctor.terminal import COLOR_MODES, use_color

EXIT_OK, EXIT_FINDINGS, EXIT_TOOL = 0, 1, 2


def _output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=FORMATS, default="text",
                        help="text (default), json, html, junit, sarif (SARIF 2.1.0) or github (Actions annotations)")
    parser.add_argument("-o", "--output-file", "--output", dest="output", metavar="FILE",
                        help="write the report to FILE instead of stdout (never over a checked file or through a "
                             "symbolic link)")
    parser.add_argument("--color", choices=COLOR_MODES, default="auto",
                        help="colour the text output: auto (a terminal, unless NO_COLOR is set; FORCE_COLOR forces "
                             "it), always or never")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="nndoctor", description="Diagnoses hand-written neural-network training code.")
    parser.add_argument("--version", action="version", version=f"nndoctor {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = sub.add_parser("check", help="diagnose model files or notebooks: watch them train, check their gradients",
                           description="Diagnose model files or notebooks: run each in its own process, watch its "
                                       "training, check its gradients. Options left out come from [tool.nndoctor] in "
                                       "the closest pyproject.toml above each file.")
    check.add_argument("paths", nargs="+", metavar="PATH", help="a .py file, a .ipynb notebook or a folder of them")
    _output_options(check)
    check.add_argument("--fail-on", choices=["error", "warning", "info"], default=None,
                       help="exit with 1 when a finding is at least this severe (default: error)")
    check.add_argument("--iterations", type=arguments.iterations, default=None, metavar="N",
                       help="training iterations per run in the probe (default: 300)")
    check.add_argument("--seed", type=arguments.seed, default=None, metavar="N",
                       help="numpy's seed before the file runs, and the check's (default: 0)")
    check.add_argument("--timeout", type=arguments.seconds, default=None, metavar="S",
                       help="seconds each file may run before the probe stops it (default: 30; a run that would end soon after is left to end)")
    check.add_argument("--memory", type=arguments.memory, default=None, metavar="SIZE",
                       help="memory limit of each check's process: 4G, 512M, 25%% of the machine, or none "
                            "(default: half the machine's memory, shared by the checks running at once)")
    check.add_argument("-j", "--jobs", type=arguments.jobs, default=None, metavar="N",
                       help="files checked at once, each in its own process (default: the number of cores)")
    check.add_argument("--scheduler", metavar="ADDRESS",
                       help="run each file's check as a task on this Dask scheduler (pip install 'nndoctor[dask]')")
    check.add_argument("--exclude", type=arguments.patterns, action="extend", metavar="PATTERNS",
                       help="gitignore-style patterns of files and folders to skip in folders (comma-separated)")
    check.add_argument("--select", type=arguments.rule_list, action="extend", metavar="RULES",
                       help="report only these rules: codes (NND301), prefixes (NND3) or names (learning-rate)")
    check.add_argument("--extend-select", type=arguments.rule_list, action="extend", metavar="RULES",
                       help="report these rules too, on top of the selection")
    check.add_argument("--ignore", type=arguments.rule_list, action="extend", metavar="RULES",
                       help="do not report these rules")
    check.add_argument("-q", "--quiet", action="count", default=0,
                       help="less output: one line per finding (per file, with several files), no progress")
    check.add_argument("-v", "--verbose", action="count", default=0, help="more output: full reports, notes")

    rep = sub.add_parser("report", help="diagnose a training trace written by Doctor(trace=...)")
    rep.add_argument("path", help="an .h5 trace file")
    _output_options(rep)
    rep.add_argument("--fail-on", choices=["error", "warning", "info"], default="error")

    demo = sub.add_parser("demo", help="diagnose bundled example files, each with a known bug (or none)")
    demo.add_argument("example", nargs="?", help="one example by name (see --list); default: a short tour")
    demo.add_argument("--list", action="store_true", help="list the bundled examples")
    demo.add_argument("--format", choices=FORMATS, default="text")
    demo.add_argument("--seed", type=arguments.seed, default=0, help="seed of the check's random directions")
    demo.add_argument("--color", choices=COLOR_MODES, default="auto")

    explain = sub.add_parser("explain", help="show the documentation of a rule (by slug or code)")
    explain.add_argument("rule", help="e.g. gradient-mismatch or NND101")

    rules = sub.add_parser("rules", help="list every rule with its code and status")
    rules.add_argument("--format", choices=["text", "json"], default="text")
    return parser


DEMO_TOUR = ("lr_too_high", "zero_init", "l2_gradient_term_missing", "correct_deep")
DEMO_SINGLE = "lr_too_high"  # what --format json/html/junit shows when no example is named


def _examples() -> dict[str, Any]:
    from importlib import resources

    folder = resources.files("nndoctor.examples")
    return {p.name[:-3]: p for p in sorted(folder.iterdir(), key=lambda p: p.name)
            if p.name.endswith(".py") and not p.name.startswith("_")}


def _summary(path: Any) -> str:
    import ast

    doc = ast.get_docstring(ast.parse(path.read_text("utf-8"))) or ""
    paragraph = " ".join(doc.strip().split("\n\n")[0].split())
    return paragraph if len(paragraph) <= 110 else paragraph[:107].rsplit(" ", 1)[0] + "..."


def cmd_demo(args: argparse.Namespace) -> int:
    examples = _examples()
    if args.list:
        width = max(map(len, examples))
        for name, path in examples.items():
            print(f"{name:<{width}}  {_summary(path)}")
        return EXIT_OK
    if args.example is not None and args.example not in examples:
        print(f"nndoctor demo: no example named {args.example!r}; `nndoctor demo --list` shows them.", file=sys.stderr)
        return EXIT_TOOL
    if args.example == "gradcheck_planted_errors":
        report = importlib.import_module("nndoctor.examples.gradcheck_planted_errors").check(seed=args.seed) \
            .to_report(target="examples/gradcheck_planted_errors.py")
        return _show(report, args)
    names = [args.example] if args.example else ([DEMO_SINGLE] if args.format != "text" else list(DEMO_TOUR))
    import contextlib

    from nndoctor.checkfile import check_file

    for i, name in enumerate(names):
        # locations read examples/<file>.py wherever nndoctor is installed
        with contextlib.chdir(Path(str(examples[name])).parent.parent):
            report = check_file(Path("examples") / f"{name}.py", seed=args.seed)
        report.target = f"examples/{name}.py"
        if i:
            sys.stdout.write("\n" + "-" * 100 + "\n\n")
        _show(report, args)
    if args.format == "text":
        sys.stdout.write(
            "\nThese were `nndoctor check` runs on example files bundled with nndoctor, each written the way\n"
            "learners write them (`nndoctor demo --list` shows all of them). Check your own file with:\n"
            "    nndoctor check my_model.py        (or a notebook: nndoctor check my_notebook.ipynb)\n")
    return EXIT_OK


def _show(report: Any, args: argparse.Namespace) -> int:
    render = RENDERERS[args.format]
    text = render(report, color=use_color(args.color, sys.stdout)) if args.format == "text" else render(report)
    sys.stdout.write(text)
    return EXIT_OK


def cmd_explain(args: argparse.Namespace) -> int:
    try:
        rule = get_rule(args.rule)
    except UnknownRuleError as err:
        print(f"nndoctor explain: {err}", file=sys.stderr)
        return EXIT_TOOL
    sys.stdout.write(rule.doc if rule.doc.endswith("\n") else rule.doc + "\n")
    return EXIT_OK


def cmd_rules(args: argparse.Namespace) -> int:
    if args.format == "json":
        import json

        data = [{"code": r.code, "rule": r.slug, "family": r.family, "severity": r.severity_name,
                 "status": r.status, "summary": r.summary, "kinds": list(r.kinds)} for r in all_rules()]
        print(json.dumps(data, indent=2))
        return EXIT_OK
    for r in all_rules():
        print(f"{r.code}  {r.slug:<24} {r.severity_name:<8} {r.summary}")
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from nndoctor.diagnosis import Evidence, diagnose
    from nndoctor.outputfile import OutputFile
    from nndoctor.tracefile import TraceFileError, read_trace

    output = OutputFile.check(args.output, checked=[Path(args.path)], command="nndoctor report") if args.output else None
    try:
        trace = read_trace(args.path)
    except TraceFileError as err:
        from nndoctor.render.escape import printable

        print(printable(f"nndoctor report: {err}"), file=sys.stderr)
        return EXIT_TOOL
    report = diagnose(Evidence(target=args.path, trace=trace))
    if args.format == "text":
        text = RENDERERS["text"](report, color=use_color(args.color, None if output else sys.stdout))
    else:
        text = RENDERERS[args.format](report, fail_on=args.fail_on)
    if output is not None:
        output.write(text)
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return EXIT_FINDINGS if report.at_or_above(args.fail_on) else EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from nndoctor.checkcommand import cmd_check as check

    return check(args)


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "check": cmd_check,
    "report": cmd_report,
    "demo": cmd_demo,
    "explain": cmd_explain,
    "rules": cmd_rules,
}
