"""Benchmark: what a full gradient check costs with nndoctor, the textbook loop and torch.

    python benchmarks/gradcheck.py            # the course's 4-layer cat network, ~246,000 parameters
    python benchmarks/gradcheck.py --quick    # a small network, a few seconds (smoke test)

Everything is expressed in one unit, the time of one forward+backward pass of the same network,
measured in the same run, so the numbers compare across machines. DESIGN.md section 5 is the
claim under test: nndoctor's cost does not grow with the parameter count (a bounded number of
cost evaluations per parameter block), where the textbook loop needs two per parameter.

The network is written out here on purpose (not imported from tests/): the benchmark must keep
measuring the same thing whatever the test suite's helpers become.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import nndoctor

sys.path.insert(0, str(Path(__file__).resolve().parent))
import catdata  # noqa: E402  (benchmarks/catdata.py)

FULL = {"dims": [12288, 20, 7, 5, 1], "m": 209}  # the course's L-layer cat classifier
# --quick: the same depth and hidden widths on the first 256 pixel values of 64 images.
QUICK = {"dims": [256, 20, 7, 5, 1], "m": 64}

INIT_SEED = 1  # He initialization
DATA_SEED = 2  # synthetic data, when the cat data set is absent
SAMPLE_SEED = 3  # coordinates timed for the textbook loop, index of the planted wrong entry
CHECK_SEED = 0  # nndoctor's directions (default of --seed)

UNIT_RUNS = 7  # forward+backward timings; the median is the unit
TEXTBOOK_EPS = 1e-7  # as in the course's gradient_check_n
TEXTBOOK_SAMPLE = 200  # coordinates actually timed for the textbook loop
L2_LAMBDA = 0.7  # the course's regularization exercise
# torch's slow mode perturbs every entry of the blocks it checks; blocks larger than this (W1) are
# held fixed (requires_grad=False) so the run ends, and the per-coordinate time is extrapolated:
# every coordinate costs two forward passes of the whole network, whatever block it is in. Checked
# once on --quick with the limit raised: 6.8 s measured over all 5,333 coordinates, 6.9 s
# extrapolated from 213.
TORCH_SLOW_BLOCK_LIMIT = 1_000


# --- the network (course style: examples as columns, params W1, b1, ..., ReLU then sigmoid) ---

def he_init(dims: list[int], seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    params = {}
    for l in range(1, len(dims)):
        params[f"W{l}"] = rng.standard_normal((dims[l], dims[l - 1])) * np.sqrt(2.0 / dims[l - 1])
        params[f"b{l}"] = np.zeros((dims[l], 1))
    return params


def forward(X: np.ndarray, params: dict[str, np.ndarray]) -> tuple[np.ndarray, list]:
    L = len(params) // 2
    A = X
    caches = []
    for l in range(1, L + 1):
        Z = params[f"W{l}"] @ A + params[f"b{l}"]
        A_prev = A
        A = 1 / (1 + np.exp(-Z)) if l == L else np.maximum(0, Z)
        caches.append((A_prev, Z))
    return A, caches


def cross_entropy(AL: np.ndarray, Y: np.ndarray, params: dict[str, np.ndarray], lambd: float) -> float:
    m = Y.shape[1]
    J = -np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)) / m
    if lambd:
        J += lambd / (2 * m) * sum(np.sum(params[k] ** 2) for k in params if k.startswith("W"))
    return float(J)


def backward(AL, Y, caches, params, lambd: float) -> dict[str, np.ndarray]:
    L = len(caches)
    m = Y.shape[1]
    grads = {}
    dZ = AL - Y  # sigmoid + cross-entropy
    dA = None
    for l in range(L, 0, -1):
        A_prev, Z = caches[l - 1]
        if l < L:
            dZ = dA * (Z > 0)
        W = params[f"W{l}"]
        grads[f"dW{l}"] = dZ @ A_prev.T / m + (lambd / m * W if lambd else 0)
        grads[f"db{l}"] = np.sum(dZ, axis=1, keepdims=True) / m
        dA = W.T @ dZ
    return grads


@dataclass
class Calls:
    """Counts our own cost and gradient calls (nndoctor reports cost calls only)."""

    cost: int = 0
    grad: int = 0


Corruption = Callable[[dict, dict], dict]  # (correct grads, params) -> the buggy backward's grads


def make_functions(X, Y, lambd: float = 0.0, corrupt: Corruption | None = None,
                   calls: Calls | None = None) -> tuple[Callable, Callable]:
    """Pure-style (cost_fn, grad_fn); ``corrupt`` turns the backward pass into a buggy one."""
    calls = calls if calls is not None else Calls()

    def cost_fn(params):
        calls.cost += 1
        AL, _ = forward(X, params)
        return cross_entropy(AL, Y, params, lambd)

    def grad_fn(params):
        calls.grad += 1
        AL, caches = forward(X, params)
        grads = backward(AL, Y, caches, params, lambd)
        return corrupt(grads, params) if corrupt else grads

    return cost_fn, grad_fn


def n_parameters(params: dict[str, np.ndarray]) -> int:
    return sum(p.size for p in params.values())


# --- data ----------------------------------------------------------------------------------

def load_data(dims: list[int], m: int) -> tuple[np.ndarray, np.ndarray, str]:
    """(X, Y, description): the cat images if present, else uniform noise of the same shape."""
    cat = catdata.load()
    if cat is not None:
        X, Y, path = cat
        source = f"cat images ({path})"
        if X.shape != (dims[0], m):
            source += f", first {dims[0]} pixel values of the first {m} images"
        return X[: dims[0], :m].copy(), Y[:, :m].copy(), source
    rng = np.random.default_rng(DATA_SEED)
    X = rng.random((dims[0], m))
    Y = (rng.random((1, m)) < 0.5).astype(np.float64)
    return X, Y, f"synthetic uniform [0,1) data (seed {DATA_SEED}; cat data set not found or no h5py)"


# --- timing helpers ------------------------------------------------------------------------

def median_seconds(fn, params) -> float:
    """Median seconds of one call, after one untimed warm-up (allocations, BLAS threads)."""
    fn(params)
    times = []
    for _ in range(UNIT_RUNS):
        start = time.perf_counter()
        fn(params)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def time_forward_backward(grad_fn, params) -> float:
    """One forward+backward pass: the unit every cost is expressed in."""
    return median_seconds(grad_fn, params)


def time_cost(cost_fn, params) -> float:
    """One cost evaluation (forward only), for reading the other columns."""
    return median_seconds(cost_fn, params)


@dataclass
class Row:
    """One line of the final table."""

    method: str
    evaluations: int | None
    seconds: float
    note: str = ""


# --- nndoctor ------------------------------------------------------------------------------

@dataclass(frozen=True)
class PlantedBug:
    name: str  # short, for the table
    label: str
    block: str  # the only parameter whose gradient is wrong
    lambd: float
    corrupt: Corruption
    entry: tuple[int, ...] | None = None  # for a single wrong entry: where


def planted_bugs(params, X, Y) -> list[PlantedBug]:
    """The four classic mistakes, each confined to one parameter block."""
    m = Y.shape[1]
    index, g_entry = pick_entry(params, X, Y)

    def wrong_entry(g, p):
        dW1 = g["dW1"].copy()
        dW1[index] += 0.5 * abs(dW1[index])
        return {**g, "dW1": dW1}

    return [
        PlantedBug("dW1 x 2", "dW1 x 2 (scale)", "W1", 0.0, lambda g, p: {**g, "dW1": 2 * g["dW1"]}),
        PlantedBug("dW3 sign", "dW3 sign flipped", "W3", 0.0, lambda g, p: {**g, "dW3": -g["dW3"]}),
        # The cost has the L2 term; removing lambd/m * W2 from the correct dW2 is exactly the
        # backward pass that forgot it in layer 2 (and only there).
        PlantedBug("L2 forgotten in dW2", f"L2 (lambd={L2_LAMBDA}) forgotten in dW2", "W2", L2_LAMBDA,
                   lambda g, p: {**g, "dW2": g["dW2"] - L2_LAMBDA / m * p["W2"]}),
        PlantedBug("one dW1 entry +50%", f"one entry of dW1 +50% (dW1[{index[0]},{index[1]}] = {g_entry:.3g})",
                   "W1", 0.0, wrong_entry, entry=index),
    ]


def pick_entry(params, X, Y) -> tuple[tuple[int, int], float]:
    """A random entry of dW1 among the larger half (by magnitude): 50% of a zero entry (a dead
    ReLU unit, a black pixel) would be no bug at all."""
    _, grad_fn = make_functions(X, Y)
    dW1 = grad_fn(params)["dW1"]
    magnitude = np.abs(dW1).ravel()
    candidates = np.flatnonzero(magnitude >= np.median(magnitude[magnitude > 0]))
    flat = int(np.random.default_rng(SAMPLE_SEED).choice(candidates))
    index = tuple(int(i) for i in np.unravel_index(flat, dW1.shape))
    return index, float(dW1[index])


def run_nndoctor(X, Y, params, seed: int, lambd: float = 0.0, corrupt: Corruption | None = None):
    calls = Calls()
    cost_fn, grad_fn = make_functions(X, Y, lambd, corrupt, calls)
    result = nndoctor.check_gradients(cost_fn, grad_fn, params, seed=seed, n_examples=Y.shape[1])
    return result, calls


def describe_blocks(result) -> str:
    """Every block that is not 'ok', with what nndoctor said about it."""
    parts = []
    for name, p in result.parameters.items():
        if p.status == "ok":
            continue
        detail = p.kind or "-"
        if p.factor is not None:
            detail += f", factor {p.factor:.4g}"
        parts.append(f"{name} [{p.status}: {detail}; {p.evaluations} evals]")
    return ", ".join(parts) if parts else "none"


def warm_up_nndoctor() -> None:
    """Same courtesy as for torch: first-call set-up (lazy imports, source reading) is not timed."""
    nndoctor.check_gradients(lambda p: float(np.sum(p["w"] ** 2)), lambda p: {"dw": 2 * p["w"]},
                             {"w": np.ones(3)}, seed=0)


def bench_nndoctor(X, Y, params, seed: int, unit: float) -> tuple[list[Row], list[str]]:
    """The correct network, then each planted bug; returns table rows and problems seen."""
    rows, problems = [], []
    warm_up_nndoctor()
    print("\n== nndoctor.check_gradients (directional) ==")
    result, calls = run_nndoctor(X, Y, params, seed)
    status = "OK" if result.verdict == "pass" else "PROBLEM"
    print(f"correct network: verdict {result.verdict} [{status}]  evaluations {result.evaluations} "
          f"(+{calls.grad} grad_fn calls)  {result.seconds:.3f} s  {result.seconds / unit:.1f} x fwd+bwd")
    per_block = ", ".join(f"{n}:{p.evaluations}" for n, p in result.parameters.items())
    print(f"  evaluations per block: {per_block}")
    if result.verdict != "pass":
        problems.append(f"correct network, seed {seed}: verdict {result.verdict}; "
                        f"blocks {describe_blocks(result)}; findings: "
                        + "; ".join(f.message for f in result.findings))
    rows.append(Row("nndoctor, correct network", result.evaluations, result.seconds))

    print("\nplanted bugs, one at a time (expected: exactly the planted block flagged):")
    for bug in planted_bugs(params, X, Y):
        result, calls = run_nndoctor(X, Y, params, seed, bug.lambd, bug.corrupt)
        flagged = [n for n, p in result.parameters.items() if p.status != "ok"]
        exact = flagged == [bug.block] and result.verdict == "fail"
        print(f"- {bug.label}")
        print(f"    verdict {result.verdict}; flagged: {describe_blocks(result)}")
        print(f"    evaluations {result.evaluations} (+{calls.grad} grad_fn calls)  {result.seconds:.3f} s  "
              f"{result.seconds / unit:.1f} x fwd+bwd  -> {'OK' if exact else 'MISMATCH'} "
              f"(planted in {bug.block})")
        if bug.entry is not None and bug.block in result.parameters:
            worst = result.parameters[bug.block].worst_entries
            found = bool(worst) and worst[0].index == bug.entry
            where = ", ".join(w.label(bug.block) for w in worst) or "none reported"
            print(f"    worst entries: {where} -> {'OK' if found else 'MISMATCH'} "
                  f"(planted at {bug.block}[{bug.entry[0]},{bug.entry[1]}])")
            exact = exact and found
        if not exact:
            problems.append(f"planted bug '{bug.label}' (seed {seed}): expected only {bug.block}, "
                            f"verdict {result.verdict}, flagged {describe_blocks(result)}")
        rows.append(Row(f"nndoctor, {bug.name}", result.evaluations, result.seconds))
    return rows, problems


# --- the textbook loop ---------------------------------------------------------------------

def bench_textbook(X, Y, params, unit: float) -> Row:
    """Two cost evaluations per coordinate; timed on a sample, extrapolated to every parameter.

    Perturbs one entry in place and restores it (cheaper than the course's dictionary_to_vector
    round trip), so the extrapolation is a lower bound on the course's code."""
    cost_fn, grad_fn = make_functions(X, Y)
    grads = grad_fn(params)
    work = {k: v.copy() for k, v in params.items()}
    names = list(work)
    sizes = np.array([work[k].size for k in names])
    total = int(sizes.sum())
    sample = np.sort(np.random.default_rng(SAMPLE_SEED).choice(total, min(TEXTBOOK_SAMPLE, total), replace=False))
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    analytic, numeric = [], []
    start = time.perf_counter()
    for flat in sample:
        block = int(np.searchsorted(offsets, flat, side="right") - 1)
        name, i = names[block], int(flat - offsets[block])
        theta = work[name].reshape(-1)  # a view: writes go into work[name]
        keep = theta[i]
        theta[i] = keep + TEXTBOOK_EPS
        j_plus = cost_fn(work)
        theta[i] = keep - TEXTBOOK_EPS
        j_minus = cost_fn(work)
        theta[i] = keep
        numeric.append((j_plus - j_minus) / (2 * TEXTBOOK_EPS))
        analytic.append(grads["d" + name].reshape(-1)[i])
    seconds = time.perf_counter() - start
    per_coordinate = seconds / len(sample)
    estimate = per_coordinate * total
    rel = nndoctor.relative_difference(np.array(analytic), np.array(numeric))
    print("\n== textbook loop (central difference per coordinate, eps=1e-7) ==")
    print(f"measured: {len(sample)} random coordinates, {2 * len(sample)} evaluations, {seconds:.3f} s "
          f"({per_coordinate * 1e3:.2f} ms per coordinate); relative difference on them {rel:.2e}")
    print(f"extrapolated to all {total:,} parameters: {2 * total:,} evaluations, {describe_duration(estimate)} "
          f"= {estimate / unit:,.0f} x fwd+bwd")
    label = "textbook loop" + ("" if len(sample) == total else f" (extrapolated from {len(sample)} coords)")
    return Row(label, 2 * total, estimate)


