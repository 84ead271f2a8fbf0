"""The command line: `nndoctor check | report | demo | explain | rules | --version`. Thin over the API."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from nndoctor.commands import COMMANDS, build_parser

    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return COMMANDS[args.command](args)
    except BrokenPipeError:  # `nndoctor demo | head`: the reader left, nothing is wrong
        sys.stderr.close()
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
