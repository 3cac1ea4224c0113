"""Preprocessing without leakage: statistics are fitted on the training split only.

- ``StandardScaler``: fit on train, transform train/val/test with the train statistics.
- ``scale_pixels``: uint8 images to float32 in [0, 1].
- ``one_hot``, ``flatten``.
- ``train_val_test_split`` / ``train_test_split``: seeded, stratified by class by default.
- ``TableEncoder`` (in ``table_encoder``): raw table columns with text and gaps to features.
- ``TextVectorizer`` (in ``text_vectorizer``): raw strings to token ids, multi-hot, counts or TF-IDF.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from numpynn.data.table_encoder import TableEncoder
from numpynn.data.text_vectorizer import TextVectorizer
from numpynn.errors import InputError, InputTypeError
from numpynn.utils import check_array, check_same_length, get_rng

__all__ = [
    "StandardScaler",
    "TableEncoder",
    "TextVectorizer",
    "flatten",
    "one_hot",
    "random_shift",
    "scale_pixels",
    "split_indices",
    "train_test_split",
    "train_val_test_split",
]


class TargetScaler:
    """A regression target standardised with the training split's mean and std: the model learns
    ``(y - mean) / scale`` and ``inverse_transform`` maps its outputs back to the target's units.

    The one place this scaling is written: training, evaluation, the report, ``predict``, ``serve`` and
    the ONNX graph's last two nodes (preprocessing.json's "target": ``get_config()``) all go through it.
    """

    def __init__(self, mean: float = 0.0, scale: float = 1.0):
        if not (np.isfinite(mean) and np.isfinite(scale) and scale > 0):
            raise InputError(f"TargetScaler needs a finite mean and a positive scale, got {mean!r} and {scale!r}.")
        self.mean, self.scale = float(mean), float(scale)

    @classmethod
    def fit(cls, y: ArrayLike) -> TargetScaler:
        """Mean and standard deviation of the training targets ``y`` (a constant target keeps scale 1)."""
        y = np.asarray(y, dtype=np.float64)
        return cls(float(y.mean()), float(y.std()) or 1.0)

    def transform(self, y: ArrayLike) -> np.ndarray:
        """Targets in their units -> what the model learns, float32 (samples,)."""
        return ((np.asarray(y, dtype=np.float64) - self.mean) / self.scale).astype(np.float32)

    def inverse_transform(self, values: ArrayLike) -> np.ndarray:
        """Model outputs (or standardised targets) -> the target's units, float64 of the same shape."""
        return np.asarray(values, dtype=np.float64) * self.scale + self.mean

    def get_config(self) -> dict:
        return {"mean": self.mean, "scale": self.scale}

    @classmethod
    def from_config(cls, config: dict) -> TargetScaler:
        return cls(config["mean"], config["scale"])


class StandardScaler:
    """(x - mean) / std per feature, with mean and std from ``fit`` (the training data only).

    Constant features (std 0) are centred and left unscaled instead of divided by zero.
    """

    def __init__(self, dtype: str | np.dtype = "float32"):
        self.dtype = np.dtype(dtype)
        self.mean_ = self.scale_ = None

    def fit(self, x: ArrayLike) -> StandardScaler:
        x = check_array(x, "X", ndim=2)
        self.mean_ = x.mean(axis=0, dtype=np.float64)
        std = x.std(axis=0, dtype=np.float64)
        self.scale_ = np.where(std > 0, std, 1.0)
        return self

    def transform(self, x: ArrayLike) -> np.ndarray:
        if self.mean_ is None:
            raise RuntimeError("StandardScaler.transform called before fit; fit it on the training split first.")
        x = check_array(x, "X", ndim=2)
        if x.shape[1] != len(self.mean_):
            raise InputError(f"StandardScaler was fitted on {len(self.mean_)} features, X has {x.shape[1]}.")
        return ((x - self.mean_) / self.scale_).astype(self.dtype)

    def fit_transform(self, x: ArrayLike) -> np.ndarray:
        return self.fit(x).transform(x)

    def inverse_transform(self, x: ArrayLike) -> np.ndarray:
        if self.mean_ is None:
            raise RuntimeError("StandardScaler.inverse_transform called before fit.")
        return (np.asarray(x) * self.scale_ + self.mean_).astype(self.dtype)

    @classmethod
    def from_state(cls, mean: ArrayLike, scale: ArrayLike, dtype: str | np.dtype = "float32") -> StandardScaler:
        """A fitted scaler from saved statistics (as a run folder's preprocessing.json keeps them)."""
        scaler = cls(dtype)
        scaler.mean_, scaler.scale_ = np.asarray(mean, np.float64), np.asarray(scale, np.float64)
        return scaler


def scale_pixels(images: np.ndarray, dtype: str | np.dtype = "float32") -> np.ndarray:
    """uint8 pixels (0..255) to floats in [0, 1]."""
    images = np.asarray(images)
    if images.dtype != np.uint8:
        raise InputTypeError(f"scale_pixels expects uint8 images (0..255), got dtype {images.dtype}.")
    return images.astype(dtype) / np.asarray(255, dtype=dtype)


def flatten(images: np.ndarray) -> np.ndarray:
    """(N, H, W[, C]) to (N, H*W[*C])."""
    images = np.asarray(images)
    return images.reshape(len(images), -1)


