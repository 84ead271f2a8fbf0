"""load_h5: course-style HDF5 data sets opened in the layout asked for, and clear errors for
files that cannot be used. The real cat files are used when ../shared/data has them."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import h5py
import numpy as np
import pytest

from nndoctor import InvalidInputError
from nndoctor.data import DataFileError, datasets, load_h5

ROOT = Path(__file__).resolve().parent.parent
DATA_DIRS = (ROOT.parent / "shared" / "data", Path("/work/shared/data"))


def shared(name: str) -> Path:
    for folder in DATA_DIRS:
        if (folder / name).exists():
            return folder / name
    pytest.skip(f"{name} not found in {', '.join(map(str, DATA_DIRS))}")


def write(path: Path, **arrays) -> Path:
    with h5py.File(path, "w") as f:
        for key, value in arrays.items():
            f.create_dataset(key, data=value)
    return path


def signs_like(path: Path, m=30, classes=6, seed=0) -> Path:
    rng = np.random.default_rng(seed)
    return write(path, train_set_x=rng.integers(0, 256, size=(m, 8, 8, 3), dtype=np.uint8),
                 train_set_y=np.arange(m) % classes, list_classes=np.arange(classes))


def digest(path: Path) -> tuple[str, int]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


# -- the real course files ------------------------------------------------------------------------

def test_cat_training_set_in_the_course_layout():
    path = shared("train_catvnoncat.h5")
    before = digest(path)
    data = load_h5(path)
    assert data.X.shape == (12288, 209) and data.Y.shape == (1, 209)
    assert data.X.dtype == np.float64 and 0.0 <= data.X.min() and data.X.max() <= 1.0
    assert data.classes == ["non-cat", "cat"] and data.scaled_by == 255.0
    assert (data.x_key, data.y_key, data.classes_key) == ("train_set_x", "train_set_y", "list_classes")
    assert set(data.keys) == {"train_set_x", "train_set_y", "list_classes"}
    assert data.stored_shape == (209, 64, 64, 3) and data.examples == 209 and data.example_axis == 1
    with h5py.File(path, "r") as f:  # exactly the course's own preprocessing
        orig = f["train_set_x"][()]
        y = f["train_set_y"][()]
    assert np.array_equal(data.X, orig.reshape(orig.shape[0], -1).T / 255.0)
    assert np.array_equal(data.Y, y.reshape(1, -1))
    X, Y = data
    assert X is data.X and Y is data.Y
    assert "train_set_x (209, 64, 64, 3) -> (12288, 209)" in data.describe()
    assert digest(path) == before  # never modified


def test_cat_test_set_as_rows_unflattened_unscaled_one_hot():
    path = shared("test_catvnoncat.h5")
    rows = load_h5(path, layout="rows", one_hot=True)
    assert rows.X.shape == (50, 12288) and rows.Y.shape == (50, 2) and rows.example_axis == 0
    assert np.all(rows.Y.sum(axis=1) == 1) and rows.x_key == "test_set_x"
    raw = load_h5(path, flatten=False, scale=False)
    assert raw.X.shape == (64, 64, 3, 50) and raw.X.dtype == np.uint8 and raw.scaled_by is None
    images = load_h5(path, layout="rows", flatten=False)
    assert images.X.shape == (50, 64, 64, 3)
    assert datasets(path) == {"list_classes": (2,), "test_set_x": (50, 64, 64, 3), "test_set_y": (50,)}


# -- keys found by their names --------------------------------------------------------------------

def test_signs_like_file_one_hot_uses_the_class_list(tmp_path):
    data = load_h5(signs_like(tmp_path / "train_signs.h5"), one_hot=True)
    assert data.X.shape == (192, 30) and data.Y.shape == (6, 30) and data.classes == list(range(6))
    assert np.array_equal(data.Y.argmax(axis=0), np.arange(30) % 6)


@pytest.mark.parametrize("x_name, y_name", [("X", "Y"), ("x_train", "y_train"), ("xtrain", "ytrain"),
                                            ("images", "labels"), ("data/images", "data/labels"),
                                            ("trainX", "trainY"), ("train_set_x_orig", "train_set_y_orig")])
def test_other_naming_styles(tmp_path, x_name, y_name):
    rng = np.random.default_rng(1)
    path = tmp_path / "d.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset(x_name, data=rng.random((12, 5, 5)))
        f.create_dataset(y_name, data=rng.integers(0, 2, 12))
    data = load_h5(path)
    assert (data.x_key, data.y_key) == (x_name, y_name)
    assert data.X.shape == (25, 12) and data.Y.shape == (1, 12)


def test_unrecognized_names_fall_back_to_the_shapes(tmp_path):
    rng = np.random.default_rng(2)
    path = write(tmp_path / "d.h5", a=rng.random((10, 4)), b=rng.integers(0, 2, 10))
    data = load_h5(path)
    assert (data.x_key, data.y_key) == ("a", "b") and data.X.shape == (4, 10)


def test_labels_stored_as_a_row_or_column_and_inputs_stored_as_columns(tmp_path):
    rng = np.random.default_rng(3)
    row = load_h5(write(tmp_path / "a.h5", train_set_x=rng.random((7, 3)), train_set_y=np.ones((1, 7))))
    col = load_h5(write(tmp_path / "b.h5", train_set_x=rng.random((7, 3)), train_set_y=np.ones((7, 1))))
    assert row.Y.shape == col.Y.shape == (1, 7)
    stored_cols = load_h5(write(tmp_path / "c.h5", X=np.arange(40.0).reshape(5, 8) / 40, Y=np.zeros(8)))
    assert stored_cols.X.shape == (5, 8) and np.array_equal(stored_cols.X, np.arange(40.0).reshape(5, 8) / 40)
    assert any("last axis" in note for note in stored_cols.notes)
    onehot = load_h5(write(tmp_path / "d.h5", X=rng.random((9, 4)), Y=np.eye(3)[np.arange(9) % 3]))
    assert onehot.Y.shape == (3, 9) and onehot.one_hot


def test_scaling_only_touches_pixels(tmp_path):
    rng = np.random.default_rng(4)
    prices = load_h5(write(tmp_path / "p.h5", X=rng.normal(2e5, 5e4, (20, 3)), Y=np.zeros(20)))
    assert prices.scaled_by is None and prices.X.max() > 1000 and any("standardize" in n for n in prices.notes)
    unit = load_h5(write(tmp_path / "u.h5", X=rng.random((20, 3)), Y=np.zeros(20)))
    assert unit.scaled_by is None and any("already within [0, 1]" in n for n in unit.notes)
    whole = load_h5(write(tmp_path / "w.h5", X=rng.integers(0, 256, (20, 3)).astype(np.float32), Y=np.zeros(20)))
    assert whole.scaled_by == 255.0 and whole.X.max() <= 1.0


def test_a_file_with_two_splits_needs_split(tmp_path):
    rng = np.random.default_rng(5)
    path = write(tmp_path / "both.h5", train_set_x=rng.random((10, 4)), train_set_y=np.zeros(10),
                 test_set_x=rng.random((3, 4)), test_set_y=np.zeros(3), list_classes=np.array([b"a", b"b"]))
    with pytest.raises(DataFileError, match=r"2 data sets .*split='test'|2 data sets .*split='train'"):
        load_h5(path)
    test = load_h5(path, split="test")
    assert test.x_key == "test_set_x" and test.X.shape == (4, 3) and test.classes == ["a", "b"]
    assert load_h5(path, x_key="train_set_x", y_key="train_set_y").examples == 10


# -- errors ---------------------------------------------------------------------------------------

def test_missing_labels_names_the_keys_found(tmp_path):
    path = write(tmp_path / "x_only.h5", train_set_x=np.zeros((4, 2, 2)), list_classes=np.array([b"a"]))
    with pytest.raises(DataFileError, match=r"no label array found.*train_set_x \(4, 2, 2\)") as info:
        load_h5(path)
    assert isinstance(info.value, InvalidInputError) and "y_key" in str(info.value)
    with pytest.raises(DataFileError, match=r"no data set 'labels' \(y_key\); it holds .*train_set_x"):
        load_h5(path, y_key="labels")


def test_missing_inputs_and_empty_files(tmp_path):
    with pytest.raises(DataFileError, match="no input array found"):
        load_h5(write(tmp_path / "y.h5", train_set_y=np.zeros(4)))
    with pytest.raises(DataFileError, match="no data sets at all"):
        load_h5(write(tmp_path / "empty.h5"))


def test_mismatched_lengths_say_both_counts(tmp_path):
    path = write(tmp_path / "bad.h5", train_set_x=np.zeros((209, 4, 4, 3)), train_set_y=np.zeros(208))
    with pytest.raises(DataFileError, match=r"209 examples but the labels train_set_y \(208,\) hold 208"):
        load_h5(path)


def test_garbage_bytes_are_not_hdf5(tmp_path):
    path = tmp_path / "garbage.h5"
    path.write_bytes(os.urandom(4096))
    with pytest.raises(DataFileError, match="is not an HDF5 file"):
        load_h5(path)
    empty = tmp_path / "empty.h5"
    empty.write_bytes(b"")
    with pytest.raises(DataFileError, match="empty"):
        load_h5(empty)
    page = tmp_path / "page.h5"
    page.write_text("<!DOCTYPE html><html><body>Not Found</body></html>")
    with pytest.raises(DataFileError, match="HTML page"):
        load_h5(page)
    npz = tmp_path / "arrays.h5"
    with open(npz, "wb") as f:
        np.savez(f, x=np.zeros(3))
    with pytest.raises(DataFileError, match=r"np.load"):
        load_h5(npz)


def test_truncated_and_corrupted_hdf5(tmp_path):
    good = signs_like(tmp_path / "good.h5", m=200)
    content = good.read_bytes()
    for cut in (len(content) // 2, 4096, 700):
        cut_file = tmp_path / f"cut{cut}.h5"
        cut_file.write_bytes(content[:cut])
        with pytest.raises(DataFileError, match="truncated|damaged"):
            load_h5(cut_file)
        assert cut_file.read_bytes() == content[:cut]  # left as it was
    broken = bytearray(content)
    broken[600:1400] = b"\xff" * 800  # the object headers and B-tree, past the superblock
    bad = tmp_path / "broken.h5"
    bad.write_bytes(bytes(broken))
    with pytest.raises(DataFileError, match="damaged"):
        load_h5(bad)


def test_real_cat_file_truncated(tmp_path):
    content = shared("train_catvnoncat.h5").read_bytes()
    path = tmp_path / "train_catvnoncat.h5"
    path.write_bytes(content[: len(content) // 3])
    with pytest.raises(DataFileError, match=f"truncated: it has {len(content) // 3:,} bytes but its header says "
                                            f"{len(content):,}"):
        load_h5(path)


def test_other_file_errors(tmp_path):
    signs_like(tmp_path / "train_signs.h5")
    with pytest.raises(DataFileError, match="no file .*train_sign.h5. HDF5 files in .*: train_signs.h5"):
        load_h5(tmp_path / "train_sign.h5")
    with pytest.raises(DataFileError, match="folder"):
        load_h5(tmp_path)
    with pytest.raises(InvalidInputError, match="layout"):
        load_h5(tmp_path / "train_signs.h5", layout="cols")
    with pytest.raises(DataFileError, match="split 'dev'"):
        load_h5(tmp_path / "train_signs.h5", split="dev")


def test_read_only_file_opens(tmp_path):
    path = signs_like(tmp_path / "ro.h5")
    path.chmod(0o444)
    try:
        before = digest(path)
        assert load_h5(path).examples == 30
        assert digest(path) == before
    finally:
        path.chmod(0o644)
