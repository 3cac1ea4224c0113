"""Layers made of layers: the Block base and Residual (a skip connection around a few layers);
Bidirectional is in ``bidirectional``.

A block's ``params``, ``grads`` and ``state`` are live views of its layers' arrays under "layer/key"
names (``"conv2d/W"``), so everything that walks a model's parameters (packing them into one vector,
saving, gradient checks) sees the inner layers without knowing about blocks.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping

import numpy as np

from numpynn.errors import InputError, InputTypeError
from numpynn.nn import activations
from numpynn.nn.layers.base import Layer, from_config, register, unique_name
from numpynn.nn.layers.conv import Conv2D
from numpynn.nn.layers.core import Dense


class SublayerArrays(MutableMapping):
    """One of ``params`` / ``grads`` / ``state`` of a block: reads and writes go to its layers' own dicts."""

    def __init__(self, block: Block, group: str):
        self._block, self._group = block, group

    def _locate(self, key: str) -> tuple[dict, str]:
        name, _, inner = key.partition("/")
        for layer in self._block.sublayers():
            if layer.name == name:
                return getattr(layer, self._group), inner
        raise KeyError(key)

    def __getitem__(self, key: str) -> np.ndarray:
        arrays, inner = self._locate(key)
        return arrays[inner]

    def __setitem__(self, key: str, value: np.ndarray) -> None:
        arrays, inner = self._locate(key)
        if inner not in arrays:
            raise KeyError(key)
        arrays[inner] = value

    def __delitem__(self, key: str) -> None:
        raise TypeError("a block's arrays belong to its layers; they cannot be removed")

    def __iter__(self) -> Iterator[str]:
        for layer in self._block.sublayers():
            for inner in getattr(layer, self._group):
                yield f"{layer.name}/{inner}"

    def __len__(self) -> int:
        return sum(len(getattr(layer, self._group)) for layer in self._block.sublayers())


class Block(Layer):
    """A layer whose work is done by other layers (``sublayers()``); it builds them in ``_create_params`` and
    exposes their arrays."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.params, self.grads, self.state = (SublayerArrays(self, group) for group in ("params", "grads", "state"))

    def _name_sublayers(self, sublayers: list[Layer]) -> None:
        taken: set[str] = set()
        for layer in sublayers:
            if not isinstance(layer, Layer):
                raise InputTypeError(f"{self.describe()} takes numpynn layers, got {type(layer).__name__}.")
            if layer.name is None or layer.name in taken:
                layer.name = unique_name(layer, taken)
            taken.add(layer.name)

    def build(
        self, input_shape: tuple, dtype: str | np.dtype | None = None, rng: np.random.Generator | None = None
    ) -> None:
        super().build(input_shape, dtype, rng)  # calls _create_params, which builds the sublayers
        self.grads = SublayerArrays(self, "grads")  # Layer.build replaced it with a plain dict

    def _build_sublayer(self, layer: Layer, input_shape: tuple) -> tuple:
        if not layer.built:
            layer.build(input_shape, dtype=self.dtype, rng=self._rng)
        elif layer.input_shape != tuple(input_shape):
            raise InputError(
                f"{layer.describe()} inside {self.describe()} was built for input {layer.input_shape}, "
                f"not {tuple(input_shape)}."
            )
        return layer.output_shape

    def count_params(self) -> int:
        return sum(layer.count_params() for layer in self.sublayers())

    def _input_layers(self) -> list[Layer]:
        """The sublayers that receive the block's own input (by default all of them)."""
        return self.sublayers()

    @property
    def needs_input_grad(self) -> bool:
        return self._needs_input_grad

    @needs_input_grad.setter
    def needs_input_grad(self, value: bool) -> None:
        # A sublayer fed by another sublayer always passes a gradient back; one fed by the block's input
        # may skip it exactly when the block may (the first trainable layer of a model).
        self._needs_input_grad = bool(value)
        inputs = self._input_layers()
        for layer in self.sublayers():
            layer.needs_input_grad = self._needs_input_grad if any(layer is first for first in inputs) else True


def layer_config(layer: Layer) -> dict:
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def layer_from_config(entry: dict) -> Layer:
    return from_config(entry["class_name"], entry["config"])


