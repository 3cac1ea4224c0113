"""Bidirectional: a recurrent layer run forwards and a copy of it backwards, merged (Schuster and Paliwal 1997)."""

from __future__ import annotations

import numpy as np

from numpynn.errors import InputError, InputTypeError
from numpynn.nn.layers.base import Layer, register, unique_name
from numpynn.nn.layers.blocks import Block, layer_config, layer_from_config

MERGE_MODES = ("concat", "sum", "ave", "mul")


@register
class Bidirectional(Block):
    """Runs a recurrent ``layer`` forwards and a copy of it backwards over the sequence, and merges the two.

    Shapes: x (batch, time, features) -> (batch, 2 * units) for merge_mode 'concat' (forward first, as in
    Keras and PyTorch), (batch, units) for 'sum', 'ave' and 'mul'; with ``return_sequences`` the time axis
    stays, and the backward layer's steps are put back in the input's order so step t sees the whole
    sequence from both sides.
    """

    def __init__(self, layer: Layer, merge_mode: str = "concat", **kwargs):
        if not hasattr(layer, "go_backwards"):
            raise InputTypeError(
                f"Bidirectional wraps a recurrent layer (SimpleRNN, LSTM, GRU), got {type(layer).__name__}."
            )
        if merge_mode not in MERGE_MODES:
            raise InputError(f"merge_mode must be one of {', '.join(MERGE_MODES)}, got {merge_mode!r}.")
        self.merge_mode = merge_mode
        config = {**layer.get_config(), "name": None}
        self.forward_layer = layer.from_config({**config, "go_backwards": layer.go_backwards})
        self.backward_layer = layer.from_config({**config, "go_backwards": not layer.go_backwards})
        super().__init__(**kwargs)
        self._wrapped_name = layer.name or unique_name(layer, set())
        self.forward_layer.name = f"forward_{self._wrapped_name}"
        self.backward_layer.name = f"backward_{self._wrapped_name}"

    def sublayers(self) -> list[Layer]:
        return [self.forward_layer, self.backward_layer]

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        *steps, units = self.forward_layer.compute_output_shape(tuple(input_shape))
        return (*steps, 2 * units if self.merge_mode == "concat" else units)

    def _create_params(self) -> None:
        for layer in self.sublayers():
            self._build_sublayer(layer, self.input_shape)

    def weight_count(self, input_shape: tuple) -> int:
        return 2 * self.forward_layer.weight_count(tuple(input_shape))

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        ahead = self.forward_layer(x, training=training)
        behind = self._align(self.backward_layer(x, training=training))
        if self.merge_mode == "concat":
            return np.concatenate([ahead, behind], axis=-1)
        if self.merge_mode == "mul":
            self._halves = ahead, behind
            return ahead * behind
        merged = ahead + behind
        return merged * np.asarray(0.5, merged.dtype) if self.merge_mode == "ave" else merged

    def _align(self, steps: np.ndarray) -> np.ndarray:
        """The backward layer's sequence output runs from the last step to the first: flip it to the input's order."""
        return steps[:, ::-1] if self.forward_layer.return_sequences else steps

    def backward(self, grad_output: np.ndarray) -> np.ndarray | None:
        if self.merge_mode == "concat":
            units = grad_output.shape[-1] // 2
            grad_ahead, grad_behind = grad_output[..., :units], grad_output[..., units:]
        elif self.merge_mode == "mul":
            ahead, behind = self._halves
            grad_ahead, grad_behind = grad_output * behind, grad_output * ahead
        else:
            grad_ahead = grad_output * np.asarray(0.5, grad_output.dtype) if self.merge_mode == "ave" else grad_output
            grad_behind = grad_ahead
        grad_x = self.forward_layer.backward(np.ascontiguousarray(grad_ahead))
        grad_back = self.backward_layer.backward(np.ascontiguousarray(self._align(grad_behind)))
        return None if grad_x is None else grad_x + grad_back

    def get_config(self) -> dict:
        wrapped = layer_config(self.forward_layer)
        wrapped["config"]["name"] = self._wrapped_name
        return {**super().get_config(), "layer": wrapped, "merge_mode": self.merge_mode}

    @classmethod
    def from_config(cls, config: dict) -> Bidirectional:
        config = dict(config)
        return cls(layer_from_config(config.pop("layer")), **config)
