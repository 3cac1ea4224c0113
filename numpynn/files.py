"""Atomic file writes: write to a temporary file in the same folder, flush to disk, then rename.

A crash or an error half-way leaves the previous file (or nothing) in place, never half a file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import zipfile
from collections.abc import Iterator
from typing import IO

import numpy as np

from numpynn.errors import InputError


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb", **open_kwargs) -> Iterator[IO]:
    """Context manager yielding a file object; on success it replaces ``path`` in one rename."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        # mkstemp makes the file private (0600); give it the permissions open() would have.
        os.chmod(temporary, 0o666 & ~_current_umask())
        with os.fdopen(fd, mode, **open_kwargs) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _current_umask() -> int:
    # The only way to read the umask is to set it; set it straight back.
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_write(path, "w", encoding="utf-8") as handle:
        handle.write(text)


# No single array read from outside bytes may claim more than this (a corrupt header can claim 10^12 elements).
MAX_ARRAY_BYTES = 8 << 30


def read_npz(path, what: str = "NumPy archive") -> dict:
    """Every array of an .npz file (a path, or a binary file object), its sizes checked before anything is
    allocated.

    ``what`` names the kind of file in errors ("numpynn model", "checkpoint"). Anything wrong with the bytes
    (not a zip, a bad or truncated entry, a header that lies about its size, object arrays) raises
    ``InputError`` naming the file; nothing is unpickled.
    """

    path = path if hasattr(path, "read") else os.fspath(path)
    try:
        with zipfile.ZipFile(path) as archive:
            return {
                name[:-4] if name.endswith(".npy") else name: _read_npy(archive, name) for name in archive.namelist()
            }
    except InputError as exc:
        raise InputError(f"{path!r} is not a readable {what}: {exc}") from None
    except FileNotFoundError:
        raise
    except Exception as exc:  # outside bytes can fail in any way (MemoryError included): name the file
        raise InputError(
            f"{path!r} is not a readable {what} ({type(exc).__name__}: {exc}); it may be truncated or corrupt."
        ) from None


def _read_npy(archive, name: str):

    info = archive.getinfo(name)
    if info.file_size > MAX_ARRAY_BYTES:
        raise InputError(f"entry {name!r} claims {info.file_size} bytes")
    with archive.open(info) as handle:
        version = np.lib.format.read_magic(handle)
        header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, fortran_order, dtype = header(handle)
        if dtype.hasobject:
            raise InputError(f"entry {name!r} holds objects, which are not loaded (they could run code)")
        size = int(np.prod(shape, dtype=np.float64)) * dtype.itemsize
        if size > MAX_ARRAY_BYTES or size != info.file_size - handle.tell():
            raise InputError(
                f"entry {name!r} says {shape} {dtype} ({size} bytes) but holds {info.file_size - handle.tell()}"
            )
        data = handle.read(size)
        if len(data) != size:
            raise InputError(f"entry {name!r} is cut short")
    array = np.frombuffer(data, dtype=dtype)
    return (array.reshape(shape[::-1]).T if fortran_order else array.reshape(shape)).copy()