@register
class Residual(Block):
    """out = activation(F(x) + P(x)): F runs ``layers`` one after another; P is the identity when F keeps
    the shape, else ``projection`` (by default a 1x1 Conv2D for images, a Dense layer for vectors, with the
    stride that matches F's downsampling).

    Shapes: x (batch, *input_shape) -> out (batch, *F's output shape). Backward adds the two paths'
    input gradients: dL/dx = F'(x)^T g + P'(x)^T g, with g = dL/d(sum) (He et al. 2016, "Deep Residual
    Learning for Image Recognition").
    """

    def __init__(
        self, layers: list[Layer], projection: Layer | None = None, activation: str | dict | None = None, **kwargs
    ):
        if isinstance(layers, Layer):
            raise InputTypeError("Residual takes a list of layers, e.g. Residual([Dense(8), Dense(8)]).")
        if not layers:
            raise InputError("Residual needs at least one layer to wrap.")
        self.layers, self.projection = list(layers), projection
        self.activation = activations.get(activation)
        super().__init__(**kwargs)
        if projection is not None:
            projection.name = projection.name or "projection"
        self._name_sublayers(self.sublayers())

    def sublayers(self) -> list[Layer]:
        return self.layers + ([self.projection] if self.projection is not None else [])

    def _path_shape(self, input_shape: tuple) -> tuple:
        shape = tuple(input_shape)
        for layer in self.layers:
            shape = tuple(layer.compute_output_shape(shape))
        return shape

    def _projection_for(self, input_shape: tuple, output_shape: tuple) -> Layer | None:
        if self.projection is not None or output_shape == tuple(input_shape):
            return self.projection
        return _default_projection(tuple(input_shape), output_shape, self.describe())

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        shape = self._path_shape(input_shape)
        projection = self._projection_for(input_shape, shape)
        if projection is not None and tuple(projection.compute_output_shape(tuple(input_shape))) != shape:
            raise InputError(
                f"{self.describe()}: the projection gives {projection.compute_output_shape(input_shape)}"
                f", the layers {shape}; they must match to be added."
            )
        return shape

    def _create_params(self) -> None:
        shape = self.input_shape
        for layer in self.layers:
            shape = self._build_sublayer(layer, shape)
        self.projection = self._projection_for(self.input_shape, shape)
        if self.projection is not None:
            self._build_sublayer(self.projection, self.input_shape)
        self.needs_input_grad = self._needs_input_grad  # reach the projection made just now

    def weight_count(self, input_shape: tuple) -> int | None:
        """The sum over both paths, so a loader can check a damaged config before building it."""
        counts, shape = [], tuple(input_shape)
        for layer in self.layers:
            counts.append(layer.weight_count(shape))
            shape = tuple(layer.compute_output_shape(shape))
        projection = self._projection_for(input_shape, shape)
        if projection is not None:
            counts.append(projection.weight_count(tuple(input_shape)))
        return None if None in counts else sum(counts)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        out = x
        for layer in self.layers:
            out = layer(out, training=training)
        out = out + (self.projection(x, training=training) if self.projection is not None else x)
        self._output = self.activation.forward(out, out=out)  # the sum is a new array: activate it in place
        return self._output

    def _input_layers(self) -> list[Layer]:
        return [layer for layer in (self.layers[0], self.projection) if layer is not None]

    def backward(self, grad_output: np.ndarray) -> np.ndarray | None:
        grad_sum = self.activation.backward(grad_output, self._output)
        grad = grad_sum
        for layer in reversed(self.layers):
            grad = layer.backward(grad)
        if not self._needs_input_grad:
            if self.projection is not None:
                self.projection.backward(grad_sum)
            return None
        return grad + (self.projection.backward(grad_sum) if self.projection is not None else grad_sum)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "layers": [layer_config(layer) for layer in self.layers],
            "projection": layer_config(self.projection) if self.projection is not None else None,
            "activation": self.activation.get_config(),
        }

    @classmethod
    def from_config(cls, config: dict) -> Residual:
        config = dict(config)
        layers = [layer_from_config(entry) for entry in config.pop("layers")]
        projection = config.pop("projection", None)
        return cls(layers, projection=layer_from_config(projection) if projection else None, **config)


def _stride(size_in: int, size_out: int) -> int | None:
    """The stride whose 'same' 1x1 convolution turns size_in pixels into size_out (None: no stride does)."""
    return next((stride for stride in range(1, size_in + 1) if -(-size_in // stride) == size_out), None)


def _default_projection(input_shape: tuple, output_shape: tuple, owner: str) -> Layer:
    """A 1x1 convolution (images) or a Dense layer (vectors) from ``input_shape`` to ``output_shape``."""
    if len(input_shape) == 1 and len(output_shape) == 1:
        return Dense(output_shape[0], name="projection")
    if len(input_shape) == 3 and len(output_shape) == 3:
        strides = [
            _stride(size_in, size_out) for size_in, size_out in zip(input_shape[:2], output_shape[:2], strict=True)
        ]
        if None not in strides:
            return Conv2D(output_shape[2], 1, strides=strides, padding="same", name="projection")
    raise InputError(
        f"{owner} changes the shape from {input_shape} to {output_shape} and no projection fits; give "
        "one, e.g. Residual([...], projection=Dense(n))."
    )
