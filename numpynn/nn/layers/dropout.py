"""Dropout: zero a random fraction of activations while training."""

from __future__ import annotations

import numpy as np

from numpynn.errors import InputError
from numpynn.nn.layers.base import Layer, register


@register
class Dropout(Layer):
    """Inverted dropout: while training, each value is zeroed with probability ``rate`` and the rest are
    scaled by 1 / (1 - rate), so inference (``training=False``) is the identity with no rescaling.

    Masks come from the layer's seeded generator (``seed=`` or the model's).
    """

    def __init__(self, rate: float, **kwargs):
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate < 1:
            raise InputError(f"Dropout rate must be in [0, 1), got {rate!r}; it is the fraction of values dropped.")
        self.rate = float(rate)
        self._mask = None

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        if not training or self.rate == 0:
            self._mask = None
            return x
        keep = self._rng.random(x.shape, dtype=x.dtype) >= self.rate
        self._mask = keep * np.asarray(1 / (1 - self.rate), dtype=x.dtype)
        return x * self._mask

    def backward(self, grad_output: np.ndarray) -> np.ndarray | None:
        if not self.needs_input_grad:
            return None
        return grad_output if self._mask is None else grad_output * self._mask

    def get_config(self) -> dict:
        return {**super().get_config(), "rate": self.rate}
