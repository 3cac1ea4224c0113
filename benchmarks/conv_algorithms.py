"""Milliseconds per pass (forward, weight gradient, input gradient) of Conv2D's algorithms: im2col,
Winograd F(2x2, 3x3) and F(4x4, 3x3), on the second convolution of benchmarks/cnn.py's networks (float32,
batch 128, channels-last), with each algorithm's largest error against float64.

    python benchmarks/conv_algorithms.py [--repeat 7] [--layers] [--pages]

--layers adds whole Conv2D steps (forward and backward, ReLU, each layer's own workspace) for a range of
shapes, as the ratio Winograd / im2col: the measurements behind Conv2D(algorithm="auto"). --pages times
im2col into a new array against im2col into the array of the last call (the layer workspace's reason).

The Winograd weight and input gradients share the output-gradient transform (dM = A dY A^T); it is
listed once, in its own column. Each time is the best of --repeat calls, to see through a noisy machine.
"""

from __future__ import annotations

# isort: split
import argparse
import os

import numpy as np
from common import best_ms as best
from common import machine_line

import numpynn
from numpynn.kernels import winograd
from numpynn.kernels.im2col import conv_input_grad, im2col
from numpynn.nn.layers.conv import conv_padding

LAYERS = {  # name: (height, width, channels, filters, padding)
    "reference conv2 (26x26x32 -> 24x24x64, valid)": (26, 26, 32, 64, "valid"),
    "default conv2 (14x14x32 -> 14x14x64, same)": (14, 14, 32, 64, "same"),
}


def measure(shape, repeat: int) -> list[tuple]:
    height, width, channels, filters, padding = shape
    rng = np.random.default_rng(0)
    x = rng.random((128, height, width, channels), dtype=np.float32)
    w = (rng.normal(size=(3, 3, channels, filters)) * np.sqrt(2 / (9 * channels))).astype(np.float32)
    top, bottom, out_h = conv_padding(padding, height, 3, 1)
    left, right, out_w = conv_padding(padding, width, 3, 1)
    pads, out = (top, bottom, left, right), (out_h, out_w)
    grad = rng.normal(size=(128, out_h, out_w, filters)).astype(np.float32)
    columns = im2col(x, (3, 3), (1, 1), pads, out)
    exact = im2col(x.astype(np.float64), (3, 3), (1, 1), pads, out) @ w.astype(np.float64).reshape(-1, filters)
    scale = np.abs(exact).max()
    rows = [
        (
            "im2col",
            best(lambda: im2col(x, (3, 3), (1, 1), pads, out) @ w.reshape(-1, filters), repeat),
            0.0,
            best(lambda: columns.T @ grad.reshape(-1, filters), repeat),
            best(lambda: conv_input_grad(grad.reshape(-1, filters), w, x.shape, (1, 1), pads, out), repeat),
            np.abs(columns @ w.reshape(-1, filters) - exact).max() / scale,
        )
    ]
    for block in (2, 4):
        tiles = winograd.transform_input(x, pads, out, block)
        filters_t = winograd.transform_filters(w, block)
        grad_m = winograd.output_grad_transform(grad, block)
        forward = best(
            lambda: winograd.transform_output(
                np.matmul(winograd.transform_input(x, pads, out, block), winograd.transform_filters(w, block)),
                128,
                out,
                block,
            ),
            repeat,
        )
        result = winograd.transform_output(np.matmul(tiles, filters_t), 128, out, block).reshape(-1, filters)
        rows.append(
            (
                f"Winograd F({block}x{block}, 3x3)",
                forward,
                best(lambda: winograd.output_grad_transform(grad, block), repeat),
                best(lambda: winograd.weight_grad(tiles, grad_m, block), repeat),
                best(
                    lambda: winograd.input_grad(
                        np.matmul(grad_m, filters_t.transpose(0, 2, 1)), x.shape, pads, out, block
                    ),
                    repeat,
                ),
                np.abs(result - exact).max() / scale,
            )
        )
    return rows


STEP_SHAPES = [
    (4, 32, 64, "same"),
    (8, 32, 64, "same"),
    (12, 32, 64, "same"),
    (16, 32, 64, "same"),
    (24, 32, 32, "same"),
    (28, 16, 32, "same"),
    (26, 32, 64, "valid"),
    (6, 32, 64, "same"),
    (10, 32, 64, "same"),
    (14, 32, 64, "same"),
    (14, 32, 32, "same"),
    (7, 64, 64, "same"),
]


def layer_steps(repeat: int) -> None:
    import numpynn as nn

    rng = np.random.default_rng(0)
    print("\n| input -> filters | padding | output | im2col step ms | Winograd step ms | Winograd / im2col |")
    print("|---|---|---|---|---|---|")
    for size, channels, filters, padding in STEP_SHAPES:
        x = rng.random((128, size, size, channels), dtype=np.float32)
        times = {}
        for algorithm in ("im2col", "winograd"):
            layer = nn.Conv2D(filters, 3, padding=padding, activation="relu", algorithm=algorithm, seed=0)
            out = layer(x)
            grad = rng.normal(size=out.shape).astype(np.float32)
            times[algorithm] = best(lambda: (layer(x), layer.backward(grad)), repeat)
        print(
            f"| {size}x{size}x{channels} -> {filters} | {padding} | {out.shape[1]}x{out.shape[2]} | "
            f"{times['im2col']:.1f} | {times['winograd']:.1f} | {times['winograd'] / times['im2col']:.2f} |",
            flush=True,
        )


def fresh_pages(repeat: int) -> None:
    from numpynn.kernels.workspace import Workspace

    x = np.random.default_rng(0).random((128, 26, 26, 32), dtype=np.float32)
    workspace = Workspace()
    fresh = best(lambda: im2col(x, (3, 3), (1, 1), (0, 0, 0, 0), (24, 24)), repeat)
    reused = best(lambda: im2col(x, (3, 3), (1, 1), (0, 0, 0, 0), (24, 24), workspace), repeat)
    print(
        f"\nim2col of (128, 26, 26, 32), 85 MB of columns: into a new array {fresh:.1f} ms, into the last "
        f"call's array {reused:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--layers", action="store_true", help="also time whole Conv2D steps per shape")
    parser.add_argument("--pages", action="store_true", help="also time im2col into new and reused arrays")
    args = parser.parse_args()
    print(f"{machine_line()} (OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset')}); best of {args.repeat}")
    for name, shape in LAYERS.items():
        print(f"\n{name}\n")
        print(
            "| algorithm | forward ms | dM transform ms | weight grad ms | input grad ms | step total ms | "
            "error / max output |"
        )
        print("|---|---|---|---|---|---|---|")
        for algorithm, forward, transform, weights, inputs, error in measure(shape, args.repeat):
            total = forward + transform + weights + inputs
            print(
                f"| {algorithm} | {forward:.1f} | {transform:.1f} | {weights:.1f} | {inputs:.1f} | {total:.1f} | "
                f"{error:.1e} |",
                flush=True,
            )
    if args.layers:
        layer_steps(args.repeat)
    if args.pages:
        fresh_pages(args.repeat)


if __name__ == "__main__":
    numpynn.configure_runtime(restart=True)  # as the command line does: numpynn/kernels/runtime.py
    main()
