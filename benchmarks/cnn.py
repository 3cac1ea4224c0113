"""Seconds per MNIST epoch of CNNs in numpynn and PyTorch (CPU, 2 threads), each in its own process.

Networks (Adam 1e-3, batch 128, float32, channels-last in numpynn, NCHW in PyTorch):
  reference  conv32(3x3) - conv64(3x3) - maxpool2 - dropout .25 - dense128 - dropout .5 - dense10
             (the classic Keras MNIST CNN, 'valid' padding)
  default    numpynn's `--model cnn` preset (see numpynn/models/specs.py), and the same layers in PyTorch

    python benchmarks/cnn.py [--batches 469] [--networks reference,default] [--conv-algorithm im2col]

With --batches below a full epoch (469 batches), the time is scaled to 60,000 samples. Each worker then
times inference too: images per second over the 10,000 test images (numpynn ``predict``, PyTorch's
forward under ``torch.no_grad()`` in batches of 1,000). --conv-algorithm forces numpynn's Conv2D
algorithm (default: each layer's 'auto' choice); --conv-algorithm compare runs --rounds rounds of
(numpynn with im2col, numpynn with 'auto', PyTorch), each in its own process, and reports the medians and
the paired auto / im2col ratio, so a noisy machine slows all three alike.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (  # noqa: E402
    add_process_options,
    blas_kernel,
    load_mnist_float,
    machine_line,
    run_worker,
    torch_available,
    worker_env,
)

BATCH = 128


def numpynn_model(network, algorithm="auto"):
    model = _numpynn_layers(network)
    for layer in model.layers:
        if type(layer).__name__ == "Conv2D":
            layer.algorithm = algorithm
    return model


def _numpynn_layers(network):
    import numpynn as nn
    from numpynn.models.specs import build_model

    if network == "reference":
        return nn.Sequential(
            [
                nn.Conv2D(32, 3, activation="relu", kernel_initializer="he_uniform", input_shape=(28, 28, 1)),
                nn.Conv2D(64, 3, activation="relu", kernel_initializer="he_uniform"),
                nn.MaxPooling2D(2),
                nn.Dropout(0.25),
                nn.Flatten(),
                nn.Dense(128, activation="relu", kernel_initializer="he_uniform"),
                nn.Dropout(0.5),
                nn.Dense(10, activation="softmax"),
            ],
            seed=0,
        )
    return build_model("cnn", (28, 28, 1), 10, seed=0)


def torch_model(network):
    import torch
    from torch import nn as tnn

    if network == "reference":
        return tnn.Sequential(
            tnn.Conv2d(1, 32, 3),
            tnn.ReLU(),
            tnn.Conv2d(32, 64, 3),
            tnn.ReLU(),
            tnn.MaxPool2d(2),
            tnn.Dropout(0.25),
            tnn.Flatten(),
            tnn.Linear(9216, 128),
            tnn.ReLU(),
            tnn.Dropout(0.5),
            tnn.Linear(128, 10),
        )
    # Mirror numpynn's preset layer by layer.
    from numpynn.models.specs import build_model

    layers, channels = [], 1
    for layer in build_model("cnn", (28, 28, 1), 10).layers:
        kind = type(layer).__name__
        if kind == "Conv2D":
            layers += [
                tnn.Conv2d(
                    channels, layer.filters, layer.kernel_size[0], padding="same" if layer.padding == "same" else 0
                ),
                tnn.ReLU(),
            ]
            channels = layer.filters
        elif kind == "BatchNormalization":
            layers.append(tnn.BatchNorm2d(channels) if len(layer.input_shape) == 3 else tnn.BatchNorm1d(channels))
        elif kind == "MaxPooling2D":
            layers.append(tnn.MaxPool2d(layer.pool_size[0]))
        elif kind == "Dropout":
            layers.append(tnn.Dropout(layer.rate))
        elif kind == "Flatten":
            layers.append(tnn.Flatten())
            channels = int(np.prod(layer.output_shape))
        elif kind == "Dense":
            layers.append(tnn.Linear(channels, layer.units))
            channels = layer.units
            if layer.activation.name == "relu":
                layers.append(tnn.ReLU())
    return torch.nn.Sequential(*layers)


def worker(library, network, batches, threads, algorithm):
    x, y, source = load_mnist_float(images_4d=True)
    x_test = x[-10000:]
    x, y = x[: batches * BATCH], y[: batches * BATCH]
    if library == "numpynn":
        import numpynn as nn

        model = numpynn_model(network, algorithm)
        model.compile(nn.optimizers.Adam(1e-3), "sparse_categorical_crossentropy", ["accuracy"])
        model.fit(x[: BATCH * 2], y[: BATCH * 2], epochs=1, batch_size=BATCH, verbose=0)  # warm-up
        history = model.fit(x, y, epochs=1, batch_size=BATCH, verbose=0)
        seconds, accuracy = history.history["seconds"][0], history.history["accuracy"][0]
        start = time.perf_counter()
        model.predict(x_test, verbose=0)
        inference = time.perf_counter() - start
    else:
        import torch

        torch.set_num_threads(threads)
        torch.manual_seed(0)
        net = torch_model(network)
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
        loss_fn = torch.nn.CrossEntropyLoss()
        xt, yt = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2))), torch.from_numpy(y)
        for i in range(2):  # warm-up
            opt.zero_grad()
            loss_fn(net(xt[i * BATCH : (i + 1) * BATCH]), yt[i * BATCH : (i + 1) * BATCH]).backward()
            opt.step()
        start = time.perf_counter()
        order = torch.randperm(len(xt))
        correct = 0
        for i in range(0, len(xt), BATCH):
            index = order[i : i + BATCH]
            opt.zero_grad()
            out = net(xt[index])
            loss_fn(out, yt[index]).backward()
            opt.step()
            correct += (out.argmax(1) == yt[index]).sum().item()
        seconds, accuracy = time.perf_counter() - start, correct / len(xt)
        net.eval()
        test = torch.from_numpy(np.ascontiguousarray(x_test.transpose(0, 3, 1, 2)))
        start = time.perf_counter()
        with torch.no_grad():
            for i in range(0, len(test), 1000):
                net(test[i : i + 1000])
        inference = time.perf_counter() - start
    print(
        json.dumps(
            {
                "library": library,
                "network": network,
                "seconds": seconds,
                "samples": len(x),
                "seconds_per_epoch": seconds * 60000 / len(x),
                "train_accuracy": accuracy,
                "data": source,
                "images_per_second": len(x_test) / inference,
            }
        )
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", type=int, default=469, help="batches to time (469 = one MNIST epoch)")
    parser.add_argument("--networks", default="reference,default")
    parser.add_argument("--conv-algorithm", default="auto", choices=("auto", "im2col", "winograd", "compare"))
    parser.add_argument("--rounds", type=int, default=3, help="rounds of --conv-algorithm compare")
    add_process_options(parser)
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker, args.batches, args.threads, args.conv_algorithm)
        return
    env = worker_env(args.threads, args.native_blas)
    print(f"OpenBLAS kernel: {blas_kernel(env)}; threads: {args.threads}; {args.batches} batches of {BATCH}")
    if args.conv_algorithm == "compare":
        compare_algorithms(args, env)
        return
    rows = []
    for network in args.networks.split(","):
        times, speeds = {}, {}
        for library in ("numpynn", "torch"):
            if library == "torch" and not torch_available():
                print("torch is not installed: skipping it (make bench installs torch==2.13.0)")
                continue
            result = run_worker(
                __file__,
                [
                    library,
                    network,
                    "--batches",
                    str(args.batches),
                    "--threads",
                    str(args.threads),
                    "--conv-algorithm",
                    args.conv_algorithm,
                ],
                env,
            )
            if result:
                times[library] = result["seconds_per_epoch"]
                speeds[library] = result["images_per_second"]
                print(
                    f"{network:>9} {library:>7}: {result['seconds_per_epoch']:.1f} s/epoch "
                    f"(measured {result['seconds']:.1f} s on {result['samples']} samples; "
                    f"train accuracy {result['train_accuracy']:.3f}); inference "
                    f"{result['images_per_second']:.0f} images/s",
                    flush=True,
                )
        rows.append((network, times, speeds))
    print(f"\n{machine_line(env)}; Conv2D algorithm: {args.conv_algorithm}")
    print("| network | numpynn s/epoch | PyTorch s/epoch | numpynn / PyTorch | numpynn images/s | PyTorch images/s |")
    print("|---|---|---|---|---|---|")
    for network, times, speeds in rows:
        ours, theirs = times.get("numpynn"), times.get("torch")
        ratio = f"{ours / theirs:.2f}x" if ours and theirs else "-"
        print(
            f"| {network} | {ours or float('nan'):.1f} | {theirs or float('nan'):.1f} | {ratio} | "
            f"{speeds.get('numpynn', float('nan')):.0f} | {speeds.get('torch', float('nan')):.0f} |"
        )


def compare_algorithms(args, env) -> None:
    """Rounds of (im2col, auto, PyTorch) per network: medians and the paired auto / im2col ratio."""
    import statistics

    print(machine_line(env))
    print(
        "| network | numpynn im2col s/epoch | numpynn auto s/epoch | PyTorch s/epoch | im2col / PyTorch | "
        "auto / PyTorch | auto / im2col (paired) |"
    )
    print("|---|---|---|---|---|---|---|")
    for network in args.networks.split(","):
        times = {"im2col": [], "auto": [], "torch": []}
        for _ in range(args.rounds):
            for library, algorithm in (("numpynn", "im2col"), ("numpynn", "auto"), ("torch", "auto")):
                result = run_worker(
                    __file__,
                    [
                        library,
                        network,
                        "--batches",
                        str(args.batches),
                        "--threads",
                        str(args.threads),
                        "--conv-algorithm",
                        algorithm,
                    ],
                    env,
                )
                times["torch" if library == "torch" else algorithm].append(result["seconds_per_epoch"])
        median = {key: statistics.median(values) for key, values in times.items()}
        paired = statistics.median(a / b for a, b in zip(times["auto"], times["im2col"]))
        print(
            f"| {network} | {median['im2col']:.1f} | {median['auto']:.1f} | {median['torch']:.1f} | "
            f"{median['im2col'] / median['torch']:.2f}x | {median['auto'] / median['torch']:.2f}x | {paired:.3f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
