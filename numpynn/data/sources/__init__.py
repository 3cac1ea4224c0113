"""From a dataset name to train / validation / test splits ready for a model, without leakage.

Tabular data is split 60/20/20 (stratified for classes) and encoded with statistics of the training
split only (``tables``); image sets keep a test set they bring untouched and carve the validation images
out of the training set (``images``); arrays from an .npz file go either way (``arrays``).
``PreparedData`` (``base``) holds the result and what a run must remember to repeat it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from numpynn.data import datasets
from numpynn.data.preprocessing import split_indices
from numpynn.data.sources.arrays import prepare_npz
from numpynn.data.sources.base import PreparedData, choose_task, images_to_float, scale_tabular
from numpynn.data.sources.images import prepare_image_folder
from numpynn.data.sources.tables import prepare_csv, prepare_table
from numpynn.data.sources.text import prepare_text_folder
from numpynn.errors import UsageError

__all__ = ["PreparedData", "choose_task", "dataset_kind", "load_raw", "prepare_data", "scale_tabular"]


def dataset_kind(dataset: str) -> str:
    """'tabular' (breast-cancer, csv:FILE, text:FOLDER) or 'images' (mnist, idx:FOLDER, images:FOLDER)."""
    if dataset in ("breast-cancer", "diabetes") or dataset.startswith(("csv:", "text:")):
        return "tabular"
    if dataset == "mnist" or dataset.startswith(("idx:", "images:")):
        return "images"
    if dataset.startswith("npz:"):
        return datasets.npz_kind(dataset[4:])
    raise UsageError(
        f"unknown dataset {dataset!r}; use breast-cancer, diabetes, mnist, csv:FILE, npz:FILE, "
        "idx:FOLDER, images:FOLDER or text:FOLDER."
    )


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


def prepare_data(
    dataset: str,
    target: str | None = None,
    seed: int = 0,
    val_size: float | int = 0.2,
    test_size: float | None = 0.2,
    channels_last: bool = False,
    image_size: tuple | None = None,
    color: str | None = None,
    log: Callable[[str], None] = print,
    progress: bool = True,
    table_options: dict | None = None,
    task: str = "auto",
) -> PreparedData:
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
        return prepare_csv(dataset[4:], target, seed, val_size, test_size, table_options or {}, log, task)
    if dataset.startswith("text:"):
        return prepare_text_folder(datasets.load_text_folder(dataset[5:], log=log), seed, val_size, test_size, log)
    if dataset.startswith("npz:"):
        return prepare_npz(dataset[4:], seed, val_size, test_size, channels_last, task)
    if dataset_kind(dataset) == "tabular":
        return prepare_table(load_raw(dataset, target), seed, val_size, test_size, task)
    if dataset.startswith("images:"):
        folder = datasets.load_image_folder(dataset[7:], image_size, color, progress=progress, log=log)
        return prepare_image_folder(folder, seed, val_size, test_size, channels_last)
    (x_all, y_all), (x_test, y_test) = load_raw(dataset)
    fraction = val_size / len(x_all) if val_size >= 1 else val_size
    train_idx, val_idx = split_indices(len(x_all), fraction, y_all, np.random.default_rng(seed))
    x_all, x_test = images_to_float(x_all, channels_last), images_to_float(x_test, channels_last)
    return PreparedData(
        kind="images",
        x_train=x_all[train_idx],
        y_train=y_all[train_idx],
        x_val=x_all[val_idx],
        y_val=y_all[val_idx],
        x_test=x_test,
        y_test=y_test,
        class_names=[str(i) for i in range(int(max(y_all.max(), y_test.max())) + 1)],
        preprocessing={"pixel_scale": 255.0, "channels_last": bool(channels_last)},
        test_rows=np.arange(len(y_test)),
    )
