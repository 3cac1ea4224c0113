"""What a run ran on: versions, machine and thread settings, saved with every run folder so a result
can be traced and reproduced (the same seed on the same versions gives the same weights)."""

from __future__ import annotations

import os
import platform
import sys
from datetime import datetime, timezone

import numpy as np

from numpynn._version import __version__

# Environment variables that change which BLAS kernels run or how many threads they use.
THREAD_VARIABLES = (
    "OPENBLAS_CORETYPE",
    "OPENBLAS_NUM_THREADS",
    "OPENBLAS_THREAD_TIMEOUT",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMPYNN_THREADS",
    "NUMPYNN_DATA",
)


def blas_description() -> str:
    """The BLAS NumPy was built with, e.g. 'scipy-openblas 0.3.31.188.0' ('unknown' if NumPy won't say)."""
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{blas.get('name', 'unknown')} {blas.get('version', '')}".strip()
    except Exception:  # noqa: BLE001 - older NumPy has no mode="dicts"; this is information only
        return "unknown"


def environment_info() -> dict:
    """Versions, machine and thread settings of this process, as a JSON-ready dict."""
    return {
        "numpynn": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": blas_description(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "variables": {name: os.environ[name] for name in THREAD_VARIABLES if name in os.environ},
        "command_line": " ".join([os.path.basename(sys.argv[0])] + sys.argv[1:]) if sys.argv else "",
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
