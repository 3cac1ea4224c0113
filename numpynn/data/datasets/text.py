"""Folders of text files sorted into one sub-folder per class (the layout of Keras's
``text_dataset_from_directory``).

    FOLDER/sports/1.txt, FOLDER/politics/2.txt, ...              one pool, split by numpynn
    FOLDER/train/sports/..., FOLDER/test/sports/... [, FOLDER/val/...]  splits used as given

Files are read as UTF-8 (a byte-order mark is dropped). A file that is not valid UTF-8 is skipped with
one line naming it; hidden files and files not ending in ``.txt`` are ignored.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from numpynn.data.datasets.base import DatasetError
from numpynn.data.datasets.folders import class_folders, files_with_suffix, split_layout

TEXT_EXTENSIONS = (".txt",)


@dataclass
class TextFolder:
    """Documents as strings and int64 class ids.

    ``splits`` maps "train", "val" and "test" (the sub-folders found) or "all" (one pool) to (texts, y):
    a list of N strings and an array (N,); ``files`` holds the path of every document in the same
    order; ``skipped`` the files that were not valid UTF-8.
    """

    splits: dict[str, tuple[list[str], np.ndarray]]
    class_names: list[str]
    files: dict[str, list[str]] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)


def read_text(path: str | os.PathLike) -> str:
    """One text file as a string (UTF-8, a byte-order mark dropped); a DatasetError naming the file if it
    is not UTF-8."""
    data = Path(path).read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8.") from None


def load_text_folder(path: str | os.PathLike, log: Callable[[str], None] = _stderr) -> TextFolder:
    """Read a folder of class sub-folders of ``.txt`` files (see the module docstring); one ``log`` line
    per skipped file and one summary line per split."""
    folder = Path(path)
    layout = split_layout(folder, "text files")
    class_names = sorted({p.name for split_folder in layout.values() for p in class_folders(split_folder)})
    if not class_names:
        raise DatasetError(f"{folder} has no class sub-folders; put each class's text files in a folder of its own.")
    splits, files, skipped = {}, {}, []
    for split, split_folder in layout.items():
        texts, labels, names = [], [], []
        for label, name in enumerate(class_names):
            if not (split_folder / name).is_dir():
                continue
            found = 0
            for file in files_with_suffix(split_folder / name, TEXT_EXTENSIONS):
                try:
                    texts.append(read_text(file))
                except DatasetError as exc:
                    skipped.append(str(file))
                    log(f"skipped {exc}")
                    continue
                labels.append(label)
                names.append(str(file))
                found += 1
            if found == 0:
                raise DatasetError(
                    f"class folder {split_folder / name} holds no readable .txt file; add some or remove the folder."
                )
        splits[split], files[split] = (texts, np.array(labels, dtype=np.int64)), names
        counts = Counter(labels)
        log(
            f"{folder} ({split}): {len(texts)} documents: "
            + ", ".join(f"{name} {counts[label]}" for label, name in enumerate(class_names))
        )
    return TextFolder(splits, class_names, files, skipped)
