"""Seconds per epoch of this numpynn against another checkout's, in one process, epochs alternating.

    python benchmarks/versus_checkout.py /path/to/other/checkout [--rounds 12] [--optimizers sgd,adam]
    python benchmarks/versus_checkout.py /path/to/other/checkout --tiny   # the per-step Python overhead

For a change that should not cost speed (a refactor of the training loop): the other checkout's package
is copied under another name (numpynn_other) so both import side by side, then the two train the same
784-256-128-10 MLP (batch 128, float32, MNIST or random MNIST-shaped data) one epoch each, in turn. A
noisy machine then slows both alike, and the ratio of each pair of epochs is far steadier than two
processes timed minutes apart. ``--tiny`` trains a 20-16-2 MLP on 20,000 random rows in batches of 32
instead, where the Python work of each step (the loop, callbacks, logs) is most of the time. The two
take turns going first. The first pair is a warm-up and not counted.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import load_mnist_float  # noqa: E402


def import_other(checkout: Path):
    """The other checkout's numpynn, imported as numpynn_other (its relative imports keep working)."""
    folder = Path(tempfile.mkdtemp(prefix="numpynn-other-"))
    shutil.copytree(checkout / "numpynn", folder / "numpynn_other")
    sys.path.insert(0, str(folder))
    return importlib.import_module("numpynn_other")


def compiled_mlp(nn, optimizer: str, sizes: tuple):
    *hidden, outputs = sizes[1:]
    layers = [nn.Dense(units, activation="relu", kernel_initializer="he_uniform") for units in hidden]
    layers[0] = nn.Dense(hidden[0], activation="relu", input_dim=sizes[0], kernel_initializer="he_uniform")
    model = nn.Sequential(layers + [nn.Dense(outputs)], seed=0)
    opt = nn.optimizers.SGD(0.05, momentum=0.9) if optimizer == "sgd" else nn.optimizers.Adam(1e-3)
    model.compile(opt, nn.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkout", type=Path, help="the other numpynn checkout (the folder holding numpynn/)")
    parser.add_argument("--rounds", type=int, default=12, help="epochs of each, alternating")
    parser.add_argument("--optimizers", default="sgd,adam")
    parser.add_argument("--tiny", action="store_true", help="a 20-16-2 MLP, batch 32: the per-step overhead")
    args = parser.parse_args()
    import numpynn as ours

    theirs = import_other(args.checkout)
    if args.tiny:
        rng = np.random.default_rng(0)
        x, source = rng.normal(size=(20000, 20)).astype(np.float32), "random 20-feature rows"
        y, sizes, batch_size = (x[:, 0] > 0).astype(np.int64), (20, 16, 2), 32
    else:
        (x, y, source), sizes, batch_size = load_mnist_float(), (784, 256, 128, 10), 128
    print(
        f"CPU {platform.processor() or platform.machine()}, kernel {platform.release()}, "
        f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}, data: {source}"
    )
    for optimizer in args.optimizers.split(","):
        models = {"this": compiled_mlp(ours, optimizer, sizes), "other": compiled_mlp(theirs, optimizer, sizes)}
        seconds = {name: [] for name in models}
        for round_number in range(args.rounds + 1):
            order = list(models) if round_number % 2 == 0 else list(models)[::-1]  # ABBA: neither always first
            for name in order:
                model = models[name]
                start = time.perf_counter()
                model.fit(x, y, epochs=1, batch_size=batch_size, verbose=0)
                seconds[name].append(time.perf_counter() - start)
        ratios = [a / b for a, b in zip(seconds["this"][1:], seconds["other"][1:])]
        same = all(np.array_equal(a, b) for a, b in zip(models["this"].get_weights(), models["other"].get_weights()))
        print(
            f"{optimizer}: this {statistics.median(seconds['this'][1:]):.3f} s/epoch, other "
            f"{statistics.median(seconds['other'][1:]):.3f} s/epoch (medians); paired ratio median "
            f"{statistics.median(ratios):.3f}, quartiles {np.percentile(ratios, 25):.3f}-"
            f"{np.percentile(ratios, 75):.3f}; identical weights after {args.rounds + 1} epochs: {same}"
        )


if __name__ == "__main__":
    main()
