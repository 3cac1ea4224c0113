"""Seconds per epoch of an LSTM(128) or GRU(128) on row-MNIST (28 steps of 28 pixels, batch 128, Adam) in
numpynn and in PyTorch on the CPU, each library in its own process.

    python benchmarks/recurrent.py [--kinds lstm,gru] [--batches 100] [--threads 2]

Each process trains ``--batches`` batches (after 5 of warm-up) and the time is scaled to one epoch of
the 55,000 training images (430 batches).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import add_process_options, blas_kernel, load_mnist_float, run_worker, torch_available, worker_env  # noqa: E402

BATCH, EPOCH_BATCHES = 128, 430


def time_numpynn(kind, x, y, batches):
    import numpynn as nn
    from numpynn.models.specs import build_model

    model = build_model(f"{kind}:128", (28, 28), 10, seed=0)
    model.compile(nn.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    for b in range(5 + batches):
        if b == 5:
            start = time.perf_counter()
        model.train_step(x[b * BATCH : (b + 1) * BATCH], y[b * BATCH : (b + 1) * BATCH])
    return time.perf_counter() - start


def time_torch(kind, x, y, batches, threads):
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    recurrent = (torch.nn.LSTM if kind == "lstm" else torch.nn.GRU)(28, 128, batch_first=True)
    head = torch.nn.Linear(128, 10)
    opt = torch.optim.Adam(list(recurrent.parameters()) + list(head.parameters()), lr=1e-3)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    loss_fn = torch.nn.CrossEntropyLoss()
    for b in range(5 + batches):
        if b == 5:
            start = time.perf_counter()
        opt.zero_grad()
        out, _ = recurrent(xt[b * BATCH : (b + 1) * BATCH])
        loss_fn(head(out[:, -1]), yt[b * BATCH : (b + 1) * BATCH]).backward()
        opt.step()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kinds", default="lstm,gru")
    parser.add_argument("--batches", type=int, default=100)
    add_process_options(parser)
    parser.add_argument("--worker", nargs=2, metavar=("LIBRARY", "KIND"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        x, y, _ = load_mnist_float()
        x = x.reshape(-1, 28, 28)
        library, kind = args.worker
        seconds = (
            time_numpynn(kind, x, y, args.batches)
            if library == "numpynn"
            else time_torch(kind, x, y, args.batches, args.threads)
        )
        print(json.dumps({"seconds_per_epoch": seconds / args.batches * EPOCH_BATCHES}))
        return
    env = worker_env(args.threads, args.native_blas)
    print(
        f"CPU {platform.processor() or platform.machine()}, kernel {platform.release()}; OpenBLAS kernel "
        f"{blas_kernel(env)}; threads {args.threads}"
    )
    print("| layer | numpynn s/epoch | PyTorch s/epoch | numpynn / PyTorch |")
    print("|---|---|---|---|")
    for kind in args.kinds.split(","):
        common = [kind, "--batches", str(args.batches), "--threads", str(args.threads)]
        ours = run_worker(__file__, ["numpynn", *common], env)
        theirs = run_worker(__file__, ["torch", *common], env) if torch_available() else None
        a = ours["seconds_per_epoch"] if ours else None
        b = theirs["seconds_per_epoch"] if theirs else None
        print(f"| {kind} | {a:.1f} | {f'{b:.1f}' if b else '-'} | {f'{a / b:.2f}x' if a and b else '-'} |")


if __name__ == "__main__":
    main()
