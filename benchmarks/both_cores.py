"""The measurements behind numpynn/kernels/parallel.py and numpynn/kernels/runtime.py (docs/benchmarks.md,
"Both cores, no fresh pages"): each a best-of-N time in ms, or a count, on float32 arrays of the default CNN's sizes.

    python benchmarks/both_cores.py [--repeat 20] [--torch]

1. ReLU over 128x28x28x32 on one thread and split over threads; max pooling of the same array whole
   and in parts of 32 images (one thread).
2. A matrix product followed by that ReLU, one thread and split, and whole training steps of the
   784-256-128-10 MLP (microseconds) and the default CNN (ms), in child processes with
   OPENBLAS_THREAD_TIMEOUT 4 (sleep at once), 16 (numpynn's choice) and 28 (OpenBLAS's default).
3. conv_input_grad for the default and reference networks' second convolutions at several chunk sizes.
4. Page faults per training step of the default network: glibc's settings from numpynn/kernels/runtime.py, and
   a fixed 128 KiB mmap threshold (MALLOC_MMAP_THRESHOLD_), each in a child process.
5. A Conv2D step (forward and backward with ReLU, im2col) with the bias as a column of ones and with
   its own passes (conv.NARROW_COLUMNS moved), for the default network's two convolutions.
6. With --torch: PyTorch's own layers alone (Conv2d + ReLU forward and backward, max pooling).
"""

from __future__ import annotations

# isort: split
import argparse
import os
import subprocess
import sys

import numpy as np
from common import best_ms as best
from common import machine_line

import numpynn
from numpynn.kernels import im2col
from numpynn.kernels.parallel import split_rows
from numpynn.nn.layers import conv


def element_wise(repeat: int) -> None:
    rng = np.random.default_rng(0)
    z = rng.random((128, 28, 28, 32), dtype=np.float32) - 0.5
    os.environ["NUMPYNN_THREADS"] = "1"
    one = best(lambda: np.maximum(z, 0, out=z), repeat)
    os.environ.pop("NUMPYNN_THREADS")
    split = best(lambda: split_rows(lambda rows: np.maximum(z[rows], 0, out=z[rows]), len(z), z.size), repeat)
    print(f"ReLU forward in place: one thread {one:.2f}, split {split:.2f}")
    pooled, argmax = np.empty((128, 14, 14, 32), np.float32), np.empty((128, 14, 14, 32), np.uint8)
    pool = numpynn.MaxPooling2D(2)
    pool.build((28, 28, 32))
    whole = best(lambda: pool._max_into(z, pooled, argmax), repeat)
    parts = best(
        lambda: [pool._max_into(z[s : s + 32], pooled[s : s + 32], argmax[s : s + 32]) for s in range(0, 128, 32)],
        repeat,
    )
    print(f"max pooling 2x2 forward, one thread: whole batch {whole:.2f}, 32 images at a time {parts:.2f}")
    for size in (421_642, 235_146):  # the default CNN's packed parameters, the 784-256-128-10 MLP's
        param, grad = rng.normal(size=size).astype(np.float32), rng.normal(size=size).astype(np.float32)
        optimizer, cells = numpynn.nn.optimizers.Adam(1e-3), []
        for threads in ("1", "2"):
            os.environ["NUMPYNN_THREADS"] = threads
            step = best(lambda: optimizer.apply_gradients([("p", param, grad)]), repeat)
            cells.append(f"{threads} thread(s) {step:.3f}")
        os.environ.pop("NUMPYNN_THREADS")
        print(f"Adam step on {size:,} parameters: " + ", ".join(cells))


PRODUCT_THEN_RELU = """
import numpynn, numpy as np, time, os
from numpynn.kernels.parallel import split_rows
rng = np.random.default_rng(0)
z = rng.random((128, 28, 28, 32), dtype=np.float32) - 0.5
a, b = rng.random((2000, 300), dtype=np.float32), rng.random((300, 300), dtype=np.float32)
def best(fn):
    times = []
    for _ in range({repeat}):
        start = time.perf_counter(); fn(); times.append(time.perf_counter() - start)
    return min(times) * 1e3
relu = lambda: split_rows(lambda rows: np.maximum(z[rows], 0, out=z[rows]), len(z), z.size)
product = lambda: a @ b
os.environ["NUMPYNN_THREADS"] = "1"
one = best(lambda: (product(), relu()))
os.environ["NUMPYNN_THREADS"] = "2"
print(f"product {{best(product):.2f}}, product + ReLU on one thread {{one:.2f}}, product + split ReLU "
      f"{{best(lambda: (product(), relu())):.2f}}")
"""


TRAINING_STEPS = """
import numpynn as nn, numpy as np, sys, time
sys.path.insert(0, {here!r})
from cnn import numpynn_model
rng = np.random.default_rng(0)
def best(fn, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter(); fn(); times.append(time.perf_counter() - start)
    return min(times)
mlp = nn.Sequential([nn.Dense(256, activation="relu", input_shape=(784,)), nn.Dense(128, activation="relu"),
                     nn.Dense(10, activation="softmax")], seed=0)
cnn = numpynn_model("default")
for model, shape, repeat, unit, scale in ((mlp, (784,), 200, "us", 1e6), (cnn, (28, 28, 1), {cnn_steps}, "ms", 1e3)):
    model.compile(nn.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    x, y = rng.random((128,) + shape, dtype=np.float32), rng.integers(0, 10, 128)
    model.train_step(x, y)
    step = best(lambda: model.train_step(x, y), repeat) * scale
    print(f"{{'MLP' if model is mlp else 'CNN'}} step {{step:.1f}} {{unit}}", end="; ")
"""


