"""Running a learner's file in this process as its author would, on a machine with no screen.

What the author's machine had and this one may not: a window for plots, a keyboard for
``input()``, old numpy and matplotlib names (``np.int``, ``matplotlib.cm.get_cmap``). Plots go to
the Agg backend and ``plt.show()`` does nothing; ``input()`` reads end-of-file; removed names are
supplied again. Everything changed here is put back on exit, and what had to be neutralized is
reported, so the learner knows their file relies on it (``np.int`` is gone in numpy 2 and will
break their code elsewhere). The program's printing is kept, bounded (a program printing 60 MB
costs nothing). ``os._exit`` ends the program like ``sys.exit`` (the report is not lost).

The loop hooks of transform.py are installed as builtins, and the learner's helper modules next
to the file are imported with their loops instrumented too (`LearnerModules`).
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import importlib.abc
import importlib.machinery
import io
import os
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nndoctor import guard
from nndoctor.budget import Budget
from nndoctor.checkfile.transform import ENTER, TICK, instrument_source
from nndoctor.checkfile.workdir import working_directory
from nndoctor.usercode import InputClosed, ProgramExit

# aliases numpy 2 removed, with what to write instead
REMOVED_NUMPY_ALIASES = {"int": "int", "float": "float", "bool": "bool", "object": "object", "str": "str",
                         "long": "int", "unicode": "str", "complex": "complex"}
OUTPUT_LIMIT = 256 * 1024  # characters of the program's printing kept (the start and the end)


class BoundedOutput(io.TextIOBase):
    """A text stream keeping the first and the last OUTPUT_LIMIT/2 characters written to it."""

    def __init__(self, limit: int = OUTPUT_LIMIT) -> None:
        self._limit = limit
        self._head: list[str] = []
        self._head_size = 0
        self._tail: list[str] = []
        self._tail_size = 0
        self.dropped = 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            text = str(text)
        half = self._limit // 2
        if self._head_size < half:
            take = text[: half - self._head_size]
            self._head.append(take)
            self._head_size += len(take)
            text = text[len(take):]
        if text:
            self._tail.append(text)
            self._tail_size += len(text)
            while self._tail_size > half and len(self._tail) > 1:
                gone = self._tail.pop(0)
                self._tail_size -= len(gone)
                self.dropped += len(gone)
            if self._tail_size > half:  # one huge piece
                cut = self._tail_size - half
                self._tail[0] = self._tail[0][cut:]
                self._tail_size -= cut
                self.dropped += cut
        return len(text)

    def getvalue(self) -> str:
        middle = f"\n[... {self.dropped} characters of output not kept ...]\n" if self.dropped else ""
        return "".join(self._head) + middle + "".join(self._tail)


@dataclass
class Neutralized:
    """What the environment had to change for the file to run here."""

    numpy_aliases: dict[str, list[int]] = field(default_factory=dict)  # alias -> lines using it
    matplotlib_names: list[str] = field(default_factory=list)  # removed matplotlib/scipy names supplied
    removed_uses: dict[str, tuple[str, str, int]] = field(default_factory=dict)  # name -> (function, file, line)
    backends: list[str] = field(default_factory=list)  # matplotlib.use(...) requests ignored
    shows: int = 0  # plt.show() calls
    inputs: int = 0  # input() calls answered with end-of-file
    output: BoundedOutput = field(default_factory=BoundedOutput)
    workdir: Path | None = None  # the folder the program ran in (workdir.py)
    learner_modules: Any = None  # the finder that knows which modules are the learner's


def numpy_alias_uses(trees: list[ast.AST]) -> dict[str, list[int]]:
    """Lines using ``np.int`` and the other removed aliases, read from the code (not comments or
    strings); a notebook's lines are those of its cells."""
    uses: dict[str, list[int]] = {}
    for tree in trees:
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and node.attr in REMOVED_NUMPY_ALIASES
                    and isinstance(node.value, ast.Name) and node.value.id in ("np", "numpy")):
                uses.setdefault(f"np.{node.attr}", []).append(node.lineno)
    return {k: sorted(set(v)) for k, v in uses.items()}


