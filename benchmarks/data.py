"""How fast the data checks are at MNIST size, and whether they find exactly what was planted.

    python benchmarks/data.py            # 60,000 x 784 training images against 10,000 test images
    python benchmarks/data.py --quick    # 12,000 x 784 against 2,000: a smoke test
    python benchmarks/data.py --repeat 5 # best of 5 runs per case (default 3)

Target (issue 6): `check_leakage` on 60,000 x 784 training examples in under 2 s on this two-core
machine. The cases:

1. synthetic digit-like images (a few Gaussian blobs on a 28 x 28 grid, uint8, examples as rows),
   with planted exact copies and near copies (+-2 grey levels on a fifth of the pixels) in the test
   set; the same data as float64 columns scaled by 1/255 (the course's layout; `X.T / 255` is
   Fortran-ordered, so each example is contiguous), and as a C-ordered copy of those columns;
2. with ../shared/data/mnist_t10k.npz (or /work/shared/data): the 10,000 real test digits as the
   test set against 60,000 training images made from them by shifting each digit 1 to 3 pixels
   (close to, but not copies of, the test digits: the hard case for near-duplicate search), again
   with planted copies; and the real digits split 5,000 / 5,000, which must give no finding.

For each case it prints the seconds (first run and best run), the copies found against those
planted, and `OK` or `MISMATCH`. It also times `check_inputs` on the training images. The machine
may be shared: the load average is printed, and BLAS calls slow down when the cores are busy.
Exit code 1 when a check finds something else than what was planted, or the target is missed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from nndoctor.data import check_inputs, find_duplicates  # noqa: E402

TARGET = 2.0
MNIST = (ROOT.parent / "shared" / "data" / "mnist_t10k.npz", Path("/work/shared/data/mnist_t10k.npz"))


def blobs(m: int, rng: np.random.Generator) -> np.ndarray:
    """Digit-like images: three Gaussian blobs each, on a dark background, uint8 (m, 784)."""
    grid = np.arange(28, dtype=np.float32)
    out = np.zeros((m, 28, 28), dtype=np.float32)
    for _ in range(3):
        cx, cy = rng.uniform(6, 22, (2, m, 1)).astype(np.float32)
        sx, sy = rng.uniform(1.5, 4.0, (2, m, 1)).astype(np.float32)
        amp = rng.uniform(150, 255, (m, 1, 1)).astype(np.float32)
        gx = np.exp(-0.5 * ((grid - cx) / sx) ** 2)
        gy = np.exp(-0.5 * ((grid - cy) / sy) ** 2)
        out += amp * gy[:, :, None] * gx[:, None, :]
    return np.clip(out, 0, 255).astype(np.uint8).reshape(m, 784)


def plant(train: np.ndarray, test: np.ndarray, exact: int, near: int, rng: np.random.Generator):
    """Copy training images into the test set: ``exact`` as they are, ``near`` with +-2 grey
    levels on a fifth of their pixels. Returns the expected {test index: train index} maps."""
    slots = rng.choice(len(test), size=exact + near, replace=False)
    sources = rng.choice(len(train), size=exact + near, replace=False)
    test = test.copy()
    test[slots[:exact]] = train[sources[:exact]]
    noisy = train[sources[exact:]].astype(np.int16)
    noisy += (rng.integers(-2, 3, noisy.shape) * (rng.random(noisy.shape) < 0.2)).astype(np.int16)
    test[slots[exact:]] = np.clip(noisy, 0, 255).astype(np.uint8)
    return test, dict(zip(slots[:exact].tolist(), sources[:exact].tolist())), \
        dict(zip(slots[exact:].tolist(), sources[exact:].tolist()))


def shifted(digits: np.ndarray, m: int, rng: np.random.Generator) -> np.ndarray:
    images = digits.reshape(-1, 28, 28)
    pick = rng.integers(0, len(images), m)
    shifts = rng.integers(-3, 4, (m, 2))
    shifts[(shifts == 0).all(axis=1), 0] = 1
    out = np.empty((m, 28, 28), dtype=np.uint8)
    for dx, dy in {tuple(s) for s in shifts.tolist()}:
        rows = np.nonzero((shifts[:, 0] == dx) & (shifts[:, 1] == dy))[0]
        out[rows] = np.roll(images[pick[rows]], (dx, dy), axis=(1, 2))
    return out.reshape(m, 784)


def run(name: str, train, test, expect_exact: dict, expect_near: dict, repeat: int, axis: int, size: int) -> bool:
    times = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = find_duplicates(train, test, example_axis=axis)
        times.append(time.perf_counter() - start)
    exact = {int(t): int(r) for t, r in result.exact}
    near = {int(t): int(r) for t, r in result.near}
    ok = set(exact) == set(expect_exact) and set(near) == set(expect_near)
    # a training set may hold several identical images: any of them is a right answer
    rows_train = train if axis == 0 else train.T
    rows_test = test if axis == 0 else test.T
    ok = ok and all(np.array_equal(rows_train[r], rows_train[expect_exact[t]]) for t, r in exact.items())
    ok = ok and all(np.array_equal(rows_train[r], rows_train[expect_near[t]])
                    or np.sqrt(np.mean((rows_train[r].astype(float) - rows_test[t]) ** 2)) <= result.radius_rms
                    for t, r in near.items())
    meets = min(times) < TARGET or size < 60000
    print(f"{name:<44} first {times[0]:5.2f} s  best {min(times):5.2f} s  "
          f"exact {len(exact)}/{len(expect_exact)}  near {len(near)}/{len(expect_near)}  "
          f"compared {result.candidates:,}  {'OK' if ok else 'MISMATCH'}"
          + ("" if meets else f"  (target < {TARGET:g} s MISSED)"))
    if not ok:
        extra = sorted(set(exact) ^ set(expect_exact))[:10] + sorted(set(near) ^ set(expect_near))[:10]
        print(f"    differing test indices: {extra}")
    return ok and meets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="12,000 x 784 against 2,000")
    parser.add_argument("--repeat", type=int, default=3, help="runs per case; the best is reported")
    args = parser.parse_args(argv)
    m_train, m_test = (12_000, 2_000) if args.quick else (60_000, 10_000)
    rng = np.random.default_rng(0)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"data checks: train {m_train:,} x 784, test {m_test:,} x 784; {os.cpu_count()} cores, "
          f"load average {load:.1f}; target: leakage check < {TARGET:g} s at 60,000 x 784")
    good = True

    train = blobs(m_train, rng)
    test, exact, near = plant(train, blobs(m_test, rng), 200, 200, rng)
    good &= run("synthetic uint8, rows", train, test, exact, near, args.repeat, 0, m_train)
    good &= run("synthetic float64 / 255, columns (course)", train.T / 255.0, test.T / 255.0, exact, near,
                args.repeat, 1, m_train)
    good &= run("synthetic float64 / 255, columns, C order", np.ascontiguousarray(train.T / 255.0),
                np.ascontiguousarray(test.T / 255.0), exact, near, args.repeat, 1, m_train)
    start = time.perf_counter()
    check_inputs(train, example_axis=0)
    print(f"{'check_inputs, synthetic uint8 rows':<44} {time.perf_counter() - start:5.2f} s")

    path = next((p for p in MNIST if p.exists()), None)
    if path is None:
        print("mnist_t10k.npz not found in ../shared/data: real-digit cases skipped")
    else:
        with np.load(path) as d:
            digits = d["x"].reshape(len(d["x"]), -1)
        digits = digits[:m_test]
        train = shifted(digits, m_train, rng)
        test, exact, near = plant(train, digits, 200, 200, rng)
        good &= run("real digits vs 1-3 px shifted copies, uint8", train, test, exact, near, args.repeat, 0,
                    m_train)
        half = len(digits) // 2
        good &= run("real digits split in two (clean)", digits[:half] / 255.0, digits[half:] / 255.0, {}, {},
                    args.repeat, 0, 0)
    print("all OK" if good else "MISMATCH or target missed")
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
