"""Accuracy against training time: the 784-256-128-10 ReLU MLP on real MNIST, trained with one recipe in
numpynn and in PyTorch, the official test accuracy measured after every epoch.

Reports, per library and optimizer: test accuracy after each epoch, the final one, and the training
seconds (evaluation excluded) until the test accuracy first reaches --target. Each library runs in its
own process. Needs real MNIST ($NUMPYNN_DATA/mnist or the cache): random data has no accuracy to report.

    python benchmarks/mnist_accuracy.py [--epochs 10] [--optimizers sgd,adam,adam-cosine] [--seeds 1]

Recipes (batch 128, float32, 60,000 training images, no augmentation):
- sgd: SGD lr 0.05, momentum 0.9, constant.
- adam: Adam lr 1e-3, constant.
- adam-cosine: Adam from 2e-3 with a cosine decay to 0 over all the epochs, stepped per batch.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (  # noqa: E402
    add_process_options,
    blas_kernel,
    run_worker,
    torch_available,
    worker_env,
)

HIDDEN = (256, 128)
BATCH = 128


def load_mnist_flat():
    from numpynn.data.datasets import load_mnist
    from numpynn.data.preprocessing import flatten, scale_pixels

    (x, y), (x_test, y_test) = load_mnist(download=False)
    return flatten(scale_pixels(x)), y, flatten(scale_pixels(x_test)), y_test


def numpynn_epochs(data, recipe, epochs, seed):
    """Yields (training seconds of the epoch, test accuracy after it)."""
    import numpynn as nn

    x, y, x_test, y_test = data
    model = nn.Sequential(
        [
            nn.Dense(HIDDEN[0], activation="relu", input_dim=784, kernel_initializer="he_uniform"),
            nn.Dense(HIDDEN[1], activation="relu", kernel_initializer="he_uniform"),
            nn.Dense(10),
        ],
        seed=seed,
    )
    steps = epochs * math.ceil(len(x) / BATCH)
    rate = {"sgd": 0.05, "adam": 1e-3, "adam-cosine": nn.schedules.CosineDecay(2e-3, decay_steps=steps)}[recipe]
    optimizer = nn.optimizers.SGD(rate, momentum=0.9) if recipe == "sgd" else nn.optimizers.Adam(rate)
    model.compile(optimizer, nn.losses.SparseCategoricalCrossentropy(from_logits=True))
    for _ in range(epochs):
        start = time.perf_counter()
        model.fit(x, y, epochs=1, batch_size=BATCH, verbose=0)
        seconds = time.perf_counter() - start
        yield seconds, float(np.mean(model.predict(x_test).argmax(axis=1) == y_test))


def torch_epochs(data, recipe, epochs, seed, threads):
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    x, y, x_test, y_test = (torch.from_numpy(a) for a in data)
    net = torch.nn.Sequential(
        torch.nn.Linear(784, HIDDEN[0]),
        torch.nn.ReLU(),
        torch.nn.Linear(*HIDDEN),
        torch.nn.ReLU(),
        torch.nn.Linear(HIDDEN[1], 10),
    )
    if recipe == "sgd":
        optimizer = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    else:
        # Keras's default epsilon, as numpynn's Adam, so the two recipes are the same formula.
        optimizer = torch.optim.Adam(net.parameters(), lr=2e-3 if recipe == "adam-cosine" else 1e-3, eps=1e-7)
    steps = epochs * math.ceil(len(x) / BATCH)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps) if recipe == "adam-cosine" else None
    loss_fn = torch.nn.CrossEntropyLoss()
    for _ in range(epochs):
        start = time.perf_counter()
        net.train()
        for index in torch.randperm(len(x)).split(BATCH):
            optimizer.zero_grad()
            loss_fn(net(x[index]), y[index]).backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
        seconds = time.perf_counter() - start
        net.eval()
        with torch.no_grad():
            accuracy = float((net(x_test).argmax(1) == y_test).float().mean())
        yield seconds, accuracy


def worker(library, recipe, epochs, threads, seed):
    data = load_mnist_flat()
    runs = (
        numpynn_epochs(data, recipe, epochs, seed)
        if library == "numpynn"
        else torch_epochs(data, recipe, epochs, seed, threads)
    )
    seconds, accuracies = zip(*runs)
    print(json.dumps({"seconds": list(seconds), "accuracy": list(accuracies)}))


def first_reaching(result, target):
    """Training seconds (cumulative) and epoch at which the test accuracy first reached target."""
    elapsed = np.cumsum(result["seconds"])
    for epoch, accuracy in enumerate(result["accuracy"]):
        if accuracy >= target:
            return f"{elapsed[epoch]:.1f} s (epoch {epoch + 1})"
    return "not reached"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seeds", type=int, default=1, help="seeds 0..N-1 for each library and recipe")
    parser.add_argument("--target", type=float, default=0.98)
    parser.add_argument("--optimizers", default="sgd,adam,adam-cosine")
    parser.add_argument("--libraries", default="numpynn,torch")
    add_process_options(parser)
    parser.add_argument("--worker", nargs=3, metavar=("LIBRARY", "RECIPE", "SEED"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        library, recipe, seed = args.worker
        worker(library, recipe, args.epochs, args.threads, int(seed))
        return
    try:
        load_mnist_flat()
    except Exception as error:  # noqa: BLE001 - any reason MNIST is unavailable ends the benchmark
        raise SystemExit(f"this benchmark needs real MNIST ({error})") from None
    env = worker_env(args.threads, args.native_blas)
    print(f"OpenBLAS kernel: {blas_kernel(env)}; threads: {args.threads}; {args.epochs} epochs")
    rows = []
    for recipe in args.optimizers.split(","):
        for library in args.libraries.split(","):
            if library == "torch" and not torch_available():
                print("torch is not installed: skipping it (make bench installs torch==2.13.0)")
                continue
            for seed in range(args.seeds):
                result = run_worker(
                    __file__,
                    [library, recipe, str(seed), "--epochs", str(args.epochs), "--threads", str(args.threads)],
                    env,
                )
                if result is None:
                    continue
                curve = " ".join(f"{a:.4f}" for a in result["accuracy"])
                print(f"{library:>8} {recipe:>11} seed {seed}: test accuracy per epoch {curve}", flush=True)
                rows.append((recipe, library, seed, result))
    print(
        f"\n| recipe | library | seed | final test accuracy | best | s/epoch (median) | reaches {args.target} after |"
    )
    print("|---|---|---|---|---|---|---|")
    for recipe, library, seed, result in rows:
        print(
            f"| {recipe} | {library} | {seed} | {result['accuracy'][-1]:.4f} | {max(result['accuracy']):.4f} "
            f"| {np.median(result['seconds']):.2f} | {first_reaching(result, args.target)} |"
        )


if __name__ == "__main__":
    main()
