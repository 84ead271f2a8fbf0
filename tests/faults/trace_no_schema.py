"""`nndoctor report trace.h5` on an HDF5 file laid out like a trace but without the schema attribute.

This file is not the program checked: run with python, it writes trace.h5 (the test does so first).

Expected: exit 2, one line on stderr ("not an nndoctor trace"), no traceback, the file untouched.
"""


import h5py
import numpy as np

rows = np.column_stack([np.arange(400.0), np.ones(400), np.linspace(0.7, 0.1, 400), np.full(400, 40.0),
                        np.ones(400)])
with h5py.File("trace.h5", "w") as f:
    group = f.create_group("runs/0")
    group.create_dataset("iterations", data=rows, maxshape=(None, 5), chunks=(400, 5), compression="gzip")
    for name, width in (("activations", 12), ("arrays", 7), ("updates", 6), ("derivatives", 4), ("dropout", 8),
                        ("histograms", 24)):
        group.create_dataset(name, data=np.zeros((0, width)), maxshape=(None, width), chunks=(1, width))
    group.attrs["label"] = "model()"
    group.attrs["meta"] = "{}"
    f.attrs["vocab"] = "{}"


EXPECTED = {"exit": 2, "make": "trace.h5", "command": "report", "report": False, "stderr": "not an nndoctor trace"}
