"""2-D convolution on channels-last images (batch, height, width, channels), as in Keras.

Forward: im2col (a sliding-window view copied once into a column buffer), then one matrix product;
or, where it measured faster, Winograd's F(4x4, 3x3) (layers/winograd.py). Backward: the weight
gradient is one matrix product with the cached columns; the input gradient is im2col's adjoint, a few
images at a time (layers/im2col.py). No Python loop over samples or pixels. The alternatives we
measured are in docs/benchmarks.md.
"""

from __future__ import annotations

import numpy as np

from numpynn.errors import InputError
from numpynn.kernels import winograd
from numpynn.kernels.im2col import conv_input_grad, im2col
from numpynn.kernels.workspace import Workspace
from numpynn.nn import activations, initializers
from numpynn.nn.layers.base import register
from numpynn.nn.layers.core import ActivatedLayer, add_bias, sum_rows
from numpynn.utils import check_positive_int

# Where Winograd measured faster than im2col for a whole training step (docs/benchmarks.md): at least 16
# input channels (with 1 the transforms cost more than the multiplications they save) and outputs of at
# least 8x8 whose sides are multiples of 4 (so no tile is part padding); 4x4 outputs measured 1.5x slower.
WINOGRAD_MIN_CHANNELS = 16
WINOGRAD_MIN_SIZE = 8
# im2col columns narrower than this carry the bias as a column of ones (Conv2D._bias_in_columns). Measured
# (docs/benchmarks.md): 9 columns (3x3, 1 channel) gained, 288 (3x3, 32 channels) lost.
NARROW_COLUMNS = 64


def as_pair(value, name):
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = (int(value), int(value))
    value = tuple(int(v) for v in value)
    if len(value) != 2 or min(value) < 1:
        raise InputError(f"{name} must be a positive int or a pair of them, got {value!r}.")
    return value


