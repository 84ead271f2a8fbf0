"""Finding the data a file trains on, and the arguments its training function needs.

In order: arrays the file built at module level (``train_x``, ``X``), the result of its loader
(``load_data()``, ``load_dataset()``, ``get_data()``), and, when there is neither, a small
synthetic batch of the right input size (the report says so).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from nndoctor.usercode import ProgramExit, WriteRefused

ITERATION_PARAMETERS = ("num_iterations", "iterations", "n_iterations", "num_iter", "n_iter", "max_iter",
                        "epochs", "num_epochs", "n_epochs", "epoch", "steps", "num_steps", "iters", "niter")
QUIET_PARAMETERS = {"print_cost": False, "verbose": False, "plot": False, "print_every": 10**9}
X_NAMES = ("x", "x_train", "train_x", "train_set_x", "xtrain", "x_tr", "inputs", "data", "features", "train_data")
Y_NAMES = ("y", "y_train", "train_y", "train_set_y", "ytrain", "y_tr", "labels", "targets", "train_labels")
DIMS_NAMES = ("layers_dims", "layer_dims", "layers", "dims", "layer_sizes", "sizes", "architecture", "nn_architecture")
LOADER_WORDS = ("load", "data", "dataset")
SYNTHETIC_EXAMPLES = 64


TEST_X_NAMES = ("x_test", "test_x", "test_set_x", "xtest", "x_dev", "dev_x", "x_val", "val_x", "test_data")
TEST_Y_NAMES = ("y_test", "test_y", "test_set_y", "ytest", "y_dev", "dev_y", "y_val", "val_y", "test_labels")


@dataclass
class Data:
    X: np.ndarray
    Y: np.ndarray
    source: str
    synthetic: bool = False
    X_test: np.ndarray | None = None
    Y_test: np.ndarray | None = None
    names: tuple[str, str, str, str] = ("train_x", "train_y", "test_x", "test_y")


def _as_columns(X: np.ndarray) -> np.ndarray:
    """Images (m, h, w, c) become (h*w*c, m) columns scaled to [0, 1], as the course does."""
    if X.ndim > 2:
        X = X.reshape(X.shape[0], -1).T
    if X.dtype.kind in "ui":
        X = X / 255.0 if X.max(initial=0) > 1 else X.astype(float)
    return X


def _labels(Y: np.ndarray) -> np.ndarray:
    return Y.reshape(1, -1) if Y.ndim == 1 else Y


def _examples_match(X: np.ndarray, Y: np.ndarray) -> bool:
    return X.ndim == 2 and Y.ndim in (1, 2) and (Y.shape[-1] in X.shape or Y.shape[0] in X.shape)


def from_training(ns: dict[str, Any], X: Any, axis: int | None) -> Data | None:
    """The module's arrays the training actually ran on: the name bound to the very X its steps got,
    the labels of as many examples named like labels (``X``/``Y``, ``train_x``/``train_y``), and a test
    set of the same features. A file that also splits its data another way for a side experiment
    (``X_train, X_test, y_train, y_test = train_test_split(X.T, Y.T)`` for sklearn) is not misread."""
    if not isinstance(X, np.ndarray) or X.ndim != 2 or axis not in (0, 1):
        return None
    xk = next((k for k, v in ns.items() if v is X and not k.startswith("_")), None)
    if xk is None:
        return None
    m, features = X.shape[axis], X.shape[1 - axis]

    def labels_of(count: int, names: tuple[str, ...], like: str) -> tuple[str, np.ndarray] | None:
        found = [(k, v) for k, v in ns.items() if isinstance(v, np.ndarray) and k.lower() in names and v is not X
                 and v.ndim in (1, 2) and (v.shape[-1] == count if v.ndim == 1 or axis == 1 else v.shape[0] == count)]
        found.sort(key=lambda kv: kv[0].lower().replace("y", "x") != like.lower())  # X/Y, train_x/train_y
        return found[0] if found else None

    y = labels_of(m, Y_NAMES, xk)
    if y is None:
        return None
    data = Data(X, y[1], f"the module's arrays {xk}, {y[0]}", names=(xk, y[0], "test_x", "test_y"))
    tests = [(k, v) for k, v in ns.items() if isinstance(v, np.ndarray) and k.lower() in TEST_X_NAMES
             and v.ndim == 2 and v.shape[1 - axis] == features]
    for tk, tX in tests:
        ty = labels_of(tX.shape[axis], TEST_Y_NAMES, tk)
        if ty is not None:
            data.X_test, data.Y_test = tX, ty[1]
            data.names = (xk, y[0], tk, ty[0])
            break
    return data


def from_namespace(ns: dict[str, Any]) -> Data | None:
    xs = [(k, v) for k, v in ns.items() if isinstance(v, np.ndarray) and k.lower() in X_NAMES and v.ndim == 2]
    ys = [(k, v) for k, v in ns.items() if isinstance(v, np.ndarray) and k.lower() in Y_NAMES]
    xs.sort(key=lambda kv: "train" not in kv[0].lower())
    for xk, X in xs:
        for yk, Y in ys:
            if _examples_match(X, Y):
                data = Data(X, Y, f"the module's arrays {xk}, {yk}")
                tx = next(((k, v) for k, v in ns.items() if isinstance(v, np.ndarray) and k.lower() in TEST_X_NAMES
                           and v.ndim == 2 and X.shape[0] in v.shape), None)
                ty = next(((k, v) for k, v in ns.items() if isinstance(v, np.ndarray) and k.lower() in TEST_Y_NAMES), None)
                if tx and ty and _examples_match(tx[1], ty[1]):
                    data.X_test, data.Y_test = tx[1], ty[1]
                    data.names = (xk, yk, tx[0], ty[0])
                else:
                    data.names = (xk, yk, "test_x", "test_y")
                return data
    return None


def from_loaders(ns: dict[str, Any], probe: Any) -> Data | None:
    for name, obj in list(ns.items()):
        func = getattr(obj, "__wrapped__", obj)
        if not inspect.isfunction(func) or not probe.is_learner(obj):
            continue
        if not any(w in name.lower() for w in LOADER_WORDS) or _required(func):
            continue
        try:
            result = obj()
        except WriteRefused as exc:  # it changes files: not a loader nndoctor may run
            probe.notes.append(f"{name}() was tried as a data loader and stopped: {exc}")
            continue
        except (SystemExit, ProgramExit) as exc:  # sys.exit("download the data first"): the search goes on
            probe.notes.append(f"{name}() was tried as a data loader and called exit({_exit_code(exc)})")
            continue
        except Exception as exc:  # noqa: BLE001 - a broken loader is reported, the search goes on
            probe.notes.append(f"{name}() was tried as a data loader and raised {type(exc).__name__}: {exc}")
            continue
        arrays = [r for r in (result if isinstance(result, (tuple, list)) else (result,)) if isinstance(r, np.ndarray)]
        if len(arrays) >= 2:
            X, Y = _as_columns(arrays[0]), _labels(arrays[1])
            if _examples_match(X, Y):
                data = Data(X, Y, f"{name}()", names=(f"{name}()[0]", f"{name}()[1]", f"{name}()[2]", f"{name}()[3]"))
                if len(arrays) >= 4:
                    tX, tY = _as_columns(arrays[2]), _labels(arrays[3])
                    if _examples_match(tX, tY) and tX.shape[0] == X.shape[0]:
                        data.X_test, data.Y_test = tX, tY
                return data
    return None


def _exit_code(exc: BaseException) -> str:
    code = getattr(exc, "code", None)
    return "" if code is None else repr(code)


def synthesize(ns: dict[str, Any], funcs: list[Callable[..., Any]]) -> Data | None:
    n_x = None
    for name in DIMS_NAMES:
        dims = ns.get(name)
        if isinstance(dims, (list, tuple)) and dims and isinstance(dims[0], (int, np.integer)):
            n_x = int(dims[0])
            break
    for func in funcs:
        if n_x is not None:
            break
        for p in inspect.signature(func).parameters.values():
            if p.name in DIMS_NAMES and isinstance(p.default, (list, tuple)) and p.default:
                n_x = int(p.default[0])
    if n_x is None:
        return None
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n_x, SYNTHETIC_EXAMPLES))
    Y = (rng.random((1, SYNTHETIC_EXAMPLES)) < 0.5).astype(float)
    return Data(X, Y, f"synthetic: {SYNTHETIC_EXAMPLES} random examples of {n_x} features (no data found)", True)


def find_data(probe: Any, candidates: list[Callable[..., Any]]) -> Data | None:
    """The data to call a guessed training function with; ``candidates``: those functions, whose
    arguments size synthesized data when the file has none."""
    ns = probe.namespace
    data = from_namespace(ns) or from_loaders(ns, probe)
    if data is None:
        data = synthesize(ns, candidates)
    if data is not None:
        probe.data_source = data.source
        probe.data = data
    return data


def _required(func: Callable[..., Any]) -> list[str]:
    try:
        params = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return ["?"]
    return [p.name for p in params if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def arguments_for(func: Callable[..., Any], data: Data | None, ns: dict[str, Any],
                  iterations: int, skip_first: bool = False) -> tuple[list[Any], dict[str, Any], str] | None:
    """(args, kwargs, a short description) to call the training function, or None if it cannot be."""
    try:
        params = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        return None
    if skip_first:
        params = params[1:]  # self
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    shown = []
    x_given = False
    for p in params:
        name = p.name.lower()
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        value: Any = p.empty
        if name in X_NAMES or (name in ("x",) or name.startswith("x_")) and not x_given:
            value, label = (data.X, "X") if data is not None else (p.empty, "")
            x_given = value is not p.empty
        elif name in Y_NAMES or name.startswith("y_"):
            value, label = (data.Y, "Y") if data is not None else (p.empty, "")
        elif name in ITERATION_PARAMETERS:
            default = p.default if isinstance(p.default, int) and p.default > 0 else iterations
            value, label = min(default, iterations), None
            label = f"{p.name}={value}"
        elif p.name in QUIET_PARAMETERS:
            value, label = QUIET_PARAMETERS[p.name], None
        elif p.default is p.empty and p.name in ns:
            value, label = ns[p.name], p.name
        elif p.default is p.empty and name in DIMS_NAMES:
            dims = next((ns[n] for n in DIMS_NAMES if n in ns), None)
            value, label = (dims, p.name) if dims is not None else (p.empty, "")
        if value is p.empty:
            if p.default is p.empty:
                return None  # a required argument nothing can fill
            continue
        if p.kind == p.POSITIONAL_ONLY:
            args.append(value)
        else:
            kwargs[p.name] = value
        if label:
            shown.append(label)
    return args, kwargs, ", ".join(shown)
