"""Opt-in process tuning for training: ``numpynn.configure_runtime()`` and ``numpynn.set_num_threads(n)``.

``import numpynn`` changes nothing outside numpynn. The command line (and every benchmark) calls
``configure_runtime(restart=True)`` first thing, because it owns its process; a program of yours may call
it too, a notebook or a web app usually should not (both settings act on the whole process).

1. OpenBLAS keeps an idle thread spinning for about 0.1 s after every matrix product (2^28 clock
   cycles). A network makes a product every millisecond or two, so that thread never rests, and it
   holds the very core that numpynn's element-wise threads need (numpynn/kernels/parallel.py):
   measured, the split passes then gained next to nothing. OPENBLAS_THREAD_TIMEOUT=16 (2^16 cycles,
   some 20 us) lets idle threads sleep soon after a product, yet keeps them awake through the short
   gaps between a small network's products: 4 (sleep at once) slowed the MLP's steps by ~5 %, 16 did
   not, and both sped up the CNN's. OpenBLAS reads the variable only when NumPy loads it, and
   ``import numpynn`` loads NumPy: so the variable is set in the environment and, with
   ``restart=True``, the program starts again with it (``os.execv``, same command line, once).
2. glibc gives a freed block of over 128 KiB back to the operating system, and the next array of that
   size comes back as fresh pages, each zeroed by the kernel on its first touch (a page fault). A
   training step frees and allocates its activations and gradients every time: the default CNN took
   about 1,650 page faults per step. ``keep_freed_memory`` asks glibc (mallopt) to keep freed memory for
   reuse, as PyTorch's caching allocator does: the heap then stays at the step's peak instead of
   shrinking between steps. Not on other C libraries; MALLOC_MMAP_THRESHOLD_ or MALLOC_TRIM_THRESHOLD_
   in the environment mean you chose yourself, and numpynn leaves glibc alone.

Both keep any value you set yourself. The measurements are in docs/benchmarks.md.
"""

from __future__ import annotations

import ctypes
import os
import sys
from dataclasses import dataclass

from numpynn.errors import InputError
from numpynn.kernels import parallel

BLAS_THREAD_TIMEOUT = "16"  # log2 of the clock cycles an idle OpenBLAS thread spins before it sleeps
# glibc's mallopt parameters (malloc.h) and the largest mmap threshold it accepts on 64-bit systems.
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
LARGEST_MMAP_THRESHOLD = 32 << 20
NEVER_TRIM = 2**31 - 1


@dataclass(frozen=True)
class RuntimeSettings:
    """What ``configure_runtime`` found or changed.

    blas_thread_timeout: the OPENBLAS_THREAD_TIMEOUT that OpenBLAS runs with in this process (None: its
        default, 2^28 cycles, because NumPy was loaded before the variable was set).
    keeps_freed_memory: whether glibc now keeps freed memory for reuse.
    """

    blas_thread_timeout: str | None
    keeps_freed_memory: bool


# What OpenBLAS read: numpynn imports NumPy before this module, so the environment as it is now is the one
# NumPy was loaded with (a value set later in Python reaches subprocesses only).
_TIMEOUT_AT_LOAD = os.environ.get("OPENBLAS_THREAD_TIMEOUT")


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


def configure_runtime(*, restart: bool = False) -> RuntimeSettings:
    """Tune this process for training: idle OpenBLAS threads that sleep soon, freed memory kept for reuse.

    restart: when OpenBLAS is already running without OPENBLAS_THREAD_TIMEOUT (``import numpynn``
        loads NumPy), run this program again from the start with the variable set (``os.execv`` with
        the same interpreter and command line; it does not return). For a command line or a script;
        never in a notebook, a server or a test. Without it, the variable is set for subprocesses only
        and this process keeps OpenBLAS's default.
    """
    if "OPENBLAS_THREAD_TIMEOUT" not in os.environ:
        os.environ["OPENBLAS_THREAD_TIMEOUT"] = BLAS_THREAD_TIMEOUT
        if restart and "numpy" in sys.modules:
            sys.stdout.flush()
            sys.stderr.flush()
            os.execv(sys.executable, [sys.executable, *sys.orig_argv[1:]])
    return RuntimeSettings(blas_thread_timeout=_TIMEOUT_AT_LOAD, keeps_freed_memory=keep_freed_memory())


def set_num_threads(threads: int) -> None:
    """Use ``threads`` threads for numpynn's element-wise passes and, where threadpoolctl is installed,
    for BLAS's matrix products (``pip install threadpoolctl``); 1 runs everything on one core."""
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise InputError(f"set_num_threads takes a whole number of threads >= 1, got {threads!r}.")
    parallel.set_thread_count(threads)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(threads, user_api="blas")
