"""The command line: `nndoctor check | report | demo | explain | rules | --version`. Thin over the API."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from nndoctor.arguments import UsageError
    from nndoctor.commands import COMMANDS, build_parser
    from nndoctor.render.escape import printable

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 2
        return COMMANDS[args.command](args)
    except UsageError as err:  # a value nndoctor cannot use: one line, exit code 2, no traceback
        print(printable(err), file=sys.stderr)
        return 2
    except SystemExit as done:  # --help and --version end here
        return done.code if isinstance(done.code, int) else 0
    except BrokenPipeError:  # `nndoctor demo | head`: the reader left, nothing is wrong
        sys.stderr.close()
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
