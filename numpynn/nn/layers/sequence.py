"""Layers for sequences and tokens: Embedding, GlobalAveragePooling1D, GlobalMaxPooling1D."""

from __future__ import annotations

import numpy as np

from numpynn.errors import InputError
from numpynn.nn import initializers
from numpynn.nn.layers.base import Layer, register
from numpynn.utils import check_positive_int


@register
class Embedding(Layer):
    """Token ids (batch, time) -> vectors (batch, time, output_dim): row ``id`` of E (input_dim, output_dim).

    The gradient of E adds each position's gradient into its token's row (``np.add.at``, so a token seen
    twice gets both); there is no gradient for the ids themselves.
    """

    integer_input = True

    def __init__(self, input_dim: int, output_dim: int, embeddings_initializer: str = "uniform", **kwargs):
        super().__init__(**kwargs)
        self.input_dim = check_positive_int(input_dim, "Embedding input_dim")
        self.output_dim = check_positive_int(output_dim, "Embedding output_dim")
        self.embeddings_initializer = embeddings_initializer

    def check_input(self, x) -> np.ndarray:
        x = np.asarray(x)
        if not np.issubdtype(x.dtype, np.integer):
            raise InputError(
                f"{self.describe()} takes integer token ids, got {x.dtype}; convert them with "
                "x.astype(int) (ids are rows of the embedding table, not values)."
            )
        if x.size and (x.min() < 0 or x.max() >= self.input_dim):
            raise InputError(
                f"{self.describe()}: token ids must lie in [0, {self.input_dim - 1}], got {x.min()} "
                f"to {x.max()}; raise input_dim or map the ids."
            )
        if not self.built:
            self.build(x.shape[1:])
        return x

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (*input_shape, self.output_dim)

    def weight_count(self, input_shape: tuple) -> int:
        return self.input_dim * self.output_dim

    def _create_params(self) -> None:
        if self.embeddings_initializer == "uniform":  # Keras's default: U(-0.05, 0.05)
            values = self._rng.uniform(-0.05, 0.05, (self.input_dim, self.output_dim))
            self.params["E"] = values.astype(self.dtype)
        else:
            init = initializers.get(self.embeddings_initializer)
            self.params["E"] = init(
                (self.input_dim, self.output_dim), self.input_dim, self.output_dim, self._rng, self.dtype
            )

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        self._ids = x
        return self.params["E"][x]

    def backward(self, grad_output: np.ndarray) -> None:
        self.grads["E"][...] = 0
        np.add.at(self.grads["E"], self._ids.reshape(-1), grad_output.reshape(-1, self.output_dim))
        return None

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": self.embeddings_initializer,
        }


class _GlobalPooling1D(Layer):
    def compute_output_shape(self, input_shape: tuple) -> tuple:
        if len(input_shape) != 2:
            raise InputError(
                f"{self.describe()} expects sequences (batch, time, features), got samples of shape "
                f"{tuple(input_shape)}."
            )
        return (input_shape[1],)


@register
class GlobalAveragePooling1D(_GlobalPooling1D):
    """(batch, time, features) -> (batch, features): the mean over time."""

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        return x.mean(axis=1)

    def backward(self, grad_output: np.ndarray) -> np.ndarray | None:
        if not self.needs_input_grad:
            return None
        steps = self.input_shape[0]
        share = grad_output / np.asarray(steps, grad_output.dtype)
        return np.broadcast_to(share[:, None], (len(grad_output), *self.input_shape)).copy()


@register
class GlobalMaxPooling1D(_GlobalPooling1D):
    """(batch, time, features) -> (batch, features): the maximum over time; its gradient goes to the first
    step that held it."""

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        self._where = x.argmax(axis=1)
        return np.take_along_axis(x, self._where[:, None], axis=1)[:, 0]

    def backward(self, grad_output: np.ndarray) -> np.ndarray | None:
        if not self.needs_input_grad:
            return None
        grad = np.zeros((len(grad_output), *self.input_shape), dtype=grad_output.dtype)
        np.put_along_axis(grad, self._where[:, None], grad_output[:, None], axis=1)
        return grad
