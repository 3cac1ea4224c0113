"""numpynn/runtime.py: the process settings `import numpynn` makes, and that a user's own choice wins."""
import os
import platform
import subprocess
import sys

import pytest

from numpynn import runtime

CLEAN_ENV = {key: value for key, value in os.environ.items()
             if key not in ("OPENBLAS_THREAD_TIMEOUT", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")}


def run(code: str, **extra: str) -> str:
    return subprocess.run([sys.executable, "-c", code], env={**CLEAN_ENV, **extra}, capture_output=True, text=True,
                          check=True).stdout.strip()


def test_import_sets_the_openblas_timeout_only_before_numpy_and_keeps_a_users_value():
    code = "import {first}; import numpynn, os; print(os.environ.get('OPENBLAS_THREAD_TIMEOUT'))"
    assert run(code.format(first="os")) == runtime.BLAS_THREAD_TIMEOUT
    assert run(code.format(first="numpy")) == "None"  # too late: OpenBLAS has read its settings
    assert run(code.format(first="os"), OPENBLAS_THREAD_TIMEOUT="20") == "20"


# 20 arrays of 16 MiB, each allocated, touched and freed: page faults counted after a warm-up.
PAGE_FAULTS = """
import numpynn, numpy as np, resource
def churn(times):
    for _ in range(times):
        array = np.ones(4 << 20, dtype=np.float32)
        del array
churn(3)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
churn(20)
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_freed_arrays_are_reused_without_fresh_pages_unless_the_user_chose_glibcs_settings():
    pages_per_array = (16 << 20) // os.sysconf("SC_PAGE_SIZE")
    kept = int(run(PAGE_FAULTS))
    returned = int(run(PAGE_FAULTS, MALLOC_MMAP_THRESHOLD_="131072"))  # glibc's default threshold, held fixed
    assert kept < pages_per_array // 4  # not even a quarter of one array's pages in 20 rounds
    # Every round faults its array in again (fewer faults than pages where the kernel maps huge pages).
    assert returned > 20 * 100 and returned > 50 * (kept + 1)


def test_other_c_libraries_are_left_alone(monkeypatch):
    def not_glibc(name):
        raise ValueError("unrecognized configuration name")

    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    monkeypatch.setattr(runtime.os, "confstr", not_glibc)
    assert runtime.keep_freed_memory() is False
