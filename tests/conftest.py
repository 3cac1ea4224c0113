import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


def two_spirals(n_per_class=200, noise=0.15, seed=0):
    """Two interleaved spirals, a problem no linear model solves: (X float32 (2n, 2), y int (2n,))."""
    rng = np.random.default_rng(seed)
    t = np.sqrt(rng.uniform(0.05, 1, n_per_class)) * 3 * np.pi
    arm = np.c_[t * np.cos(t), t * np.sin(t)] / (3 * np.pi)
    x = np.r_[arm, -arm] + rng.normal(0, noise / 3, (2 * n_per_class, 2))
    y = np.r_[np.zeros(n_per_class, int), np.ones(n_per_class, int)]
    return x.astype(np.float32), y


def have_real_mnist() -> bool:
    """Real MNIST is available offline ($NUMPYNN_DATA/mnist); tests never download it."""
    import os
    from pathlib import Path

    root = os.environ.get("NUMPYNN_DATA")
    return bool(root) and (Path(root) / "mnist").is_dir()


requires_mnist = pytest.mark.skipif(not have_real_mnist(), reason="real MNIST not found in $NUMPYNN_DATA/mnist")