# --- torch.autograd.gradcheck --------------------------------------------------------------

def torch_cost(torch, X, Y, names: list[str], calls: Calls) -> Callable:
    """The same cost as a torch function of the parameter tensors (in ``names`` order)."""
    Xt, Yt = torch.from_numpy(X), torch.from_numpy(Y)
    m = Y.shape[1]
    L = len(names) // 2

    def count_backward(grad):
        calls.grad += 1

    def fn(*tensors):
        calls.cost += 1
        p = dict(zip(names, tensors))
        A = Xt
        for l in range(1, L + 1):
            Z = p[f"W{l}"] @ A + p[f"b{l}"]
            A = torch.sigmoid(Z) if l == L else torch.relu(Z)
        J = -torch.sum(Yt * torch.log(A) + (1 - Yt) * torch.log(1 - A)) / m
        if J.requires_grad:
            J.register_hook(count_backward)
        return J

    return fn


def run_torch_gradcheck(torch, fn, params, check: set[str], fast: bool) -> tuple[float, str]:
    """Seconds and outcome of one gradcheck; only the blocks in ``check`` are perturbed."""
    from torch.autograd.gradcheck import GradcheckError

    inputs = tuple(torch.tensor(v, dtype=torch.float64, requires_grad=k in check) for k, v in params.items())
    start = time.perf_counter()
    try:
        ok = torch.autograd.gradcheck(fn, inputs, fast_mode=fast)
        outcome = "pass" if ok else "fail"
    except GradcheckError as err:
        outcome = f"fail ({str(err).splitlines()[0]})"
    return time.perf_counter() - start, outcome


