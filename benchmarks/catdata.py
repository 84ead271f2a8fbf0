"""The course's cat images for the benchmarks: ``train_catvnoncat.h5`` from ../shared/data.

Never copied into the project; when it (or h5py) is missing, the benchmarks use random data of
the same shape and say so.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
CANDIDATES = (
    REPO_ROOT.parent / "shared" / "data" / "train_catvnoncat.h5",
    Path("/work/shared/data/train_catvnoncat.h5"),
)


def find() -> Path | None:
    return next((p for p in CANDIDATES if p.exists()), None)


def load() -> tuple[np.ndarray, np.ndarray, Path] | None:
    """(X (12288, 209) in [0, 1], Y (1, 209), path), or None without the file or h5py."""
    path = find()
    if path is None:
        return None
    try:
        import h5py
    except ImportError:
        return None
    with h5py.File(path, "r") as f:
        images = np.asarray(f["train_set_x"])
        labels = np.asarray(f["train_set_y"])
    return images.reshape(images.shape[0], -1).T / 255.0, labels.reshape(1, -1).astype(np.float64), path
