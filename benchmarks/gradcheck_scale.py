"""Benchmark: the gradient check at every scale, clean and with each planted kind, torch side by side.

    python benchmarks/gradcheck_scale.py              # every network of the table (several minutes)
    python benchmarks/gradcheck_scale.py --quick      # small networks, one round (a smoke test)
    python benchmarks/gradcheck_scale.py --seeds 10   # also: the 10- and 20-layer nets over 10 seeds
    python benchmarks/gradcheck_scale.py --only cat,L20 --rounds 7
    python benchmarks/gradcheck_scale.py --clock cpu  # CPU time: other jobs on the machine do not count

Networks (course style: ReLU hidden layers, a sigmoid output, cross-entropy, He initialization,
zero biases, float64, examples as columns, written out here, not imported from tests/):

- cat: [12288, 20, 7, 5, 1] on the course's 209 cat images (synthetic data of the same shape
  when train_catvnoncat.h5 or h5py is missing; the header says which);
- 1e5, 1e6, 1e7: [n, h, h, 1] with about that many parameters, m = 64 standard normal examples;
- L10, L20: 10 and 20 layers, [256, 64, ..., 64, 1], m = 64.

Per network, in units of one forward+backward pass of the same network as a training iteration
runs it (forward, cost, backward; with the L2 term for the network that has one), warm, measured
side by side in interleaved rounds on one BLAS thread, each line's ratio taken in every round
against that round's unit, the median over rounds given:

- nndoctor clean: ratio, cost evaluations (+ gradient calls), peak extra memory / parameter bytes;
- torch.autograd.gradcheck(fast_mode=True) on the same cost written in torch, when torch is
  installed (an optional benchmark dependency: ``pip install torch==2.13.0``); without it, the
  column says so and the rest runs;
- each planted kind, one at a time (scale, sign, missing-term, other = one wrong entry,
  transpose, shape, missing): ratio, evaluations, memory, and whether exactly the planted block
  was flagged with the planted kind (and, for the wrong entry, the entry listed first).

Peak extra memory is measured with tracemalloc in a separate, untimed run (tracemalloc slows
every allocation): the largest memory numpy and Python held during check_gradients beyond what
they held before it, over the bytes of the parameters. It includes what the user's own cost and
gradient functions allocate while the check runs them (their gradients, activations, temporaries);
the column gives it whole, then, in parentheses, beyond the peak of one forward+backward of the
user's code by itself: the part the check adds.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one BLAS thread, before numpy loads
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse  # noqa: E402
import gc  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

import nndoctor  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import catdata  # noqa: E402  (benchmarks/catdata.py)

M = 64  # examples of the synthetic networks
L2_LAMBDA = 0.7
CHECK_SEED = 0
KINDS = ("scale", "sign", "missing-term", "other", "transpose", "shape", "missing")
TARGET_CLEAN, TARGET_FAILURE, TARGET_MEMORY = 5.0, 20.0, 3.0
# What a time is: the wall clock (default), or the CPU time of this process (--clock cpu), which
# a machine shared with other jobs does not inflate: a check of a few milliseconds is preempted
# more often than a forward+backward of one, and its wall-clock ratio grows with the load.
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
CLOCK = CLOCKS["wall"]


@dataclass(frozen=True)
class Net:
    name: str
    dims: list[int]
    m: int
    cat: bool = False

    @property
    def layers(self) -> int:
        return len(self.dims) - 1


NETS = [
    Net("cat", [12288, 20, 7, 5, 1], 209, cat=True),
    Net("1e5", [1000, 90, 90, 1], M),
    Net("1e6", [4000, 240, 240, 1], M),
    Net("1e7", [20000, 500, 500, 1], M),
    Net("L10", [256] + [64] * 9 + [1], M),
    Net("L20", [256] + [64] * 19 + [1], M),
]
QUICK = [Net("cat-quick", [256, 20, 7, 5, 1], 64, cat=True), Net("1e4", [200, 40, 40, 1], M),
         Net("L10", [256] + [64] * 9 + [1], M)]


# --- the network -----------------------------------------------------------------------------------

def he_init(dims: list[int], seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    params = {}
    for l in range(1, len(dims)):
        params[f"W{l}"] = rng.standard_normal((dims[l], dims[l - 1])) * np.sqrt(2.0 / dims[l - 1])
        params[f"b{l}"] = np.zeros((dims[l], 1))
    return params


def forward(X, params, L):
    A, caches = X, []
    for l in range(1, L + 1):
        Z = params[f"W{l}"] @ A + params[f"b{l}"]
        caches.append((A, Z))
        A = 1 / (1 + np.exp(-Z)) if l == L else np.maximum(0, Z)
    return A, caches


def cost(AL, Y, params, L, lambd):
    m = Y.shape[1]
    J = -np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)) / m
    if lambd:
        J += lambd / (2 * m) * sum(np.sum(params[f"W{l}"] ** 2) for l in range(1, L + 1))
    return float(J)


def backward(AL, Y, caches, params, L, lambd):
    m = Y.shape[1]
    grads = {}
    dZ, dA = AL - Y, None
    for l in range(L, 0, -1):
        A_prev, Z = caches[l - 1]
        if l < L:
            dZ = dA * (Z > 0)
        W = params[f"W{l}"]
        grads[f"dW{l}"] = dZ @ A_prev.T / m + (lambd / m * W if lambd else 0)
        grads[f"db{l}"] = np.sum(dZ, axis=1, keepdims=True) / m
        dA = W.T @ dZ
    return grads


Corruption = Callable[[dict, dict], dict]


def functions(X, Y, L, lambd=0.0, corrupt: Corruption | None = None):
    def cost_fn(params):
        return cost(forward(X, params, L)[0], Y, params, L, lambd)

    def grad_fn(params):
        AL, caches = forward(X, params, L)
        grads = backward(AL, Y, caches, params, L, lambd)
        return corrupt(grads, params) if corrupt else grads

    return cost_fn, grad_fn


def training_step(X, Y, L, lambd=0.0):
    """One forward+backward as a training iteration runs it: the forward, the cost (with its L2
    term when the network has one) and the backward. The unit of every ratio: for a network
    with an L2 term, the cost's sum of squares over every weight is part of its step (at 1e7
    parameters it costs about as much as a third of the forward)."""
    def step(params):
        AL, caches = forward(X, params, L)
        cost(AL, Y, params, L, lambd)
        return backward(AL, Y, caches, params, L, lambd)

    return step


def data(net: Net, seed: int = 2) -> tuple[np.ndarray, np.ndarray, str]:
    if net.cat:
        cat = catdata.load()
        if cat is not None:
            X, Y, path = cat
            return X[: net.dims[0], : net.m].copy(), Y[:, : net.m].copy(), f"cat images ({path})"
        rng = np.random.default_rng(seed)
        return (rng.random((net.dims[0], net.m)), (rng.random((1, net.m)) < 0.5).astype(float),
                "SYNTHETIC uniform data (the cat data set or h5py is missing)")
    rng = np.random.default_rng(seed)
    return rng.standard_normal((net.dims[0], net.m)), (rng.random((1, net.m)) < 0.5).astype(float), "standard normal"


# --- planted bugs ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Planted:
    kind: str
    block: str
    corrupt: Corruption
    lambd: float = 0.0
    entry: tuple[int, ...] | None = None


def planted(net: Net, params, X, Y) -> list[Planted]:
    L = net.layers
    mid = max(1, L // 2)
    square = next((l for l in range(2, L + 1) if params[f"W{l}"].shape[0] == params[f"W{l}"].shape[1]), None)
    m = Y.shape[1]
    _, grad_fn = functions(X, Y, L)
    dW1 = grad_fn(params)["dW1"]
    magnitude = np.abs(dW1).ravel()
    candidates = np.flatnonzero(magnitude >= np.median(magnitude[magnitude > 0]))
    flat = int(np.random.default_rng(3).choice(candidates))
    entry = tuple(int(i) for i in np.unravel_index(flat, dW1.shape))

    def wrong_entry(g, p):
        d = g["dW1"].copy()
        d[entry] += 0.5 * abs(d[entry])
        return {**g, "dW1": d}

    bugs = [
        Planted("scale", "W1", lambda g, p: {**g, "dW1": 2 * g["dW1"]}),
        Planted("sign", f"W{mid}", lambda g, p: {**g, f"dW{mid}": -g[f"dW{mid}"]}),
        Planted("missing-term", f"W{mid}", lambda g, p: {**g, f"dW{mid}": g[f"dW{mid}"] - L2_LAMBDA / m * p[f"W{mid}"]},
                lambd=L2_LAMBDA),
        Planted("other", "W1", wrong_entry, entry=entry),
        Planted("shape", "b1", lambda g, p: {**g, "db1": g["db1"].ravel()}),
        Planted("missing", "W1", lambda g, p: {k: v for k, v in g.items() if k != "dW1"}),
    ]
    if square is not None:
        bugs.insert(4, Planted("transpose", f"W{square}", lambda g, p: {**g, f"dW{square}": g[f"dW{square}"].T}))
    return bugs


def judged(result, bug: Planted | None) -> tuple[bool, str]:
    """(right, what was flagged): clean -> verdict pass; planted -> exactly its block, its kind."""
    flagged = {n: p for n, p in result.parameters.items() if p.status != "ok"}
    text = ", ".join(f"{n}:{p.status}/{p.kind or '-'}" for n, p in flagged.items()) or "none"
    if bug is None:
        return result.verdict == "pass", text
    p = result.parameters[bug.block]
    right = list(flagged) == [bug.block] and result.verdict == "fail" and (p.kind == bug.kind or
                                                                           (bug.kind == "missing" and p.status == "missing"))
    if bug.entry is not None:
        right = right and bool(p.worst_entries) and p.worst_entries[0].index == bug.entry
    return right, text


# --- measuring ---------------------------------------------------------------------------------------

SAMPLE = 0.05  # seconds: a timed sample repeats a call until it lasts this long (timeit's autorange)


def per_call(fn, calls: int | None = None) -> tuple[float, int]:
    """(time per call, calls) of one sample: ``fn`` called ``calls`` times, or as many times as it
    takes to last SAMPLE seconds. A check of a few milliseconds timed once is at the mercy of one
    preemption or timer tick; a sample of 50 ms is not."""
    if calls is None:
        calls, start = 0, CLOCK()
        while True:
            fn()
            calls += 1
            if CLOCK() - start >= SAMPLE:
                return (CLOCK() - start) / calls, calls
    start = CLOCK()
    for _ in range(calls):
        fn()
    return (CLOCK() - start) / calls, calls


def median_time(fn, runs: int) -> float:
    fn()
    return statistics.median(per_call(fn)[0] for _ in range(runs))


def peak_memory(fn) -> int:
    """The largest memory (numpy and Python) held during fn() beyond what was held before it."""
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        fn()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


@dataclass
class Line:
    label: str
    times: list[float] = field(default_factory=list)  # per round: time over that round's forward+backward
    evaluations: str = "-"
    memory: float | None = None
    right: bool | None = None
    note: str = ""


def check(X, Y, params, net: Net, bug: Planted | None, seed: int = CHECK_SEED):
    cost_fn, grad_fn = functions(X, Y, net.layers, bug.lambd if bug else 0.0, bug.corrupt if bug else None)
    return nndoctor.check_gradients(cost_fn, grad_fn, params, seed=seed, n_examples=Y.shape[1])


def torch_setup():
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    x = torch.ones(3, dtype=torch.float64, requires_grad=True)
    torch.autograd.gradcheck(lambda t: (t * t).sum(), (x,), fast_mode=True)  # one-time set-up, untimed
    return torch


def torch_gradcheck(torch, X, Y, params, L):
    Xt, Yt = torch.from_numpy(X), torch.from_numpy(Y)
    names = list(params)
    m = Y.shape[1]

    def fn(*tensors):
        p = dict(zip(names, tensors))
        A = Xt
        for l in range(1, L + 1):
            Z = p[f"W{l}"] @ A + p[f"b{l}"]
            A = torch.sigmoid(Z) if l == L else torch.relu(Z)
        return -torch.sum(Yt * torch.log(A) + (1 - Yt) * torch.log(1 - A)) / m

    inputs = tuple(torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in params.values())
    return lambda: torch.autograd.gradcheck(fn, inputs, fast_mode=True)


def bench(net: Net, rounds: int, torch, kinds: tuple[str, ...]) -> list[str]:
    """Every line is timed in every round, right after the unit: a ratio per round, and the
    table gives each line's median ratio (a machine whose load drifts moves both sides alike)."""
    X, Y, source = data(net)
    params = he_init(net.dims, 1)
    n_params = sum(v.size for v in params.values())
    param_bytes = sum(v.nbytes for v in params.values())
    steps = {lambd: training_step(X, Y, net.layers, lambd) for lambd in (0.0, L2_LAMBDA)}
    _, grad_fn = functions(X, Y, net.layers)
    clean = Line("nndoctor, correct network")
    torch_line = Line("torch gradcheck(fast_mode=True)")
    torch_run = torch_gradcheck(torch, X, Y, params, net.layers) if torch is not None else None
    bugs = [bug for bug in planted(net, params, X, Y) if bug.kind in kinds]
    # (line, what it times, the lambda of its network: its unit is that network's training step)
    timed: list[tuple[Line, Callable[[], object], float]] = [(clean, lambda: check(X, Y, params, net, None), 0.0)]
    if torch_run is not None:
        timed.append((torch_line, torch_run, 0.0))
    lines = {bug.kind: Line(f"nndoctor, planted {bug.kind} in {bug.block}") for bug in bugs}
    timed += [(lines[bug.kind], lambda bug=bug: check(X, Y, params, net, bug), bug.lambd) for bug in bugs]
    for _, fn, _ in timed:
        fn()  # warm-up: lazy imports, first-call set-up
    unit_runs = []
    for _ in range(rounds):  # interleaved: the units, then every line, in every round
        units = {lambd: median_time(lambda step=step: step(params), 3) for lambd, step in steps.items()}
        unit_runs.append(units[0.0])
        for line, fn, lambd in timed:
            line.times.append(per_call(fn)[0] / units[lambd])
    result = check(X, Y, params, net, None)
    clean.evaluations = f"{result.evaluations} (+{result.gradient_calls} grad)"
    clean.right, clean.note = judged(result, None)
    user_peak = peak_memory(lambda: grad_fn(params)) / param_bytes  # what one forward+backward itself takes
    clean.memory = peak_memory(lambda: check(X, Y, params, net, None)) / param_bytes
    if torch_run is not None:
        # no memory figure: tracemalloc does not see torch's own allocator
        torch_line.note = "pass/fail only, for torch's own autograd (memory: not seen by tracemalloc)"
    else:
        torch_line.note = "not measured: torch is not installed (pip install torch==2.13.0)"
    for bug in bugs:
        line = lines[bug.kind]
        result = check(X, Y, params, net, bug)
        line.evaluations = f"{result.evaluations} (+{result.gradient_calls} grad)"
        line.right, line.note = judged(result, bug)
        line.memory = peak_memory(lambda bug=bug: check(X, Y, params, net, bug)) / param_bytes
    out = [f"\n== {net.name}: {net.dims}, m = {net.m}, {n_params:,} parameters ({param_bytes / 1e6:.1f} MB), data: {source}",
           f"   one forward+backward (forward, cost, backward) = {statistics.median(unit_runs) * 1e3:.2f} ms (median of {len(unit_runs)} rounds x 3 "
           f"samples of >= {SAMPLE * 1e3:.0f} ms); its own peak memory = {user_peak:.2f} x the parameters"]
    out += table([clean, torch_line, *lines.values()], net.name.startswith(("cat", "1e", "L")), user_peak)
    return out