class LearnerModules(importlib.abc.MetaPathFinder):
    """Imports the learner's own modules with their loops instrumented, so a training loop in
    ``dnn_utils.py`` is capped like one in the file. The learner's modules are the ``.py`` files in
    the checked file's folder (or below it), and those under a folder the program itself puts on
    ``sys.path`` (``sys.path.append("..")`` to import its ``src`` package). No bytecode is written
    next to the learner's files."""

    def __init__(self, folder: Path, baseline: list[str] | None = None) -> None:
        self.folder = folder.resolve()
        self._baseline = {self._resolved(p) for p in (baseline or [])}

    @staticmethod
    def _resolved(entry: str) -> Path | None:
        try:
            return Path(entry or ".").resolve()
        except (OSError, RuntimeError):
            return None

    def roots(self) -> list[Path]:
        """The folders whose modules are the learner's: the file's, and those the program added."""
        found = [self.folder]
        for entry in list(sys.path):
            if not isinstance(entry, str):
                continue
            resolved = self._resolved(entry)
            if resolved is None or resolved in self._baseline or resolved in found or not resolved.is_dir():
                continue
            if any(part in ("site-packages", "dist-packages") for part in resolved.parts):
                continue
            if resolved == Path(resolved.anchor) or resolved == Path.home():
                continue  # sys.path.append("/") reaches everything: not a project folder
            found.append(resolved)
        return found

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        origin = getattr(spec, "origin", None)
        if spec is None or not origin or not origin.endswith(".py") or not self.is_learner_file(origin):
            return None
        spec.loader = _InstrumentedLoader(name, origin)
        return spec

    def is_learner_file(self, origin: str) -> bool:
        resolved = Path(origin).resolve()
        if any(part in ("site-packages", "dist-packages") for part in resolved.parts):
            return False
        for root in self.roots():
            try:
                resolved.relative_to(root)
            except ValueError:
                continue
            return True
        return False


class _InstrumentedLoader(importlib.machinery.SourceFileLoader):
    def source_to_code(self, data: Any, path: Any, *, _optimize: int = -1) -> Any:  # type: ignore[override]
        source = importlib.util.decode_source(data) if isinstance(data, bytes) else data
        return instrument_source(source, path)

    def get_code(self, fullname: str) -> Any:  # never read or write cached bytecode
        path = self.get_filename(fullname)
        return self.source_to_code(self.get_data(path), path)


