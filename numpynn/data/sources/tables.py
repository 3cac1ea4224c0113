"""Tables: Breast Cancer and diabetes (numeric arrays), CSV files (typed and encoded), regression targets."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from numpynn.data import datasets
from numpynn.data.preprocessing import StandardScaler, TargetScaler, train_val_test_split
from numpynn.data.sources.base import PreparedData, choose_task, scale_tabular
from numpynn.data.table_encoder import TableEncoder, is_missing
from numpynn.errors import UsageError


def split_table_rows(
    y: np.ndarray, class_names: list, seed: int, val_size: float, test_size: float
) -> list[np.ndarray]:
    """Row numbers of the train, validation and test splits (stratified; depends only on y and the seed)."""
    if len(class_names) < 2:
        raise UsageError(f"the target column has a single class ({class_names}); need at least two.")
    counts = np.bincount(y, minlength=len(class_names))
    if counts.min() < 3:
        raise UsageError(
            f"class {class_names[int(np.argmin(counts))]!r} has {counts.min()} row(s); a stratified "
            "train/validation/test split needs at least 3 rows per class."
        )
    return [
        part[0]
        for part in train_val_test_split(
            np.arange(len(y)), y, val_size=val_size, test_size=test_size, stratify=True, seed=seed
        )
    ]


def prepare_table(
    data: datasets.Dataset, seed: int, val_size: float, test_size: float, task: str = "auto"
) -> PreparedData:
    task, why = ("regression", "the dataset is a regression set") if not data.class_names else choose_task(data.y, task)
    if task == "regression":
        return regression_data(data.x, data.y, data.feature_names, seed, val_size, test_size, why)
    rows = split_table_rows(data.y, data.class_names, seed, val_size, test_size)
    splits = tuple((data.x[part], data.y[part]) for part in rows)
    return scale_tabular(splits, data.class_names, data.feature_names, test_rows=rows[2])


def regression_data(
    x, y, feature_names, seed, val_size, test_size, why, encoder=None, row_numbers=None, rows=None
) -> PreparedData:
    """Random (unstratified) splits, or the given ``rows``; targets standardised with the training split's
    mean and std; numeric features x standardised too, or columns x encoded by a TableEncoder fitted on the
    training rows."""
    y = np.asarray(y, dtype=np.float64)
    if rows is None:
        rows = [
            part[0]
            for part in train_val_test_split(
                np.arange(len(y)), y, val_size=val_size, test_size=test_size, stratify=False, seed=seed
            )
        ]
    target_scaler = TargetScaler.fit(y[rows[0]])
    if encoder is not None:
        encoder.fit({name: [cells[i] for i in rows[0]] for name, cells in x.items()})
        features = [encoder.transform({name: [cells[i] for i in part] for name, cells in x.items()}) for part in rows]
        preprocessing = {"encoder": encoder.get_config()}
    else:
        scaler = StandardScaler().fit(x[rows[0]])
        features = [scaler.transform(x[part]) for part in rows]
        preprocessing = {"scaler_mean": scaler.mean_.tolist(), "scaler_scale": scaler.scale_.tolist()}
    targets = [target_scaler.transform(y[part]) for part in rows]
    test_rows = rows[2] if row_numbers is None else row_numbers[rows[2]]
    return PreparedData(
        kind="tabular",
        x_train=features[0],
        y_train=targets[0],
        x_val=features[1],
        y_val=targets[1],
        x_test=features[2],
        y_test=targets[2],
        class_names=[],
        feature_names=list(feature_names),
        preprocessing={**preprocessing, "target": target_scaler.get_config()},
        test_rows=test_rows,
        task="regression",
        task_reason=why,
    )


def prepare_csv(
    path: str,
    target: str,
    seed: int,
    val_size: float,
    test_size: float,
    table_options: dict,
    log: Callable[[str], None],
    task: str = "auto",
) -> PreparedData:
    """A CSV as it comes: columns typed and encoded by a TableEncoder fitted on the training rows."""
    columns = datasets.read_csv_columns(path)
    if target not in columns:
        raise UsageError(f"{path} has no column {target!r}; its columns are: {', '.join(columns)}.")
    labels = columns.pop(target)
    if not columns:
        raise UsageError(f"{path} has no feature columns besides the target {target!r}.")
    encoder = TableEncoder(**table_options)
    missing = encoder.missing_tokens
    kept = np.array([i for i, label in enumerate(labels) if not is_missing(label, missing)], dtype=np.intp)
    if len(kept) < len(labels):
        log(f"{path}: {len(labels) - len(kept)} row(s) with no {target!r} value left out")
    labels = [labels[i].strip() for i in kept]
    columns = {name: [cells[i] for i in kept] for name, cells in columns.items()}
    task, why = choose_task(labels, task)
    if task == "regression":
        data = regression_data(
            columns,
            [float(label) for label in labels],
            list(columns),
            seed,
            val_size,
            test_size,
            why,
            encoder=encoder,
            row_numbers=kept,
        )
    else:
        y, class_names = datasets.encode_labels(labels)
        rows = split_table_rows(y, class_names, seed, val_size, test_size)
        subset = [{name: [cells[i] for i in part] for name, cells in columns.items()} for part in rows]
        encoder.fit(subset[0])
        (x_train, x_val, x_test) = (encoder.transform(part) for part in subset)
        data = PreparedData(
            kind="tabular",
            x_train=x_train,
            y_train=y[rows[0]],
            x_val=x_val,
            y_val=y[rows[1]],
            x_test=x_test,
            y_test=y[rows[2]],
            class_names=class_names,
            feature_names=list(columns),
            preprocessing={"encoder": encoder.get_config()},
            test_rows=kept[rows[2]],
            task_reason=why,
        )
    for note in encoder.notes:
        log(f"{path}: {note}")
    return data
