"""ReLU after max pooling: a layer's ReLU and the max pooling that follows it, run as one step of a model.

Max and ReLU commute: max(relu(a), relu(b)) = relu(max(a, b)). So instead of applying ReLU to a
convolution's whole output z and then pooling, a model can pool z and apply ReLU to the pooled map,
a quarter of the size with 2x2 windows. Backward, ReLU's mask (output > 0) is applied to the pooled
gradient too, before the pooling routes it to each window's maximum. The result is bit for bit that of
the two layers run one after the other: where a window's maximum is positive both route the gradient
to the same input; where it is not, both send zero (tests/nn/layers/test_pooled_relu.py). The default CNN's training
step measured 5-8 % faster (benchmarks/pooled_relu_steps.py, docs/benchmarks.md).

Only a model's own forward and backward run the pair this way (``plan``, called by Sequential.build);
a layer called on its own still returns its own output, and inspection, which walks the layers one by
one, sees the usual values. While either layer has a forward hook, the pair runs them one after the
other, so the hook sees that layer's own output.
"""

from __future__ import annotations

import numpy as np

from numpynn.nn.layers.base import Layer
from numpynn.nn.layers.core import ActivatedLayer, Activation
from numpynn.nn.layers.pooling import MaxPooling2D


class ReLUAfterPooling:
    """``layer`` (a Conv2D, or an Activation layer, with ReLU) then ``pool`` (MaxPooling2D), as one step.

    Shapes: x (batch, *layer.input_shape) -> (batch, *pool.output_shape), as the two layers give.
    """

    def __init__(self, layer: ActivatedLayer | Activation, pool: MaxPooling2D):
        self.layer, self.pool = layer, pool
        self._separately = False  # set by each call: whether a hook made the two run one after the other
        self.name = f"{layer.name}+{pool.name}"

    @property
    def needs_input_grad(self) -> bool:
        return self.layer.needs_input_grad

    def __call__(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        # A hook must see its layer's own output, which the pair never computes: run the two as unpaired.
        self._separately = self.layer.has_forward_hooks or self.pool.has_forward_hooks
        if self._separately:
            return self.pool(self.layer(x, training=training), training=training)
        pre_activation = self.layer.pre_activation(self.layer.check_input(x))
        pooled = self.pool.forward(pre_activation, training=training)  # a new array: ReLU can run in place
        self._output = self.layer.activation.forward(pooled, out=pooled)
        return self._output

    def backward(self, grad_output: np.ndarray) -> np.ndarray | None:
        if self._separately:
            return self.layer.backward(self.pool.backward(grad_output))
        grad_pooled = self.layer.activation.backward(grad_output, self._output)
        return self.layer.backward_from_logits(self.pool.backward(grad_pooled))


def _relu_layer(layer: Layer) -> bool:
    return isinstance(layer, (ActivatedLayer, Activation)) and layer.activation.name == "relu"


def plan(layers: list[Layer]) -> list[Layer | ReLUAfterPooling]:
    """The steps that run ``layers`` in order: each layer on its own, except a layer with ReLU followed by
    a MaxPooling2D, which become one ReLUAfterPooling step."""
    steps: list[Layer | ReLUAfterPooling] = []
    position = 0
    while position < len(layers):
        layer, following = layers[position], layers[position + 1] if position + 1 < len(layers) else None
        if _relu_layer(layer) and type(following) is MaxPooling2D:
            steps.append(ReLUAfterPooling(layer, following))
            position += 2
        else:
            steps.append(layer)
            position += 1
    return steps


def first_positions(steps: list[Layer | ReLUAfterPooling]) -> list[int]:
    """The position, among the model's layers, of each step's first layer."""
    positions, position = [], 0
    for step in steps:
        positions.append(position)
        position += 2 if isinstance(step, ReLUAfterPooling) else 1
    return positions
