"""numpynn/kernels/runtime.py: `import numpynn` changes nothing outside numpynn; `configure_runtime` is the
opt-in the command line makes, and a user's own choice wins."""

import json
import os
import platform
import subprocess
import sys

import pytest

import numpynn as nn
from numpynn.errors import InputError
from numpynn.kernels import parallel, runtime

CLEAN_ENV = {
    key: value
    for key, value in os.environ.items()
    if key not in ("OPENBLAS_THREAD_TIMEOUT", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")
}


def run(code: str, **extra: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", code], env={**CLEAN_ENV, **extra}, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_import_changes_no_environment_variable_allocator_signal_or_warning_setting():
    # NumPy and tqdm are imported first: their own import-time filters are theirs, not numpynn's.
    code = (
        "import os, signal, sys, warnings, numpy, tqdm; "
        "before = (dict(os.environ), signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT), "
        "list(warnings.filters)); import numpynn; "
        "print(before == (dict(os.environ), signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT), "
        "list(warnings.filters)), os.environ.get('OPENBLAS_THREAD_TIMEOUT'))"
    )
    assert run(code) == "True None"


def test_configure_runtime_restarts_the_program_once_with_the_openblas_timeout():
    code = (
        "import sys; print('start', flush=True); import numpynn; "
        "print(numpynn.configure_runtime(restart=True).blas_thread_timeout)"
    )
    assert run(code).split() == ["start", "start", runtime.BLAS_THREAD_TIMEOUT]  # started twice, then in effect
    assert run(code, OPENBLAS_THREAD_TIMEOUT="20").split() == ["start", "20"]  # the user's value: no restart


def test_import_asks_nothing_of_the_c_library():
    code = (
        "import ctypes; calls = []; real = ctypes.CDLL; "
        "ctypes.CDLL = lambda *args, **kwargs: calls.append(args) or real(*args, **kwargs); "
        "import numpynn; print(len(calls)); numpynn.configure_runtime(); print(len(calls) > 0)"
    )
    assert run(code).split() == ["0", str(platform.libc_ver()[0] == "glibc")]


def test_configure_runtime_without_restart_reports_that_openblas_kept_its_default():
    code = (
        "import os, numpynn; "
        "print(numpynn.configure_runtime().blas_thread_timeout, os.environ['OPENBLAS_THREAD_TIMEOUT'])"
    )
    assert run(code).split() == ["None", runtime.BLAS_THREAD_TIMEOUT]  # subprocesses get it; this process cannot


def test_the_command_line_runs_with_the_openblas_timeout(tmp_path):
    out = tmp_path / "run"
    subprocess.run(
        [sys.executable, "-m", "numpynn", "train", "breast-cancer", "--epochs", "1", "--quiet", "--out", str(out)],
        env=CLEAN_ENV,
        check=True,
        capture_output=True,
    )
    variables = json.loads((out / "environment.json").read_text())["variables"]
    assert variables["OPENBLAS_THREAD_TIMEOUT"] == runtime.BLAS_THREAD_TIMEOUT


def test_set_num_threads_sets_the_element_wise_threads_and_rejects_nonsense():
    try:
        nn.set_num_threads(3)
        assert parallel.thread_count() == 3
    finally:
        parallel.set_thread_count(None)
    for wrong in (0, -1, 2.5, True, "2"):
        with pytest.raises(InputError, match="whole number of threads"):
            nn.set_num_threads(wrong)


# 20 arrays of 16 MiB, each allocated, touched and freed: page faults counted after a warm-up.
PAGE_FAULTS = """
import numpynn, numpy as np, resource
numpynn.configure_runtime()
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
def test_freed_arrays_are_reused_after_the_opt_in_only_unless_the_user_chose_glibcs_settings():
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
