"""Shared helpers for the benchmark scripts: data, one process per library, the BLAS kernel in use."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import numpy as np


def best_ms(fn, repeat: int) -> float:
    """The fastest of ``repeat`` calls of ``fn``, in milliseconds: the best call sees through a noisy machine."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times) * 1e3


def load_mnist_float(images_4d: bool = False):
    """MNIST training images as float32 in [0, 1] (random MNIST-shaped data if MNIST is not available)."""
    try:
        from numpynn.data.datasets import load_mnist
        from numpynn.data.preprocessing import scale_pixels

        (x, y), _ = load_mnist(download=False)
        x, source = scale_pixels(x), "MNIST"
    except Exception:
        rng = np.random.default_rng(0)
        x, y, source = rng.random((60000, 28, 28), dtype=np.float32), rng.integers(0, 10, 60000), "random MNIST-shaped"
    x = x[..., None] if images_4d else x.reshape(len(x), -1)
    return x, y.astype(np.int64), source


def add_process_options(parser) -> None:
    """--threads and --native-blas, shared by the scripts that run each library in its own process."""
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--native-blas", action="store_true", help="unset OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE in the benchmark processes"
    )


def worker_env(threads: int, native_blas: bool) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads))
    # What the command line sets (numpynn.configure_runtime, numpynn/kernels/runtime.py);
    # the worker scripts import NumPy first. PyTorch does not use OpenBLAS for its tensors.
    from numpynn.kernels.runtime import BLAS_THREAD_TIMEOUT

    env.setdefault("OPENBLAS_THREAD_TIMEOUT", BLAS_THREAD_TIMEOUT)
    if native_blas:
        # This workplace pins OpenBLAS to its Haswell kernels (OPENBLAS_CORETYPE); a user's machine picks
        # the best kernel for its CPU. --native-blas lifts the pin for the benchmark processes only.
        env.pop("OPENBLAS_CORETYPE", None)
        env.pop("OPENBLAS_L2_SIZE", None)
    return env


def blas_kernel(env) -> str:
    code = (
        "import json, numpy\n"
        "try:\n import threadpoolctl\n"
        " print(json.dumps([i.get('architecture') for i in threadpoolctl.threadpool_info()]))\n"
        "except ImportError: print(json.dumps(['unknown (threadpoolctl not installed)']))"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    return ", ".join(str(k) for k in json.loads(out.stdout)) if out.returncode == 0 else "unknown"


def machine_line(env: dict | None = None) -> str:
    """'CPU: ...; kernel ...; OpenBLAS kernel ...': what every table here names (``env``: the workers')."""
    import platform

    return f"CPU: {cpu_name()}; kernel {platform.release()}; OpenBLAS kernel {blas_kernel(env or dict(os.environ))}"


def cpu_name() -> str:
    """The CPU model as the kernel reports it (/proc/cpuinfo), e.g. 'AMD EPYC 7B13'."""
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or platform.machine()


def torch_available() -> bool:
    try:
        import torch  # noqa: F401

        return True
    except ImportError:
        return False


def run_worker(script: str, args: list[str], env: dict):
    """Run ``script --worker ...`` in a fresh process; returns its last JSON line, or None on failure."""
    out = subprocess.run([sys.executable, script, "--worker", *args], env=env, capture_output=True, text=True)
    if out.returncode != 0:
        print(f"worker {args} failed:\n{out.stderr[-2000:]}", flush=True)
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])
