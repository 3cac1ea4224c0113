"""MNIST: from a local folder, the cache, or a verified download.

MNIST is looked for, in order: the ``path`` argument; ``$NUMPYNN_DATA/mnist``; the cache
(``$NUMPYNN_HOME/mnist``, default ``~/.cache/numpynn/mnist``). Only if none has it are the four files
downloaded from public mirrors, each checked by the SHA-256 of its decompressed content and moved into
the cache atomically (temporary file, then rename), so a failed download leaves nothing behind.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import urllib.request
import zlib
from pathlib import Path

import numpy as np

from numpynn.console import progress_bar
from numpynn.data.datasets.base import DatasetError
from numpynn.data.datasets.idx import find_file, parse_idx, read_file_bytes
from numpynn.files import atomic_write

MNIST_MAX_BYTES = 64 << 20  # the largest MNIST file is 47 MB decompressed; more is not MNIST

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
    path = find_file(folder, stem)
    if path is None:
        raise FileNotFoundError(f"{folder / stem}[.gz] not found")
    data = read_file_bytes(path, limit=MNIST_MAX_BYTES)
    digest = hashlib.sha256(data).hexdigest()
    if digest != MNIST_FILES[stem]:
        raise DatasetError(
            f"{path} has SHA-256 {digest[:12]}..., expected {MNIST_FILES[stem][:12]}... "
            "(of the decompressed file); the file is corrupt or not MNIST: delete it."
        )
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


def load_mnist(
    path: str | os.PathLike | None = None,
    download: bool = True,
    mirrors: list[str] | None = None,
    progress: bool = True,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """MNIST as ((x_train, y_train), (x_test, y_test)): uint8 images (N, 28, 28), int64 labels.

    Every file is checked against the SHA-256 of the original decompressed MNIST.
    """
    tried = []
    for label, folder in _local_folders(path):
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
        failures = _download_missing(mnist_cache_dir(), mirrors or MNIST_MIRRORS, progress)
        if not failures:
            return _load_mnist_folder(mnist_cache_dir())
        tried.extend(f"download {failure}" for failure in failures)
    raise DatasetError(
        "MNIST could not be found or downloaded. Tried:\n  "
        + "\n  ".join(tried)
        + "\nTo use MNIST offline, put train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
        "t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz in a folder 'mnist' and set "
        "NUMPYNN_DATA to its parent folder (or pass path=)."
    )


def _local_folders(path) -> list[tuple[str, Path]]:
    """Where MNIST may already be, in the order they are tried: (label, folder)."""
    folders = []
    if path is not None:
        folders.append(("path argument", Path(path)))
    if os.environ.get("NUMPYNN_DATA"):
        folders.append(("$NUMPYNN_DATA/mnist", Path(os.environ["NUMPYNN_DATA"]) / "mnist"))
    folders.append(("cache", mnist_cache_dir()))
    return folders


def _download_missing(cache: Path, mirrors, progress: bool) -> list[str]:
    """Download every file the cache lacks (or holds corrupt); the errors of the file that failed, else []."""
    for stem, sha in MNIST_FILES.items():
        cached = find_file(cache, stem)
        if cached is not None:
            try:
                _read_verified(cache, stem)
                continue
            except DatasetError:
                cached.unlink()  # corrupt cached file: fetch it again
        errors = []
        for mirror in mirrors:
            try:
                download_file(f"{mirror}{stem}.gz", cache / f"{stem}.gz", sha, progress=progress)
                break
            except Exception as exc:  # network errors of every kind: try the next mirror
                errors.append(f"{mirror}: {exc}")
        else:
            return errors
    return []
