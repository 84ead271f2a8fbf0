"""Stands in for `nndoctor.checkfile.child` in the tests of the parent process: it takes the same
arguments (PATH OUT --iterations N --seed S --timeout T) and does what PATH's file name says, to
act out what a real child (or the learner's program inside it) can do to the CLI."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path


def report(target, message):
    return {"report": {"schema": "nndoctor.report/1", "target": target, "verdict": "warn",
                       "findings": [{"code": "NND201", "rule": "dead-relu", "severity": "warning", "message": message,
                                     "location": {"layer": 1}, "evidence": {}, "fix": ""}],
                       "probe": {"checked": True}}}


def grandchild(path):
    """A process of the learner's program that holds the child's stdout and stderr and never ends."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    Path(path).with_suffix(".pid").write_text(str(process.pid))


def main():
    path, out = sys.argv[1], Path(sys.argv[2])
    name = Path(path).stem
    if name == "partial_then_hang":  # a partial report, then a hang the child's own time limit misses
        out.write_text(json.dumps(report(path, "measured before the hang")))
        grandchild(path)
        while True:
            time.sleep(1)
    elif name == "grandchild_keeps_pipes":  # finishes, but leaves a process holding the pipes
        grandchild(path)
        out.write_text(json.dumps(report(path, "final")))
    elif name == "prints_a_lot":  # 60 MB on stdout, then the report
        chunk = "x" * 999_999 + "\n"
        for _ in range(60):
            sys.stdout.write(chunk)
        sys.stdout.flush()
        out.write_text(json.dumps(report(path, "after printing")))
    elif name == "killed_while_writing":  # the final report cut short, as a kill in the middle of a write leaves it
        out.write_text(json.dumps(report(path, "the first, complete report")))
        time.sleep(0.5)
        out.write_text(json.dumps(report(path, "the final report"))[:40])
        os._exit(9)
    elif name == "alarm_spent_early":  # its one-shot time limit goes off before the loop and is swallowed
        import signal

        class TimeUp(BaseException):
            pass

        def time_up(signum, frame):
            raise TimeUp

        signal.signal(signal.SIGALRM, time_up)
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        try:
            time.sleep(0.5)
        except TimeUp:
            pass  # spent where nothing listens for it
        try:
            while True:
                pass
        except TimeUp:
            out.write_text(json.dumps(report(path, "stopped by a second alarm")))
    elif name == "ignores_alarms":  # no handler: SIGALRM would end it, so it must never be sent one
        while True:
            time.sleep(0.1)
    elif name == "nothing":
        out.write_text(json.dumps({"nothing": f"nndoctor check {path}: found nothing to check."}))
    elif name == "internal":
        out.write_text(json.dumps({"internal": "Traceback (most recent call last):\n  ...\nKeyError: 'x'"}))
    elif name == "segfault":
        os.kill(os.getpid(), 11)
    return 0


if __name__ == "__main__":
    sys.exit(main())
