"""Walking a stack of layers: every leaf layer by name, and every layer's output for one batch.

named_leaves(model.layers)         # [("dense", Dense), ("residual/conv2d", Conv2D), ...]
layer_outputs(model.layers, x)     # {"dense": (batch, 64), "residual/conv2d": ..., "residual": ...}
"""

from __future__ import annotations

import numpy as np

from numpynn.nn.layers.base import Layer


def named_leaves(layers: list[Layer], prefix: str = "") -> list[tuple[str, Layer]]:
    """(name, layer) for every layer that is not made of others, a block's layers as "block/layer", in the
    order of the model's packed parameters. A layer not yet named (outside a model) goes by its class."""
    named = []
    for layer in layers:
        name, inner = prefix + (layer.name or type(layer).__name__), layer.sublayers()
        named += named_leaves(inner, f"{name}/") if inner else [(name, layer)]
    return named


def layer_outputs(layers: list[Layer], x: np.ndarray) -> dict[str, np.ndarray]:
    """Run ``layers`` one after another on a batch x in inference mode and return the output of every
    leaf layer and every block, {name: array (batch, *that layer's output shape)}, in the order computed.

    Forward hooks record the outputs, so blocks and wrappers need no special case; they are removed
    before this returns, whatever happens.
    """
    outputs: dict[str, np.ndarray] = {}

    def recorder(name: str):
        def record(layer: Layer, inputs: np.ndarray, output: np.ndarray) -> None:  # noqa: ARG001 - a hook's signature
            outputs[name] = output

        return record

    watched = named_leaves(layers) + [
        (layer.name or type(layer).__name__, layer) for layer in layers if layer.sublayers()
    ]
    handles = [layer.register_forward_hook(recorder(name)) for name, layer in watched]
    try:
        for layer in layers:
            x = layer(x, training=False)
    finally:
        for handle in handles:
            handle.remove()
    return outputs
