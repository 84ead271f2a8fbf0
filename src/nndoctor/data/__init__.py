"""Data and generalization: reading course data sets and checking the data a network trains on.

    >>> from nndoctor.data import load_h5, check_dataset
    >>> train = load_h5("train_catvnoncat.h5")          # doctest: +SKIP
    >>> train.X.shape, train.Y.shape                     # doctest: +SKIP
    ((12288, 209), (1, 209))
    >>> check_dataset(train.X, train.Y, test.X, test.Y)  # doctest: +SKIP

Every check returns a list of `nndoctor.Finding` (empty when all is well) and never modifies
the arrays.
"""

from nndoctor.data.axis import infer_example_axis
from nndoctor.data.checks import (
    check_dataset,
    check_inputs,
    check_labels,
    check_test_normalization,
)
from nndoctor.data.fit import LearningCurve, check_fit, learning_curve
from nndoctor.data.h5 import DataFileError, H5Data, datasets, load_h5
from nndoctor.data.leakage import Duplicates, check_leakage, find_duplicates

__all__ = [
    "load_h5",
    "datasets",
    "H5Data",
    "DataFileError",
    "check_inputs",
    "check_test_normalization",
    "check_leakage",
    "find_duplicates",
    "Duplicates",
    "check_labels",
    "check_fit",
    "learning_curve",
    "LearningCurve",
    "check_dataset",
    "infer_example_axis",
]
