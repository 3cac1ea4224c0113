"""Tables: Breast Cancer Wisconsin (scikit-learn's bundled copy) and CSV files with a header row."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np

from numpynn.data.datasets.base import Dataset, DatasetError
from numpynn.errors import missing_dependency


def load_breast_cancer() -> Dataset:
    """569 tumours, 30 float32 features, y int: 0 malignant, 1 benign (scikit-learn's bundled copy)."""
    try:
        from sklearn import datasets as sk_datasets
    except ImportError:
        raise missing_dependency("load_breast_cancer (scikit-learn's bundled copy)", "scikit-learn", "data") from None
    raw = sk_datasets.load_breast_cancer()
    return Dataset(
        raw.data.astype(np.float32),
        raw.target.astype(np.int64),
        list(raw.feature_names),
        [str(name) for name in raw.target_names],
    )


def load_diabetes() -> Dataset:
    """442 diabetes patients, 10 float32 features, y float32: disease progression after a year (25-346).

    scikit-learn's bundled copy, with its standardised features; a regression set (``class_names`` is empty).
    """
    try:
        from sklearn import datasets as sk_datasets
    except ImportError:
        raise missing_dependency("load_diabetes (scikit-learn's bundled copy)", "scikit-learn", "data") from None
    raw = sk_datasets.load_diabetes()
    return Dataset(raw.data.astype(np.float32), raw.target.astype(np.float32), list(raw.feature_names), [])


CSV_DELIMITERS = (",", ";", "\t")


def read_csv_table(path: str | os.PathLike) -> tuple[list[str], list[list[str]]]:
    """(header, data rows) of a CSV with a header row; blank lines are skipped.

    The delimiter is whichever of comma, semicolon and tab the header line holds most of (comma on a
    tie), so files written with a semicolon (common where the decimal mark is a comma) or tabs load too.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No CSV file at {path}.")
    with open(path, newline="", encoding="utf-8-sig") as handle:
        first_line = handle.readline()
        handle.seek(0)
        delimiter = max(CSV_DELIMITERS, key=first_line.count)
        # Blank lines are skipped; a line of delimiters is a row whose cells are all missing.
        rows = [row for row in csv.reader(handle, delimiter=delimiter) if len(row) > 1 or (row and row[0].strip())]
    if len(rows) < 2:
        raise DatasetError(f"{path} needs a header row and at least one data row.")
    return [name.strip() for name in rows[0]], rows[1:]


def read_csv_columns(path: str | os.PathLike) -> dict[str, list[str]]:
    """{column name: its cells as text}, for a CSV with a header row; every row must have every field."""
    header, rows = read_csv_table(path)
    ragged = next((r for r, row in enumerate(rows) if len(row) != len(header)), None)
    if ragged is not None:
        raise DatasetError(f"{path} row {ragged + 2} has {len(rows[ragged])} fields, the header has {len(header)}.")
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if duplicated:
        raise DatasetError(f"{path} has more than one column named {duplicated[0]!r}; rename one.")
    return {name: [row[i] for row in rows] for i, name in enumerate(header)}


def numeric_columns(path: str | os.PathLike, header: list[str], rows: list[list[str]], names: list[str]) -> np.ndarray:
    """The columns ``names`` of ``rows`` as float32 (rows, len(names)), naming the row and column of
    any cell that is missing, not a number, NaN or infinite."""
    missing = [name for name in names if name not in header]
    if missing:
        raise DatasetError(f"{path} lacks the column(s) {missing[:5]}; its columns are: {', '.join(header)}.")
    indices = [header.index(name) for name in names]
    ragged = next((r for r, row in enumerate(rows) if len(row) != len(header)), None)
    if ragged is not None:
        raise DatasetError(f"{path} row {ragged + 2} has {len(rows[ragged])} fields, the header has {len(header)}.")
    cells = [[row[index] for index in indices] for row in rows]
    try:
        values = np.array(cells, dtype=np.float32)  # NumPy parses the strings (surrounding spaces allowed)
    except ValueError:
        # Cell by cell with Python's float(): it names the first bad cell, or accepts what NumPy did not.
        values = np.empty((len(cells), len(indices)), dtype=np.float32)
        for r, row in enumerate(cells):
            for c, cell in enumerate(row):
                try:
                    values[r, c] = float(cell)
                except ValueError:
                    raise DatasetError(
                        f"{path} row {r + 2}, column {names[c]!r}: {cell!r} is not a number; "
                        "features must be numeric (encode categories first)."
                    ) from None
    if not np.all(np.isfinite(values)):
        r, c = np.argwhere(~np.isfinite(values))[0]
        raise DatasetError(f"{path} row {r + 2}, column {names[c]!r} is NaN or infinite.")
    return values


def load_csv(path: str | os.PathLike, target: str, class_names: list[str] | None = None) -> Dataset:
    """A CSV with a header row: numeric feature columns and a ``target`` column of class labels.

    Class labels (strings or numbers) are mapped to ids 0..K-1 in sorted order; pass ``class_names``
    to fix that order (as when predicting with a trained model).
    """
    header, rows = read_csv_table(path)
    if target not in header:
        raise DatasetError(f"{path} has no column {target!r}; its columns are: {', '.join(header)}.")
    target_index = header.index(target)
    feature_names = [name for name in header if name != target]
    if not feature_names:
        raise DatasetError(f"{path} has no feature columns besides the target {target!r}.")
    features = numeric_columns(path, header, rows, feature_names)
    labels = [row[target_index].strip() for row in rows]
    if "" in labels:
        raise DatasetError(
            f"{path} row {labels.index('') + 2} has no value in the target column {target!r}; "
            "fill it in or drop the row."
        )
    y, class_names = encode_labels(labels, class_names)
    return Dataset(features, y, feature_names, class_names)


def encode_labels(labels: list[str], class_names: list[str] | None = None) -> tuple[np.ndarray, list[str]]:
    """Map labels to ids 0..K-1 (sorted numerically when all are numbers). Returns (ids, class_names)."""
    labels = [str(label) for label in labels]
    if class_names is None:
        unique = set(labels)
        try:
            class_names = sorted(unique, key=float)
        except ValueError:
            class_names = sorted(unique)
    lookup = {name: i for i, name in enumerate(class_names)}
    unknown = sorted(set(labels) - set(lookup))
    if unknown:
        raise DatasetError(f"unknown class label(s) {unknown[:5]}; known classes: {list(class_names)}.")
    return np.array([lookup[label] for label in labels], dtype=np.int64), list(class_names)
