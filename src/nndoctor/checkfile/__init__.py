"""`nndoctor check FILE`: understand a model file or notebook, watch it train, check its gradients.

source.py reads statements and cells, environment.py makes the file safe to run here, runner.py
runs it under the hooks (probe), data.py finds its data and training call, replay.py turns the
recorded step into a gradient check. `check_file` puts the report together; child.py runs it in
a separate process with a time limit.
"""

from __future__ import annotations

from nndoctor.checkfile.report import NothingToCheck, check_file

__all__ = ["check_file", "NothingToCheck"]
