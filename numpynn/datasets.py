"""Data loaders: Breast Cancer Wisconsin, MNIST (local folder, cache or verified download), IDX and CSV.

MNIST is looked for, in order: the ``path`` argument; ``$NUMPYNN_DATA/mnist``; the cache
(``$NUMPYNN_HOME/mnist``, default ``~/.cache/numpynn/mnist``). Only if none has it are the four files
downloaded from public mirrors, each checked by the SHA-256 of its decompressed content and moved into
the cache atomically (temporary file, then rename), so a failed download leaves nothing behind.
"""
from __future__ import annotations

import csv
import gzip
import hashlib
import os
import urllib.request
import zlib
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .errors import InputError, missing_dependency
from .files import atomic_write


class DatasetError(InputError):
    """A data file is missing, corrupt or not in the expected format."""


class Dataset(NamedTuple):
    x: np.ndarray
    y: np.ndarray
    feature_names: list
    class_names: list


# ----- Breast Cancer Wisconsin -----------------------------------------------------------------
def load_breast_cancer() -> Dataset:
    """569 tumours, 30 float32 features, y int: 0 malignant, 1 benign (scikit-learn's bundled copy)."""
    try:
        from sklearn import datasets as sk_datasets
    except ImportError:
        raise missing_dependency("load_breast_cancer (scikit-learn's bundled copy)", "scikit-learn", "data") from None
    raw = sk_datasets.load_breast_cancer()
    return Dataset(raw.data.astype(np.float32), raw.target.astype(np.int64), list(raw.feature_names),
                   [str(name) for name in raw.target_names])


# ----- IDX files ---------------------------------------------------------------------------------
_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_file_bytes(path) -> bytes:
    """The file's content, gunzipped when the name ends in .gz (a clear error if it is not gzip)."""
    path = Path(path)
    data = path.read_bytes()
    if path.suffix == ".gz":
        try:
            return gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise DatasetError(f"{path} is not a valid gzip file ({exc}); download it again or decompress it "
                               "by hand.") from None
    return data


