"""Benchmark: the memory the gradient check and `nndoctor check` need, for two networks side by side.

    python benchmarks/memory.py           # cat [12288, 20, 7, 5, 1] m = 209 and [1024, 4096, 4096, 1] m = 64
    python benchmarks/memory.py --quick   # [256, 20, 7, 5, 1] and [256, 512, 512, 1], m = 64: a smoke test

Networks (course style: ReLU hidden layers, a sigmoid output, cross-entropy, He initialization,
zero biases, float64, examples as columns: benchmarks/gradcheck_scale.py's, not imported from tests/):

- cat: [12288, 20, 7, 5, 1] on the course's 209 cat images, train_catvnoncat.h5 from
  ../shared/data or /work/shared/data read with h5py (uniform random data of the same shape when
  the file or h5py is missing; the header says which);
- wide: [1024, 4096, 4096, 1], m = 64 standard normal examples, about 21M parameters (168 MB).

Part 1, in this process, with tracemalloc (numpy's and Python's allocations):
``nndoctor.check_gradients(cost, grads, params)`` on the correct network and with dW1 x 2 planted.
Peak extra memory = tracemalloc's peak during the call minus what was held before it, over the
bytes of the parameters. One plain forward+backward of the same network (the ``grads`` function
alone) is given in the same unit for reference: the check runs that function, so its peak is part
of the check's. The verdict must be "pass" on the correct network and "fail" with W1 flagged on the
planted one.

Part 2, in subprocesses: a course-style training script per network (initialize_parameters /
forward / cost / backward / update and ``model(X, Y, ...)`` called at module level, 20 iterations
at learning rate 0.0075, its data in .npy files next to it) is run twice: ``python FILE`` (the
program alone) and
``python -m nndoctor check FILE --format json -o out.json`` (the whole check: the CLI and the
child process it runs the file in). Each run is started by its own fresh ``python -I -c`` wrapper,
which prints ``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`` once the run has ended: that run's
own peak, the largest resident set of any one of its processes (the CLI, or the child it reaped).
The wrapper matters: a child started from a big process (subprocess uses vfork) inherits that
process's high-water mark at exec, so measured from this script every run read the script's own
peak. The wrapper's floor (the same wrapper running ``true``) is printed. Linux keeps no peak of
the sum over processes, so the script also samples the summed VmRSS of the run's processes every
50 ms ("tree sum": a sampled lower bound of that peak; shared library pages count once per process).
The script initializes as the course's L_layer_model does, randn / sqrt(n_prev): with He's
sqrt(2 / n_prev) the cat network's dW1, dW2 and dW3 are exactly 0 from iteration 2 on at this
learning rate, and the check rightly reports NND305 zero-gradient. The check watches a slow
training run for at most min(6 s, timeout / 5) and at least 10 steps (program_budget in
nndoctor/checkfile/report.py), so on a busy machine it watches
fewer iterations of the wide network than the program alone runs; no option lifts that share. The
"watched" column says how many. As a control, both runs are repeated on a copy of the script that
trains 3 iterations: if the peaks hardly move, they do not depend on the iterations run.

Exit code 1 only when a verdict is wrong: part 1's, or the check of a correct training script
reporting a failed gradient check.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one BLAS thread, before numpy loads (children inherit it)

import argparse  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

import nndoctor  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gradcheck_scale import Net, data, functions, he_init, peak_memory  # noqa: E402  (the same course-style network)

MB = 1e6
ITERATIONS = 20
CONTROL_ITERATIONS = 3  # the same script, shorter: does either peak depend on the iterations run?
SAMPLE_SECONDS = 0.05


NETS = [Net("cat", [12288, 20, 7, 5, 1], 209, cat=True), Net("wide", [1024, 4096, 4096, 1], 64)]
QUICK = [Net("cat-quick", [256, 20, 7, 5, 1], 64, cat=True), Net("wide-quick", [256, 512, 512, 1], 64)]


def double_dW1(grads: dict, _params: dict) -> dict:
    return {**grads, "dW1": 2 * grads["dW1"]}


@dataclass
class Part1:
    fwd_bwd: float = 0.0  # peaks over the parameters' bytes
    clean: float = 0.0
    planted: float = 0.0
    clean_verdict: str = ""
    planted_verdict: str = ""
    planted_flagged: str = ""
    clean_seconds: float = 0.0
    planted_seconds: float = 0.0
    right: bool = True


def part1(net: Net, X, Y, params, param_bytes: int) -> Part1:
    out = Part1()
    _, grads = functions(X, Y, net.layers)
    peak = peak_memory(lambda: grads(params))
    out.fwd_bwd = peak / param_bytes
    for plant in (False, True):
        cost_fn, grad_fn = functions(X, Y, net.layers, corrupt=double_dW1 if plant else None)
        start = time.perf_counter()
        results: list = []
        peak = peak_memory(lambda c=cost_fn, g=grad_fn, r=results: r.append(nndoctor.check_gradients(c, g, params, seed=0)))
        result = results[0]
        seconds = time.perf_counter() - start
        flagged = [n for n, p in result.parameters.items() if p.status != "ok"]
        if plant:
            out.planted, out.planted_verdict, out.planted_seconds = peak / param_bytes, result.verdict, seconds
            out.planted_flagged = ",".join(flagged) or "none"
            out.right &= result.verdict == "fail" and flagged == ["W1"]
        else:
            out.clean, out.clean_verdict, out.clean_seconds = peak / param_bytes, result.verdict, seconds
            out.right &= result.verdict == "pass"
        del result
    return out


# --- the training script (part 2) ------------------------------------------------------------------

SCRIPT = '''"""A course-style L-layer network, trained for {iterations} iterations (generated by benchmarks/memory.py)."""
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
X = np.load(os.path.join(HERE, "train_x.npy"))
Y = np.load(os.path.join(HERE, "train_y.npy"))
layers_dims = {dims!r}


def initialize_parameters(layers_dims):
    np.random.seed(1)
    parameters = {{}}
    for l in range(1, len(layers_dims)):
        parameters["W" + str(l)] = np.random.randn(layers_dims[l], layers_dims[l - 1]) / np.sqrt(layers_dims[l - 1])
        parameters["b" + str(l)] = np.zeros((layers_dims[l], 1))
    return parameters


def forward(X, parameters):
    caches = []
    A = X
    L = len(parameters) // 2
    for l in range(1, L + 1):
        A_prev = A
        Z = np.dot(parameters["W" + str(l)], A_prev) + parameters["b" + str(l)]
        if l == L:
            A = 1 / (1 + np.exp(-Z))
        else:
            A = np.maximum(0, Z)
        caches.append((A_prev, Z))
    return A, caches


def cost(AL, Y):
    m = Y.shape[1]
    J = -np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)) / m
    return float(np.squeeze(J))


def backward(AL, Y, caches, parameters):
    grads = {{}}
    L = len(caches)
    m = Y.shape[1]
    dZ = AL - Y
    for l in reversed(range(1, L + 1)):
        A_prev, Z = caches[l - 1]
        if l < L:
            dZ = np.array(dA, copy=True)
            dZ[Z <= 0] = 0
        grads["dW" + str(l)] = np.dot(dZ, A_prev.T) / m
        grads["db" + str(l)] = np.sum(dZ, axis=1, keepdims=True) / m
        dA = np.dot(parameters["W" + str(l)].T, dZ)
    return grads


def update(parameters, grads, learning_rate):
    L = len(parameters) // 2
    for l in range(1, L + 1):
        parameters["W" + str(l)] = parameters["W" + str(l)] - learning_rate * grads["dW" + str(l)]
        parameters["b" + str(l)] = parameters["b" + str(l)] - learning_rate * grads["db" + str(l)]
    return parameters


def model(X, Y, layers_dims, learning_rate=0.0075, num_iterations={iterations}, print_cost=False):
    costs = []
    parameters = initialize_parameters(layers_dims)
    for i in range(num_iterations):
        AL, caches = forward(X, parameters)
        J = cost(AL, Y)
        grads = backward(AL, Y, caches, parameters)
        parameters = update(parameters, grads, learning_rate)
        if i % 10 == 0:
            costs.append(J)
            if print_cost:
                print("Cost after iteration %i: %f" % (i, J))
    return parameters, costs


parameters, costs = model(X, Y, layers_dims, num_iterations={iterations}, print_cost=True)
'''


def write_programs(folder: Path, net: Net, X, Y) -> tuple[Path, Path]:
    """train.py (ITERATIONS) and train_short.py (CONTROL_ITERATIONS), with their data next to them."""
    folder.mkdir()
    np.save(folder / "train_x.npy", X)
    np.save(folder / "train_y.npy", Y)
    paths = folder / "train.py", folder / "train_short.py"
    for path, iterations in zip(paths, (ITERATIONS, CONTROL_ITERATIONS)):
        path.write_text(SCRIPT.format(dims=net.dims, iterations=iterations))
    return paths


# runs argv[1:] and prints its exit code and the ru_maxrss (KB) of the children it reaped: a fresh,
# small process, so that the measured run inherits no high-water mark from this (large) one
WRAPPER = ("import resource, subprocess, sys\n"
           "code = subprocess.run(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL).returncode\n"
           "print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")


def _tree(root: int) -> list[int]:
    """root's descendants, from the parent ids in /proc (there is no /proc/PID/task/TID/children here)."""
    parents: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], list(parents.get(root, []))
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += parents.get(pid, [])
    return found


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


