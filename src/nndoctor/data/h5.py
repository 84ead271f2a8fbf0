"""Opening course-style HDF5 data sets: ``load_h5("train_catvnoncat.h5")``.

The course ships its images as HDF5 files holding an input array, a label array and usually the
class names: ``train_catvnoncat.h5`` has ``train_set_x`` (209, 64, 64, 3) uint8, ``train_set_y``
(209,) and ``list_classes``; ``test_catvnoncat.h5`` has ``test_set_x`` / ``test_set_y``;
``train_signs.h5`` the same for the signs. Nothing here hard-codes those names: every data set of
the file is listed, inputs and labels are recognized by their names (``*_x``/``*_y``, ``X``/``Y``,
``images``/``labels``, ``xtrain``/``ytrain``...) and paired by a common stem and a matching
number of examples. The file is opened read-only and never written.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nndoctor.errors import InvalidInputError

X_WORDS = frozenset({"x", "images", "image", "imgs", "img", "inputs", "input", "features", "data", "pixels", "samples"})
Y_WORDS = frozenset({"y", "labels", "label", "targets", "target"})
CLASS_WORDS = frozenset({"classes", "classnames", "names"})
SPLIT_WORDS = ("train", "training", "test", "testing", "dev", "val", "valid", "validation")
IGNORED_WORDS = frozenset({"orig", "original", "raw"})
PIXEL_MAX = 255.0
_GLUED = re.compile(r"^(?:([xy])(" + "|".join(SPLIT_WORDS) + r")|(" + "|".join(SPLIT_WORDS) + r")([xy]))$")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


class DataFileError(InvalidInputError):
    """A data file cannot be used: missing, not HDF5, damaged, or without recognizable inputs and
    labels. The message names the file and the keys it holds."""


@dataclass(frozen=True)
class H5Data:
    """What `load_h5` read. ``X, Y = load_h5(path)`` unpacks the two arrays."""

    X: np.ndarray
    Y: np.ndarray
    classes: list[Any] | None
    path: str
    x_key: str
    y_key: str
    classes_key: str | None
    keys: tuple[str, ...]  # every data set in the file, with its group path
    layout: str  # "columns": X (n_x, m), Y (1, m) or (C, m); "rows": X (m, n_x), Y (m, 1) or (m, C)
    stored_shape: tuple[int, ...]  # the input array as the file holds it
    scaled_by: float | None = None  # 255.0 when pixels were divided by 255
    one_hot: bool = False
    notes: tuple[str, ...] = field(default=())

    @property
    def examples(self) -> int:
        return int(self.X.shape[1 if self.layout == "columns" else 0])

    @property
    def example_axis(self) -> int:
        """The axis of ``X`` (and ``Y``) holding the examples: 0 for rows, the last for columns."""
        return self.X.ndim - 1 if self.layout == "columns" else 0

    def __iter__(self) -> Iterator[np.ndarray]:
        return iter((self.X, self.Y))

    def describe(self) -> str:
        scaled = f", divided by {self.scaled_by:g}" if self.scaled_by else ""
        classes = f", classes {self.classes}" if self.classes is not None else ""
        return (f"{os.path.basename(self.path)}: X = {self.x_key} {tuple(self.stored_shape)} -> {tuple(self.X.shape)}"
                f"{scaled}; Y = {self.y_key} -> {tuple(self.Y.shape)}{classes}")


def load_h5(path: str | os.PathLike[str], *, layout: str = "columns", flatten: bool = True, scale: bool = True,
            one_hot: bool = False, split: str | None = None, x_key: str | None = None,
            y_key: str | None = None) -> H5Data:
    """Read the inputs, labels and class names of a course-style HDF5 data set.

    - ``layout="columns"`` (the course): ``X`` is ``(n_x, m)`` when flattened (``(h, w, c, m)``
      otherwise) and ``Y`` is ``(1, m)``, or ``(C, m)`` with ``one_hot=True``.
      ``layout="rows"``: ``X`` is ``(m, n_x)`` (or ``(m, h, w, c)``), ``Y`` is ``(m, 1)`` or ``(m, C)``.
    - ``flatten``: images become one column (or row) of ``h*w*c`` values, in the course's order
      (``X.reshape(m, -1)``).
    - ``scale``: pixel data (``uint8``, or whole numbers from 0 to 255) is divided by 255 into
      float64 values in [0, 1]. Inputs already within [0, 1] are left as they are, and so are
      other ranges (the result's ``notes`` say so): those need standardizing with the training
      set's statistics, which one file alone cannot know.
    - ``split`` picks one pair when a file holds several (``"train"``, ``"test"``); ``x_key`` and
      ``y_key`` name the data sets outright.

    Raises `DataFileError` (an `InvalidInputError`) for a missing, non-HDF5 or damaged file, for
    missing keys and for inputs and labels of different lengths, with the keys the file holds."""
    if layout not in ("columns", "rows"):
        raise InvalidInputError(f"layout={layout!r}: use 'columns' (X of shape (n_x, m), the course's) or 'rows' "
                                f"(X of shape (m, n_x)).")
    path = Path(os.fspath(path))
    with _open(path) as (handle, shapes):
        x_name, y_name, notes = _choose(path, shapes, split=split, x_key=x_key, y_key=y_key)
        classes_name = _classes_key(shapes, x_name)
        X = _read(handle, path, x_name, shapes)
        Y = _read(handle, path, y_name, shapes)
        classes = _decode_classes(_read(handle, path, classes_name, shapes)) if classes_name else None
    return _arrange(path, X, Y, classes, x_name, y_name, classes_name, tuple(shapes), layout=layout,
                    flatten=flatten, scale=scale, one_hot=one_hot, notes=notes)


def datasets(path: str | os.PathLike[str]) -> dict[str, tuple[int, ...]]:
    """Every data set of an HDF5 file with its shape, without reading the data."""
    with _open(Path(os.fspath(path))) as (_, shapes):
        return {name: shape for name, (shape, _) in shapes.items()}


@contextlib.contextmanager
def _open(path: Path) -> Iterator[tuple[Any, dict[str, Any]]]:
    """The open file (read-only) and its data sets, or a DataFileError saying what is wrong."""
    _check_file(path)
    import h5py

    try:
        handle = h5py.File(path, "r")
    except OSError as exc:
        raise DataFileError(_open_failed(path, exc)) from None
    with handle:
        try:
            shapes = _datasets(handle)
        except (OSError, RuntimeError, KeyError, ValueError, TypeError) as exc:
            raise DataFileError(f"{path} is damaged: its list of data sets cannot be read ({_first_line(exc)}). "
                                f"Get the file again.") from None
        yield handle, shapes


def _check_file(path: Path) -> None:
    if not path.exists():
        near = sorted(p.name for p in path.parent.glob("*.h5")) if path.parent.is_dir() else []
        hint = f" HDF5 files in {path.parent}: {', '.join(near)}." if near else ""
        raise DataFileError(f"no file {path}.{hint}")
    if path.is_dir():
        raise DataFileError(f"{path} is a folder; give the path of the .h5 file inside it.")
    import h5py

    if not h5py.is_hdf5(path):
        raise DataFileError(f"{path} is not an HDF5 file{_sniff(path)}.")


def _sniff(path: Path) -> str:
    """What the file looks like instead, from its first bytes."""
    try:
        with open(path, "rb") as f:
            head = f.read(256)
    except OSError:
        return ""
    size = path.stat().st_size
    if size == 0:
        return ": it is empty (0 bytes); the download or copy did not finish"
    if head.startswith(b"\x89HDF"):
        return f": it starts like one but is damaged or truncated ({size:,} bytes); get it again"
    if head.startswith(b"PK\x03\x04"):
        return ": it is a zip archive (an .npz file?); open .npz files with np.load(path)"
    if head.startswith(b"\x93NUMPY"):
        return ": it is a .npy array; open it with np.load(path)"
    if head.startswith(b"MATLAB 5.0"):
        return ": it is a MATLAB .mat file (version 5); open it with scipy.io.loadmat(path)"
    if head.startswith(b"version https://git-lfs"):
        return ": it is a Git LFS pointer, not the data; run `git lfs pull` to fetch the real file"
    text = head.lstrip().lower()
    if text.startswith((b"<!doctype html", b"<html")):
        return ": it is an HTML page (a failed download saved as .h5?); download the file itself"
    return f" (its first bytes are {head[:8]!r}; HDF5 files start with b'\\x89HDF\\r\\n\\x1a\\n')"


def _datasets(handle: Any) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    import h5py

    found: dict[str, tuple[tuple[int, ...], np.dtype]] = {}

    def visit(name: str, obj: Any) -> None:
        if isinstance(obj, h5py.Dataset):
            found[name] = (tuple(obj.shape), obj.dtype)

    handle.visititems(visit)
    return found


def _read(handle: Any, path: Path, name: str, shapes: dict[str, Any]) -> np.ndarray:
    try:
        return np.asarray(handle[name][()])
    except (OSError, RuntimeError, ValueError, KeyError, TypeError) as exc:
        raise DataFileError(f"{path}: the data set {name!r} {shapes[name][0]} cannot be read "
                            f"({_first_line(exc)}); the file is damaged or truncated. Get it again.") from None


def _open_failed(path: Path, exc: BaseException) -> str:
    size = path.stat().st_size
    text = str(exc)
    eof = re.search(r"eof = (\d+).*stored_eof = (\d+)", text)
    if eof and int(eof.group(2)) > size:
        return (f"{path} is truncated: it has {size:,} bytes but its header says {int(eof.group(2)):,} "
                f"(an interrupted download or copy). Get the file again.")
    return (f"{path} could not be opened as HDF5 ({size:,} bytes): {_first_line(exc)}. The file is probably "
            f"damaged or truncated (an interrupted download or copy); get it again.")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


# -- recognizing the keys -------------------------------------------------------------------------

def _words(name: str) -> list[str]:
    base = name.rsplit("/", 1)[-1]
    words: list[str] = []
    for part in re.split(r"[^A-Za-z0-9]+", _CAMEL.sub("_", base)):
        part = part.lower()
        if not part:
            continue
        glued = _GLUED.match(part)
        if glued:
            words += [w for w in glued.groups() if w]
        else:
            words.append(part)
    return words


def _role(name: str) -> str | None:
    words = set(_words(name))
    if words & CLASS_WORDS or name.rsplit("/", 1)[-1].lower() in ("list_classes", "class_names", "label_names"):
        return "classes"
    if words & Y_WORDS:
        return "y"
    if words & X_WORDS:
        return "x"
    return None


def _stem(name: str) -> tuple[str, ...]:
    words = [w for w in _words(name) if w not in X_WORDS | Y_WORDS | IGNORED_WORDS]
    folder = name.rsplit("/", 1)[0] if "/" in name else ""
    return (folder, *words)


def _example_counts(shape: tuple[int, ...], labels: bool) -> set[int]:
    if not shape:
        return set()
    if labels:
        if len(shape) == 1:
            return {shape[0]}
        if len(shape) == 2 and 1 in shape:
            return {shape[0] * shape[1]}
        return {shape[0], shape[-1]}
    return {shape[0], shape[-1]} if len(shape) == 2 else {shape[0]}


def _label_count(shape: tuple[int, ...], x_shape: tuple[int, ...]) -> int:
    common = _example_counts(shape, True) & _example_counts(x_shape, False)
    return next(iter(common)) if len(common) == 1 else x_shape[0]


def _describe(shapes: dict[str, Any]) -> str:
    if not shapes:
        return "it holds no data sets at all"
    return "it holds " + ", ".join(f"{k} {v[0]} {v[1]}" for k, v in shapes.items())


def _choose(path: Path, shapes: dict[str, Any], *, split: str | None, x_key: str | None,
            y_key: str | None) -> tuple[str, str, tuple[str, ...]]:
    for given, what in ((x_key, "x_key"), (y_key, "y_key")):
        if given is not None and given not in shapes:
            raise DataFileError(f"{path} has no data set {given!r} ({what}); {_describe(shapes)}.")
    if x_key is not None and y_key is not None:
        pairs = [(x_key, y_key)]
    else:
        xs = [k for k in shapes if _role(k) == "x" and len(shapes[k][0]) >= 1] if x_key is None else [x_key]
        ys = [k for k in shapes if _role(k) == "y" and len(shapes[k][0]) >= 1] if y_key is None else [y_key]
        if not xs and not ys:
            xs, ys = _by_shape(shapes)
        if not xs:
            raise DataFileError(f"{path}: no input array found ({_describe(shapes)}). Inputs are recognized by "
                                f"names like train_set_x, X, x_train, images; pass x_key='...'.")
        if not ys:
            raise DataFileError(f"{path}: no label array found ({_describe(shapes)}). Labels are recognized by "
                                f"names like train_set_y, Y, y_train, labels; pass y_key='...'.")
        pairs = [(x, y) for x in xs for y in ys if _stem(x) == _stem(y)]
        if not pairs and len(xs) == 1 and len(ys) == 1:
            pairs = [(xs[0], ys[0])]
        if not pairs:
            raise DataFileError(f"{path}: cannot tell which labels go with which inputs (inputs {', '.join(xs)}; "
                                f"labels {', '.join(ys)}); pass x_key='...' and y_key='...'.")
    if split is not None:
        wanted = split.lower()
        chosen = [p for p in pairs if wanted in _words(p[0]) or wanted in p[0].lower()]
        if not chosen:
            raise DataFileError(f"{path}: no data set of split {split!r}; it holds "
                                f"{', '.join(f'{x}/{y}' for x, y in pairs)}.")
        pairs = chosen
    for x, y in pairs:
        xs_shape, ys_shape = shapes[x][0], shapes[y][0]
        if not _example_counts(ys_shape, True) & _example_counts(xs_shape, False):
            if len(pairs) == 1:
                x_m = xs_shape[0] if xs_shape else 0
                y_m = ys_shape[0] if len(ys_shape) == 1 else ys_shape
                raise DataFileError(f"{path}: the inputs {x} {xs_shape} hold {x_m} examples but the labels {y} "
                                    f"{ys_shape} hold {y_m}; the two must have one label per example "
                                    f"({_describe(shapes)}).")
    pairs = [(x, y) for x, y in pairs if _example_counts(shapes[y][0], True) & _example_counts(shapes[x][0], False)]
    if not pairs:
        raise DataFileError(f"{path}: no inputs and labels with the same number of examples ({_describe(shapes)}); "
                            f"pass x_key='...' and y_key='...'.")
    if len(pairs) > 1:
        listed = "; ".join(f"{x} {shapes[x][0]} with {y}" for x, y in pairs)
        splits = sorted({w for x, _ in pairs for w in _words(x) if w in SPLIT_WORDS})
        how = f"split={splits[0]!r}" if splits else "x_key='...', y_key='...'"
        raise DataFileError(f"{path} holds {len(pairs)} data sets ({listed}); pass {how} to pick one.")
    x, y = pairs[0]
    notes = () if (x_key or y_key) else (f"inputs {x!r} and labels {y!r} recognized by name",)
    return x, y, notes


def _by_shape(shapes: dict[str, Any]) -> tuple[list[str], list[str]]:
    """No recognizable names: the one multi-dimensional array and the one vector of its length."""
    numeric = {k: v for k, v in shapes.items() if v[1].kind in "uifb"}
    xs = [k for k, v in numeric.items() if len(v[0]) >= 2 and 1 not in v[0][:2]]
    ys = [k for k, v in numeric.items() if len(v[0]) == 1 or (len(v[0]) == 2 and 1 in v[0])]
    pairs = [(x, y) for x in xs for y in ys
             if _example_counts(shapes[y][0], True) & _example_counts(shapes[x][0], False)]
    if len(pairs) == 1:
        return [pairs[0][0]], [pairs[0][1]]
    return [], []


def _classes_key(shapes: dict[str, Any], x_name: str) -> str | None:
    found = [k for k in shapes if _role(k) == "classes" and len(shapes[k][0]) <= 1]
    if not found:
        return None
    folder = x_name.rsplit("/", 1)[0] if "/" in x_name else ""
    same = [k for k in found if (k.rsplit("/", 1)[0] if "/" in k else "") == folder]
    return (same or found)[0]


def _decode_classes(values: np.ndarray) -> list[Any]:
    out = []
    for v in np.atleast_1d(values).tolist():
        out.append(v.decode("utf-8", "replace") if isinstance(v, bytes) else v)
    return out


# -- the arrays in the layout asked for -----------------------------------------------------------

def _arrange(path: Path, X: np.ndarray, Y: np.ndarray, classes: list[Any] | None, x_name: str, y_name: str,
             classes_name: str | None, keys: tuple[str, ...], *, layout: str, flatten: bool, scale: bool,
             one_hot: bool, notes: tuple[str, ...]) -> H5Data:
    stored = tuple(X.shape)
    notes = list(notes)
    m = _label_count(tuple(Y.shape), stored)
    if X.ndim >= 2 and X.shape[0] != m and X.shape[-1] == m:
        X = np.moveaxis(X, -1, 0)  # stored as columns: bring the examples first
        notes.append(f"{x_name} is stored with the examples on its last axis")
    if X.ndim == 1:
        X = X.reshape(-1, 1)
    labels = _labels_first(Y, m, y_name, path)  # (m,) class values, or (m, C) already one-hot
    scaled_by = None
    if scale:
        X, scaled_by, note = _scale(X)
        if note:
            notes.append(note)
    if flatten and X.ndim > 2:
        X = X.reshape(X.shape[0], -1)
    was_one_hot = labels.ndim == 2
    if one_hot and not was_one_hot:
        labels = _to_one_hot(labels, classes, y_name, path)
    elif labels.ndim == 1:
        labels = labels.reshape(-1, 1)
    if layout == "columns":
        X = np.ascontiguousarray(np.moveaxis(X, 0, -1))
        labels = np.ascontiguousarray(labels.T)
    else:
        X = np.ascontiguousarray(X)
    return H5Data(X=X, Y=labels, classes=classes, path=str(path), x_key=x_name, y_key=y_name,
                  classes_key=classes_name, keys=keys, layout=layout, stored_shape=stored, scaled_by=scaled_by,
                  one_hot=one_hot or was_one_hot, notes=tuple(notes))


def _labels_first(Y: np.ndarray, m: int, name: str, path: Path) -> np.ndarray:
    if Y.ndim == 1 or (Y.ndim == 2 and 1 in Y.shape):
        return Y.reshape(-1)
    if Y.ndim == 2:
        if Y.shape[0] == m:
            return Y
        if Y.shape[1] == m:
            return Y.T
    raise DataFileError(f"{path}: the labels {name} have shape {Y.shape}; expected one label per example "
                        f"((m,), (1, m), or one-hot (m, C)) with m = {m}.")


def _scale(X: np.ndarray) -> tuple[np.ndarray, float | None, str | None]:
    if X.dtype == bool or X.size == 0:
        return X, None, None
    lo, hi = X.min(), X.max()
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return X, None, "the inputs contain NaN or inf: left unscaled"
    if lo >= 0 and hi <= 1:
        return X, None, "the inputs are already within [0, 1]: left as they are"
    whole = X.dtype.kind in "ui" or bool(np.all(np.mod(X.ravel()[:100_000], 1) == 0))
    if lo >= 0 and hi <= PIXEL_MAX and whole:
        return X / PIXEL_MAX, PIXEL_MAX, None
    return X, None, (f"the inputs range from {lo:g} to {hi:g}, not pixels 0-255: left unscaled; standardize "
                     f"them with the training set's mean and standard deviation")


def _to_one_hot(labels: np.ndarray, classes: list[Any] | None, name: str, path: Path) -> np.ndarray:
    if labels.dtype.kind == "f" and np.all(np.mod(labels, 1) == 0):
        labels = labels.astype(np.int64)
    if labels.dtype.kind not in "uib" or (labels.size and labels.min() < 0):
        raise DataFileError(f"{path}: one_hot=True needs class numbers 0, 1, ... in {name}; it holds "
                            f"{np.unique(labels)[:10].tolist()}.")
    count = int(labels.max()) + 1 if labels.size else 0
    if classes is not None and len(classes) >= count:
        count = len(classes)
    return np.eye(count)[labels.astype(np.int64)]
