"""Text folders (``text:FOLDER``): a sub-folder of ``.txt`` files per class, read as a table of one free-text
column, "text", encoded as TF-IDF by a TableEncoder fitted on the training documents only."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from numpynn.data import datasets
from numpynn.data.sources.base import PreparedData, folder_splits
from numpynn.data.table_encoder import TableEncoder

TEXT_COLUMN = "text"  # the one column a text folder's documents become


def prepare_text_folder(
    folder: datasets.TextFolder, seed: int, val_size: float | int, test_size: float, log: Callable[[str], None]
) -> PreparedData:
    """Splits of a text folder: train/val/test as given, val carved out of train if absent, or all three
    drawn (stratified) from one pool; the documents of each split encoded as the training ones were."""
    texts_as_arrays = {name: (np.array(texts, dtype=object), y) for name, (texts, y) in folder.splits.items()}
    splits, test_rows, test_files = folder_splits(texts_as_arrays, folder.files, seed, val_size, test_size)
    encoder = TableEncoder(text=(TEXT_COLUMN,)).fit({TEXT_COLUMN: list(splits["train"][0])})
    for note in encoder.notes:
        log(f"text folder: {note}")
    features = {name: encoder.transform({TEXT_COLUMN: list(texts)}) for name, (texts, _) in splits.items()}
    return PreparedData(
        kind="tabular",
        x_train=features["train"],
        y_train=splits["train"][1],
        x_val=features["val"],
        y_val=splits["val"][1],
        x_test=features["test"],
        y_test=splits["test"][1],
        class_names=folder.class_names,
        feature_names=[TEXT_COLUMN],
        preprocessing={"encoder": encoder.get_config()},
        test_rows=test_rows,
        test_files=test_files,
    )
