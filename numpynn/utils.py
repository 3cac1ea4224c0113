"""Seeding, dtypes and input checks shared by every module.

Every random draw in numpynn (weight init, shuffling, dropout masks, splits) comes from a
``numpy.random.Generator``. ``set_seed(s)`` resets the global one, so the same seed gives the same
weights and the same training run, bit for bit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

import numpy as np
from numpy.typing import ArrayLike

from numpynn.errors import InputError, InputTypeError

T = TypeVar("T")

_global_rng = np.random.default_rng()

FLOAT_DTYPES = ("float32", "float64")


def set_seed(seed: int | None) -> None:
    """Reset numpynn's global random generator (used wherever no ``seed=`` is given)."""
    global _global_rng
    _global_rng = np.random.default_rng(seed)


def get_rng(seed: int | None = None) -> np.random.Generator:
    """Return a generator: a new one for an int seed, the given one, or the global one for None."""
    if seed is None:
        return _global_rng
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def as_float_dtype(dtype: str | np.dtype) -> np.dtype:
    """Validate a float dtype name ('float32' or 'float64') and return it as a numpy dtype."""
    dt = np.dtype(dtype if dtype is not None else "float32")
    if dt.name not in FLOAT_DTYPES:
        raise InputError(f"dtype must be one of {FLOAT_DTYPES}, got {dt.name!r}.")
    return dt


def check_array(
    x: ArrayLike, name: str = "X", dtype: str | np.dtype | None = None, ndim: int | tuple | None = None
) -> np.ndarray:
    """Convert ``x`` to an ndarray, checking that it is numeric, non-empty and finite.

    Raises ValueError/TypeError with a message that names ``name`` and says how to fix it.
    """
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged lists and the like
        raise InputTypeError(f"{name} could not be turned into an array ({exc}); pass a NumPy array.") from None
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise InputTypeError(
            f"{name} must be numeric, got dtype {arr.dtype}; convert strings or objects to numbers first."
        )
    if ndim is not None and arr.ndim not in (ndim if isinstance(ndim, tuple) else (ndim,)):
        raise InputError(f"{name} must have {ndim} dimensions, got shape {arr.shape}.")
    if arr.size == 0:
        raise InputError(f"{name} is empty (shape {arr.shape}); pass at least one sample.")
    if dtype is not None:
        arr = arr.astype(dtype, copy=False)
    if np.issubdtype(arr.dtype, np.floating) and not np.isfinite(arr).all():
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise InputError(f"{name} contains {bad} NaN or infinite value(s); impute or drop them before training.")
    return arr


def check_same_length(x: np.ndarray, y: np.ndarray, x_name: str = "X", y_name: str = "y") -> None:
    if len(x) != len(y):
        raise InputError(
            f"{x_name} and {y_name} have different numbers of samples ({len(x)} vs {len(y)}); "
            f"each row of {x_name} needs one target in {y_name}."
        )


def check_positive_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise InputError(f"{name} must be a positive integer, got {value!r}.")
    return int(value)


def lookup(name: str, table: Mapping[str, T], kind: str) -> T:
    """Find ``name`` in ``table`` (case-insensitive); raise ValueError listing valid names otherwise."""
    key = str(name).lower()
    if key not in table:
        raise InputError(f"Unknown {kind} {name!r}. Valid names: {', '.join(sorted(table))}.")
    return table[key]
