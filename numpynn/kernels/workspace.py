"""Scratch arrays a layer reuses from one training step to the next.

A fresh large array costs more than its size suggests: the operating system hands out new pages
zeroed, one page fault each, the first time they are touched. For the reference CNN's im2col buffer
(85 MB) that first touch took longer than the copy into it (docs/benchmarks.md). PyTorch keeps freed
memory in a caching allocator for the same reason. Only a layer's internal temporaries live here, never
an array it returns: outputs and gradients handed on are fresh, so nobody holds a buffer that the next
step overwrites.
"""

from __future__ import annotations

import numpy as np


class Workspace:
    """Named scratch arrays, kept while their shape and dtype stay the same."""

    def __init__(self):
        self._arrays: dict[str, np.ndarray] = {}

    def get(self, name: str, shape: tuple, dtype, zeros: bool = False) -> np.ndarray:
        """An array of ``shape``: the one from the last call with this name if it fits, else a new one
        (zero-filled when ``zeros``; a reused one keeps what the caller left in it)."""
        array = self._arrays.get(name)
        if array is None or array.shape != tuple(shape) or array.dtype != np.dtype(dtype):
            array = (np.zeros if zeros else np.empty)(shape, dtype=dtype)
            self._arrays[name] = array
        return array

    def __deepcopy__(self, memo) -> Workspace:
        return Workspace()  # scratch is not state: a copy starts empty

    def __getstate__(self) -> dict:
        return {"_arrays": {}}
