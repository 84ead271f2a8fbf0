"""Benchmark: what nndoctor's hooks add to the course's two training loops.

    python benchmarks/overhead.py             # [12288, 7, 1] and [12288, 20, 7, 5, 1], m = 209, 300 iterations, 5 rounds
    python benchmarks/overhead.py --quick     # 30 iterations, 3 rounds: a smoke test, well under a minute
    python benchmarks/overhead.py --profile   # then cProfile each watched loop: where the hook time goes

Three configurations of the same loop are timed side by side, in one run, interleaved (off,
every=1, every=10, off, every=1, every=10, ...), and the median of each is compared:

- off: the learner's code as written;
- every=1: `Doctor(every=1).watch(module)`, every statistic at every iteration;
- every=10: `Doctor(every=10).watch(module)`, full statistics every 10th iteration.

The targets under test: every=1 costs at most 1.15x the loop without hooks, every=10 at most 1.03x.
`watch()` (it samples the activation functions once) and `report()` are timed apart, since they
are paid once per run, not per iteration.

The training code is benchmarks/course_models.py, module-level functions as the course writes
them; a fresh copy is loaded for every timed run, so wrapping one copy never touches another.
"""

from __future__ import annotations

import os
import sys

# BLAS threads are read when numpy loads, so they are settled before anything imports numpy.
# Unless the environment already says, one thread: on this 2-core machine, shared with other
# jobs, two OpenBLAS threads made the same 50 iterations of the 4-layer loop take anywhere from
# 4 s to 16 s instead of 0.8 s (a spinning thread waiting for a descheduled peer), which buries
# an overhead of a few percent. Set OPENBLAS_NUM_THREADS (or OMP_NUM_THREADS) to measure others.
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
DEFAULT_THREADS = "1"
if any(v in os.environ for v in THREAD_VARS):
    THREADS_FROM = "from the environment: " + ", ".join(f"{v}={os.environ[v]}" for v in THREAD_VARS if v in os.environ)
else:
    os.environ["OPENBLAS_NUM_THREADS"] = DEFAULT_THREADS
    os.environ["OMP_NUM_THREADS"] = DEFAULT_THREADS  # MKL and OpenMP builds read this one
    THREADS_FROM = f"set by this script (OPENBLAS_NUM_THREADS=OMP_NUM_THREADS={DEFAULT_THREADS}; none was set)"

import argparse  # noqa: E402
import cProfile  # noqa: E402
import ctypes  # noqa: E402
import gc  # noqa: E402
import importlib.util  # noqa: E402
import itertools  # noqa: E402
import pstats  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from types import ModuleType  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

import nndoctor  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import catdata  # noqa: E402  (benchmarks/catdata.py)

MODELS_FILE = Path(__file__).resolve().parent / "course_models.py"
NNDOCTOR_DIR = str(Path(nndoctor.__file__).resolve().parent)
DATA_SHAPE = (12288, 209)  # 64 x 64 x 3 pixel values, 209 training images
DATA_SEED = 2  # synthetic data, when the cat data set is absent
LEARNING_RATE = 0.0075  # the course's value for both models

FULL = {"iterations": {"2-layer": 300, "4-layer": 300}, "rounds": 7}
QUICK = {"iterations": {"2-layer": 30, "4-layer": 30}, "rounds": 3}
WARM_UP_ITERATIONS = 3  # one untimed run of each configuration first (BLAS buffers, lazy imports)
PROFILE_TOP = 12


@dataclass(frozen=True)
class Model:
    key: str
    function: str  # the training function in course_models.py
    dims: tuple[int, ...]

    @property
    def label(self) -> str:
        return f"{self.key} {list(self.dims)}"


MODELS = (
    Model("2-layer", "two_layer_model", (12288, 7, 1)),
    Model("4-layer", "L_layer_model", (12288, 20, 7, 5, 1)),
)


@dataclass(frozen=True)
class Config:
    name: str
    every: int | None  # None: no hooks
    target: float | None  # largest acceptable ratio to "off"


