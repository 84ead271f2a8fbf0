"""Progress on stderr while files are checked, only when stderr is a terminal (and not ``-q``).

One file: ``nndoctor: checking model.py ...  4 s``. Many: a bar with the count, the elapsed time
and the verdicts so far. The line is redrawn in place every half second and erased at the end, so
nothing of it is left in a log or mixed into the report.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import Counter
from typing import TextIO

from nndoctor.render.escape import printable

BAR = 24


class Progress:
    def __init__(self, total: int, enabled: bool, stream: TextIO | None = None, label: str = "") -> None:
        self.total = total
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.label = printable(label)
        self.done = 0
        self.verdicts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._started = time.monotonic()
        self._width = 0
        self._thread = threading.Thread(target=self._tick, daemon=True) if enabled else None
        if self._thread:
            self._thread.start()

    def finished(self, verdict: str) -> None:
        with self._lock:
            self.done += 1
            self.verdicts[verdict] += 1
        self._draw()

    def _line(self) -> str:
        seconds = int(time.monotonic() - self._started)
        clock = f"{seconds // 60}:{seconds % 60:02d}"
        if self.total == 1:
            return f"nndoctor: checking {self.label} ... {clock}"
        filled = BAR * self.done // max(self.total, 1)
        tally = " ".join(f"{n} {v.upper() if v != 'not-checked' else v}" for v, n in sorted(self.verdicts.items()))
        return f"nndoctor: [{'#' * filled}{'.' * (BAR - filled)}] {self.done}/{self.total} files  {clock}  {tally}"

    def _draw(self) -> None:
        if not self.enabled:
            return
        with self._lock:
            line = self._line()
            pad = " " * max(self._width - len(line), 0)
            self._width = len(line)
            self.stream.write("\r" + line + pad)
            self.stream.flush()

    def _tick(self) -> None:
        while not self._stop.wait(0.5):
            self._draw()

    def close(self) -> None:
        if not self.enabled:
            return
        self._stop.set()
        if self._thread:
            self._thread.join()
        self.stream.write("\r" + " " * self._width + "\r")
        self.stream.flush()
