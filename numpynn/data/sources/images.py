"""Image sets: MNIST and IDX folders (official test set kept), folders of class sub-folders of images."""

from __future__ import annotations

from numpynn.data import datasets
from numpynn.data.sources.base import PreparedData, folder_splits, images_to_float


def prepare_image_folder(
    folder: datasets.ImageFolder, seed: int, val_size: float | int, test_size: float, channels_last: bool
) -> PreparedData:
    """Splits of a folder of class sub-folders: train/val/test as given, val carved out of train if absent,
    or all three drawn (stratified) from one pool."""
    splits, test_rows, test_files = folder_splits(folder.splits, folder.files, seed, val_size, test_size)
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