def one_hot(labels: ArrayLike, num_classes: int | None = None, dtype: str | np.dtype = "float32") -> np.ndarray:
    """Integer labels (N,) to a (N, num_classes) one-hot matrix."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise InputError(
            f"one_hot expects a 1-D array of integer labels, got shape {labels.shape} dtype {labels.dtype}."
        )
    if num_classes is None:
        num_classes = int(labels.max()) + 1
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise InputError(f"labels must lie in [0, {num_classes - 1}], got {labels.min()}..{labels.max()}.")
    encoded = np.zeros((len(labels), num_classes), dtype=dtype)
    encoded[np.arange(len(labels)), labels] = 1
    return encoded


def split_indices(
    num_samples: int, fraction: float, stratify: ArrayLike | None = None, rng: np.random.Generator | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Shuffle and split indices into (keep, held_out) with ``fraction`` held out.

    With ``stratify`` (class labels), every class is split in the same proportion, so each side keeps
    the class balance (each class with at least 2 samples gets at least one on each side).
    """
    rng = get_rng(rng)
    if not 0 < fraction < 1:
        raise InputError(f"the split fraction must be in (0, 1), got {fraction}.")
    if stratify is None:
        order = rng.permutation(num_samples)
        held = int(round(num_samples * fraction))
        if held == 0 or held == num_samples:
            raise InputError(f"{num_samples} samples are too few to hold out a fraction of {fraction}.")
        return np.sort(order[held:]), np.sort(order[:held])
    stratify = np.asarray(stratify)
    classes, counts = np.unique(stratify, return_counts=True)
    if counts.min() < 2:
        rare = classes[counts < 2]
        raise InputError(
            f"class(es) {rare.tolist()} have fewer than 2 samples; a stratified split needs at least 2 "
            "per class. Collect more data or drop those classes."
        )
    # Largest-remainder rounding: per-class counts that add up to exactly round(n * fraction).
    exact = counts * fraction
    held_counts = np.floor(exact).astype(int)
    missing = int(round(num_samples * fraction)) - held_counts.sum()
    held_counts[np.argsort(-(exact - held_counts), kind="stable")[: max(missing, 0)]] += 1
    held_counts = np.clip(held_counts, 1, counts - 1)
    keep, held = [], []
    for cls, count in zip(classes, held_counts, strict=True):
        members = rng.permutation(np.flatnonzero(stratify == cls))
        held.append(members[:count])
        keep.append(members[count:])
    return np.sort(np.concatenate(keep)), np.sort(np.concatenate(held))


def train_test_split(
    x: ArrayLike, y: ArrayLike, test_size: float = 0.2, stratify: bool = True, seed: int | None = None
) -> tuple[np.ndarray, ...]:
    """Split (x, y) into (x_train, x_test, y_train, y_test), stratified by the labels y by default."""
    x, y = np.asarray(x), np.asarray(y)
    check_same_length(x, y)
    train, test = split_indices(len(x), test_size, y if stratify else None, get_rng(seed))
    return x[train], x[test], y[train], y[test]


def train_val_test_split(
    x: ArrayLike,
    y: ArrayLike,
    val_size: float = 0.2,
    test_size: float = 0.2,
    stratify: bool = True,
    seed: int | None = None,
) -> tuple[np.ndarray, ...]:
    """Split into train/validation/test (fractions of the whole), stratified by y by default.

    Returns (x_train, y_train), (x_val, y_val), (x_test, y_test).
    """
    if not (0 < val_size < 1 and 0 < test_size < 1 and val_size + test_size < 1):
        raise InputError(
            f"val_size and test_size must be in (0, 1) and sum to less than 1, got {val_size}, {test_size}."
        )
    x, y = np.asarray(x), np.asarray(y)
    check_same_length(x, y)
    rng = get_rng(seed)
    rest, test = split_indices(len(x), test_size, y if stratify else None, rng)
    train, val = split_indices(len(rest), val_size / (1 - test_size), y[rest] if stratify else None, rng)
    train, val = rest[train], rest[val]
    return (x[train], y[train]), (x[val], y[val]), (x[test], y[test])


def random_shift(images: np.ndarray, max_shift: int, rng: np.random.Generator | None = None) -> np.ndarray:
    """Shift each image by its own random (dy, dx) in [-max_shift, max_shift] pixels, filling with zeros.

    images: (N, H, W) or (N, H, W, C). One gather for the whole batch, no loop over images.
    Use it as ``model.fit(..., augment=lambda x, rng: random_shift(x, 2, rng))``.
    """
    rng = get_rng(rng)
    images = np.asarray(images)
    if images.ndim not in (3, 4):
        raise InputError(f"random_shift expects images (N, H, W) or (N, H, W, C), got shape {images.shape}.")
    if max_shift == 0:
        return images
    count, height, width = images.shape[:3]
    pad = [(0, 0), (max_shift, max_shift), (max_shift, max_shift)] + [(0, 0)] * (images.ndim - 3)
    padded = np.pad(images, pad)
    dy = rng.integers(-max_shift, max_shift + 1, count)
    dx = rng.integers(-max_shift, max_shift + 1, count)
    rows = np.arange(height)[None, :] + max_shift - dy[:, None]
    cols = np.arange(width)[None, :] + max_shift - dx[:, None]
    return padded[np.arange(count)[:, None, None], rows[:, :, None], cols[:, None, :]]
