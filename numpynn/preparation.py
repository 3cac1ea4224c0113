"""From a dataset name to train / validation / test splits ready for a model, without leakage.

Tabular data is split 60/20/20 (stratified) and standardised with statistics of the training split
only; image sets keep their official test set untouched and carve the validation images out of the
training set. ``PreparedData`` holds the result and what a run must remember to repeat it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from . import datasets
from .errors import UsageError
from .preprocessing import StandardScaler, scale_pixels, split_indices, train_val_test_split
from .table_encoder import TableEncoder, _as_float, _is_missing


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
    numbers = [_as_float(value) for value in values]
    numeric = all(number is not None for number in numbers)
    distinct = len(set(numbers if numeric else (str(value).strip() for value in values)))
    if requested == "regression" and not numeric:
        example = next(str(v) for v, n in zip(values, numbers) if n is None)
        raise UsageError(f"--task regression needs a numeric target; it holds {example!r}.")
    if requested != "auto":
        return requested, f"--task {requested}"
    if numeric and distinct > 20 and distinct > 0.05 * len(values):
        return "regression", f"the target is numeric with {distinct} distinct values"
    return "classification", (f"the target has {distinct} distinct values" if numeric else "the target holds text")


def dataset_kind(dataset: str) -> str:
    """'tabular' (breast-cancer, csv:FILE) or 'images' (mnist, idx:FOLDER, images:FOLDER)."""
    if dataset in ("breast-cancer", "diabetes") or dataset.startswith("csv:"):
        return "tabular"
    if dataset == "mnist" or dataset.startswith(("idx:", "images:")):
        return "images"
    raise UsageError(f"unknown dataset {dataset!r}; use breast-cancer, diabetes, mnist, csv:FILE, idx:FOLDER or "
                     "images:FOLDER.")


def load_raw(dataset: str, target: str | None = None) -> datasets.Dataset | tuple:
    """A tabular ``Dataset`` or, for image sets, the official ((x_train, y_train), (x_test, y_test))."""
    kind = dataset_kind(dataset)
    if dataset == "breast-cancer":
        return datasets.load_breast_cancer()
    if dataset == "diabetes":
        return datasets.load_diabetes()
    if dataset.startswith("csv:"):
        if not target:
            raise UsageError("csv data needs --target COLUMN (the column holding the class labels).")
        return datasets.load_csv(dataset[4:], target)
    if dataset == "mnist":
        return datasets.load_mnist()
    assert kind == "images" and dataset.startswith("idx:"), dataset  # image folders: prepare_image_folder
    return datasets.load_idx(dataset[4:])


def prepare_data(dataset: str, target: str | None = None, seed: int = 0, val_size: float | int = 0.2,
                 test_size: float | None = 0.2, channels_last: bool = False, image_size: tuple | None = None,
                 color: str | None = None, log: Callable[[str], None] = print, progress: bool = True,
                 table_options: dict | None = None, task: str = "auto") -> PreparedData:
    """Load and split without leakage: statistics (the scaler) come from the training split only.

    val_size: a fraction of the rows (tabular) or of the training images, or a number of training images.
    test_size: the fraction of rows held out for testing (tables, and image folders without a test/ folder).
    channels_last: give greyscale images a channel axis, (N, H, W, 1), as convolutions want.
    image_size, color: for image folders (see ``datasets.load_image_folder``); log: where its notes go,
    progress: whether it shows a bar while reading the images. table_options: for CSV files, the
    ``TableEncoder`` arguments (categorical, drop, na_values). task: auto, classification or regression.
    """
    if dataset.startswith("csv:"):
        if not target:
            raise UsageError("csv data needs --target COLUMN (the column holding the class labels).")
        return _prepare_csv(dataset[4:], target, seed, val_size, test_size, table_options or {}, log, task)
    if dataset_kind(dataset) == "tabular":
        return _prepare_table(load_raw(dataset, target), seed, val_size, test_size, task)
    if dataset.startswith("images:"):
        folder = datasets.load_image_folder(dataset[7:], image_size, color, progress=progress, log=log)
        return _prepare_image_folder(folder, seed, val_size, test_size, channels_last)
    (x_all, y_all), (x_test, y_test) = load_raw(dataset)
    fraction = val_size / len(x_all) if val_size >= 1 else val_size
    train_idx, val_idx = split_indices(len(x_all), fraction, y_all, np.random.default_rng(seed))
    x_all, x_test = _images_to_float(x_all, channels_last), _images_to_float(x_test, channels_last)
    return PreparedData(kind="images", x_train=x_all[train_idx], y_train=y_all[train_idx], x_val=x_all[val_idx],
                        y_val=y_all[val_idx], x_test=x_test, y_test=y_test,
                        class_names=[str(i) for i in range(int(max(y_all.max(), y_test.max())) + 1)],
                        preprocessing={"pixel_scale": 255.0, "channels_last": bool(channels_last)},
                        test_rows=np.arange(len(y_test)))


def _prepare_image_folder(folder: datasets.ImageFolder, seed: int, val_size: float | int, test_size: float,
                          channels_last: bool) -> PreparedData:
    """Splits of a folder of class sub-folders: train/val/test as given, val carved out of train if absent,
    or all three drawn (stratified) from one pool."""
    splits = dict(folder.splits)
    rng = np.random.default_rng(seed)
    if "all" in splits:
        x, y = splits.pop("all")
        parts = train_val_test_split(np.arange(len(y)), y, val_size=val_size, test_size=test_size, stratify=True,
                                     seed=seed)
        splits = {name: (x[rows], y[rows]) for name, (rows, _) in zip(("train", "val", "test"), parts)}
        test_rows = parts[2][0]
        test_files = [folder.files["all"][i] for i in test_rows]
    else:
        test_rows = np.arange(len(splits["test"][1]))
        test_files = folder.files["test"]
    if "val" not in splits:
        x, y = splits["train"]
        fraction = val_size / len(y) if val_size >= 1 else val_size
        train_idx, val_idx = split_indices(len(y), fraction, y, rng)
        splits["train"], splits["val"] = (x[train_idx], y[train_idx]), (x[val_idx], y[val_idx])
    arrays = {f"{which}_{name}": (_images_to_float(x, channels_last) if which == "x" else y)
              for name, (x, y) in splits.items() for which in ("x", "y")}
    background = "dark" if float(arrays["x_train"].mean()) < 0.5 else "light"
    return PreparedData(kind="images", **arrays, class_names=folder.class_names, test_rows=test_rows,
                        test_files=test_files,
                        preprocessing={"pixel_scale": 255.0, "channels_last": bool(channels_last),
                                       "image_size": list(folder.image_size), "color": folder.color,
                                       "background": background})


def _split_rows(y: np.ndarray, class_names: list, seed: int, val_size: float, test_size: float) -> list[np.ndarray]:
    """Row numbers of the train, validation and test splits (stratified; depends only on y and the seed)."""
    if len(class_names) < 2:
        raise UsageError(f"the target column has a single class ({class_names}); need at least two.")
    counts = np.bincount(y, minlength=len(class_names))
    if counts.min() < 3:
        raise UsageError(f"class {class_names[int(np.argmin(counts))]!r} has {counts.min()} row(s); a stratified "
                         "train/validation/test split needs at least 3 rows per class.")
    return [part[0] for part in train_val_test_split(np.arange(len(y)), y, val_size=val_size, test_size=test_size,
                                                     stratify=True, seed=seed)]


def _prepare_table(data: datasets.Dataset, seed: int, val_size: float, test_size: float,
                   task: str = "auto") -> PreparedData:
    task, why = ("regression", "the dataset is a regression set") if not data.class_names else choose_task(data.y, task)
    if task == "regression":
        return _regression_data(data.x, data.y, data.feature_names, seed, val_size, test_size, why)
    rows = _split_rows(data.y, data.class_names, seed, val_size, test_size)
    splits = tuple((data.x[part], data.y[part]) for part in rows)
    return scale_tabular(splits, data.class_names, data.feature_names, test_rows=rows[2])


def _regression_data(x, y, feature_names, seed, val_size, test_size, why, encoder=None,
                     row_numbers=None) -> PreparedData:
    """Random (unstratified) splits; targets standardised with the training split's mean and std; numeric
    features x standardised too, or columns x encoded by a TableEncoder fitted on the training rows."""
    y = np.asarray(y, dtype=np.float64)
    rows = [part[0] for part in train_val_test_split(np.arange(len(y)), y, val_size=val_size, test_size=test_size,
                                                     stratify=False, seed=seed)]
    mean, std = float(y[rows[0]].mean()), float(y[rows[0]].std()) or 1.0
    if encoder is not None:
        encoder.fit({name: [cells[i] for i in rows[0]] for name, cells in x.items()})
        features = [encoder.transform({name: [cells[i] for i in part] for name, cells in x.items()}) for part in rows]
        preprocessing = {"encoder": encoder.get_config()}
    else:
        scaler = StandardScaler().fit(x[rows[0]])
        features = [scaler.transform(x[part]) for part in rows]
        preprocessing = {"scaler_mean": scaler.mean_.tolist(), "scaler_scale": scaler.scale_.tolist()}
    targets = [((y[part] - mean) / std).astype(np.float32) for part in rows]
    test_rows = rows[2] if row_numbers is None else row_numbers[rows[2]]
    return PreparedData(kind="tabular", x_train=features[0], y_train=targets[0], x_val=features[1], y_val=targets[1],
                        x_test=features[2], y_test=targets[2], class_names=[], feature_names=list(feature_names),
                        preprocessing={**preprocessing, "target": {"mean": mean, "scale": std}},
                        test_rows=test_rows, task="regression", task_reason=why)


def _prepare_csv(path: str, target: str, seed: int, val_size: float, test_size: float, table_options: dict,
                 log: Callable[[str], None], task: str = "auto") -> PreparedData:
    """A CSV as it comes: columns typed and encoded by a TableEncoder fitted on the training rows."""
    columns = datasets.read_csv_columns(path)
    if target not in columns:
        raise UsageError(f"{path} has no column {target!r}; its columns are: {', '.join(columns)}.")
    labels = columns.pop(target)
    if not columns:
        raise UsageError(f"{path} has no feature columns besides the target {target!r}.")
    encoder = TableEncoder(**table_options)
    kept = np.array([i for i, label in enumerate(labels) if not _is_missing(label, encoder._na)], dtype=np.intp)
    if len(kept) < len(labels):
        log(f"{path}: {len(labels) - len(kept)} row(s) with no {target!r} value left out")
    labels = [labels[i].strip() for i in kept]
    columns = {name: [cells[i] for i in kept] for name, cells in columns.items()}
    task, why = choose_task(labels, task)
    if task == "regression":
        data = _regression_data(columns, [float(label) for label in labels], list(columns), seed, val_size,
                                test_size, why, encoder=encoder, row_numbers=kept)
    else:
        y, class_names = datasets.encode_labels(labels)
        rows = _split_rows(y, class_names, seed, val_size, test_size)
        subset = [{name: [cells[i] for i in part] for name, cells in columns.items()} for part in rows]
        encoder.fit(subset[0])
        (x_train, x_val, x_test) = (encoder.transform(part) for part in subset)
        data = PreparedData(kind="tabular", x_train=x_train, y_train=y[rows[0]], x_val=x_val, y_val=y[rows[1]],
                            x_test=x_test, y_test=y[rows[2]], class_names=class_names, feature_names=list(columns),
                            preprocessing={"encoder": encoder.get_config()}, test_rows=kept[rows[2]],
                            task_reason=why)
    for note in encoder.notes:
        log(f"{path}: {note}")
    return data


def scale_tabular(splits: tuple, class_names: list[str], feature_names: list[str] | tuple = (),
                  test_rows: np.ndarray | None = None) -> PreparedData:
    """PreparedData from ((x_train, y_train), (x_val, y_val), (x_test, y_test)) of raw features.

    The scaler is fitted on the training split alone and then applied to all three. ``test_rows``: the
    row of each test sample in the original table, if known.
    """
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = splits
    scaler = StandardScaler().fit(x_train)
    return PreparedData(kind="tabular", x_train=scaler.transform(x_train), y_train=y_train,
                        x_val=scaler.transform(x_val), y_val=y_val, x_test=scaler.transform(x_test), y_test=y_test,
                        class_names=list(class_names), feature_names=list(feature_names),
                        preprocessing={"scaler_mean": scaler.mean_.tolist(), "scaler_scale": scaler.scale_.tolist()},
                        test_rows=test_rows)


def _images_to_float(images: np.ndarray, channels_last: bool) -> np.ndarray:
    x = scale_pixels(images) if images.dtype == np.uint8 else images.astype(np.float32)
    if channels_last and x.ndim == 3:
        x = x[..., None]
    return x
