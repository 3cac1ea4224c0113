"""Does flushing tiny optimizer state matter? Adam on the MNIST MLP with and without the flush,
each in its own process: seconds per epoch and how many moment entries ended up subnormal.

    python benchmarks/subnormals.py [--epochs 8]
"""

from __future__ import annotations

import argparse
import subprocess
import sys

import numpy as np


def worker(flush: bool, epochs: int):
    import numpynn as nn
    from numpynn.data.datasets import load_mnist
    from numpynn.nn import optimizers

    if not flush:
        optimizers.FLUSH_EVERY = 10**12
    (x, y), _ = load_mnist(download=False)
    x = x.reshape(len(x), -1).astype(np.float32) / 255
    model = nn.Sequential(
        [
            nn.Dense(256, activation="relu", input_dim=784, kernel_initializer="he_uniform"),
            nn.Dense(128, activation="relu", kernel_initializer="he_uniform"),
            nn.Dense(10),
        ],
        seed=0,
    )
    model.compile(nn.optimizers.Adam(1e-3), nn.losses.SparseCategoricalCrossentropy(from_logits=True))
    seconds = model.fit(x, y, epochs=epochs, batch_size=128, verbose=0).history["seconds"]
    tiny = np.finfo(np.float32).tiny
    subnormal = sum(
        int(np.sum((a != 0) & (np.abs(a) < tiny))) for slot in model.optimizer.slots.values() for a in slot.values()
    )
    print(f"| {'on' if flush else 'off'} | {np.median(seconds[1:]):.3f} | {subnormal} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--worker", choices=["on", "off"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker == "on", args.epochs)
        return
    print("| flush | median s/epoch (epochs 2+) | subnormal moment entries at the end |")
    print("|---|---|---|")
    for mode in ("off", "on"):
        subprocess.run([sys.executable, __file__, "--worker", mode, "--epochs", str(args.epochs)], check=True)


if __name__ == "__main__":
    main()
