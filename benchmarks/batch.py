"""A class of course-style files checked at once (`nndoctor check FOLDER -j 2`) against one after
another (`nndoctor check FILE`, once per file, as a shell loop would run them).

    python benchmarks/batch.py                 # 100 files: -j 2, then one after another
    python benchmarks/batch.py --files 20      # a quicker look
    python benchmarks/batch.py --also-j1       # also the folder with -j 1 (the batch machinery alone)

The class is written into a temporary folder from the bundled course-style examples: copies with
the training function's default learning rate scaled (x0.5, x1, x2) and numpy's seeds shifted, so
that no two files are the same. Prints wall time, files per minute and the ratio, plus the load
average (the machine is shared: compare runs made under the same load).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
# course-style function files that read no data file and need no helper module
BASES = ("lr_too_high", "zero_init", "correct_two_layer", "l2_gradient_term_missing", "correct_deep",
         "update_wrong_sign", "init_too_large", "sigmoid_derivative_wrong", "correct_planar", "deep_tiny_init")
SCALES = (0.5, 1.0, 2.0)


def vary(source: str, scale: float, shift: int) -> str:
    """The training function's default learning rate times ``scale``, numpy's seeds plus ``shift``."""
    source = re.sub(r"(def \w+\([^)]*learning_rate=)([0-9.eE-]+)",
                    lambda m: f"{m.group(1)}{float(m.group(2)) * scale:g}", source)
    return re.sub(r"np\.random\.seed\((\d+)\)", lambda m: f"np.random.seed({int(m.group(1)) + shift})", source)


def write_class(folder: Path, n: int) -> list[Path]:
    paths = []
    for i in range(n):
        base = BASES[i % len(BASES)]
        source = (EXAMPLES / f"{base}.py").read_text("utf-8")
        source = vary(source, SCALES[(i // len(BASES)) % len(SCALES)], i // (len(BASES) * len(SCALES)))
        path = folder / f"student_{i:03d}_{base}.py"
        path.write_text(source, "utf-8")
        paths.append(path)
    return paths


def run(args: list[str], cwd: Path) -> tuple[float, int]:
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "nndoctor.cli", "check", *args], cwd=cwd, capture_output=True,
                         text=True, stdin=subprocess.DEVNULL)
    if out.returncode not in (0, 1, 2) or "Traceback" in out.stderr:
        raise SystemExit(f"nndoctor check {' '.join(args)} failed:\n{out.stderr}")
    return time.perf_counter() - started, out.returncode


def line(label: str, seconds: float, n: int) -> str:
    return f"  {label:<34} {seconds:7.1f} s   {60 * n / seconds:6.1f} files/minute"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--also-j1", action="store_true", help="also check the folder with -j 1")
    args = parser.parse_args(argv)
    print(f"nndoctor check on a class of {args.files} course-style files; cpus: {os.cpu_count()}, "
          f"load average before: {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="nndoctor-class-") as tmp:
        folder = Path(tmp) / "class"
        folder.mkdir()
        files = write_class(folder, args.files)
        parallel, code = run(["class", "-j", str(args.jobs), "--format", "json", "-o", "batch.json"], Path(tmp))
        summary = json.loads((Path(tmp) / "batch.json").read_text())["summary"]
        print(f"  verdicts: {summary['verdicts']}  exit code {code}")
        print(line(f"folder, -j {args.jobs}", parallel, len(files)))
        if args.also_j1:
            single_worker, _ = run(["class", "-j", "1", "--format", "json", "-o", "j1.json"], Path(tmp))
            print(line("folder, -j 1", single_worker, len(files)))
        started = time.perf_counter()
        for path in files:
            run([f"class/{path.name}", "--format", "json", "-o", "one.json"], Path(tmp))
        one_by_one = time.perf_counter() - started
        print(line("one after another (a shell loop)", one_by_one, len(files)))
    print(f"  ratio: -j {args.jobs} is {one_by_one / parallel:.2f}x as fast as one after another; "
          f"load average after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