CONFIGS = (
    Config("off", None, None),
    Config("every=1", 1, 1.15),
    Config("every=10", 10, 1.03),
)


@dataclass
class Run:
    """One timed training run."""

    seconds: float  # wall clock
    cpu_seconds: float  # this process's CPU time: what other jobs on the machine cannot inflate
    watch_seconds: float
    costs: np.ndarray
    doctor: Any = None


@dataclass
class Series:
    """All the runs of one (model, configuration)."""

    runs: list[Run] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(r.seconds for r in self.runs)

    @property
    def cpu_median(self) -> float:
        return statistics.median(r.cpu_seconds for r in self.runs)


# --- environment ---------------------------------------------------------------------------

def blas_library() -> ctypes.CDLL | None:
    """The BLAS library numpy loaded (read from /proc/self/maps), or None."""
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "blas" in line.lower() and "/" in line}
    except OSError:
        return None
    for path in sorted(paths):
        try:
            return ctypes.CDLL(path)
        except OSError:
            continue
    return None


def blas_threads() -> str:
    """Threads the loaded OpenBLAS will use, asked from the library itself."""
    lib = blas_library()
    if lib is None:
        return "unknown"
    for symbol in ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_",
                   "openblas_get_num_threads", "MKL_Get_Max_Threads"):
        func = getattr(lib, symbol, None)
        if func is not None:
            func.restype = ctypes.c_int
            return str(func())
    return "unknown"


def blas_description() -> str:
    try:
        info = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        name = f"{info.get('name', '?')} {info.get('version', '')}".strip()
    except Exception:  # noqa: BLE001 - only descriptive
        name = "unknown BLAS"
    lib = blas_library()
    core = getattr(lib, "scipy_openblas_get_corename64_", None) if lib is not None else None
    if core is not None:
        core.restype = ctypes.c_char_p
        name += f", core {core().decode()}"
    return name


# --- data ----------------------------------------------------------------------------------

def load_data() -> tuple[np.ndarray, np.ndarray, str]:
    """(X, Y, description): the cat images if present (X (12288, 209) in [0, 1]), else uniform
    noise of the same shape with random 0/1 labels (fixed seed)."""
    cat = catdata.load()
    if cat is not None:
        X, Y, path = cat
        return X, Y, f"cat images ({path})"
    rng = np.random.default_rng(DATA_SEED)
    X = rng.random(DATA_SHAPE)
    Y = (rng.random((1, DATA_SHAPE[1])) < 0.5).astype(np.float64)
    return X, Y, f"SYNTHETIC uniform [0,1) data, seed {DATA_SEED} (cat data set not found or no h5py)"


# --- one run -------------------------------------------------------------------------------

_copies = itertools.count()


