"""The child process of `nndoctor check`: runs the file, writes the report as JSON to a file.

    python -m nndoctor.checkfile.child PATH OUT --iterations N --seed S --timeout T

The learner's code runs here, not in the CLI's process: a crash or a hang cannot take the report
with it. A time limit raises ProbeStopped inside the learner's code (so the report says where it
was); the parent kills the process only if even that does not come back.
"""

from __future__ import annotations

import argparse
import json
import os
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
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--exact-iterations", action="store_true",
                        help="every run stops at --iterations (no run is left to finish)")
    args = parser.parse_args(argv)

    from nndoctor import budget
    from nndoctor.budget import ProbeStopped
    from nndoctor.checkfile import NothingToCheck, check_file
    from nndoctor.checkfile.source import SourceError

    def stop(signum: int, frame: object) -> None:
        # again every second: a learner's `except:` that swallowed the first one cannot hold the
        # check; not while the finished report is being put together and written
        if budget.PHASE != "report":
            raise ProbeStopped()

    def partial(report: object) -> None:
        _write(Path(args.out), {"report": report.to_dict(), "partial": True})  # type: ignore[attr-defined]

    if hasattr(signal, "setitimer"):
        signal.signal(signal.SIGALRM, stop)
        signal.setitimer(signal.ITIMER_REAL, max(args.timeout, 0.1), 1.0)
    out: dict[str, object]
    try:
        report = check_file(Path(args.path), iterations=args.iterations, seed=args.seed, timeout=args.timeout,
                            exact_iterations=args.exact_iterations, on_partial=partial)
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
        budget.PHASE = "report"
        if hasattr(signal, "setitimer"):
            signal.setitimer(signal.ITIMER_REAL, 0)
    _write(Path(args.out), out)
    sys.stdout.flush()
    sys.stderr.flush()
    # the learner's threads (a non-daemon one that never ends) must not keep the check waiting
    os._exit(0)


def _write(path: Path, document: dict[str, object]) -> None:
    """Atomically: the parent reads either the previous document or this one, never half of one."""
    temporary = path.with_name(path.name + ".writing")
    temporary.write_text(json.dumps(document), "utf-8")
    os.replace(temporary, path)


if __name__ == "__main__":
    sys.exit(main())