def table(lines: list[Line], targets: bool, user_peak: float) -> list[str]:
    """Peak memory is given whole, then beyond what one forward+backward of the user's code takes
    by itself (its gradients, activations, temporaries): the part the check adds."""
    rows = [("check", "x fwd+bwd", "cost evals", "peak mem / params (beyond fwd+bwd)", "result")]
    for line in lines:
        if not line.times:
            rows.append((line.label, "-", "-", "-", line.note))
            continue
        ratio = statistics.median(line.times)
        target = TARGET_CLEAN if "correct" in line.label else TARGET_FAILURE
        mark = "" if "torch" in line.label or not targets else ("" if ratio <= target else "  (over target)")
        verdict = "" if line.right is None else ("OK: " if line.right else "WRONG: ")
        memory = "-" if line.memory is None else f"{line.memory:.2f} ({max(line.memory - user_peak, 0.0):.2f})"
        rows.append((line.label, f"{ratio:.2f}{mark}", line.evaluations, memory, verdict + line.note))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    return ["   " + "  ".join(r[i].ljust(widths[i]) if i == 0 else r[i].rjust(widths[i]) for i in range(4)) + "  " + r[4]
            for r in rows]


def seed_study(seeds: int) -> list[str]:
    """The 10- and 20-layer nets over ``seeds`` initializations: verdicts, and each planted kind found."""
    out = [f"\n== seeds: 10- and 20-layer ReLU nets, {seeds} initializations each (check seed = init seed)"]
    for net in (n for n in NETS if n.name in ("L10", "L20")):
        verdicts, found, evaluations, spent = [], {}, [], {}
        for seed in range(seeds):
            X, Y, _ = data(net, seed=100 + seed)
            params = he_init(net.dims, seed)
            result = check(X, Y, params, net, None, seed=seed)
            verdicts.append(result.verdict)
            evaluations.append(result.evaluations)
            for bug in planted(net, params, X, Y):
                planted_result = check(X, Y, params, net, bug, seed=seed)
                right, _ = judged(planted_result, bug)
                found.setdefault(bug.kind, []).append(right)
                spent.setdefault(bug.kind, []).append(planted_result.evaluations)
        passes = sum(v == "pass" for v in verdicts)
        out.append(f"   {net.name}: correct network pass in {passes}/{seeds} (verdicts: {', '.join(verdicts)}); "
                   f"evaluations {min(evaluations)}-{max(evaluations)}")
        out.append("   planted, found in exactly its block with its kind (cost evaluations: median, max): " +
                   ", ".join(f"{k} {sum(v)}/{len(v)} ({statistics.median(spent[k]):.0f}, {max(spent[k])})"
                             for k, v in found.items()))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small networks, one round")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per network (default 5)")
    parser.add_argument("--only", default="", help="comma-separated network names (cat, 1e5, 1e6, 1e7, L10, L20)")
    parser.add_argument("--kinds", default=",".join(KINDS), help="planted kinds to run")
    parser.add_argument("--seeds", type=int, default=0, help="also run the seed study of the deep nets")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall",
                        help="wall clock (default) or this process's CPU time, which other jobs on the machine do not inflate")
    parser.add_argument("--no-table", action="store_true", help="skip the table (with --seeds)")
    args = parser.parse_args(argv)
    nets = QUICK if args.quick else NETS
    if args.only:
        wanted = set(args.only.split(","))
        nets = [n for n in nets if n.name in wanted]
    rounds = 1 if args.quick else args.rounds
    global CLOCK
    CLOCK = CLOCKS[args.clock]
    torch = torch_setup()
    print(f"clock: {args.clock} ({'time.perf_counter' if args.clock == 'wall' else 'time.process_time: CPU time of this process'})")
    print(f"numpy {np.__version__}, nndoctor {nndoctor.__version__}, python {sys.version.split()[0]}, "
          f"OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}, load average {os.getloadavg()[0]:.2f}")
    print(f"torch: {torch.__version__ + ' (gradcheck fast_mode, 1 thread)' if torch else 'not installed (pip install torch==2.13.0 to compare)'}")
    print(f"targets: correct network <= {TARGET_CLEAN}x, localized failure <= {TARGET_FAILURE}x, "
          f"peak memory <= {TARGET_MEMORY}x the parameters")
    lines: list[str] = []
    if not args.no_table:
        for net in nets:
            block = bench(net, rounds, torch, tuple(args.kinds.split(",")))
            print("\n".join(block), flush=True)
            lines += block
    if args.seeds:
        block = seed_study(args.seeds)
        print("\n".join(block), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