def fresh_module() -> ModuleType:
    """A new, independent copy of course_models.py (its own globals to wrap)."""
    name = f"course_models_copy{next(_copies)}"
    spec = importlib.util.spec_from_file_location(name, MODELS_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def train(model: Model, config: Config, X: np.ndarray, Y: np.ndarray, iterations: int,
          profiler: cProfile.Profile | None = None) -> Run:
    module = fresh_module()
    doctor = None
    watch_seconds = 0.0
    if config.every is not None:
        start = time.perf_counter()
        doctor = nndoctor.Doctor(every=config.every)
        doctor.watch(module)
        watch_seconds = time.perf_counter() - start
    loop = getattr(module, model.function)
    gc.collect()  # garbage of the previous run is not this run's cost
    if profiler is not None:
        profiler.enable()
    cpu_start, start = time.process_time(), time.perf_counter()
    _, costs = loop(X, Y, model.dims, learning_rate=LEARNING_RATE, num_iterations=iterations)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    if profiler is not None:
        profiler.disable()
    if doctor is not None:
        doctor.unwatch()
    return Run(seconds, cpu_seconds, watch_seconds, np.asarray(costs, dtype=np.float64), doctor)


# --- the measurement -----------------------------------------------------------------------

def measure(X, Y, iterations: dict[str, int], rounds: int) -> dict[tuple[str, str], Series]:
    for model in MODELS:  # untimed warm-up of every configuration
        for config in CONFIGS:
            train(model, config, X, Y, WARM_UP_ITERATIONS)
    series = {(m.key, c.name): Series() for m in MODELS for c in CONFIGS}
    for r in range(rounds):
        line = []
        for model in MODELS:
            for config in CONFIGS:
                run = train(model, config, X, Y, iterations[model.key])
                if r < rounds - 1:
                    run.doctor = None  # the last round's doctors are kept for report()
                series[(model.key, config.name)].runs.append(run)
                line.append(f"{model.key} {config.name} {run.seconds:.3f}")
        print(f"round {r + 1}/{rounds}: " + ", ".join(line) + " s", flush=True)
    return series


def check_results(series: dict[tuple[str, str], Series]) -> list[str]:
    """Watched runs must train exactly as the unwatched ones (same cost at every iteration)."""
    problems = []
    for model in MODELS:
        reference = series[(model.key, "off")].runs[0].costs
        for config in CONFIGS:
            for n, run in enumerate(series[(model.key, config.name)].runs):
                if not np.array_equal(run.costs, reference):
                    diff = float(np.max(np.abs(run.costs - reference))) if run.costs.shape == reference.shape \
                        else float("nan")
                    problems.append(f"{model.label} {config.name} round {n + 1}: costs differ from the "
                                    f"unwatched run (max |difference| {diff:.3g})")
            last = series[(model.key, config.name)].runs[-1].doctor
            if config.every is not None and (last is None or last.trace.iterations == 0):
                stored = sum(len(r.iterations) for r in last.trace.runs) if last is not None else 0
                problems.append(f"{model.label} {config.name}: the doctor completed no iteration of "
                                f"{len(reference)} ({stored} stored, never closed): its report is empty, "
                                f"so this loop's overhead buys no diagnosis")
    return problems


def recorded(doctor: Any) -> str:
    """What a doctor kept, as a short phrase (is it really watching the loop?)."""
    runs = doctor.trace.runs
    stored = sum(len(r.iterations) for r in runs)
    completed = doctor.trace.iterations
    sampled = sum(len(r.sampled()) for r in runs)
    errors = f", {len(doctor._internal_errors)} internal errors" if getattr(doctor, "_internal_errors", None) else ""
    return f"{len(runs)} run(s), {stored} iterations stored, {completed} completed, {sampled} sampled{errors}"


def time_reports(series: dict[tuple[str, str], Series]) -> None:
    print("\n== once per run, not part of the loop times ==")
    for model in MODELS:
        for config in CONFIGS:
            if config.every is None:
                continue
            s = series[(model.key, config.name)]
            doctor = s.runs[-1].doctor
            start = time.perf_counter()
            report = doctor.report()
            report_seconds = time.perf_counter() - start
            start = time.perf_counter()
            text = str(report)
            render_seconds = time.perf_counter() - start
            watch = statistics.median(r.watch_seconds for r in s.runs)
            first_line = text.strip().splitlines()[0] if text.strip() else ""
            print(f"{model.label:<27} {config.name:<8} watch() {watch * 1e3:6.1f} ms (median), "
                  f"report() {report_seconds * 1e3:6.1f} ms, str(report) {render_seconds * 1e3:6.1f} ms; "
                  f"verdict {report.verdict}, {len(report.findings)} findings ({first_line})")
            print(f"{'':<27} {'':<8} recorded: {recorded(doctor)}")


# --- the table -----------------------------------------------------------------------------

def print_table(series: dict[tuple[str, str], Series], iterations: dict[str, int], rounds: int) -> list[str]:
    header = ("model", "config", "median s", "ms/iter", "+ms/iter", "ratio", "rounds min-max", "target", "",
              "cpu s", "cpu ratio", "")
    cells = [header]
    misses = []
    for model in MODELS:
        off = series[(model.key, "off")]
        n = iterations[model.key]
        for config in CONFIGS:
            s = series[(model.key, config.name)]
            med = s.median
            if config.every is None:
                cells.append((model.label, config.name, f"{med:.3f}", f"{med / n * 1e3:.2f}", "-", "1.000", "-", "-", "",
                              f"{s.cpu_median:.3f}", "1.000", ""))
                continue
            ratio = med / off.median
            cpu_ratio = s.cpu_median / off.cpu_median
            per_round = [a.seconds / b.seconds for a, b in zip(s.runs, off.runs)]
            verdict = "PASS" if ratio <= config.target else "MISS"
            cpu_verdict = "PASS" if cpu_ratio <= config.target else "MISS"
            if verdict == "MISS":
                misses.append(f"{model.label} {config.name}: {ratio:.3f}x > {config.target:.2f}x")
            cells.append((model.label, config.name, f"{med:.3f}", f"{med / n * 1e3:.2f}",
                          f"{(med - off.median) / n * 1e3:+.2f}", f"{ratio:.3f}",
                          f"{min(per_round):.3f}-{max(per_round):.3f}", f"<= {config.target:.2f}", verdict,
                          f"{s.cpu_median:.3f}", f"{cpu_ratio:.3f}", cpu_verdict))
    widths = [max(len(c[i]) for c in cells) for i in range(len(header))]
    print(f"\n== summary: median of {rounds} interleaved rounds, "
          + ", ".join(f"{m.key} {iterations[m.key]} iterations" for m in MODELS) + " ==")
    for k, c in enumerate(cells):
        print(" | ".join(c[i].ljust(widths[i]) if i < 2 else c[i].rjust(widths[i]) for i in range(len(c))).rstrip())
        if k == 0:
            print("-+-".join("-" * w for w in widths))
    print("ratio = median wall time watched / median off, the verdict; rounds min-max = spread of the per-round "
          "ratios;\n+ms/iter = what the hooks add per iteration; cpu = the same on this process's CPU time "
          "(a cross-check: other jobs on the machine do not inflate it)")
    for model in MODELS:
        off = series[(model.key, "off")].runs
        wall = [r.seconds for r in off]
        cpu = [r.cpu_seconds for r in off]
        print(f"noise, {model.label}: the {len(off)} unwatched runs took {min(wall):.3f}-{max(wall):.3f} s wall "
              f"(max/min {max(wall) / min(wall):.2f}), {min(cpu):.3f}-{max(cpu):.3f} s CPU "
              f"(max/min {max(cpu) / min(cpu):.2f})")
    print("a ratio closer to its target than that spread is not settled by this run alone")
    return misses


# --- where the hook time goes (--profile) --------------------------------------------------

def in_nndoctor(filename: str) -> bool:
    return filename.startswith(NNDOCTOR_DIR)


def in_hooks(filename: str) -> bool:
    """A file of nndoctor/hooks/, the package the Doctor is made of."""
    return filename.startswith(os.path.join(NNDOCTOR_DIR, "hooks", ""))


def short(func: tuple[str, int, str]) -> str:
    filename, line, name = func
    if filename == "~":
        return name  # a builtin such as <method 'copy' of 'numpy.ndarray' objects>
    path = Path(filename)
    where = f"nndoctor/{path.relative_to(NNDOCTOR_DIR)}" if in_nndoctor(filename) else path.name
    return f"{where}:{line} {name}"


def profile(model: Model, config: Config, X, Y, iterations: int, off_seconds: float) -> None:
    profiler = cProfile.Profile()
    run = train(model, config, X, Y, iterations, profiler)
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    hook_parts = {"_enter", "_exit"}
    hook_seconds = sum(ct for (f, _, name), (_, _, _, ct, _) in stats.items()
                       if in_hooks(f) and name in hook_parts)
    wrapper_own = sum(tt for (f, _, name), (_, _, tt, _, _) in stats.items()
                      if in_hooks(f) and name == "wrapper")
    total = hook_seconds + wrapper_own
    per_it = 1e3 / iterations
    print(f"\n-- {model.label} {config.name}: {iterations} iterations, {run.seconds:.3f} s under cProfile "
          f"(unprofiled off: {off_seconds:.3f} s for as many iterations) --")
    print(f"hooks (Doctor._enter + Doctor._exit + the wrappers' own lines): {total:.3f} s = "
          f"{total * per_it:.2f} ms/iteration = {total / run.seconds:.0%} of the profiled loop")
    print(f"recorded: {recorded(run.doctor)}")
    # nndoctor's own functions, by cumulative time (nested: a caller includes its callees)
    own = sorted(((ct, tt, nc, func) for func, (_, nc, tt, ct, _) in stats.items()
                  if in_nndoctor(func[0]) and func[2] != "wrapper"), reverse=True)
    print(f"nndoctor functions by cumulative time (top {PROFILE_TOP}):")
    print(f"  {'cum ms/it':>9} {'own ms/it':>9} {'calls/it':>8}  function")
    for ct, tt, nc, func in own[:PROFILE_TOP]:
        print(f"  {ct * per_it:9.3f} {tt * per_it:9.3f} {nc / iterations:8.1f}  {short(func)}")
    # work outside nndoctor that nndoctor's code asks for (numpy reductions, copies, ...)
    models_file = str(MODELS_FILE)
    asked = []
    for func, (_, _, _, _, callers) in stats.items():
        if in_nndoctor(func[0]) or func[0] == models_file:
            continue  # nndoctor's own functions (above), or the learner's code run by a wrapper
        for caller, (_, nc, _, ct) in callers.items():
            if in_nndoctor(caller[0]):
                asked.append((ct, nc, func, caller))
    asked.sort(reverse=True)
    print(f"calls from nndoctor into numpy/python, by cumulative time (top {PROFILE_TOP}):")
    print(f"  {'cum ms/it':>9} {'calls/it':>8}  callee  <-  caller")
    for ct, nc, func, caller in asked[:PROFILE_TOP]:
        print(f"  {ct * per_it:9.3f} {nc / iterations:8.1f}  {short(func)}  <-  {short(caller)}")


# --- the same, without cProfile's distortion: timers around the hooks' own steps --------------

TIMED_METHODS = ("_enter", "_exit", "_begin_step", "_on_forward_start", "_on_forward_end", "_on_activation",
                 "_on_derivative", "_on_cost", "_on_backward", "_snapshot_params", "_on_update")
TIMED_HOOK_FUNCTIONS = ("activation_stats", "weight_inits", "label_summary")  # as hooks/capture.py calls them
TIMED_ROLE_FUNCTIONS = ("classify_call", "predict_role", "find_data", "weight_keys", "gradient_entries",
                        "is_parameter_dict", "learning_rate_in")


def instrument() -> tuple[dict[str, list[float]], Any]:
    """Put a perf_counter timer around each step of the hooks (in this process only; nndoctor's
    files are not touched). Returns the accumulators {name: [calls, seconds]} and an undo."""
    from nndoctor import hooks, roles, trace
    from nndoctor.hooks import capture

    totals: dict[str, list[float]] = {}
    undo: list[tuple[Any, str, Any]] = []

    def timed(name: str, func: Any) -> Any:
        acc = totals.setdefault(name, [0, 0.0])
        clock = time.perf_counter

        def timer(*args: Any, **kwargs: Any) -> Any:
            start = clock()
            try:
                return func(*args, **kwargs)
            finally:
                acc[0] += 1
                acc[1] += clock() - start
        return timer

    def patch(owner: Any, attr: str, name: str) -> None:
        original = owner.__dict__[attr] if isinstance(owner, type) else getattr(owner, attr, None)
        if original is None:
            return  # renamed by the people editing nndoctor: time what still exists
        undo.append((owner, attr, original))
        if isinstance(original, classmethod):
            setattr(owner, attr, classmethod(timed(name, original.__func__)))
        elif isinstance(original, property):
            setattr(owner, attr, property(timed(name, original.fget)))
        else:
            setattr(owner, attr, timed(name, original))

    for attr in TIMED_METHODS:
        owner = next((cls for cls in hooks.Doctor.__mro__ if attr in cls.__dict__), None)  # the part defining it
        if owner is not None:
            patch(owner, attr, f"Doctor.{attr}")
    for attr in TIMED_HOOK_FUNCTIONS:
        patch(capture, attr, f"hooks.{attr}")
    for attr in TIMED_ROLE_FUNCTIONS:
        patch(roles, attr, f"roles.{attr}")
    patch(trace.ArrayStats, "of", "ArrayStats.of")
    patch(hooks._Site, "role", "_Site.role")
    patch(hooks._Site, "settled", "_Site.settled")

    def restore() -> None:
        for owner, attr, original in reversed(undo):
            setattr(owner, attr, original)
    return totals, restore


def timed_breakdown(model: Model, config: Config, X, Y, iterations: int, off_seconds: float) -> None:
    totals, restore = instrument()
    try:
        run = train(model, config, X, Y, iterations)
    finally:
        restore()
    per_it = 1e3 / iterations
    off_ms = off_seconds * per_it
    hook = sum(totals.get(k, [0, 0.0])[1] for k in ("Doctor._enter", "Doctor._exit"))
    calls = totals.get("Doctor._enter", [0, 0.0])[0] / iterations
    print(f"\n-- {model.label} {config.name}: {iterations} iterations, timers around the hooks' steps --")
    print(f"Doctor._enter + Doctor._exit: {hook * per_it:.3f} ms/iteration over {calls:.0f} wrapped calls/iteration "
          f"= {hook * per_it / off_ms:.1%} of the unwatched iteration ({off_ms:.2f} ms, median above); "
          f"the loop took {run.seconds:.3f} s")
    print(f"  {'ms/iter':>8} {'calls/it':>8}  step (nested steps are counted in their callers too)")
    for name, (n, seconds) in sorted(totals.items(), key=lambda kv: -kv[1][1]):
        if n:
            print(f"  {seconds * per_it:8.3f} {n / iterations:8.1f}  {name}")


# --- main ----------------------------------------------------------------------------------

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help=f"{QUICK['iterations']['4-layer']} iterations, {QUICK['rounds']} rounds")
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds (medians are taken over them)")
    parser.add_argument("--profile", action="store_true",
                        help="after the table, run each watched loop once under cProfile and print the hot spots")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    config = QUICK if args.quick else FULL
    iterations = dict(config["iterations"])
    rounds = args.rounds or config["rounds"]
    X, Y, source = load_data()
    print("models: " + ", ".join(m.label for m in MODELS) + f"; m = {X.shape[1]}, float64, "
          f"learning rate {LEARNING_RATE}, code: benchmarks/{MODELS_FILE.name}")
    print(f"data: {source}")
    print(f"numpy {np.__version__}, BLAS {blas_description()}; BLAS threads in use: {blas_threads()} "
          f"({THREADS_FROM}); {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start")
    print(f"nndoctor {nndoctor.__version__}, python {sys.version.split()[0]}")
    print("configurations, interleaved each round: " + ", ".join(c.name for c in CONFIGS))

    series = measure(X, Y, iterations, rounds)
    problems = check_results(series)
    misses = print_table(series, iterations, rounds)
    time_reports(series)
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")

    if args.profile:
        print("\n== where the hook time goes: timers around the hooks' steps (about 0.3 us each), then "
              "cProfile for detail\n(cProfile slows Python calls far more than numpy's, so its hook shares are "
              "upper bounds) ==")
        for model in MODELS:
            off = series[(model.key, "off")].median
            for c in CONFIGS:
                if c.every is not None:
                    timed_breakdown(model, c, X, Y, iterations[model.key], off)
                    profile(model, c, X, Y, iterations[model.key], off)
    elif misses:
        print("\nMISS: " + "; ".join(misses) + ". Run with --profile to see where the hook time goes.")
    if problems:
        print("\nPROBLEMS:")
        for p in problems:
            print(f"- {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
