"""What a notebook's code finds in IPython that plain Python lacks: ``get_ipython()`` and ``display``.

IPython's transformer (source.py) turns ``%matplotlib inline`` into
``get_ipython().run_line_magic('matplotlib', 'inline')``; the timed and captured magics already run
their Python in the statements themselves. This shell answers the rest the way a notebook run on a
machine with no screen would, and writes down what it did not run: shell commands (``!pip install``,
``!wget``) never run here, whatever they are.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import Any

QUIET_MAGICS = frozenset({
    "matplotlib", "config", "load_ext", "reload_ext", "unload_ext", "autoreload", "aimport", "pinfo",
    "pinfo2", "psearch", "pdoc", "pdef", "psource", "pfile", "who", "whos", "who_ls", "precision",
    "xmode", "colors", "notebook", "magic", "lsmagic", "history", "page", "pprint", "store", "alias",
    "autocall", "automagic", "doctest_mode", "pwd", "dhist", "bookmark", "qtconsole", "connect_info",
    "reset", "reset_selective", "xdel", "debug", "pdb", "tb", "recall", "rerun", "save", "logstart",
    "logstop", "logon", "logoff", "logstate", "sx", "sc", "env", "set_env", "killbgscripts",
})


class NotebookShell:
    """A stand-in for IPython's shell object, as far as notebook code uses it."""

    def __init__(self, namespace: dict[str, Any], notes: list[str], folder: Path) -> None:
        self.user_ns = namespace
        self._notes = notes
        self._folder = folder

    def _note(self, text: str) -> None:
        if text not in self._notes:
            self._notes.append(text)

    def run_line_magic(self, name: str, line: str, _stack_depth: int = 1) -> Any:
        if name in ("env", "set_env") and "=" in line:
            key, _, value = line.partition("=")
            os.environ[key.strip()] = value.strip()
            return None
        if name == "cd":
            target = Path(os.path.expanduser(line.strip() or "~"))
            os.chdir(target if target.is_absolute() else Path(os.getcwd()) / target)
            return None
        if name == "pylab":
            exec("import numpy\nimport matplotlib\nfrom matplotlib import pyplot as plt\nimport numpy as np\n"  # noqa: S102
                 "from pylab import *\n", self.user_ns)
            return None
        if name == "run":
            return self._run_file(line)
        if name in ("pip", "conda", "mamba", "sx", "sc", "system", "bash", "sh"):
            self._note(f"%{name} {line} was not run (nndoctor does not run shell commands)")
            return None
        if name not in QUIET_MAGICS:
            self._note(f"the magic %{name} was ignored")
        return None

    def run_cell_magic(self, name: str, line: str, cell: str) -> Any:
        self._note(f"the cell magic %%{name} was not run")
        return None

    def system(self, command: str) -> None:
        self._note(f"the shell line !{command} was not run (nndoctor does not run shell commands)")

    def getoutput(self, command: str, split: bool = True) -> list[str]:
        self._note(f"the shell line !{command} was not run (nndoctor does not run shell commands)")
        return []

    def run_cell(self, raw_cell: str, *args: Any, **kwargs: Any) -> None:
        self._note("get_ipython().run_cell(...) was not run")

    def __getattr__(self, name: str) -> Any:  # any other shell API: a quiet no-op
        return lambda *args, **kwargs: None

    def _run_file(self, line: str) -> Any:
        """``%run helper.py``: the notebook runs that file in its own namespace."""
        from nndoctor.checkfile.transform import instrument_source

        words = [w for w in shlex.split(line) if not w.startswith("-")]
        if not words:
            return None
        path = Path(words[0])
        path = path if path.is_absolute() else Path(os.getcwd()) / path
        if path.suffix == "":
            path = path.with_suffix(".py")
        source = path.read_text("utf-8")
        namespace = self.user_ns
        saved = namespace.get("__name__"), namespace.get("__file__")
        namespace["__file__"] = str(path)
        try:
            exec(instrument_source(source, str(path)), namespace)  # noqa: S102 - the notebook runs it
        finally:
            namespace["__name__"], namespace["__file__"] = saved
        return None


def display(*objects: Any, **kwargs: Any) -> None:
    """IPython's ``display``: in a run with no screen, a printed representation."""
    for obj in objects:
        print(repr(obj))
