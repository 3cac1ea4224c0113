"""Arrays someone already has, in one ``.npz`` file (``np.savez``): ``x_train, y_train, x_test, y_test``,
or ``x, y`` for numpynn to split. Read with ``allow_pickle=False``: object arrays are refused, not run."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np

from numpynn.data.datasets.base import DatasetError
from numpynn.errors import InputError
from numpynn.files import read_npz

SPLIT_KEYS = ("x_train", "y_train", "x_test", "y_test")


def load_npz(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """{"x_train", "y_train", "x_test", "y_test"} or {"x", "y"} from an .npz file, checked.

    x arrays: (N, features) for tables, (N, H, W) or (N, H, W, C) for images; y arrays: (N,) targets.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No .npz file at {path}.")
    try:
        stored = read_npz(path, ".npz file")
    except InputError as exc:
        raise DatasetError(str(exc)) from None
    names = set(stored)
    keys = SPLIT_KEYS if set(SPLIT_KEYS) <= names else ("x", "y") if {"x", "y"} <= names else None
    if keys is None:
        raise DatasetError(
            f"{path} holds {sorted(names)}; it needs x_train, y_train, x_test and y_test, "
            "or x and y (save them with np.savez(path, x=..., y=...))."
        )
    arrays = {key: stored[key] for key in keys}
    for x_key in [key for key in arrays if key.startswith("x")]:
        y_key = "y" + x_key[1:]
        x, y = arrays[x_key], arrays[y_key]
        if x.dtype.kind not in "biuf" or y.dtype.kind not in "biufU":
            raise DatasetError(
                f"{path}: {x_key} must be numeric and {y_key} numeric or text, got {x.dtype} and {y.dtype}."
            )
        if x.ndim not in (2, 3, 4) or y.ndim != 1:
            raise DatasetError(
                f"{path}: {x_key} must be (N, features) or images (N, H, W[, C]) and {y_key} (N,), "
                f"got {x.shape} and {y.shape}."
            )
        if len(x) != len(y):
            raise DatasetError(f"{path}: {x_key} has {len(x)} rows but {y_key} has {len(y)}; they must match.")
    if "x_test" in arrays and arrays["x_train"].shape[1:] != arrays["x_test"].shape[1:]:
        raise DatasetError(
            f"{path}: x_train samples have shape {arrays['x_train'].shape[1:]}, x_test samples "
            f"{arrays['x_test'].shape[1:]}; they must match."
        )
    return arrays


def npz_kind(path: str | os.PathLike) -> str:
    """'images' when the file's x arrays are images, else 'tabular' (from the array header, without loading)."""
    try:
        with zipfile.ZipFile(path) as archive:
            member = next(name for name in ("x_train.npy", "x.npy") if name in archive.namelist())
            with archive.open(member) as handle:
                version = np.lib.format.read_magic(handle)
                read_header = (
                    np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
                )
                shape = read_header(handle)[0]
    except (StopIteration, OSError, ValueError, zipfile.BadZipFile):
        load_npz(path)  # says what is wrong with the file
        raise
    return "images" if len(shape) >= 3 else "tabular"
