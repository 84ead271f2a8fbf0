"""The child process of `nndoctor check`: runs the file, writes the report as JSON to a file.

    python -m nndoctor.checkfile.child PATH OUT --iterations N --seed S --timeout T

The learner's code runs here, not in the CLI's process: a crash or a hang cannot take the report
with it. A time limit raises ProbeStopped inside the learner's code (so the report says where it
was); the parent kills the process only if even that does not come back.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import traceback
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nndoctor.checkfile.child")
    parser.add_argument("path")
    parser.add_argument("out")
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args(argv)

    from nndoctor.budget import ProbeStopped
    from nndoctor.checkfile import NothingToCheck, check_file
    from nndoctor.checkfile.source import SourceError

    def stop(signum: int, frame: object) -> None:
        raise ProbeStopped()

    if hasattr(signal, "setitimer"):
        signal.signal(signal.SIGALRM, stop)
        signal.setitimer(signal.ITIMER_REAL, max(args.timeout, 0.1))
    out: dict[str, object]
    try:
        report = check_file(Path(args.path), iterations=args.iterations, seed=args.seed, timeout=args.timeout)
        out = {"report": report.to_dict()}
    except NothingToCheck as exc:
        out = {"nothing": str(exc)}
    except SourceError as exc:
        out = {"unreadable": str(exc)}
    except ProbeStopped:
        out = {"nothing": f"nndoctor check {args.path}: the time limit ({args.timeout:g} s) ran out before "
                          f"anything could be checked; use --timeout with more seconds."}
    except Exception:  # noqa: BLE001 - an nndoctor bug: say so plainly, with the traceback
        out = {"internal": traceback.format_exc()}
    finally:
        if hasattr(signal, "setitimer"):
            signal.setitimer(signal.ITIMER_REAL, 0)
    Path(args.out).write_text(json.dumps(out), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