def parse_idx(data: bytes, name: str = "IDX data") -> np.ndarray:
    """Decode the IDX format: 2 zero bytes, a type code, the number of dimensions, big-endian uint32 sizes, data."""
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_TYPES or data[3] == 0:
        raise DatasetError(f"{name} has a bad IDX magic number {data[:4].hex() or '(empty)'}; it is not an IDX file.")
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DatasetError(f"{name} is truncated: the IDX header is incomplete.")
    shape = tuple(int(s) for s in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(_IDX_TYPES[data[2]])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(data) - header != expected:
        problem = "truncated" if len(data) - header < expected else "longer than its header says"
        raise DatasetError(f"{name} is {problem}: header says shape {shape} ({expected} bytes), "
                           f"found {len(data) - header} bytes of data.")
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def read_idx(path) -> np.ndarray:
    """Read one IDX file (raw or .gz)."""
    return parse_idx(read_file_bytes(path), str(path))


def _find(folder: Path, stem: str) -> Path | None:
    for candidate in (folder / stem, folder / f"{stem}.gz"):
        if candidate.is_file():
            return candidate
    return None


def load_idx(folder):
    """Load a folder of IDX files laid out like MNIST: ((x_train, y_train), (x_test, y_test)).

    Looks for files whose names contain 'train' / 'test' or 't10k' and 'images' / 'labels'
    (``.gz`` or raw).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(f"{folder} is not a folder; give a folder holding train/test images and labels IDX files.")
    files = sorted(p for p in folder.iterdir() if p.is_file() and ("idx" in p.name or p.suffix == ".gz"))

    def pick(split_words, kind):
        found = [p for p in files if any(w in p.name for w in split_words) and kind in p.name]
        if len(found) != 1:
            raise DatasetError(f"expected one {'/'.join(split_words)} {kind} file in {folder}, found "
                               f"{[p.name for p in found] or 'none'}; name them like MNIST "
                               f"(train-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz, ...).")
        return found[0]

    result = []
    for words in (("train",), ("t10k", "test")):
        images, labels = read_idx(pick(words, "images")), read_idx(pick(words, "labels"))
        _check_images_labels(images, labels, f"{folder}/{words[0]}")
        result.append((images, labels.astype(np.int64)))
    if result[0][0].shape[1:] != result[1][0].shape[1:]:
        raise DatasetError(f"train and test images in {folder} have different shapes "
                           f"{result[0][0].shape[1:]} and {result[1][0].shape[1:]}.")
    return tuple(result)


def _check_images_labels(images, labels, name):
    if images.ndim not in (3, 4):
        raise DatasetError(f"{name} images must have shape (N, H, W) or (N, H, W, C), got {images.shape}.")
    if labels.ndim != 1:
        raise DatasetError(f"{name} labels must have shape (N,), got {labels.shape}.")
    if len(images) != len(labels):
        raise DatasetError(f"{name} has {len(images)} images but {len(labels)} labels.")


# ----- MNIST -----------------------------------------------------------------------------------
# SHA-256 of the *decompressed* files, so re-compressed copies are accepted.
MNIST_FILES = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
MNIST_MIRRORS = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
]


def mnist_cache_dir() -> Path:
    home = os.environ.get("NUMPYNN_HOME")
    return (Path(home) if home else Path.home() / ".cache" / "numpynn") / "mnist"


def _read_verified(folder: Path, stem: str) -> np.ndarray:
    path = _find(folder, stem)
    if path is None:
        raise FileNotFoundError(f"{folder / stem}[.gz] not found")
    data = read_file_bytes(path)
    digest = hashlib.sha256(data).hexdigest()
    if digest != MNIST_FILES[stem]:
        raise DatasetError(f"{path} has SHA-256 {digest[:12]}..., expected {MNIST_FILES[stem][:12]}... "
                           "(of the decompressed file); the file is corrupt or not MNIST: delete it.")
    return parse_idx(data, str(path))


def _load_mnist_folder(folder: Path):
    arrays = {stem: _read_verified(folder, stem) for stem in MNIST_FILES}
    train = (arrays["train-images-idx3-ubyte"], arrays["train-labels-idx1-ubyte"].astype(np.int64))
    test = (arrays["t10k-images-idx3-ubyte"], arrays["t10k-labels-idx1-ubyte"].astype(np.int64))
    return train, test


def download_file(url: str, destination: Path, sha256: str, progress: bool = True, timeout: float = 30) -> None:
    """Download ``url`` (a .gz), check the SHA-256 of its decompressed content, then move it to ``destination``.

    Nothing is left at ``destination`` unless the whole file arrived and matched.
    """
    with urllib.request.urlopen(url, timeout=timeout) as response:
        total = int(response.headers.get("Content-Length") or 0) or None
        bar = None
        if progress:
            from .callbacks.progress import progress_bar
            bar = progress_bar(total, destination.name, "B", unit_scale=True, leave=False)
        chunks = []
        try:
            while chunk := response.read(1 << 16):
                chunks.append(chunk)
                if bar is not None:
                    bar.update(len(chunk))
        finally:
            if bar is not None:
                bar.close()
    payload = b"".join(chunks)
    if total is not None and len(payload) != total:
        raise DatasetError(f"download of {url} was cut short ({len(payload)} of {total} bytes).")
    try:
        content = gzip.decompress(payload) if url.endswith(".gz") else payload
    except (OSError, EOFError, zlib.error):
        raise DatasetError(f"{url} did not return a valid gzip file.") from None
    digest = hashlib.sha256(content).hexdigest()
    if digest != sha256:
        raise DatasetError(f"{url} has SHA-256 {digest[:12]}... (decompressed), expected {sha256[:12]}...; not kept.")
    with atomic_write(destination, "wb") as handle:
        handle.write(payload)


def load_mnist(path=None, download: bool = True, mirrors=None, progress: bool = True):
    """MNIST as ((x_train, y_train), (x_test, y_test)): uint8 images (N, 28, 28), int64 labels.

    Every file is checked against the SHA-256 of the original decompressed MNIST.
    """
    tried = []
    candidates = []
    if path is not None:
        candidates.append(("path argument", Path(path)))
    if os.environ.get("NUMPYNN_DATA"):
        candidates.append(("$NUMPYNN_DATA/mnist", Path(os.environ["NUMPYNN_DATA"]) / "mnist"))
    cache = mnist_cache_dir()
    candidates.append(("cache", cache))
    for label, folder in candidates:
        if not folder.is_dir():
            tried.append(f"{label} {folder}: no such folder")
            continue
        try:
            return _load_mnist_folder(folder)
        except FileNotFoundError as exc:
            tried.append(f"{label} {folder}: {exc}")
        except DatasetError as exc:
            if label != "cache":
                raise
            tried.append(f"cache {folder}: {exc}")
    if download:
        for stem, sha in MNIST_FILES.items():
            cached = _find(cache, stem)
            if cached is not None:
                try:
                    _read_verified(cache, stem)
                    continue
                except DatasetError:
                    cached.unlink()  # corrupt cached file: fetch it again
            errors = []
            for mirror in mirrors or MNIST_MIRRORS:
                try:
                    download_file(f"{mirror}{stem}.gz", cache / f"{stem}.gz", sha, progress=progress)
                    break
                except Exception as exc:  # network errors of every kind: try the next mirror
                    errors.append(f"{mirror}: {exc}")
            else:
                tried.extend(f"download {error}" for error in errors)
                break
        else:
            return _load_mnist_folder(cache)
    raise DatasetError(
        "MNIST could not be found or downloaded. Tried:\n  " + "\n  ".join(tried) +
        "\nTo use MNIST offline, put train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
        "t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz in a folder 'mnist' and set "
        "NUMPYNN_DATA to its parent folder (or pass path=).")


# ----- CSV -----------------------------------------------------------------------------------
CSV_DELIMITERS = (",", ";", "\t")


def read_csv_table(path):
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
        rows = [row for row in csv.reader(handle, delimiter=delimiter) if any(cell.strip() for cell in row)]
    if len(rows) < 2:
        raise DatasetError(f"{path} needs a header row and at least one data row.")
    return [name.strip() for name in rows[0]], rows[1:]


def numeric_columns(path, header, rows, names) -> np.ndarray:
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
                    raise DatasetError(f"{path} row {r + 2}, column {names[c]!r}: {cell!r} is not a number; "
                                       "features must be numeric (encode categories first).") from None
    if not np.all(np.isfinite(values)):
        r, c = np.argwhere(~np.isfinite(values))[0]
        raise DatasetError(f"{path} row {r + 2}, column {names[c]!r} is NaN or infinite.")
    return values


def load_csv(path, target, class_names=None) -> Dataset:
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
        raise DatasetError(f"{path} row {labels.index('') + 2} has no value in the target column {target!r}; "
                           "fill it in or drop the row.")
    y, class_names = encode_labels(labels, class_names)
    return Dataset(features, y, feature_names, class_names)


def encode_labels(labels, class_names=None):
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
