"""The benchmark scripts still run: each answers --help, and the quick ones run a tiny configuration."""

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import requires_mnist

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def run(script, *args):
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *args], capture_output=True, text=True, timeout=240
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.mark.parametrize("script", sorted(p.name for p in BENCHMARKS.glob("*.py") if p.name != "common.py"))
def test_benchmark_answers_help(script):
    assert "usage:" in run(script, "--help")


def test_breast_cancer_splits_reports_both_procedures():
    out = run("breast_cancer_splits.py", "--seeds", "2", "--epochs", "20")
    assert "splits: reference, seeds 0-1" in out and "splits: numpynn, seeds 0-1" in out
    rows = [line for line in out.splitlines() if line.startswith("| numpynn (default")]
    assert len(rows) == 2
    for row in rows:
        mean, std, low, high = (float(cell) for cell in row.strip("|").split("|")[1:])
        assert 0.8 < low <= mean <= high <= 1 and std >= 0


@requires_mnist
def test_mnist_accuracy_runs_one_epoch():
    out = run("mnist_accuracy.py", "--epochs", "1", "--libraries", "numpynn", "--optimizers", "sgd")
    row = next(line for line in out.splitlines() if line.startswith("| sgd | numpynn | 0 |"))
    assert float(row.split("|")[4]) > 0.9  # one epoch of SGD + momentum is well past 0.9 on MNIST


def test_both_cores_measures_every_section():
    out = run("both_cores.py", "--repeat", "2")
    assert "ReLU forward in place: one thread" in out and "32 images at a time" in out
    assert out.count("product + split ReLU") == 3 and out.count("CNN step") == 3  # three OpenBLAS timeouts
    assert out.count("conv_input_grad,") == 2
    faults = [float(line.rsplit(":", 1)[1]) for line in out.splitlines() if line.startswith("page faults")]
    assert len(faults) == 2 and faults[0] < faults[1]  # numpynn's glibc settings, then a fixed threshold
    assert out.count("bias as a column of ones") == 2


def test_pooled_relu_steps_times_both_ways_and_finds_the_same_weights():
    out = run("pooled_relu_steps.py", "--rounds", "1", "--steps", "1", "--networks", "default")
    row = next(line for line in out.splitlines() if line.startswith("| default |"))
    assert row.endswith("| yes |") and float(row.split("|")[4].strip(" *")) > 0


def test_text_vectorizer_times_every_mode():
    out = run("text_vectorizer.py", "--documents", "2000")
    for mode in ("int", "count", "tf_idf"):
        row = next(line for line in out.splitlines() if line.startswith(f"| numpynn TextVectorizer {mode} |"))
        assert all(float(cell) > 0 for cell in row.strip("|").split("|")[1:])
