"""Running the check's child process so that nothing it does can hurt the CLI or lose the report.

- **Its own process group** (a new session): when the child ends, or the deadline passes, the
  whole group is killed, so a grandchild the learner's program started cannot outlive the check.
  The CLI waits for the child process itself, never for its pipes to close (a grandchild holding
  them used to keep the CLI waiting until the time limit, then throw the finished report away).
- **A memory limit** (``RLIMIT_AS``), set by a two-line trampoline that ``exec``\\ s the child:
  `preexec_fn` is unsafe in a parent with threads, and a batch run has one per worker.
- **Bounded capture** of stdout and stderr: the first and the last few kilobytes are kept, the
  rest is counted and dropped (a program printing 60 MB made the CLI peak at 3.9 GB).
- **The latest complete report**: the child may write its JSON file more than once (a partial
  report, then the final one); the file is read whenever it changes, and the last version that
  parses is kept, so a child killed in the middle of a write still leaves the one before.
- **A reminder of the time limit**: the child stops the learner's code with its own one-shot
  ``SIGALRM``. On a loaded machine that alarm can be spent before the training loop starts (then
  the loop runs until the child is killed and its diagnosis is lost). So once the child's limit is
  past and it has written no report yet, the parent sends ``SIGALRM`` again every second, but only
  to a child that catches the signal (``/proc/PID/status``), where it means "time is up".
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

HEAD_BYTES, TAIL_BYTES = 16 * 1024, 64 * 1024
POLL_SECONDS = 0.1

# sets the limit and becomes the child; run with -I so that no file of the working directory is imported
_TRAMPOLINE = ("import os, resource, sys\n"
               "limit = int(sys.argv[1])\n"
               "try:\n"
               "    hard = resource.getrlimit(resource.RLIMIT_AS)[1]\n"
               "    limit = limit if hard == resource.RLIM_INFINITY else min(limit, hard)\n"
               "    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))\n"
               "except (ValueError, OSError, AttributeError):\n"
               "    pass\n"
               "os.execv(sys.argv[2], sys.argv[2:])\n")


class BoundedCapture:
    """Reads a pipe to its end on a thread, keeping its first and last bytes only."""

    def __init__(self, pipe: IO[bytes]) -> None:
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0
        self._pipe = pipe
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            while chunk := self._pipe.read1(65536):  # type: ignore[attr-defined]
                self.total += len(chunk)
                room = HEAD_BYTES - len(self.head)
                if room > 0:
                    self.head += chunk[:room]
                    chunk = chunk[room:]
                if chunk:
                    self.tail += chunk
                    del self.tail[:-TAIL_BYTES]
        except (OSError, ValueError):
            pass  # the pipe was closed under us: what was read is kept

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)
        if not self._thread.is_alive():
            self._pipe.close()

    def text(self) -> str:
        dropped = self.total - len(self.head) - len(self.tail)
        middle = f"\n[... {dropped} bytes not kept ...]\n".encode() if dropped > 0 else b""
        return (bytes(self.head) + middle + bytes(self.tail)).decode("utf-8", errors="replace")


@dataclass
class ChildRun:
    returncode: int | None  # None: still running at the deadline, killed
    killed: bool
    seconds: float
    output: dict[str, Any] | None  # the last complete JSON document the child wrote
    stdout: str
    stderr: str
    stdout_bytes: int
    stderr_bytes: int
    memory_limit: int | None

    @property
    def signal_name(self) -> str | None:
        if self.returncode is None or self.returncode >= 0:
            return None
        try:
            return signal.Signals(-self.returncode).name
        except ValueError:
            return f"signal {-self.returncode}"


class _ReportFile:
    """The child's output file, re-read whenever it changes; keeps the last version that parses."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.latest: dict[str, Any] | None = None
        self._stamp: tuple[int, int] | None = None

    def poll(self) -> None:
        try:
            info = self.path.stat()
        except OSError:
            return
        stamp = (info.st_mtime_ns, info.st_size)
        if stamp == self._stamp:
            return
        self._stamp = stamp
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except (OSError, ValueError):
            self._stamp = None  # half written: read it again next time
            return
        if isinstance(data, dict):
            self.latest = data


_LIVE: set[int] = set()  # process groups of running children, for `kill_all`
_LIVE_LOCK = threading.Lock()


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def kill_all() -> None:
    """Kill every running child's process group (Ctrl-C in the CLI)."""
    with _LIVE_LOCK:
        groups = list(_LIVE)
    for pgid in groups:
        _kill_group(pgid)


def _catches_alarm(pid: int) -> bool:
    """Whether the process has a handler for SIGALRM (else the signal would end it: never sent)."""
    try:
        for line in open(f"/proc/{pid}/status", encoding="ascii"):
            if line.startswith("SigCgt:"):
                return bool(int(line.split()[1], 16) >> (signal.SIGALRM - 1) & 1)
    except (OSError, ValueError):
        pass
    return False


def _remind(pid: int, report: _ReportFile) -> None:
    if not report.path.exists() and _catches_alarm(pid):
        try:
            os.kill(pid, signal.SIGALRM)
        except ProcessLookupError:
            pass


def _exited(proc: subprocess.Popen[bytes], timeout: float) -> bool:
    """Whether the child has ended, without reaping it: while it is a zombie its process id (and
    so its group id) cannot be given to another process, so killing the group stays safe."""
    if hasattr(os, "waitid"):
        deadline = time.monotonic() + timeout
        while True:
            try:
                if os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
                    return True
            except ChildProcessError:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(min(0.02, timeout))
    try:
        proc.wait(timeout)
        return True
    except subprocess.TimeoutExpired:
        return False


def run_child(command: list[str], report_path: Path, deadline: float, *, memory_limit: int | None = None,
              env: dict[str, str] | None = None, cwd: str | None = None, remind_after: float | None = None) -> ChildRun:
    """Runs ``command`` until it ends or ``deadline`` seconds pass; the group is killed either way.
    From ``remind_after`` seconds on, a child without a report is sent SIGALRM each second."""
    if memory_limit is not None and sys.platform.startswith("linux"):
        command = [sys.executable, "-I", "-c", _TRAMPOLINE, str(memory_limit), *command]
    started = time.monotonic()
    proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env, cwd=cwd, start_new_session=True)
    with _LIVE_LOCK:
        _LIVE.add(proc.pid)
    out, err = BoundedCapture(proc.stdout), BoundedCapture(proc.stderr)  # type: ignore[arg-type]
    report = _ReportFile(report_path)
    killed = False
    reminded = remind_after
    try:
        while not _exited(proc, POLL_SECONDS):
            report.poll()
            elapsed = time.monotonic() - started
            if elapsed > deadline:
                killed = True
                break
            if reminded is not None and elapsed > reminded:
                _remind(proc.pid, report)
                reminded = elapsed + 1.0
    finally:
        _kill_group(proc.pid)  # the child if it is still running, and whatever it started
        returncode = proc.wait()
        with _LIVE_LOCK:
            _LIVE.discard(proc.pid)
    seconds = time.monotonic() - started
    for capture in (out, err):
        capture.join(2.0)  # a process that left the group could hold the pipe: do not wait for it
    report.poll()
    return ChildRun(returncode=None if killed else returncode, killed=killed, seconds=seconds, output=report.latest,
                    stdout=out.text(), stderr=err.text(), stdout_bytes=out.total, stderr_bytes=err.total,
                    memory_limit=memory_limit)