def conv_padding(padding: str | int, size: int, kernel: int, stride: int) -> tuple[int, int, int]:
    """(before, after, output size) along one axis for 'valid', 'same' (TensorFlow's rule) or an int."""
    if padding == "valid":
        before = after = 0
    elif padding == "same":
        output = -(-size // stride)
        total = max((output - 1) * stride + kernel - size, 0)
        before, after = total // 2, total - total // 2
    else:
        before = after = int(padding)
    output = (size + before + after - kernel) // stride + 1
    return before, after, output


@register
class Conv2D(ActivatedLayer):
    """out[n, y, x, f] = activation(sum_{i, j, c} x_pad[n, y*s + i, x*s + j, c] * W[i, j, c, f] + b[f]).

    Shapes: x (batch, H, W, C); W (kh, kw, C, filters); b (filters,); out (batch, H_out, W_out, filters).
    padding: 'valid' (none), 'same' (H_out = ceil(H / stride)) or an int number of zero pixels per side.
    algorithm: 'im2col', 'winograd' (3x3 stride-1 kernels only: F(4x4, 3x3), 4x fewer multiplications,
    about 4x the float32 round-off) or 'auto': Winograd where it measured faster (WINOGRAD_MIN_CHANNELS
    or more input channels, an output of at least 8x8 whose sides are multiples of 4), im2col elsewhere.
    """

    def __init__(
        self,
        filters: int,
        kernel_size: int | tuple[int, int],
        strides: int | tuple[int, int] = 1,
        padding: str | int = "valid",
        activation: str | dict | None = None,
        use_bias: bool = True,
        kernel_initializer: str = "glorot_uniform",
        bias_initializer: str = "zeros",
        algorithm: str = "auto",
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not (padding in ("valid", "same") or (isinstance(padding, int) and padding >= 0)):
            raise InputError(f"padding must be 'valid', 'same' or a non-negative int, got {padding!r}.")
        if algorithm not in ("auto", "im2col", "winograd"):
            raise InputError(f"algorithm must be 'auto', 'im2col' or 'winograd', got {algorithm!r}.")
        self.algorithm = algorithm
        self._workspace = Workspace()
        self.filters = check_positive_int(filters, "Conv2D filters")
        self.kernel_size = as_pair(kernel_size, "kernel_size")
        self.strides = as_pair(strides, "strides")
        self.padding = padding
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self._kernel_init = initializers.get(kernel_initializer)
        self._bias_init = initializers.get(bias_initializer)

    def geometry(self, input_shape: tuple) -> tuple[tuple[int, int, int, int], tuple[int, int]]:
        """((top, bottom, left, right) zero padding in pixels, (output height, output width)) for images of
        ``input_shape`` (height, width, channels); the ONNX converter reads the padding from here."""
        height, width, _ = input_shape
        (kh, kw), (sh, sw) = self.kernel_size, self.strides
        top, bottom, out_h = conv_padding(self.padding, height, kh, sh)
        left, right, out_w = conv_padding(self.padding, width, kw, sw)
        return (top, bottom, left, right), (out_h, out_w)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        if len(input_shape) != 3:
            raise InputError(
                f"{self.describe()} expects images of shape (batch, height, width, channels), got samples of "
                f"shape {tuple(input_shape)}; for greyscale images add a channel axis, e.g. x[..., None]."
            )
        (top, bottom, left, right), (out_h, out_w) = self.geometry(input_shape)
        kh, kw = self.kernel_size
        if input_shape[0] + top + bottom < kh or input_shape[1] + left + right < kw:
            raise InputError(
                f"{self.describe()}: kernel {kh}x{kw} is larger than the padded input "
                f"{input_shape[0] + top + bottom}x{input_shape[1] + left + right}; use padding='same' "
                "or a smaller kernel."
            )
        return (out_h, out_w, self.filters)

    def _create_params(self):
        kh, kw = self.kernel_size
        channels = self.image_shape[2]
        fan_in, fan_out = kh * kw * channels, kh * kw * self.filters
        self.params["W"] = self._kernel_init((kh, kw, channels, self.filters), fan_in, fan_out, self._rng, self.dtype)
        if self.use_bias:
            self.params["b"] = self._bias_init((self.filters,), fan_in, fan_out, self._rng, self.dtype)

    def weight_count(self, input_shape: tuple) -> int:
        kh, kw = self.kernel_size
        return (kh * kw * int(input_shape[-1]) + int(self.use_bias)) * self.filters

    @property
    def image_shape(self) -> tuple:
        """The input as images (H, W, C); Conv1D sees its sequences as images one pixel high."""
        return self.input_shape

    @property
    def _kernel(self) -> np.ndarray:
        """W as (kh, kw, C, filters)."""
        return self.params["W"]

    @property
    def uses_winograd(self) -> bool:
        """Whether this layer, as built, convolves by Winograd's F(4x4, 3x3) (see ``algorithm``)."""
        if self.kernel_size != (3, 3) or self.strides != (1, 1) or len(self.input_shape or ()) != 3:
            if self.algorithm == "winograd":
                raise InputError(
                    f"{self.describe()}: algorithm='winograd' needs a 3x3 kernel and stride 1; use 'auto' or 'im2col'."
                )
            return False
        if self.algorithm != "auto":
            return self.algorithm == "winograd"
        out_h, out_w, _ = self.output_shape
        return (
            self.input_shape[2] >= WINOGRAD_MIN_CHANNELS
            and min(out_h, out_w) >= WINOGRAD_MIN_SIZE
            and out_h % 4 == 0
            and out_w % 4 == 0
        )

    winograd_block = 4  # output tile side: F(4x4, 3x3), or 2 for F(2x2, 3x3)

    def _winograd_forward(self, x: np.ndarray) -> np.ndarray:
        pads, out_size = self.geometry(self.input_shape)
        block = self.winograd_block
        self._tiles = winograd.transform_input(x, pads, out_size, block, self._workspace)  # (P, tiles, C), for backward
        self._filters = winograd.transform_filters(self.params["W"], block)  # (P, C, F)
        products = self._workspace.get("products", self._tiles.shape[:2] + (self.filters,), x.dtype)
        np.matmul(self._tiles, self._filters, out=products)
        z = winograd.transform_output(products, len(x), out_size, block, self._workspace)
        if self.use_bias:
            add_bias(z, self.params["b"])
        return z

    def _winograd_backward(self, grad_logits: np.ndarray) -> np.ndarray | None:
        block = self.winograd_block
        grad_m = winograd.output_grad_transform(grad_logits, block, self._workspace)  # (P, tiles, F)
        np.copyto(self.grads["W"], winograd.weight_grad(self._tiles, grad_m, block))
        if self.use_bias:
            sum_rows(grad_logits.reshape(-1, self.filters), self.grads["b"])
        if not self.needs_input_grad:
            return None
        grad_tiles = self._workspace.get("gradient tiles", self._tiles.shape, grad_logits.dtype)
        np.matmul(grad_m, self._filters.transpose(0, 2, 1), out=grad_tiles)
        return winograd.input_grad(
            grad_tiles, (len(grad_logits),) + self.input_shape, *self.geometry(self.input_shape), block, self._workspace
        )

    def pre_activation(self, x: np.ndarray) -> np.ndarray:
        if self.uses_winograd:
            return self._winograd_forward(x)
        image_shape, batch = self.image_shape, len(x)
        pads, out_size = self.geometry(image_shape)
        columns = im2col(
            x.reshape((batch,) + image_shape),
            self.kernel_size,
            self.strides,
            pads,
            out_size,
            self._workspace,
            ones_column=self._bias_in_columns,
        )
        self._columns = columns  # (batch * out_h * out_w, kh * kw * C [+ 1]), reused by backward
        kernel = self._kernel.reshape(-1, self.filters)
        if self._bias_in_columns:
            z = columns @ np.concatenate([kernel, self.params["b"][None]])  # x W + b in one product
        else:
            z = columns @ kernel
            if self.use_bias:
                add_bias(z, self.params["b"])
        return z.reshape((batch,) + self.output_shape)

    @property
    def _bias_in_columns(self) -> bool:
        """Whether im2col adds a column of ones, so that the bias rides in the matrix products: one
        product gives x W + b, and backward one gives dW and db. With narrow columns (under
        NARROW_COLUMNS values) the products are memory-bound and the bias's own passes over z cost as
        much as they do; with wide ones a product one column wider cost more than the passes it saved."""
        return self.use_bias and int(np.prod(self.kernel_size)) * self.image_shape[2] < NARROW_COLUMNS

    def backward_from_logits(self, grad_logits: np.ndarray) -> np.ndarray | None:
        if self.uses_winograd:
            return self._winograd_backward(grad_logits)
        filters = self.filters
        grad_2d = grad_logits.reshape(-1, filters)
        if self._bias_in_columns:
            grad_kernel = self._columns.T @ grad_2d  # (kh * kw * C + 1, filters): dW, and db from the ones
            np.copyto(self.grads["W"].reshape(-1, filters), grad_kernel[:-1])
            np.copyto(self.grads["b"], grad_kernel[-1])
        else:
            np.matmul(self._columns.T, grad_2d, out=self.grads["W"].reshape(-1, filters))
            if self.use_bias:
                sum_rows(grad_2d, self.grads["b"])
        if not self.needs_input_grad:
            return None
        batch, image_shape = len(grad_logits), self.image_shape
        grad = conv_input_grad(grad_2d, self._kernel, (batch,) + image_shape, self.strides, *self.geometry(image_shape))
        return grad.reshape((batch,) + self.input_shape)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": list(self.kernel_size),
            "strides": list(self.strides),
            "padding": self.padding,
            "activation": self.activation.get_config(),
            "use_bias": self.use_bias,
            "kernel_initializer": self.kernel_initializer,
            "bias_initializer": self.bias_initializer,
            "algorithm": self.algorithm,
        }