@contextlib.contextmanager
def sandbox(path: Path, trees: list[ast.AST], budget: Budget | None = None) -> Iterator[Neutralized]:
    state = Neutralized(numpy_aliases=numpy_alias_uses(trees))
    saved_cwd, saved_path, saved_argv = os.getcwd(), list(sys.path), list(sys.argv)
    saved_input, saved_stdin, saved_exit = builtins.input, sys.stdin, os._exit
    saved_bytecode, saved_backend = sys.dont_write_bytecode, os.environ.get("MPLBACKEND")
    patches = _Patches()
    for alias, builtin in REMOVED_NUMPY_ALIASES.items():
        if alias not in np.__dict__:
            patches.add(np, alias, getattr(builtins, builtin))
    after_import = _AfterImport(_library_patches(state, patches))
    finder = LearnerModules(path.parent, list(sys.path))
    state.learner_modules = finder

    def no_input(prompt: Any = "") -> str:
        state.inputs += 1
        raise InputClosed("stdin is closed while nndoctor runs the file")

    def exit_program(code: int = 0) -> None:
        raise ProgramExit(code)

    try:
        # data files are opened relative to the folder the author runs the file from
        state.workdir = working_directory(path, [t for t in trees if isinstance(t, ast.stmt)], Path(saved_cwd))
        os.chdir(state.workdir)
        sys.path.insert(0, str(path.parent))  # helper modules next to it (dnn_utils.py, ...)
        sys.argv = [str(path)]
        sys.dont_write_bytecode = True  # no __pycache__ in the learner's folder
        os.environ["MPLBACKEND"] = "Agg"  # no window, whatever the file asks for
        sys.meta_path[:0] = [after_import, finder]
        after_import.patch_loaded()
        builtins.input = no_input
        os._exit = exit_program  # type: ignore[assignment]
        sys.stdin = io.StringIO("")
        if budget is not None:
            setattr(builtins, TICK, budget.tick)
            setattr(builtins, ENTER, budget.enter_loop)
        else:
            setattr(builtins, TICK, lambda loop: False)
            setattr(builtins, ENTER, lambda loop, iterable=None: iterable)
        with contextlib.redirect_stdout(state.output), contextlib.redirect_stderr(state.output), \
                warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            yield state
    finally:
        os.chdir(saved_cwd)
        sys.path[:] = saved_path
        sys.argv = saved_argv
        sys.dont_write_bytecode = saved_bytecode
        if saved_backend is None:
            os.environ.pop("MPLBACKEND", None)
        else:
            os.environ["MPLBACKEND"] = saved_backend
        sys.meta_path[:] = [f for f in sys.meta_path if f is not finder and f is not after_import]
        builtins.input, sys.stdin, os._exit = saved_input, saved_stdin, saved_exit  # type: ignore[assignment]
        for name in (TICK, ENTER):
            if hasattr(builtins, name):
                delattr(builtins, name)
        if "matplotlib.pyplot" in sys.modules:
            sys.modules["matplotlib.pyplot"].close("all")
        patches.undo()


class _Patches:
    """Attributes set on library modules while the file runs, and what they were before."""

    _MISSING = object()

    def __init__(self) -> None:
        self._done: list[tuple[Any, str, Any]] = []

    def add(self, owner: Any, name: str, value: Any) -> None:
        self._done.append((owner, name, owner.__dict__.get(name, self._MISSING)))
        setattr(owner, name, value)

    def undo(self) -> None:
        for owner, name, original in reversed(self._done):
            if original is self._MISSING:
                if name in owner.__dict__:
                    delattr(owner, name)
            else:
                setattr(owner, name, original)
        self._done.clear()


class _AfterImport(importlib.abc.MetaPathFinder):
    """Patches a library module right after the file imports it (or at once, if it is already
    imported): matplotlib costs nothing to a file that does not plot."""

    def __init__(self, patchers: dict[str, Any]) -> None:
        self._patchers = patchers
        self._patched: set[str] = set()

    def patch_loaded(self) -> None:
        for name in self._patchers:
            if name in sys.modules:
                self._patch(sys.modules[name])

    def _patch(self, module: Any) -> None:
        if module.__name__ not in self._patched:
            self._patched.add(module.__name__)
            self._patchers[module.__name__](module)

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if name not in self._patchers or name in self._patched:
            return None
        for finder in sys.meta_path:  # the spec the rest of the import system would give
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        original = loader.exec_module

        def exec_module(module: Any) -> None:
            original(module)
            self._patch(module)

        spec.loader = _Wrapped(loader, exec_module)
        return spec


class _Wrapped:
    """A loader whose exec_module runs a patch afterwards; everything else goes to the real one."""

    def __init__(self, loader: Any, exec_module: Any) -> None:
        self._loader = loader
        self.exec_module = exec_module

    def create_module(self, spec: Any) -> Any:
        return self._loader.create_module(spec)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)


