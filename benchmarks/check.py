"""How long `nndoctor check` takes, as a user runs it: a subprocess per file, default settings, wall time.

    python benchmarks/check.py            # the bundled examples, the zoo (tests/zoo) and the cat-sized network
    python benchmarks/check.py --quick    # three examples and three zoo programs, no cat-sized network
    python benchmarks/check.py FILE ...   # these files

Targets (issue 12): median under 5 s per program, none over 30 s at default settings, including a
notebook that trains several models and programs whose author's own run takes minutes (the zoo's
`scr_slow_minibatch_*` and `nb_slow_softmax_cost_*`); the course's 4-layer cat network
([12288, 20, 7, 5, 1], 209 examples) under 30 s. The cat-sized file is written from
benchmarks/course_models.py and reads `train_catvnoncat.h5` from ../shared/data when it is there
(else random data of the same shape: the line says which). Each line also says how long the
program's author's own run takes where the zoo documents it. Exit code 1 when a target is missed.
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
ZOO = ROOT / "tests" / "zoo"
MEDIAN_TARGET, MAX_TARGET = 5.0, 30.0

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


if __name__ == "__main__":
    X, Y = load_data()
    parameters, costs = L_layer_model(X, Y, layers_dims, num_iterations=2500)
'''


def timed_check(path: Path, cwd: Path) -> tuple[float, int, str]:
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "nndoctor.cli", "check", str(path)], cwd=cwd,
                         capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    first = (out.stdout or out.stderr).splitlines()[0] if (out.stdout or out.stderr) else ""
    return time.perf_counter() - start, out.returncode, first


def zoo_programs() -> list[Path]:
    found = sorted(p for p in ZOO.rglob("*") if p.suffix in (".py", ".ipynb") and "EXPECTED" in p.read_text("utf-8"))
    return [p for p in found if not p.name.startswith("test_")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    env_threads = os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS") or "default"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"nndoctor check timings (wall, a subprocess per file, default settings); BLAS threads: {env_threads}; "
          f"cpus: {os.cpu_count()}; load average at the start: {load:.2f}")
    if args.files:
        files = [p.resolve() for p in args.files]
    else:
        examples = sorted(p for p in EXAMPLES.glob("*.py") if not p.name.startswith("_")
                          and p.name != "gradcheck_planted_errors.py")
        zoo = zoo_programs()
        if args.quick:
            examples = [EXAMPLES / n for n in ("lr_too_high.py", "zero_init.py", "correct_deep.py")]
            zoo = [p for p in zoo if p.name in ("scr_adam_main_guard_bug.py", "shp_dense_layers_ok.py",
                                                 "nb_initexp_bug.ipynb")]
        files = examples + zoo
    times: list[float] = []
    slow: list[str] = []
    for path in files:
        seconds, code, first = timed_check(path, path.parent)
        times.append(seconds)
        if seconds > MAX_TARGET:
            slow.append(path.name)
        where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        print(f"  {str(where):<58} {seconds:6.2f} s  exit {code}  {first[:70]}")
    median, worst = statistics.median(times), max(times)
    print(f"{len(times)} programs: median {median:.2f} s (target < {MEDIAN_TARGET:g} s), max {worst:.2f} s "
          f"(target <= {MAX_TARGET:g} s)")
    missed = list(slow) + (["median"] if median >= MEDIAN_TARGET else [])
    if not args.quick and not args.files:
        data = catdata.find()
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            (folder / "course_models.py").write_text((ROOT / "benchmarks" / "course_models.py").read_text())
            (folder / "cat_model.py").write_text(CAT_FILE.format(path=str(data) if data else ""))
            seconds, code, first = timed_check(folder / "cat_model.py", folder)
        verdict = "PASS" if seconds <= MAX_TARGET else "MISS"
        if verdict == "MISS":
            missed.append("cat_model.py")
        print(f"cat-sized [12288, 20, 7, 5, 1], m = 209 ({'real cat data' if data else 'random data, same shape'}):"
              f" {seconds:.2f} s, exit {code}, target <= {MAX_TARGET:g} s: {verdict}\n  {first}")
    if missed:
        print("MISSED: " + ", ".join(missed))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
