"""Two process settings that ``import numpynn`` makes, so that NumPy trains a network at full speed.

Both are about what happens between NumPy calls, and both keep any value you set yourself.

1. OpenBLAS keeps an idle thread spinning for about 0.1 s after every matrix product (2^28 clock
   cycles). A network makes a product every millisecond or two, so that thread never rests, and it
   holds the very core that numpynn's element-wise threads need (numpynn/parallel.py): measured, the
   split passes then gained next to nothing. OPENBLAS_THREAD_TIMEOUT=16 (2^16 cycles, some 20 us)
   lets idle threads sleep soon after a product, yet keeps them awake through the short gaps between
   a small network's products: 4 (sleep at once) slowed the MLP's steps by ~5 %, 16 did not, and
   both sped up the CNN's. OpenBLAS reads the variable when NumPy loads it, so this only works when
   numpynn is imported before NumPy (the command line always is); set it yourself otherwise.
2. glibc gives a freed block of over 128 KiB back to the operating system, and the next array of that
   size comes back as fresh pages, each zeroed by the kernel on its first touch (a page fault). A
   training step frees and allocates its activations and gradients every time: the default CNN took
   about 1,650 page faults per step. numpynn asks glibc (mallopt) to keep freed memory for reuse, as
   PyTorch's caching allocator does: the heap then stays at the step's peak instead of shrinking
   between steps. Not on other C libraries; MALLOC_MMAP_THRESHOLD_ or MALLOC_TRIM_THRESHOLD_ in the
   environment mean you chose yourself, and numpynn leaves glibc alone.

The measurements are in docs/benchmarks.md.
"""
from __future__ import annotations

import ctypes
import os
import sys

BLAS_THREAD_TIMEOUT = "16"  # log2 of the clock cycles an idle OpenBLAS thread spins before it sleeps
# glibc's mallopt parameters (malloc.h) and the largest mmap threshold it accepts on 64-bit systems.
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
LARGEST_MMAP_THRESHOLD = 32 << 20
NEVER_TRIM = 2**31 - 1


def let_blas_threads_sleep() -> bool:
    """Set OPENBLAS_THREAD_TIMEOUT (unless already set) while NumPy is not loaded yet; whether the
    variable now holds a value OpenBLAS will read."""
    if "numpy" in sys.modules:
        return False
    os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", BLAS_THREAD_TIMEOUT)
    return True


def keep_freed_memory() -> bool:
    """Ask glibc to serve arrays of up to 32 MiB from its heap and never give the heap back; whether
    it agreed (False on other C libraries, or when the environment already chose)."""
    if "MALLOC_MMAP_THRESHOLD_" in os.environ or "MALLOC_TRIM_THRESHOLD_" in os.environ:
        return False
    try:
        os.confstr("CS_GNU_LIBC_VERSION")  # raises off glibc (macOS, Windows, musl)
        mallopt = ctypes.CDLL(None).mallopt  # the C library this process runs on
    except (AttributeError, OSError, TypeError, ValueError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, LARGEST_MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, NEVER_TRIM))


def configure() -> None:
    """Both settings; ``import numpynn`` calls this before it imports NumPy."""
    let_blas_threads_sleep()
    keep_freed_memory()