def warm_up_torch(torch) -> None:
    """gradcheck's first call pays ~0.3 s of one-time set-up; keep it out of the timings."""
    x = torch.ones(3, dtype=torch.float64, requires_grad=True)
    torch.autograd.gradcheck(lambda t: (t * t).sum(), (x,), fast_mode=True)


def bench_torch(X, Y, params, unit: float) -> list[Row]:
    print("\n== torch.autograd.gradcheck (checks torch's own autograd of the same cost) ==")
    # torch's OpenMP threads spin between parallel regions and starve numpy's OpenBLAS threads (and
    # the reverse) when cores are few: on a 2-core machine the same slow gradcheck took 1 s to 78 s
    # from run to run. Passive waiting makes the timing repeatable. Read when torch loads, so here.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        import torch
    except ImportError:
        print("skipped: torch is not installed")
        return []
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}")
    warm_up_torch(torch)
    names = list(params)
    total = n_parameters(params)
    rows = []

    calls = Calls()
    fn = torch_cost(torch, X, Y, names, calls)
    fn(*(torch.from_numpy(v) for v in params.values()))  # warm-up, not counted
    calls.cost = 0
    seconds, outcome = run_torch_gradcheck(torch, fn, params, set(names), fast=True)
    print(f"fast_mode=True, every block: {outcome}; {calls.cost} evaluations, {calls.grad} backward passes, "
          f"{seconds:.3f} s = {seconds / unit:.1f} x fwd+bwd (measured)")
    rows.append(Row("torch gradcheck fast_mode", calls.cost, seconds))

    checked = {k for k, v in params.items() if v.size <= TORCH_SLOW_BLOCK_LIMIT}
    coords = sum(params[k].size for k in checked)
    calls = Calls()
    fn = torch_cost(torch, X, Y, names, calls)
    seconds, outcome = run_torch_gradcheck(torch, fn, params, checked, fast=False)
    held = sorted(set(names) - checked)
    scope = "every block" if not held else f"blocks {', '.join(sorted(checked))} ({coords:,} coords; " \
                                           f"{', '.join(held)} held fixed)"
    print(f"fast_mode=False, {scope}: {outcome}; {calls.cost} evaluations, {calls.grad} backward passes, "
          f"{seconds:.3f} s (measured)")
    if held:
        # each coordinate costs two full forward passes whatever block it is in
        overhead = calls.cost - 2 * coords
        evaluations = 2 * total + overhead
        seconds = seconds * total / coords
        print(f"  extrapolated to all {total:,} parameters: {evaluations:,} evaluations, "
              f"{describe_duration(seconds)} = {seconds / unit:,.0f} x fwd+bwd")
        rows.append(Row(f"torch gradcheck slow (extrapolated from {coords} coords)", evaluations, seconds))
    else:
        print(f"  = {seconds / unit:,.0f} x fwd+bwd")
        rows.append(Row("torch gradcheck slow", calls.cost, seconds))
    return rows


