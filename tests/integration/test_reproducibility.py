"""Same seed, same weights: small runs of the three command-line recipes pinned by a hash of their weights.

A refactor of the training loop, the layers or the losses must not change a single bit of a trained
model. The hashes depend on the BLAS kernels that run (float sums are rounded in the kernel's order),
so they are recorded per machine fingerprint in tests/data/weight_hashes.json. On a machine whose
fingerprint is not recorded yet the test is skipped with the command that records it:
    NUMPYNN_RECORD_HASHES=1 .venv/bin/python -m pytest tests/integration/test_reproducibility.py
"""

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest
from helpers import write_fake_mnist_folder

from numpynn.runs import experiment

HASHES = Path(__file__).resolve().parents[1] / "data" / "weight_hashes.json"

RUNS = {
    # The Breast Cancer recipe (Adam, L2 0.03, early stopping), shortened.
    "breast-cancer": ("breast-cancer", {"epochs": 25}),
    # The MNIST recipe (dropout, one-pixel shifts, cosine schedule with warm-up) on small fake digits.
    "images-mlp": ("idx", {"model": "dense:64,dropout:0.2,dense:32,dropout:0.2", "epochs": 3, "val_size": 60}),
    # The CNN preset (conv, pooling, dropout) on the same digits.
    "images-cnn": ("idx", {"model": "cnn", "epochs": 2, "val_size": 60}),
}


def machine_fingerprint() -> str:
    """NumPy version and the BLAS kernels it runs: what decides the rounding of every matrix product."""
    from threadpoolctl import threadpool_info

    blas = [
        f"{i['internal_api']} {i['version']} {i.get('architecture')} x{i['num_threads']}"
        for i in threadpool_info()
        if i["user_api"] == "blas" and "numpy" in i["filepath"]
    ]
    return f"numpy {np.__version__}; " + "; ".join(blas)


def weights_hash(model) -> str:
    digest = hashlib.sha256()
    for array in model.get_weights():
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def fake_idx_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("digits")
    write_fake_mnist_folder(folder)
    return folder


@pytest.mark.parametrize("run", sorted(RUNS))
def test_a_seeded_run_gives_the_pinned_weights(run, fake_idx_folder):
    dataset, options = RUNS[run]
    if dataset == "idx":
        dataset = f"idx:{fake_idx_folder}"
    result = experiment.fit_and_evaluate(dataset, quiet=True, **options)
    digest = weights_hash(result.model)
    fingerprint = machine_fingerprint()
    recorded = json.loads(HASHES.read_text()) if HASHES.is_file() else {}
    if os.environ.get("NUMPYNN_RECORD_HASHES"):
        recorded.setdefault(fingerprint, {})[run] = digest
        HASHES.parent.mkdir(exist_ok=True)
        HASHES.write_text(json.dumps(recorded, indent=2, sort_keys=True) + "\n")
    if run not in recorded.get(fingerprint, {}):
        pytest.skip(f"no hash recorded for {fingerprint!r}; record with NUMPYNN_RECORD_HASHES=1 (see the docstring)")
    assert digest == recorded[fingerprint][run], f"{run}: the weights changed on {fingerprint}"
