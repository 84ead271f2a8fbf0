"""The data each run trained on: the X its steps read, and the X and Y the data checks look at.

Only references are kept (no copies). `inputs` tells nndoctor check's train and dev evaluations which
X was the training set; `datasets` hands them to the data checks (nndoctor.data) at report time.
"""

from __future__ import annotations

from typing import Any

from nndoctor.trace import Trace


class TrainingData:
    def __init__(self) -> None:
        # the data checks on the X/Y a run trains on (nndoctor check runs them itself, with the test set)
        self.checks = True
        self.seen: dict[int, dict[str, Any]] = {}  # run index -> {"X": X, "Y": Y}, for the data checks
        self.inputs: dict[int, Any] = {}  # run index -> the data its steps trained on
        self.current_X: Any = None  # the data of the last forward pass that read any

    def keep(self, run_index: int, X: Any) -> None:
        """The X a run trains on, for the data checks at report time."""
        if self.checks and run_index not in self.seen:
            self.seen[run_index] = {"X": X}

    def labels(self, run_index: int, labels: list[Any]) -> None:
        """``compute_cost(AL, Y)``: the labels come after the output."""
        seen = self.seen.get(run_index)
        if seen is not None and "Y" not in seen and labels:
            seen["Y"] = labels[-1]

    def trained(self, run_index: int) -> None:
        """A step of the run completed: the data it read is what the run trains on."""
        if self.current_X is not None:
            self.inputs.setdefault(run_index, self.current_X)

    def datasets(self, trace: Trace) -> list[Any]:
        """The X and Y each completed run trained on, for the data checks (nndoctor.data)."""
        from nndoctor.diagnosis import DataSet

        runs = {r.index: r for r in trace.runs}
        several = len(trace.runs) > 1
        out = []
        for index, seen in self.seen.items():
            run = runs.get(index)
            if run is not None and run.completed:
                out.append(DataSet(seen["X"], seen.get("Y"), example_axis=run.example_axis, n_outputs=run.output_units,
                                   near=False, run=run.label if several else None))
        return out