# --- report ----------------------------------------------------------------------------------

def format_seconds(seconds: float) -> str:
    """Four significant digits, so the sub-millisecond unit of --quick still reads."""
    return f"{seconds:.4g}" if seconds < 1000 else f"{seconds:,.0f}"


def describe_duration(seconds: float) -> str:
    return f"{seconds:.1f} s" + (f" = {seconds / 60:.1f} min" if seconds >= 60 else "")


def print_table(rows: list[Row], unit: float) -> None:
    header = ("method", "cost evaluations", "seconds", "x one forward+backward")
    cells = [header] + [
        (r.method, "-" if r.evaluations is None else f"{r.evaluations:,}", format_seconds(r.seconds),
         f"{r.seconds / unit:,.1f}")
        for r in rows
    ]
    widths = [max(len(c[i]) for c in cells) for i in range(len(header))]
    print("\n== summary (all numbers from this run) ==")
    for n, c in enumerate(cells):
        print(" | ".join(c[0].ljust(widths[0]) if i == 0 else c[i].rjust(widths[i]) for i in range(len(c))))
        if n == 0:
            print("-+-".join("-" * w for w in widths))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help=f"small network {QUICK['dims']}, m={QUICK['m']}")
    parser.add_argument("--seed", type=int, default=CHECK_SEED, help="nndoctor's direction seed")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    config = QUICK if args.quick else FULL
    dims, m = config["dims"], config["m"]
    X, Y, source = load_data(dims, m)
    params = he_init(dims, INIT_SEED)
    cost_fn, grad_fn = make_functions(X, Y)
    unit = time_forward_backward(grad_fn, params)
    forward_only = time_cost(cost_fn, params)

    print(f"network {dims}, m = {m}, {n_parameters(params):,} parameters, float64, He init (seed {INIT_SEED})")
    print(f"data: {source}")
    print(f"numpy {np.__version__}, nndoctor {nndoctor.__version__}, python {sys.version.split()[0]}")
    print(f"unit: one forward+backward = {unit * 1e3:.3f} ms (median of {UNIT_RUNS}); "
          f"one cost evaluation (forward) = {forward_only * 1e3:.3f} ms")

    rows = [Row("one forward+backward (unit)", None, unit)]
    nndoctor_rows, problems = bench_nndoctor(X, Y, params, args.seed, unit)
    rows += nndoctor_rows
    rows.append(bench_textbook(X, Y, params, unit))
    rows += bench_torch(X, Y, params, unit)
    print_table(rows, unit)
    if problems:
        print("\nPROBLEMS:")
        for p in problems:
            print(f"- {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
