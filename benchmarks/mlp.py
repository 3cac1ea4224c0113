"""Seconds per epoch of a 784-256-128-10 ReLU MLP (batch 128, float32) in numpynn, PyTorch and scikit-learn.

Each library runs in its own process (NumPy and PyTorch in one process compete for the same cores).
Data: MNIST from $NUMPYNN_DATA when present, else random MNIST-shaped data (the timing is the same).

    python benchmarks/mlp.py [--epochs 3] [--threads 2]
    python benchmarks/mlp.py --baseline /path/to/other/checkout --rounds 5   # this numpynn against another

With --baseline, only numpynn runs: this checkout and the other one alternate, one process each, and the
ratio of their epoch times is printed per round and as a median (a noisy machine slows both alike).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (  # noqa: E402
    add_process_options,
    blas_kernel,
    load_mnist_float,
    run_worker,
    torch_available,
    worker_env,
)

HIDDEN = (256, 128)
BATCH = 128


def time_numpynn(x, y, optimizer, epochs):
    import numpynn as nn

    model = nn.Sequential(
        [
            nn.Dense(HIDDEN[0], activation="relu", input_dim=784, kernel_initializer="he_uniform"),
            nn.Dense(HIDDEN[1], activation="relu", kernel_initializer="he_uniform"),
            nn.Dense(10),
        ],
        seed=0,
    )
    opt = nn.optimizers.SGD(0.05, momentum=0.9) if optimizer == "sgd" else nn.optimizers.Adam(1e-3)
    model.compile(opt, nn.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    history = model.fit(x, y, epochs=epochs, batch_size=BATCH, verbose=0)
    return history.history["seconds"], history.history["accuracy"][-1]


def time_torch(x, y, optimizer, epochs, threads):
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(784, HIDDEN[0]),
        torch.nn.ReLU(),
        torch.nn.Linear(*HIDDEN),
        torch.nn.ReLU(),
        torch.nn.Linear(HIDDEN[1], 10),
    )
    opt = (
        torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
        if optimizer == "sgd"
        else torch.optim.Adam(net.parameters(), lr=1e-3)
    )
    loss_fn = torch.nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    seconds = []
    for _ in range(epochs):
        start = time.perf_counter()
        order = torch.randperm(len(xt))
        correct = 0
        for i in range(0, len(xt), BATCH):
            index = order[i : i + BATCH]
            xb, yb = xt[index], yt[index]
            opt.zero_grad()
            out = net(xb)
            loss = loss_fn(out, yb)
            loss.backward()
            opt.step()
            correct += (out.argmax(1) == yb).sum().item()
        seconds.append(time.perf_counter() - start)
    return seconds, correct / len(xt)


def time_sklearn(x, y, optimizer, epochs):
    import warnings

    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(
        hidden_layer_sizes=HIDDEN,
        batch_size=BATCH,
        max_iter=epochs,
        solver="adam" if optimizer == "adam" else "sgd",
        learning_rate_init=1e-3 if optimizer == "adam" else 0.05,
        momentum=0.9,
        nesterovs_momentum=False,
        shuffle=True,
        random_state=0,
        tol=0,
        n_iter_no_change=epochs + 1,
    )
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(x, y)
    total = time.perf_counter() - start
    return [total / clf.n_iter_] * clf.n_iter_, float(clf.score(x[:10000], y[:10000]))


def worker(library, optimizer, epochs, threads):
    x, y, source = load_mnist_float()
    if library in ("numpynn", "baseline"):  # the baseline is numpynn imported from another checkout
        seconds, accuracy = time_numpynn(x, y, optimizer, epochs)
    elif library == "torch":
        seconds, accuracy = time_torch(x, y, optimizer, epochs, threads)
    elif library == "sklearn":
        seconds, accuracy = time_sklearn(x, y, optimizer, epochs)
    else:  # sklearn64: the same with float64 input, what scikit-learn computes in for float64 data
        seconds, accuracy = time_sklearn(x.astype(np.float64), y, optimizer, epochs)
    # The first epoch pays for warm-up (allocation, BLAS threads); report the median of the rest.
    steady = seconds[1:] if len(seconds) > 1 else seconds
    print(
        json.dumps(
            {
                "library": library,
                "optimizer": optimizer,
                "seconds_per_epoch": float(np.median(steady)),
                "epochs": len(seconds),
                "train_accuracy": accuracy,
                "data": source,
            }
        )
    )


def compare_with_baseline(args, env):
    """numpynn here against numpynn in args.baseline: the ratio of seconds per epoch, per round and median."""
    baseline_env = dict(env, PYTHONPATH=os.path.abspath(args.baseline))
    for optimizer in args.optimizers.split(","):
        ratios = []
        for _ in range(args.rounds):
            common = [optimizer, "--epochs", str(args.epochs), "--threads", str(args.threads)]
            ours = run_worker(__file__, ["numpynn", *common], env)["seconds_per_epoch"]
            theirs = run_worker(__file__, ["baseline", *common], baseline_env)["seconds_per_epoch"]
            ratios.append(ours / theirs)
            print(
                f"{optimizer:>5}: this checkout {ours:.3f} s/epoch, baseline {theirs:.3f} s/epoch, "
                f"ratio {ours / theirs:.3f}",
                flush=True,
            )
        print(f"{optimizer:>5}: median ratio {np.median(ratios):.3f} (this checkout / baseline, {args.rounds} rounds)")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--libraries", default="numpynn,torch,sklearn,sklearn64")
    parser.add_argument("--optimizers", default="sgd,adam")
    add_process_options(parser)
    parser.add_argument("--worker", nargs=2, metavar=("LIBRARY", "OPTIMIZER"), help=argparse.SUPPRESS)
    parser.add_argument("--baseline", metavar="CHECKOUT", help="time numpynn against the one in this checkout")
    parser.add_argument("--rounds", type=int, default=5, help="with --baseline: alternating rounds")
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker, args.epochs, args.threads)
        return
    env = worker_env(args.threads, args.native_blas)
    print(
        f"OpenBLAS kernel: {blas_kernel(env)}; threads: {args.threads}; CPU {platform.processor() or '?'}, "
        f"kernel {platform.release()}"
    )
    if args.baseline:
        compare_with_baseline(args, env)
        return
    results = {}
    for optimizer in args.optimizers.split(","):
        for library in args.libraries.split(","):
            if library == "torch" and not torch_available():
                print("torch is not installed: skipping it (make bench installs torch==2.13.0)")
                continue
            result = run_worker(
                __file__, [library, optimizer, "--epochs", str(args.epochs), "--threads", str(args.threads)], env
            )
            if result is None:
                continue
            results[(library, optimizer)] = result
            print(
                f"{library:>9} {optimizer:>5}: {result['seconds_per_epoch']:.3f} s/epoch "
                f"(train accuracy {result['train_accuracy']:.3f}, {result['data']})",
                flush=True,
            )
    print(
        "\n| optimizer | numpynn s/epoch | PyTorch s/epoch | scikit-learn float32 s/epoch "
        "| scikit-learn float64 s/epoch "
        "| numpynn / PyTorch | numpynn / scikit-learn float32 | numpynn / scikit-learn float64 |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for optimizer in args.optimizers.split(","):
        ours = results.get(("numpynn", optimizer), {}).get("seconds_per_epoch")
        torch_s = results.get(("torch", optimizer), {}).get("seconds_per_epoch")
        sk_s = results.get(("sklearn", optimizer), {}).get("seconds_per_epoch")
        sk64 = results.get(("sklearn64", optimizer), {}).get("seconds_per_epoch")

        def fmt(v):
            return f"{v:.3f}" if v else "-"

        def ratio(a, b):
            return f"{a / b:.2f}x" if a and b else "-"

        print(
            f"| {optimizer} | {fmt(ours)} | {fmt(torch_s)} | {fmt(sk_s)} | {fmt(sk64)} | {ratio(ours, torch_s)} "
            f"| {ratio(ours, sk_s)} | {ratio(ours, sk64)} |"
        )


if __name__ == "__main__":
    main()
