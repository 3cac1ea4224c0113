"""What every loader shares: the Dataset tuple and the error for a bad data file."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from numpynn.errors import InputError


class DatasetError(InputError):
    """A data file is missing, corrupt or not in the expected format."""


class Dataset(NamedTuple):
    """A table: x (N, F) float32 features, y (N,) int class ids, and the names of both."""

    x: np.ndarray
    y: np.ndarray
    feature_names: list
    class_names: list