def _library_patches(state: Neutralized, patches: _Patches) -> dict[str, Any]:
    """What each library module gets once imported: no windows (plt.show() and matplotlib.use() do
    nothing), and the names matplotlib 3.9 and scipy removed, supplied again (each use reported)."""

    def reported(value: Any, label: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            if label not in state.matplotlib_names:
                state.matplotlib_names.append(label)
                caller = sys._getframe(1)  # where the learner's code uses the removed name
                state.removed_uses[label] = (caller.f_code.co_qualname, caller.f_code.co_filename, caller.f_lineno)
            return value(*args, **kwargs)
        return call

    def supply(owner: Any, name: str, value: Any, label: str) -> None:
        if not hasattr(owner, name):
            patches.add(owner, name, reported(value, label))

    def matplotlib_module(mpl: Any) -> None:
        def use(backend: str, *args: Any, **kwargs: Any) -> None:
            state.backends.append(str(backend))

        patches.add(mpl, "use", use)

    def pyplot(plt: Any) -> None:
        def show(*args: Any, **kwargs: Any) -> None:
            state.shows += 1
            plt.close("all")

        patches.add(plt, "show", show)
        patches.add(plt, "pause", lambda *a, **k: None)
        patches.add(plt, "ion", lambda *a, **k: None)

    def cm(module: Any) -> None:
        import matplotlib

        def get_cmap(name: Any = None, lut: Any = None) -> Any:
            cmap = matplotlib.colormaps[name] if isinstance(name, str) else (name or matplotlib.colormaps["viridis"])
            return cmap.resampled(lut) if lut else cmap

        def register_cmap(name: Any = None, cmap: Any = None, **kwargs: Any) -> None:
            matplotlib.colormaps.register(cmap, name=name, force=True)

        supply(module, "get_cmap", get_cmap, "matplotlib.cm.get_cmap (removed in matplotlib 3.9)")
        supply(module, "register_cmap", register_cmap, "matplotlib.cm.register_cmap (removed in matplotlib 3.9)")

    def style(module: Any) -> None:
        original = module.use

        def use(name: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(name, str) and name.startswith("seaborn") and not name.startswith("seaborn-v0_8"):
                label = f"the style {name!r} (renamed seaborn-v0_8 in matplotlib 3.6)"
                if label not in state.matplotlib_names:
                    state.matplotlib_names.append(label)
                name = "seaborn-v0_8" + name[len("seaborn"):]
            return original(name, *args, **kwargs)

        patches.add(module, "use", use)

    def imread(name: Any, *args: Any, **kwargs: Any) -> Any:
        import matplotlib.pyplot as plt

        return plt.imread(name)

    def imresize(image: Any, size: Any, *args: Any, **kwargs: Any) -> Any:
        from PIL import Image

        picture = Image.fromarray(np.asarray(image))
        if isinstance(size, (int, float)) and not isinstance(size, bool):
            factor = size / 100 if isinstance(size, int) else size
            size = (int(picture.size[1] * factor), int(picture.size[0] * factor))
        return np.asarray(picture.resize((int(size[1]), int(size[0]))))

    def scipy_misc(module: Any) -> None:
        supply(module, "imread", imread, "scipy.misc.imread (removed in scipy 1.2)")
        supply(module, "imresize", imresize, "scipy.misc.imresize (removed in scipy 1.3)")

    def scipy_ndimage(module: Any) -> None:
        supply(module, "imread", imread, "scipy.ndimage.imread (removed in scipy 1.2)")

    def h5py_module(module: Any) -> None:
        original = module.File.__init__

        def init(self: Any, name: Any, mode: Any = "r", *args: Any, **kwargs: Any) -> None:
            what = guard.active()  # HDF5 writes in C, unseen by the guard's audit hook: refused here
            if what is not None and mode not in ("r", None):
                raise guard.refusal("writing", name, what)
            original(self, name, mode, *args, **kwargs)

        patches.add(module.File, "__init__", init)

    return {"matplotlib": matplotlib_module, "matplotlib.pyplot": pyplot, "matplotlib.cm": cm,
            "matplotlib.style": style, "scipy.misc": scipy_misc, "scipy.ndimage": scipy_ndimage, "h5py": h5py_module}
