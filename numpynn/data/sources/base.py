"""What every preparation shares: PreparedData, the choice of task, images to floats, standardised tables,
the splits of a folder of class sub-folders."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from numpynn.data.preprocessing import StandardScaler, scale_pixels, split_indices, train_val_test_split
from numpynn.data.table_encoder import as_float
from numpynn.errors import UsageError


@dataclass(kw_only=True)
class PreparedData:
    """Three splits; x arrays are float32 features (N, F) or images (N, H, W[, C]), y arrays class ids (N,)."""

    kind: str  # "tabular" or "images"
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: list
    feature_names: list = field(default_factory=list)
    preprocessing: dict = field(default_factory=dict)
    # Where each test sample came from: its row in the loaded table (0-based, header not counted) or its
    # index in the official image test set, so a report can point at the very samples it got wrong.
    test_rows: np.ndarray | None = None
    test_files: list[str] | None = None  # the file of each test sample, for data read from files
    # "regression": y arrays are the targets standardised with the training split's mean and std, kept in
    # preprocessing["target"]; class_names is empty.
    task: str = "classification"
    task_reason: str = ""


def choose_task(values: list, requested: str = "auto") -> tuple[str, str]:
    """(task, why) for target cells: 'auto' picks regression for a numeric target with more than 20 distinct
    values that are also more than 5 % of the rows, classification otherwise."""
    numbers = [as_float(value) for value in values]
    numeric = all(number is not None for number in numbers)
    distinct = len(set(numbers if numeric else (str(value).strip() for value in values)))
    if requested == "regression" and not numeric:
        example = next(str(v) for v, n in zip(values, numbers, strict=True) if n is None)
        raise UsageError(f"--task regression needs a numeric target; it holds {example!r}.")
    if requested != "auto":
        return requested, f"--task {requested}"
    if numeric and distinct > 20 and distinct > 0.05 * len(values):
        return "regression", f"the target is numeric with {distinct} distinct values"
    return "classification", (f"the target has {distinct} distinct values" if numeric else "the target holds text")


def scale_tabular(
    splits: tuple, class_names: list[str], feature_names: list[str] | tuple = (), test_rows: np.ndarray | None = None
) -> PreparedData:
    """PreparedData from ((x_train, y_train), (x_val, y_val), (x_test, y_test)) of raw features.

    The scaler is fitted on the training split alone and then applied to all three. ``test_rows``: the
    row of each test sample in the original table, if known.
    """
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = splits
    scaler = StandardScaler().fit(x_train)
    return PreparedData(
        kind="tabular",
        x_train=scaler.transform(x_train),
        y_train=y_train,
        x_val=scaler.transform(x_val),
        y_val=y_val,
        x_test=scaler.transform(x_test),
        y_test=y_test,
        class_names=list(class_names),
        feature_names=list(feature_names),
        preprocessing={"scaler_mean": scaler.mean_.tolist(), "scaler_scale": scaler.scale_.tolist()},
        test_rows=test_rows,
    )


def images_to_float(images: np.ndarray, channels_last: bool) -> np.ndarray:
    x = scale_pixels(images) if images.dtype == np.uint8 else images.astype(np.float32)
    if channels_last and x.ndim == 3:
        x = x[..., None]
    return x


def folder_splits(
    splits: dict[str, tuple[np.ndarray, np.ndarray]],
    files: dict[str, list[str]],
    seed: int,
    val_size: float | int,
    test_size: float,
) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], np.ndarray, list[str]]:
    """Train/val/test (x, y) of a folder of class sub-folders (image or text): as given, val carved out of
    train if absent, or all three drawn (stratified) from one pool ("all"); with the test samples' rows in
    the pool (or in test/) and their files. ``x`` is any array indexable by rows."""
    splits = dict(splits)
    if "all" in splits:
        x, y = splits.pop("all")
        parts = train_val_test_split(
            np.arange(len(y)), y, val_size=val_size, test_size=test_size, stratify=True, seed=seed
        )
        splits = {name: (x[rows], y[rows]) for name, (rows, _) in zip(("train", "val", "test"), parts, strict=True)}
        test_rows = parts[2][0]
        test_files = [files["all"][i] for i in test_rows]
    else:
        test_rows = np.arange(len(splits["test"][1]))
        test_files = list(files["test"])
    if "val" not in splits:
        x, y = splits["train"]
        fraction = val_size / len(y) if val_size >= 1 else val_size
        train_idx, val_idx = split_indices(len(y), fraction, y, np.random.default_rng(seed))
        splits["train"], splits["val"] = (x[train_idx], y[train_idx]), (x[val_idx], y[val_idx])
    return splits, test_rows, test_files
