"""Element-wise passes over large arrays, split over the CPU's cores.

BLAS runs a matrix product on every core, but a NumPy ufunc, a copy or a comparison runs on one. In a
convolutional network those single-core passes (bias, ReLU, pooling, the im2col copy) take about as
long as the matrix products. NumPy releases the GIL inside such loops, so Python threads that each
take a contiguous part of the batch run truly side by side, and since every element is computed by the
same arithmetic, the result is bit for bit the one a single pass gives.

    split_rows(lambda rows: np.maximum(z[rows], 0, out=z[rows]), len(z), z.size)

Threads: ``numpynn.set_num_threads(n)``, else NUMPYNN_THREADS, else OMP_NUM_THREADS (what BLAS is told to
use), else the CPU count; 1 turns the splitting off. Arrays under MIN_ELEMENTS stay on one thread: handing
work to a thread costs tens of microseconds (docs/benchmarks.md).

The threads only gain when OpenBLAS's idle threads do not hold the cores: see numpynn/kernels/runtime.py.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

# Waking an idle pool thread costs tens to a hundred microseconds on a virtual machine, so only passes
# over at least 1 Mi elements (with several passes, counted once per pass) are split. 128 Ki made the
# MLP's SGD step 10 % slower; 1 Mi left the CNN's step as it was (docs/benchmarks.md).
MIN_ELEMENTS = 1 << 20
# A pass of several steps (compare, then select) over a part this small finds its temporaries still in
# the core's cache; max pooling measured 3.6 -> 2.2 ms on one thread from this alone.
PART_ELEMENTS = 1 << 20

_pool: ThreadPoolExecutor | None = None
_pool_key = (0, 0)  # (process, workers) that _pool was made for: a forked child (a sweep worker) makes its own
_inside = threading.local()  # set while this thread runs a part: a nested split runs in place, never waits on the pool


_chosen_threads: int | None = None  # set by numpynn.set_num_threads; wins over the environment


def set_thread_count(threads: int | None) -> None:
    """Use ``threads`` threads for element-wise passes from now on (None: back to the environment's choice)."""
    global _chosen_threads
    _chosen_threads = threads


def thread_count() -> int:
    """How many threads element-wise passes use (at least 1)."""
    if _chosen_threads is not None:
        return _chosen_threads
    for name in ("NUMPYNN_THREADS", "OMP_NUM_THREADS"):
        value = os.environ.get(name, "")
        if value.strip().isdigit() and int(value) > 0:
            return int(value)
    return max(1, os.cpu_count() or 1)


def _executor(threads: int) -> ThreadPoolExecutor:
    global _pool, _pool_key
    if _pool is None or _pool_key != (os.getpid(), threads - 1):
        _pool, _pool_key = ThreadPoolExecutor(threads - 1, thread_name_prefix="numpynn"), (os.getpid(), threads - 1)
    return _pool


def split_rows(work: Callable[[slice], object], rows: int, elements: int) -> None:
    """Call ``work(part)`` for consecutive slices ``part`` that together cover ``range(rows)``.

    ``elements`` is how many array elements the whole pass touches. The rows are cut into parts of
    about PART_ELEMENTS elements, at least one per thread; each thread, the calling one included, takes
    a run of consecutive parts, and this returns when all are done (an exception in a part is raised
    here). Under MIN_ELEMENTS, with one thread, or when called from inside another split's part, every
    part runs on the calling thread. ``work`` must write only the rows it is given.
    """
    if elements < MIN_ELEMENTS:  # the common case in small networks: no bookkeeping on the hot path
        work(slice(0, rows))
        return
    threads = 1 if getattr(_inside, "part", False) else thread_count()
    part_count = max(1, min(rows, max(threads, -(-elements // PART_ELEMENTS))))  # at least a part per thread
    threads = min(threads, part_count)
    bounds = [rows * part // part_count for part in range(part_count + 1)]
    parts = [slice(start, end) for start, end in zip(bounds[:-1], bounds[1:], strict=True)]
    runs = [parts[part_count * thread // threads : part_count * (thread + 1) // threads] for thread in range(threads)]

    def run(own_parts: list[slice]) -> None:
        nested, _inside.part = getattr(_inside, "part", False), True
        try:
            for part in own_parts:
                work(part)
        finally:
            _inside.part = nested

    futures = [_executor(threads).submit(run, own_parts) for own_parts in runs[1:]]
    run(runs[0])
    for future in futures:
        future.result()
