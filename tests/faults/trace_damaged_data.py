"""`nndoctor report trace.h5` on a trace that opens (its header and schema are intact) but whose
compressed table of iterations is damaged (bytes overwritten on disk).

This file is not the program checked: run with python, it writes trace.h5 (the test does so first).

Expected: exit 2, one line on stderr that says the trace is damaged, no traceback, the file untouched.
"""


import h5py
import numpy as np

rows = np.column_stack([np.arange(400.0), np.ones(400), np.linspace(0.7, 0.1, 400), np.full(400, 40.0),
                        np.ones(400)])
with h5py.File("trace.h5", "w") as f:
    f.attrs["schema"] = "nndoctor.trace/1"
    group = f.create_group("runs/0")
    group.create_dataset("iterations", data=rows, maxshape=(None, 5), chunks=(400, 5), compression="gzip")
    for name, width in (("activations", 12), ("arrays", 7), ("updates", 6), ("derivatives", 4), ("dropout", 8),
                        ("histograms", 24)):
        group.create_dataset(name, data=np.zeros((0, width)), maxshape=(None, width), chunks=(1, width))
    group.attrs["label"] = "model()"
    group.attrs["meta"] = "{}"
    f.attrs["vocab"] = "{}"

with h5py.File("trace.h5", "r") as f:
    chunk = f["runs/0/iterations"].id.get_chunk_info(0)
with open("trace.h5", "r+b") as f:
    f.seek(chunk.byte_offset + chunk.size // 2)
    f.write(b"\xff" * 64)


EXPECTED = {"exit": 2, "make": "trace.h5", "command": "report", "report": False, "stderr": "damaged"}
