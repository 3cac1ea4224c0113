"""1-D convolution on sequences (batch, time, channels), run as a Conv2D on images one pixel high."""

from __future__ import annotations

import numpy as np

from numpynn.errors import InputError
from numpynn.nn.layers.base import register
from numpynn.nn.layers.conv import Conv2D, conv_padding
from numpynn.utils import check_positive_int


@register
class Conv1D(Conv2D):
    """out[n, t, f] = activation(sum_{i, c} x_pad[n, t*s + i, c] * W[i, c, f] + b[f]), run as a Conv2D on
    sequences seen as images one pixel high (the same im2col and backward).

    Shapes: x (batch, time, C); W (kernel_size, C, filters); b (filters,); out (batch, time_out, filters).
    padding: 'valid', 'same' (time_out = ceil(time / stride)), 'causal' (kernel_size - 1 zeros before the
    sequence only, so step t sees nothing after t, as in Keras and WaveNet) or an int per side.
    """

    def __init__(self, filters: int, kernel_size: int, strides: int = 1, padding: str | int = "valid", **kwargs):
        causal = padding == "causal"
        super().__init__(
            filters,
            (1, _single(kernel_size, "kernel_size")),
            (1, _single(strides, "strides")),
            padding="valid" if causal else padding,
            **kwargs,
        )
        self.padding = padding

    def geometry(self, image_shape):
        steps = image_shape[1]
        kernel, stride = self.kernel_size[1], self.strides[1]
        if self.padding == "causal":
            before, after = kernel - 1, 0
            out = (steps + before - kernel) // stride + 1
        else:
            before, after, out = conv_padding(self.padding, steps, kernel, stride)
        return (0, 0, before, after), (1, out)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        if len(input_shape) != 2:
            raise InputError(
                f"{self.describe()} expects sequences (batch, time, channels), got samples of shape "
                f"{tuple(input_shape)}; for one channel add an axis, e.g. x[..., None]."
            )
        (_, _, before, after), (_, out) = self.geometry((1,) + tuple(input_shape))
        if input_shape[0] + before + after < self.kernel_size[1]:
            raise InputError(
                f"{self.describe()}: kernel {self.kernel_size[1]} is longer than the padded sequence "
                f"{input_shape[0] + before + after}; use padding='same' or a smaller kernel."
            )
        return (out, self.filters)

    @property
    def image_shape(self) -> tuple:
        """The built input (steps, channels) as the one-row image (1, steps, channels) Conv2D works on."""
        if self.input_shape is None:
            raise RuntimeError(f"{self.describe()} is not built yet: it has no image shape.")
        return (1, *self.input_shape)

    @property
    def _kernel(self) -> np.ndarray:
        return self.params["W"][None]

    def _create_params(self):
        super()._create_params()
        self.params["W"] = self.params["W"][0]  # (1, k, C, F) -> (k, C, F), Keras's layout

    def get_config(self) -> dict:
        return {**super().get_config(), "kernel_size": self.kernel_size[1], "strides": self.strides[1]}


def _single(value, name) -> int:
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    return check_positive_int(value, f"Conv1D {name}")
