"""How long `nndoctor check` takes, as a user runs it: a subprocess per file, wall time.

    python benchmarks/check.py            # every bundled example + the course's cat-sized network
    python benchmarks/check.py --quick    # three examples, no cat-sized network

Targets (issue 4): <= 15 s on a course-style file with default settings, <= 30 s on the course's
4-layer cat network size ([12288, 20, 7, 5, 1], 209 examples). The cat-sized file is written from
benchmarks/course_models.py and reads `train_catvnoncat.h5` from ../shared/data when it is there
(else random data of the same shape: the line says which). Exit code 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
import catdata  # noqa: E402  (benchmarks/catdata.py)

EXAMPLES = ROOT / "examples"
COURSE_TARGET, CAT_TARGET = 15.0, 30.0

CAT_FILE = '''
import numpy as np
from course_models import *  # noqa: F401,F403 - the course's helpers, as the notebook imports them

layers_dims = [12288, 20, 7, 5, 1]


def load_data():
    path = {path!r}
    if path:
        import h5py
        with h5py.File(path, "r") as f:
            x, y = f["train_set_x"][:], f["train_set_y"][:]
        return x.reshape(x.shape[0], -1).T / 255.0, y.reshape(1, -1).astype(float)
    rng = np.random.RandomState(1)
    return rng.rand(12288, 209), (rng.rand(1, 209) < 0.35).astype(float)
'''


def timed_check(path: Path, cwd: Path) -> tuple[float, int, str]:
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "nndoctor.cli", "check", str(path)], cwd=cwd,
                         capture_output=True, text=True, timeout=600)
    first = (out.stdout or out.stderr).splitlines()[0] if (out.stdout or out.stderr) else ""
    return time.perf_counter() - start, out.returncode, first


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    env_threads = os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS") or "default"
    print(f"nndoctor check timings (wall, subprocess per file); BLAS threads: {env_threads}; cpus: {os.cpu_count()}")
    files = sorted(p for p in EXAMPLES.glob("*.py") if not p.name.startswith("_") and p.name != "gradcheck_planted_errors.py")
    if args.quick:
        files = [EXAMPLES / n for n in ("lr_too_high.py", "zero_init.py", "correct_deep.py")]
    missed = []
    times = []
    for path in files:
        seconds, code, first = timed_check(path, EXAMPLES)
        times.append(seconds)
        verdict = "PASS" if seconds <= COURSE_TARGET else "MISS"
        if verdict == "MISS":
            missed.append(path.name)
        print(f"  {path.name:<36} {seconds:6.2f} s  exit {code}  {verdict}  {first[:60]}")
    print(f"examples: median {statistics.median(times):.2f} s, max {max(times):.2f} s (target <= {COURSE_TARGET:g} s)")
    if not args.quick:
        data = catdata.find()
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            (folder / "course_models.py").write_text((ROOT / "benchmarks" / "course_models.py").read_text())
            (folder / "cat_model.py").write_text(CAT_FILE.format(path=str(data) if data else ""))
            seconds, code, first = timed_check(folder / "cat_model.py", folder)
        verdict = "PASS" if seconds <= CAT_TARGET else "MISS"
        if verdict == "MISS":
            missed.append("cat_model.py")
        print(f"cat-sized [12288, 20, 7, 5, 1], m = 209 ({'real cat data' if data else 'random data, same shape'}):"
              f" {seconds:.2f} s, exit {code}, target <= {CAT_TARGET:g} s: {verdict}\n  {first}")
    if missed:
        print("MISSED: " + ", ".join(missed))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