@dataclass
class Run:
    maxrss: float  # MB: the largest process of the run (ru_maxrss of the wrapper's reaped children)
    tree_sum: float  # MB: the largest sampled sum of VmRSS over the run's processes
    seconds: float
    exit: int


def measured_run(command: list[str], cwd: Path) -> Run:
    """command run under WRAPPER; its processes' summed RSS sampled meanwhile."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-I", "-c", WRAPPER, *command], cwd=cwd, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    tree_peak = 0
    while proc.poll() is None:
        tree_peak = max(tree_peak, sum(_rss(p) for p in _tree(proc.pid)))
        time.sleep(SAMPLE_SECONDS)
    seconds = time.perf_counter() - start
    out, err = proc.communicate()
    try:
        code, maxrss_kb = (int(x) for x in out.split())
    except ValueError:
        raise SystemExit(f"the wrapper failed ({proc.returncode}): {err.decode(errors='replace')[-800:]}") from None
    if code != 0 and "nndoctor" not in command[1:3]:
        print(f"   ! {' '.join(command)} exited {code}: {err.decode(errors='replace').strip()[-400:]}")
    return Run(maxrss_kb * 1024 / MB, tree_peak / MB, seconds, code)


@dataclass
class Checked:
    run: Run
    iterations: int  # training iterations the check watched (20 unless its time limit stopped the run)
    gradients: str  # the verdict of its gradient check
    findings: str  # the report's findings, rule:severity

    @property
    def right(self) -> bool:  # the training scripts are correct: the gradient check must pass
        return self.gradients == "pass" and self.run.exit in (0, 1)


def checked(path: Path, *options: str) -> Checked:
    out = path.parent / "out.json"
    out.unlink(missing_ok=True)
    run = measured_run([sys.executable, "-m", "nndoctor", "check", path.name, *options, "--format", "json",
                        "-o", out.name], path.parent)
    if not out.exists():
        return Checked(run, 0, "no report", "-")
    report = json.loads(out.read_text())
    iterations = sum(r.get("iterations", 0) for r in (report.get("training") or {}).get("runs", []))
    gradients = (report.get("gradient_check") or {}).get("verdict", "not run")
    findings = ", ".join(f"{f.get('rule')}:{f.get('severity')}" for f in report.get("findings", [])) or "none"
    return Checked(run, iterations, gradients, findings)


@dataclass
class Part2:
    program: Run
    check: Checked
    short_program: Run  # the same script training CONTROL_ITERATIONS iterations
    short_check: Checked


def part2(net: Net, X, Y, tmp: Path) -> Part2:
    path, short = write_programs(tmp / net.name, net, X, Y)
    return Part2(measured_run([sys.executable, path.name], path.parent), checked(path),
                 measured_run([sys.executable, short.name], path.parent), checked(short))


def describe(label: str, program: Run, check: Checked, iterations: int) -> str:
    return (f"   {label}: python FILE {program.maxrss:.0f} MB ({program.seconds:.1f} s, exit {program.exit}, "
            f"tree sum {program.tree_sum:.0f} MB); nndoctor check FILE {check.run.maxrss:.0f} MB "
            f"({check.run.seconds:.1f} s, exit {check.run.exit}, {check.iterations} of {iterations} iterations "
            f"watched, tree sum {check.run.tree_sum:.0f} MB); check/program {check.run.maxrss / program.maxrss:.2f}, "
            f"{check.run.maxrss - program.maxrss:+.0f} MB; report: gradient check {check.gradients}, "
            f"findings {check.findings}")


# --- main ------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small networks: a smoke test")
    args = parser.parse_args(argv)
    nets = QUICK if args.quick else NETS
    print(f"numpy {np.__version__}, nndoctor {nndoctor.__version__}, python {sys.version.split()[0]}, "
          f"OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}, cpus {os.cpu_count()}, "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    rows = []
    problems = []
    floor = measured_run(["true"], Path.cwd())
    bare = measured_run([sys.executable, "-c", "import numpy"], Path.cwd())
    print(f"wrapper floor (ru_maxrss of `true` under it): {floor.maxrss:.0f} MB; "
          f"`python -c 'import numpy'`: {bare.maxrss:.0f} MB")
    with tempfile.TemporaryDirectory(prefix="nndoctor-memory-") as tmp:
        for net in nets:
            X, Y, source = data(net)
            params = he_init(net.dims, seed=1)
            n_params = sum(v.size for v in params.values())
            param_bytes = sum(v.nbytes for v in params.values())
            print(f"\n== {net.name}: {net.dims}, m = {net.m}, {n_params:,} parameters "
                  f"({param_bytes / MB:.1f} MB), data: {source}", flush=True)
            one = part1(net, X, Y, params, param_bytes)
            print(f"   check_gradients peak extra memory / parameter bytes: one forward+backward alone "
                  f"{one.fwd_bwd:.2f}; correct network {one.clean:.2f} (verdict {one.clean_verdict}, "
                  f"{one.clean_seconds:.1f} s under tracemalloc); dW1 x 2 planted {one.planted:.2f} "
                  f"(verdict {one.planted_verdict}, flagged {one.planted_flagged}, {one.planted_seconds:.1f} s)",
                  flush=True)
            if not one.right:
                problems.append(f"{net.name}: check_gradients verdicts {one.clean_verdict} (correct) / "
                                f"{one.planted_verdict} flagging {one.planted_flagged} (dW1 x 2)")
            del params
            gc.collect()
            two = part2(net, X, Y, Path(tmp))
            print(f"   peak RSS (ru_maxrss: the largest process of the run; tree sum: the summed RSS of its "
                  f"processes, sampled every {SAMPLE_SECONDS * 1e3:.0f} ms); parameters {param_bytes / MB:.1f} MB")
            print(describe(f"{ITERATIONS} iterations", two.program, two.check, ITERATIONS))
            print(describe(f"control, {CONTROL_ITERATIONS} iterations", two.short_program, two.short_check,
                           CONTROL_ITERATIONS))
            for label, run in ((f"{ITERATIONS} iterations", two.check), (f"{CONTROL_ITERATIONS} iterations", two.short_check)):
                if not run.right:
                    problems.append(f"{net.name}: nndoctor check of the correct {label} script: exit {run.run.exit}, "
                                    f"gradient check {run.gradients}")
            sys.stdout.flush()
            rows.append((net, n_params, param_bytes, one, two))
    print("\nSummary. Part 1: tracemalloc peak during the call / parameter bytes. Part 2: peak RSS in MB "
          "(ru_maxrss, the largest process); tree sums sampled (program / check); control: the same two runs "
          f"of a {CONTROL_ITERATIONS}-iteration copy of the script")
    header = ("network", "params", "MB", "fwd+bwd", "check", "planted", "verdicts", "python FILE", "nndoctor check",
              "watched", "ratio", "diff MB", "tree sums", "control")
    table = [header]
    for net, n_params, param_bytes, one, two in rows:
        program, check = two.program, two.check
        table.append((net.name, f"{n_params / 1e6:.2f}M", f"{param_bytes / MB:.1f}", f"{one.fwd_bwd:.2f}",
                      f"{one.clean:.2f}", f"{one.planted:.2f}", f"{one.clean_verdict}/{one.planted_verdict}",
                      f"{program.maxrss:.0f}", f"{check.run.maxrss:.0f}", f"{check.iterations}/{ITERATIONS}",
                      f"{check.run.maxrss / program.maxrss:.2f}", f"{check.run.maxrss - program.maxrss:+.0f}",
                      f"{program.tree_sum:.0f} / {check.run.tree_sum:.0f}",
                      f"{two.short_program.maxrss:.0f} / {two.short_check.run.maxrss:.0f}"))
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    for r in table:
        print("  " + "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if problems:
        print("PROBLEMS:\n  " + "\n  ".join(problems))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
