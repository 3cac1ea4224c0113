"""im2col and its adjoint: a convolution as one matrix product, and its input gradient.

``im2col`` copies every receptive field into one row of a matrix, so a convolution is one product
with the flattened kernel; ``conv_input_grad`` sends dL/dz back through the kernel onto the pixels each
row came from. Both work on channels-last images (batch, height, width, channels) and split their
copies over the batch (numpynn/kernels/parallel.py). Conv2D (and Conv1D through it) uses them.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from numpynn.kernels.parallel import split_rows
from numpynn.kernels.workspace import Workspace


def im2col(
    x: np.ndarray,
    kernel_size: tuple[int, int],
    strides: tuple[int, int],
    pads: tuple[int, int, int, int],
    out_size: tuple[int, int],
    workspace: Workspace | None = None,
    ones_column: bool = False,
) -> np.ndarray:
    """(N, H, W, C) -> (N * out_h * out_w, kh * kw * C): one row per output pixel, its receptive field,
    and with ``ones_column`` a last column of ones (for the bias).

    A sliding-window view (no copy) is transposed to (..., kh, kw, C) and copied once; that measured
    ~1.8x faster than copying one kernel offset at a time (docs/benchmarks.md). The copy is split over
    the batch (``parallel.split_rows``). With a ``workspace`` the columns go into the buffer of the last
    call (the result is then that buffer).
    """
    (kh, kw), (sh, sw), (top, bottom, left, right), (out_h, out_w) = kernel_size, strides, pads, out_size
    batch, height, width, channels = x.shape
    workspace = workspace or Workspace()
    # Only the interior is ever written, so the zero border of a reused buffer stays zero.
    padded = (
        workspace.get(
            "padded input", (batch, height + top + bottom, width + left + right, channels), x.dtype, zeros=True
        )
        if top or bottom or left or right
        else x
    )
    width_k = kh * kw * channels
    out = workspace.get("columns", (batch * out_h * out_w, width_k + ones_column), x.dtype)
    columns = out[:, :width_k].reshape(batch, out_h, out_w, kh, kw, channels)  # a view: only axes are split
    ones = out[:, width_k:].reshape(batch, -1)

    def copy_images(images: slice) -> None:
        ones[images] = 1
        if padded is not x:
            padded[images, top : top + height, left : left + width] = x[images]
        if channels < 4:
            # With a channel or two, the transposed copy moves single floats; copying one kernel offset at
            # a time moves whole rows and measured ~3x faster for C = 1.
            for i in range(kh):
                for j in range(kw):
                    columns[images, :, :, i, j, :] = padded[
                        images, i : i + sh * (out_h - 1) + 1 : sh, j : j + sw * (out_w - 1) + 1 : sw, :
                    ]
            return
        windows = sliding_window_view(padded[images], (kh, kw), axis=(1, 2))[:, ::sh, ::sw][:, :out_h, :out_w]
        np.copyto(columns[images], windows.transpose(0, 1, 2, 4, 5, 3))

    split_rows(copy_images, batch, out.size)
    return out


def _valid_range(offset, before, stride, out_count, in_count):
    """The outputs whose kernel tap ``offset`` lands inside the input (not on padding), and where.

    Returns (first output, end output, slice of input positions) along one axis.
    """
    first = max(0, -(-(before - offset) // stride))
    end = min(out_count, (in_count - 1 + before - offset) // stride + 1)
    start = first * stride + offset - before
    return first, end, slice(start, start + stride * (end - first - 1) + 1, stride)


# Rows of dL/dz handled at a time by conv_input_grad: the chunk's column gradient (rows x kh*kw*C) stays
# in cache until it is added back. 4096 measured best of 2048, 4096 and 8192 (docs/benchmarks.md).
INPUT_GRAD_ROWS = 4096


def conv_input_grad(
    grad_2d: np.ndarray,
    weights: np.ndarray,
    input_shape: tuple,
    strides: tuple[int, int],
    pads: tuple[int, int, int, int],
    out_size: tuple[int, int],
) -> np.ndarray:
    """dL/dx from dL/dz (batch * out_h * out_w, filters), im2col's adjoint (col2im), a few images at a time.

    For each chunk of images, one matrix product with W^T (filters, kh * kw * C) gives the gradient of
    the chunk's im2col columns; each kernel offset's slice of it is then added onto the input pixels it
    came from, the images split over threads (``parallel.split_rows``). Taps that fell on padding are
    skipped, so the result needs no cropping and stays contiguous. The whole batch's column gradient is
    never materialised: that measured slower (docs/benchmarks.md).
    """
    (sh, sw), (top, _, left, _), (out_h, out_w) = strides, pads, out_size
    batch, height, width, channels = input_shape
    kh, kw = weights.shape[:2]
    grad = np.zeros(input_shape, dtype=grad_2d.dtype)
    per_image = grad_2d.reshape(batch, out_h * out_w, -1)
    kernel_t = weights.reshape(kh * kw * channels, -1).T  # (filters, kh * kw * C)
    chunk = max(1, INPUT_GRAD_ROWS // (out_h * out_w))
    columns = np.empty((min(chunk, batch) * out_h * out_w, kh * kw * channels), dtype=grad_2d.dtype)
    taps = [
        (i, j, _valid_range(i, top, sh, out_h, height), _valid_range(j, left, sw, out_w, width))
        for i in range(kh)
        for j in range(kw)
    ]
    taps = [tap for tap in taps if tap[2][1] > tap[2][0] and tap[3][1] > tap[3][0]]  # not only padding
    for start in range(0, batch, chunk):
        images = per_image[start : start + chunk]
        rows = len(images) * out_h * out_w
        np.matmul(images.reshape(rows, -1), kernel_t, out=columns[:rows])
        column_grad = columns[:rows].reshape(len(images), out_h, out_w, kh, kw, channels)
        grad_chunk = grad[start : start + chunk]

        def add_back(part: slice, column_grad=column_grad, grad_chunk=grad_chunk) -> None:
            for i, j, (y0, y1, in_rows), (x0, x1, in_cols) in taps:
                grad_chunk[part, in_rows, in_cols, :] += column_grad[part, y0:y1, x0:x1, i, j, :]

        split_rows(add_back, len(images), column_grad.size)
    return grad
