"""What writing a training trace costs: `Doctor(trace=...)` against the same Doctor without it.

    python benchmarks/trace.py            # 2,000 iterations of the course's 2-layer cat loop
    python benchmarks/trace.py --quick    # 300 iterations

The course's 2-layer loop ([12288, 7, 1], m = 209; the real cat images when ../shared/data has
them) runs watched with every statistic every iteration (every=1), once writing a trace and once
not, interleaved over a few rounds (medians). Printed: the extra time per iteration and as a share
of an unwatched training step (target: < 5%), the file size, and the size per 10,000 iterations.
Exit code 1 when the target is missed.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # a shared 2-core machine: steadier timings
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

import nndoctor  # noqa: E402
from nndoctor.tracefile import read_trace  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import catdata  # noqa: E402  (benchmarks/catdata.py)

TARGET = 0.05  # trace writing under 5% of an unwatched training step


def fresh_models():
    spec = importlib.util.spec_from_file_location(f"course_models_{time.perf_counter_ns()}", HERE / "course_models.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(X, Y, iterations, trace=None, watched=True):
    module = fresh_models()
    doctor = nndoctor.Doctor(trace=trace).watch(module) if watched else None
    start = time.perf_counter()
    module.two_layer_model(X, Y, (X.shape[0], 7, 1), learning_rate=0.0075, num_iterations=iterations)
    if doctor is not None:
        doctor.close()
    return time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    iterations = 300 if args.quick else 2000
    cat = catdata.load()
    if cat is not None:
        X, Y, source = cat[0], cat[1], f"cat images ({cat[2]})"
    else:
        rng = np.random.default_rng(2)
        X, Y, source = rng.random((12288, 209)), (rng.random((1, 209)) < 0.35).astype(float), "random data, cat shape"
    print(f"trace writing cost, 2-layer course loop [12288, 7, 1], m = 209, {iterations} iterations; data: {source}")
    times = {"off": [], "watched": [], "watched + trace": []}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "run.h5"
        for r in range(args.rounds):
            times["off"].append(run(X, Y, iterations, watched=False))
            times["watched"].append(run(X, Y, iterations))
            times["watched + trace"].append(run(X, Y, iterations, trace=path))
            print(f"  round {r + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items()))
        size = path.stat().st_size
        trace = read_trace(path)
    med = {k: statistics.median(v) for k, v in times.items()}
    step = med["off"] / iterations
    extra = (med["watched + trace"] - med["watched"]) / iterations
    share = extra / step
    print(f"unwatched step {step * 1e3:.2f} ms; watched {med['watched'] / iterations * 1e3:.2f} ms; "
          f"with the trace {med['watched + trace'] / iterations * 1e3:.2f} ms")
    print(f"trace writing: {extra * 1e3:+.3f} ms per iteration = {share:+.1%} of an unwatched step "
          f"(target < {TARGET:.0%}): {'PASS' if share < TARGET else 'MISS'}")
    print(f"file: {size / 1024:.0f} KiB for {iterations} iterations, every statistic every iteration "
          f"= {size / iterations * 10000 / 2**20:.1f} MiB per 10,000 iterations"
          + (f"; read back: {len(trace.runs[0].completed)} iterations" if trace is not None else ""))
    return 0 if share < TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
