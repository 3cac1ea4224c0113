"""Image sets: MNIST and IDX folders (official test set kept), folders of class sub-folders of images."""

from __future__ import annotations

import numpy as np

from numpynn.data import datasets
from numpynn.data.preprocessing import split_indices, train_val_test_split
from numpynn.data.sources.base import PreparedData, images_to_float


def prepare_image_folder(
    folder: datasets.ImageFolder, seed: int, val_size: float | int, test_size: float, channels_last: bool
) -> PreparedData:
    """Splits of a folder of class sub-folders: train/val/test as given, val carved out of train if absent,
    or all three drawn (stratified) from one pool."""
    splits = dict(folder.splits)
    rng = np.random.default_rng(seed)
    if "all" in splits:
        x, y = splits.pop("all")
        parts = train_val_test_split(
            np.arange(len(y)), y, val_size=val_size, test_size=test_size, stratify=True, seed=seed
        )
        splits = {name: (x[rows], y[rows]) for name, (rows, _) in zip(("train", "val", "test"), parts, strict=True)}
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
    arrays = {
        f"{which}_{name}": (images_to_float(x, channels_last) if which == "x" else y)
        for name, (x, y) in splits.items()
        for which in ("x", "y")
    }
    background = "dark" if float(arrays["x_train"].mean()) < 0.5 else "light"
    return PreparedData(
        kind="images",
        **arrays,
        class_names=folder.class_names,
        test_rows=test_rows,
        test_files=test_files,
        preprocessing={
            "pixel_scale": 255.0,
            "channels_last": bool(channels_last),
            "image_size": list(folder.image_size),
            "color": folder.color,
            "background": background,
        },
    )
