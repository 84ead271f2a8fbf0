"""Subcommands of the `nndoctor` CLI. Each takes parsed arguments and returns an exit code."""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Callable

from nndoctor import __version__
from nndoctor.render import RENDERERS
from nndoctor.rules import UnknownRuleError, all_rules, get_rule

EXIT_OK, EXIT_FINDINGS, EXIT_TOOL = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nndoctor",
        description="Diagnoses hand-written neural-network training code.",
    )
    parser.add_argument("--version", action="version", version=f"nndoctor {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = sub.add_parser("check", help="diagnose a model file or notebook: watch it train, check its gradients")
    check.add_argument("path", help="a .py file or a .ipynb notebook")
    check.add_argument("--format", choices=["text", "json", "html", "junit"], default="text")
    check.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE instead of stdout")
    check.add_argument("--fail-on", choices=["error", "warning", "info"], default="error",
                       help="exit with 1 when a finding is at least this severe (default: error)")
    check.add_argument("--iterations", type=int, default=300, metavar="N",
                       help="training iterations per run in the probe (default: 300)")
    check.add_argument("--seed", type=int, default=0, help="numpy's seed before the file runs, and the check's")
    check.add_argument("--timeout", type=float, default=60.0, metavar="S",
                       help="seconds the file may run before the probe stops it (default: 60)")

    demo = sub.add_parser("demo", help="diagnose the bundled example network with planted backprop bugs")
    demo.add_argument("--format", choices=sorted(RENDERERS), default="text")
    demo.add_argument("--seed", type=int, default=0, help="seed of the check's random directions")

    explain = sub.add_parser("explain", help="show the documentation of a rule (by slug or code)")
    explain.add_argument("rule", help="e.g. gradient-mismatch or NND101")

    rules = sub.add_parser("rules", help="list every rule with its code and status")
    rules.add_argument("--format", choices=["text", "json"], default="text")
    return parser


def _color() -> bool:
    return sys.stdout.isatty()


def cmd_demo(args: argparse.Namespace) -> int:
    example = importlib.import_module("nndoctor.examples.gradcheck_planted_errors")
    result = example.check(seed=args.seed)
    report = result.to_report(target="examples/gradcheck_planted_errors.py")
    render = RENDERERS[args.format]
    sys.stdout.write(render(report, color=_color()) if args.format == "text" else render(report))
    if args.format == "text":
        sys.stdout.write(
            "\nThis was a gradient check of a 3-layer network whose backward pass has two planted bugs\n"
            "(see examples/gradcheck_planted_errors.py). Check your own with:\n"
            "    nndoctor.check_gradients(cost_fn, grad_fn, parameters)\n"
        )
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
        status = "" if r.status == "active" else f"  [{r.status}]"
        print(f"{r.code}  {r.slug:<24} {r.severity_name:<8} {r.summary}{status}")
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from nndoctor.checkfile.parent import run_check

    return run_check(args)


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "check": cmd_check,
    "demo": cmd_demo,
    "explain": cmd_explain,
    "rules": cmd_rules,
}