def blas_timeout(repeat: int) -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    for timeout in ("4", "16", "28"):
        env = dict(os.environ, OPENBLAS_THREAD_TIMEOUT=timeout)
        product = subprocess.run(
            [sys.executable, "-c", PRODUCT_THEN_RELU.format(repeat=repeat)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        steps = subprocess.run(
            [sys.executable, "-c", TRAINING_STEPS.format(here=here, cnn_steps=max(3, repeat))],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        print(f"OPENBLAS_THREAD_TIMEOUT={timeout}: {product}; {steps}")


def input_grad_chunks(repeat: int) -> None:
    rng, original = np.random.default_rng(0), im2col.INPUT_GRAD_ROWS
    for name, size, pads, out in (
        ("default conv2 14x14x32 -> 64 same", 14, (1, 1, 1, 1), 14),
        ("reference conv2 26x26x32 -> 64 valid", 26, (0, 0, 0, 0), 24),
    ):
        grad = rng.random((128 * out * out, 64), dtype=np.float32)
        weights = rng.random((3, 3, 32, 64), dtype=np.float32)
        cells = []
        for rows in (2048, 4096, 8192, 16384):
            im2col.INPUT_GRAD_ROWS = rows
            shape = (128, size, size, 32)
            ms = best(lambda: im2col.conv_input_grad(grad, weights, shape, (1, 1), pads, (out, out)), repeat)
            cells.append(f"{rows} rows {ms:.2f}")
        print(f"conv_input_grad, {name}: " + ", ".join(cells))
    im2col.INPUT_GRAD_ROWS = original


STEPS = """
import numpynn as nn, numpy as np, resource, sys
sys.path.insert(0, {here!r})
from cnn import numpynn_model
rng = np.random.default_rng(0)
x, y = rng.random((128, 28, 28, 1), dtype=np.float32), rng.integers(0, 10, 128)
model = numpynn_model("default")
model.compile(nn.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
for _ in range(3):
    model.train_step(x, y)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    model.train_step(x, y)
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 20)
"""


def page_faults() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    for label, extra in (
        ("numpynn's glibc settings", {}),
        ("fixed 128 KiB mmap threshold", {"MALLOC_MMAP_THRESHOLD_": "131072"}),
    ):  # noqa: E501
        env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
        out = subprocess.run(
            [sys.executable, "-c", STEPS.format(here=here)],
            env={**env, **extra},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        print(f"page faults per training step of the default CNN, {label}: {out}")


def bias_column(repeat: int) -> None:
    rng, original = np.random.default_rng(0), conv.NARROW_COLUMNS
    for size, channels, filters in ((28, 1, 32), (14, 32, 64)):
        x = rng.random((128, size, size, channels), dtype=np.float32)
        cells = []
        for label, narrow in (("bias as a column of ones", 10**6), ("bias in its own passes", 1)):
            conv.NARROW_COLUMNS = narrow
            layer = numpynn.Conv2D(filters, 3, padding="same", activation="relu", algorithm="im2col", seed=0)
            layer.build((size, size, channels))
            layer.needs_input_grad = channels > 1  # as in the network: the first layer needs no input gradient
            grad = rng.random((128, size, size, filters), dtype=np.float32)
            cells.append(f"{label} {best(lambda: (layer.forward(x, training=True), layer.backward(grad)), repeat):.2f}")
        print(f"Conv2D step {size}x{size}x{channels} -> {filters}: " + ", ".join(cells))
    conv.NARROW_COLUMNS = original


def torch_layers(repeat: int) -> None:
    import torch

    torch.set_num_threads(2)
    for size, channels, filters, padding in ((14, 32, 64, 1), (28, 1, 32, 1)):
        layer = torch.nn.Conv2d(channels, filters, 3, padding=padding)
        x = torch.rand(128, channels, size, size, requires_grad=channels > 1)
        grad = torch.rand(128, filters, size, size)
        print(
            f"PyTorch Conv2d {size}x{size}x{channels} -> {filters} + ReLU, forward and backward: "
            f"{best(lambda: torch.relu(layer(x)).backward(grad), repeat):.2f}"
        )
    x = torch.rand(128, 32, 28, 28, requires_grad=True)
    ones = torch.ones(128, 32, 14, 14)
    print(
        f"PyTorch max pooling 2x2 of 128x32x28x28, forward and backward: "
        f"{best(lambda: torch.nn.functional.max_pool2d(x, 2).backward(ones), repeat):.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--torch", action="store_true", help="also time PyTorch's layers (needs torch)")
    args = parser.parse_args()
    print(f"{machine_line()}; best of {args.repeat}, ms\n")
    element_wise(args.repeat)
    blas_timeout(args.repeat)
    input_grad_chunks(args.repeat)
    page_faults()
    bias_column(args.repeat)
    if args.torch:
        torch_layers(args.repeat)


if __name__ == "__main__":
    numpynn.configure_runtime(restart=True)  # as the command line does: numpynn/kernels/runtime.py
    main()
