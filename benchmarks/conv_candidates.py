"""Milliseconds per call of the implementation candidates for Conv2D and MaxPooling2D (float32, batch 128,
3x3 kernels, channels-last), on this machine, so the choices in numpynn/nn/layers/conv.py can be re-checked.

    python benchmarks/conv_candidates.py
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from numpynn.kernels.im2col import conv_input_grad, im2col

REPEAT = 10


def timed(fn, repeat=None):
    repeat = repeat or REPEAT
    fn()
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat * 1e3


def im2col_per_offset(x, size):
    batch, channels = x.shape[0], x.shape[3]
    columns = np.empty((batch, size, size, 3, 3, channels), dtype=x.dtype)
    for i in range(3):
        for j in range(3):
            columns[:, :, :, i, j, :] = x[:, i : i + size, j : j + size, :]
    return columns.reshape(batch * size * size, 9 * channels)


def main():
    global REPEAT
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=REPEAT, help="timed calls per candidate (after one warm-up)")
    REPEAT = parser.parse_args().repeat
    rng = np.random.default_rng(0)
    print("Forward pass of a 3x3 'valid' convolution, ms per call")
    print(
        "| input (N, H, W, C) -> filters | einsum on sliding_window_view | im2col + 1 matmul | "
        "matmul per kernel offset | tensordot on sliding_window_view |"
    )
    print("|---|---|---|---|---|")
    for batch, size, channels, filters in [(128, 28, 1, 32), (128, 16, 32, 64), (128, 26, 32, 64)]:
        x = rng.random((batch, size, size, channels), dtype=np.float32)
        w = rng.random((3, 3, channels, filters), dtype=np.float32)
        out = size - 2
        candidates = {
            "einsum": lambda: np.einsum(
                "nhwcij,ijcf->nhwf", sliding_window_view(x, (3, 3), axis=(1, 2)), w, optimize=True
            ),
            "im2col": lambda: im2col(x, (3, 3), (1, 1), (0, 0, 0, 0), (out, out)) @ w.reshape(-1, filters),
            "offsets": lambda: sum(
                np.ascontiguousarray(x[:, i : i + out, j : j + out, :]).reshape(-1, channels) @ w[i, j]
                for i in range(3)
                for j in range(3)
            ),
            "tensordot": lambda: np.tensordot(
                sliding_window_view(x, (3, 3), axis=(1, 2)), w, axes=((3, 4, 5), (2, 0, 1))
            ),
        }
        print(
            f"| {(batch, size, size, channels)} -> {filters} | "
            + " | ".join(f"{timed(fn):.1f}" for fn in candidates.values())
            + " |"
        )

    print("\nim2col copy, ms per call")
    print(
        "| input | one kernel offset at a time "
        "| numpynn im2col (one copy of the transposed window view; C < 4: per offset) |"
    )
    print("|---|---|---|")
    for shape in [(128, 28, 28, 1), (128, 16, 16, 32), (128, 26, 26, 32)]:
        x = rng.random(shape, dtype=np.float32)
        out = shape[1] - 2
        print(
            f"| {shape} | {timed(lambda: im2col_per_offset(x, out)):.1f} | "
            f"{timed(lambda: im2col(x, (3, 3), (1, 1), (0, 0, 0, 0), (out, out))):.1f} |"
        )

    print("\nInput gradient of a 3x3 conv, (128, 26, 26, 32) <- (128, 24, 24, 64), ms per call")
    w = rng.random((3, 3, 32, 64), dtype=np.float32)
    grad = rng.random((128 * 24 * 24, 64), dtype=np.float32)

    def full_columns_then_col2im():
        columns = (grad @ w.reshape(-1, 64).T).reshape(128, 24, 24, 3, 3, 32)
        result = np.zeros((128, 26, 26, 32), dtype=np.float32)
        for i in range(3):
            for j in range(3):
                result[:, i : i + 24, j : j + 24, :] += columns[:, :, :, i, j, :]
        return result

    per_offset = lambda: conv_input_grad(grad, w, (128, 26, 26, 32), (1, 1), (0, 0, 0, 0), (24, 24))  # noqa: E731
    assert np.allclose(full_columns_then_col2im(), per_offset(), rtol=1e-3)
    print("| column gradient (1 matmul) + col2im | one matmul per kernel offset (used) |")
    print("|---|---|")
    print(f"| {timed(full_columns_then_col2im):.1f} | {timed(per_offset):.1f} |")

    print("\n2x2 max pooling forward of (128, 28, 28, 32), ms per call")
    x = rng.random((128, 28, 28, 32), dtype=np.float32)

    def reshape_max():
        return x.reshape(128, 14, 2, 14, 2, 32).max(axis=(2, 4))

    def strided_slices():
        out = x[:, 0::2, 0::2].copy()
        for i, j in ((0, 1), (1, 0), (1, 1)):
            np.maximum(out, x[:, i::2, j::2], out=out)
        return out

    from numpynn.nn.layers import MaxPooling2D

    layer = MaxPooling2D(2)
    layer.build((28, 28, 32), dtype="float32")
    print("| reshape + max | np.maximum over strided slices | MaxPooling2D.forward (also records the argmax) |")
    print("|---|---|---|")
    print(f"| {timed(reshape_max):.1f} | {timed(strided_slices):.1f} | {timed(lambda: layer.forward(x)):.1f} |")


if __name__ == "__main__":
    main()
