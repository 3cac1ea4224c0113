"""IDX files (MNIST's format), plain or gzipped, and folders of them: train/test images and labels."""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

import numpy as np

from numpynn.data.datasets.base import DatasetError
from numpynn.files import MAX_ARRAY_BYTES

_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_file_bytes(path: str | os.PathLike, limit: int = MAX_ARRAY_BYTES) -> bytes:
    """The file's content, gunzipped when the name ends in .gz (a clear error if it is not gzip); more
    than ``limit`` bytes (after decompression) is refused without reading past the limit."""
    path = Path(path)
    with _open(path) as handle:
        data = _read(handle, limit + 1, path)
    if len(data) > limit:
        raise DatasetError(f"{path} holds more than {limit} bytes; it is not the file expected here.")
    return data


def _open(path: Path):
    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


def _read(handle, count: int, path: Path) -> bytes:
    try:
        return handle.read(count)
    except (OSError, EOFError, zlib.error) as exc:
        raise DatasetError(
            f"{path} is not a valid gzip file ({exc}); download it again or decompress it by hand."
        ) from None


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
        raise DatasetError(
            f"{name} is {problem}: header says shape {shape} ({expected} bytes), "
            f"found {len(data) - header} bytes of data."
        )
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read one IDX file (raw or .gz). The header is read first: a header that claims more data than a
    NumPy array here may hold is refused before anything is allocated or decompressed."""
    path = Path(path)
    with _open(path) as handle:
        head = _read(handle, 4, path)
        dims = _read(handle, 4 * head[3], path) if len(head) == 4 else b""
        shape = np.frombuffer(dims[: len(dims) // 4 * 4], dtype=">u4").astype(np.float64)
        itemsize = np.dtype(_IDX_TYPES.get(head[2], np.uint8)).itemsize if len(head) > 2 else 1
        expected = float(np.prod(shape)) * itemsize
        if expected > MAX_ARRAY_BYTES:
            raise DatasetError(
                f"{path}: the IDX header claims {shape.astype(np.int64).tolist()} "
                f"({expected:.3g} bytes); it is corrupt or not an IDX file."
            )
        data = _read(handle, int(expected) + 1, path)
    return parse_idx(head + dims + data, str(path))


def find_file(folder: Path, stem: str) -> Path | None:
    for candidate in (folder / stem, folder / f"{stem}.gz"):
        if candidate.is_file():
            return candidate
    return None


def load_idx(folder: str | os.PathLike) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load a folder of IDX files laid out like MNIST: ((x_train, y_train), (x_test, y_test)).

    Looks for files whose names contain 'train' / 'test' or 't10k' and 'images' / 'labels'
    (``.gz`` or raw).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(f"{folder} is not a folder; give a folder holding train/test images and labels IDX files.")
    files = sorted(p for p in folder.iterdir() if p.is_file() and ("idx" in p.name or p.suffix == ".gz"))

    def pick(split_words: tuple[str, ...], kind: str):
        found = [p for p in files if any(w in p.name for w in split_words) and kind in p.name]
        if len(found) != 1:
            raise DatasetError(
                f"expected one {'/'.join(split_words)} {kind} file in {folder}, found "
                f"{[p.name for p in found] or 'none'}; name them like MNIST "
                f"(train-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz, ...)."
            )
        return found[0]

    result = []
    for words in (("train",), ("t10k", "test")):
        images, labels = read_idx(pick(words, "images")), read_idx(pick(words, "labels"))
        _check_images_labels(images, labels, f"{folder}/{words[0]}")
        result.append((images, labels.astype(np.int64)))
    if result[0][0].shape[1:] != result[1][0].shape[1:]:
        raise DatasetError(
            f"train and test images in {folder} have different shapes "
            f"{result[0][0].shape[1:]} and {result[1][0].shape[1:]}."
        )
    return tuple(result)


def _check_images_labels(images, labels, name):
    if images.ndim not in (3, 4):
        raise DatasetError(f"{name} images must have shape (N, H, W) or (N, H, W, C), got {images.shape}.")
    if labels.ndim != 1:
        raise DatasetError(f"{name} labels must have shape (N,), got {labels.shape}.")
    if len(images) != len(labels):
        raise DatasetError(f"{name} has {len(images)} images but {len(labels)} labels.")
