"""Arrays from an .npz file: images or a table, with their own test split or drawn from x, y."""

from __future__ import annotations

import numpy as np

from numpynn.data import datasets
from numpynn.data.preprocessing import split_indices, train_val_test_split
from numpynn.data.sources.base import PreparedData, choose_task, images_to_float, scale_tabular
from numpynn.data.sources.tables import regression_data, split_table_rows
from numpynn.errors import UsageError


def prepare_npz(
    path: str, seed: int, val_size: float | int, test_size: float, channels_last: bool, task: str
) -> PreparedData:
    """Arrays from an .npz: the test split as given (x_test, y_test) or drawn from x, y like a table's."""
    arrays = datasets.load_npz(path)
    if "x" in arrays:
        x, y, given_test = arrays["x"], arrays["y"], 0
    else:
        x = np.concatenate([arrays["x_train"], arrays["x_test"]])
        y = np.concatenate([arrays["y_train"], arrays["y_test"]])
        given_test = len(arrays["y_test"])
    images = x.ndim >= 3
    task, why = choose_task(list(y), "classification" if images and task == "auto" else task)
    y_ids, class_names = (y, []) if task == "regression" else datasets.encode_labels(list(y))
    rows = _npz_rows(y_ids, given_test, seed, val_size, test_size, stratify=task == "classification")
    if task == "regression":
        if images:
            raise UsageError("regression on images is not supported; give a table (N, features) or class labels.")
        names = [f"x{i}" for i in range(x.shape[1])]
        return regression_data(x.astype(np.float32), y, names, seed, val_size, test_size, why, rows=rows)
    if images:
        x = images_to_float(x, channels_last)
        return PreparedData(
            kind="images",
            x_train=x[rows[0]],
            y_train=y_ids[rows[0]],
            x_val=x[rows[1]],
            y_val=y_ids[rows[1]],
            x_test=x[rows[2]],
            y_test=y_ids[rows[2]],
            class_names=class_names,
            preprocessing={
                "pixel_scale": 255.0 if _arrays_are_bytes(arrays) else 1.0,
                "channels_last": bool(channels_last),
            },
            test_rows=rows[2],
            task_reason=why,
        )
    splits = tuple((x[part].astype(np.float32), y_ids[part]) for part in rows)
    data = scale_tabular(splits, class_names, [f"x{i}" for i in range(x.shape[1])], test_rows=rows[2])
    data.task_reason = why
    return data


def _arrays_are_bytes(arrays: dict) -> bool:
    return all(a.dtype == np.uint8 for key, a in arrays.items() if key.startswith("x"))


def _npz_rows(y, given_test: int, seed, val_size, test_size, stratify: bool) -> list[np.ndarray]:
    """Train, validation and test rows: the last ``given_test`` rows as the test split if given, else drawn."""
    if not given_test:
        if stratify:
            return split_table_rows(y, sorted(set(y.tolist())), seed, val_size, test_size)
        return [
            part[0]
            for part in train_val_test_split(
                np.arange(len(y)), y, val_size=val_size, test_size=test_size, stratify=False, seed=seed
            )
        ]
    train = len(y) - given_test
    fraction = val_size / train if val_size >= 1 else val_size
    train_idx, val_idx = split_indices(train, fraction, y[:train] if stratify else None, np.random.default_rng(seed))
    return [train_idx, val_idx, np.arange(train, len(y))]
