"""Sequential: a stack of layers, with Keras's compile / fit / evaluate / predict (from ``Trainer``)."""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np

from numpynn.errors import InputError, InputTypeError
from numpynn.models.saving import register_model, save_model
from numpynn.nn import layers as layers_module
from numpynn.nn.layers import Layer, pooled_relu
from numpynn.nn.layers.base import unique_name
from numpynn.training.trainer import Trainer
from numpynn.utils import as_float_dtype, check_array, get_rng


@register_model
class Sequential(Trainer):
    """A linear stack of layers, with Keras's compile / fit / evaluate / predict (from ``Trainer``).

    Parameters
    ----------
    layers : list of Layer, optional
        The layers, first to last (more can be added with ``add``).
    dtype : {'float32', 'float64'}
        Parameters, activations, gradients and optimizer state all use it. Inputs are converted to it
        once, at the start of fit/predict.
    seed : int, optional
        Seeds weight initialisation and shuffling (else the global generator, see
        ``numpynn.utils.set_seed``).
    name : str
        The model's name in ``summary`` and saved files.
    """

    def __init__(
        self,
        layers: list[Layer] | None = None,
        dtype: str = "float32",
        seed: int | None = None,
        name: str = "sequential",
    ):
        super().__init__()  # the training state: numpynn/training/trainer.py declares it
        self.name = name
        self.dtype = as_float_dtype(dtype)
        self.seed = seed
        self._rng = np.random.default_rng(seed) if seed is not None else None
        self.layers: list[Layer] = []
        self.built = False
        self.input_shape = self.output_shape = None
        for layer in layers or []:
            self.add(layer)

    @property
    def rng(self) -> np.random.Generator:
        return self._rng if self._rng is not None else get_rng()

    # ----- construction -----------------------------------------------------------------------
    # A model runs a layer with ReLU and the MaxPooling2D after it as one step (layers/pooled_relu.py): the same
    # results with less work. A forward hook on either layer still sees its own output (the pair then runs
    # them one after the other); set False, then build, to run every layer on its own always.
    pair_relu_and_pooling = True

    def add(self, layer: Layer) -> None:
        if not isinstance(layer, Layer):
            raise InputTypeError(f"Sequential takes numpynn layers, got {type(layer).__name__}.")
        if layer.name is None:
            layer.name = unique_name(layer, {other.name for other in self.layers})
        self.layers.append(layer)
        self.built = False
        if self.layers[0].input_shape is not None:
            self.build(self.layers[0].input_shape)
        elif self.loss is not None:
            self._choose_scoring_loss()

    def build(self, input_shape: tuple) -> None:
        """Create every layer's parameters for samples of shape ``input_shape`` (no batch axis)."""
        shape = tuple(int(s) for s in input_shape)
        self.input_shape = shape
        for layer in self.layers:
            if layer.dtype is not None and layer.dtype != self.dtype:
                raise InputError(
                    f"{layer.describe()} has dtype {layer.dtype}, the model {self.dtype}; "
                    "give the model the dtype instead."
                )
            if not layer.built:
                layer.build(shape, dtype=self.dtype, rng=self.rng)
            elif layer.input_shape != shape:
                raise InputError(
                    f"{layer.describe()} was built for input {layer.input_shape}, "
                    f"but the layer before it outputs {shape}."
                )
            shape = layer.output_shape
        self.output_shape = shape
        # Gradients flow back only as far as the first layer with parameters; nothing before it
        # needs one, so that layer skips computing the gradient of its input.
        trainable = [i for i, layer in enumerate(self.layers) if layer.params]
        self._first_trainable = trainable[0] if trainable else len(self.layers)
        for i, layer in enumerate(self.layers):
            layer.needs_input_grad = i > self._first_trainable
        # The steps run the hidden layers: one at a time, except a layer with ReLU and the max pooling after
        # it, which run as one (layers/pooled_relu.py: ReLU on the pooled map, a quarter of the size).
        hidden = self.layers[:-1]
        self._steps = pooled_relu.plan(hidden) if self.pair_relu_and_pooling else list(hidden)
        self._backward_steps = [
            step
            for step, first in zip(self._steps, pooled_relu.first_positions(self._steps), strict=True)
            if first >= self._first_trainable
        ][::-1]
        self.packed_variables, self.parameter_segments = self._pack_parameters()
        self.built = True
        if self.loss is not None:
            self._choose_scoring_loss()

    def _pack_parameters(self):
        """Move every parameter (and its gradient) into one contiguous vector; layers keep views of it.

        The optimizer then updates the whole model with a dozen vectorised passes over one array
        instead of a dozen passes per parameter, which removes most of its Python overhead.
        Layers must therefore write gradients in place (``out=`` or ``[...] =``), never rebind them.
        """
        entries = [(layer, key) for layer in self.layers for key in layer.params]
        total = sum(layer.params[key].size for layer, key in entries)
        flat_params = np.empty(total, dtype=self.dtype)
        flat_grads = np.zeros(total, dtype=self.dtype)
        offset, sizes, self._views = 0, [], []
        for layer, key in entries:
            shape, size = layer.params[key].shape, layer.params[key].size
            flat_params[offset : offset + size] = layer.params[key].ravel()
            layer.params[key] = flat_params[offset : offset + size].reshape(shape)
            layer.grads[key] = flat_grads[offset : offset + size].reshape(shape)
            self._views.append((layer, key, layer.params[key], layer.grads[key]))
            offset += size
            sizes.append(size)
        # The sizes tell the optimizer where each variable lies, so clipnorm can clip them one by one.
        return ([("parameters", flat_params, flat_grads)], {"parameters": sizes}) if total else ([], {})

    @property
    def parameters(self) -> np.ndarray:
        """Every trainable parameter of the model as one vector (the layers' ``params`` are views of it)."""
        return self.packed_variables[0][1] if self.packed_variables else np.empty(0, self.dtype)

    @property
    def gradients(self) -> np.ndarray:
        """Every gradient as one vector, laid out like ``parameters`` (the layers' ``grads`` are views of it)."""
        return self.packed_variables[0][2] if self.packed_variables else np.empty(0, self.dtype)

    # ----- data checks ------------------------------------------------------------------------
    def check_inputs(self, x, name="X") -> np.ndarray:
        integers = bool(self.layers) and self.layers[0].integer_input  # token ids stay integers
        x = check_array(x, name, dtype=None if integers else self.dtype)
        if x.ndim < 2:
            raise InputError(
                f"{name} must have a batch axis: shape (samples, features...), got {x.shape}; "
                "for a single sample use x[None]."
            )
        if not self.built:
            if not self.layers:
                raise RuntimeError("The model has no layers; add some before using it.")
            self.build(x.shape[1:])
        elif x.shape[1:] != self.input_shape:
            raise InputError(
                f"The model expects samples of shape {self.input_shape}, {name} has samples of shape "
                f"{x.shape[1:]} (array shape {x.shape}); pass data with the features it was built for."
            )
        return x

    # ----- the forward and backward pass -----------------------------------------------------
    def forward(
        self, x: np.ndarray, training: bool = False, with_logits: bool = False
    ) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """The outputs for a checked batch x; ``with_logits``: (outputs, the last layer's logits)."""
        last = self.layers[-1]
        for step in self._steps:
            x = step(x, training=training)
        return last.call_with_logits(x, training=training) if with_logits else last(x, training=training)

    def backward(self, grad: np.ndarray, from_logits: bool = False, to_input: bool = False) -> np.ndarray | None:
        """Back-propagate dL/d(outputs), or dL/d(logits) of the last layer, writing every layer's ``grads``.

        Backward stops at the first layer with parameters; with ``to_input`` it goes on through the layers
        before it and returns dL/d(input) (for that, every layer's ``needs_input_grad`` must be True).
        """
        last = self.layers[-1]
        grad = last.backward_from_logits(grad) if from_logits else last.backward(grad)
        for step in self._steps[::-1] if to_input else self._backward_steps:
            grad = step.backward(grad)
        return grad if to_input else None

    def check_views(self) -> None:
        """A layer that rebinds a param or grad (``self.grads['W'] = ...``) would silently drop out of
        the packed vector the optimizer updates; say so instead of training without it."""
        for layer, key, param, grad in self._views:
            if layer.params[key] is not param or layer.grads[key] is not grad:
                which = "params" if layer.params[key] is not param else "grads"
                raise RuntimeError(
                    f"{layer.describe()} replaced {which}[{key!r}] with a new array, so the optimizer would no "
                    f"longer see it. Write into the existing array instead: np.matmul(..., out=self.{which}"
                    f"[{key!r}]) or self.{which}[{key!r}][...] = value."
                )

    # ----- weights ----------------------------------------------------------------------------
    def get_weights(self) -> list[np.ndarray]:
        """Copies of every parameter and state array, layer by layer."""
        return [array.copy() for layer in self.layers for array in (*layer.params.values(), *layer.state.values())]

    def set_weights(self, weights: list[np.ndarray]) -> None:
        """Copy arrays (as from get_weights) into the model's own, keeping their identity and dtype."""
        targets = [array for layer in self.layers for array in (*layer.params.values(), *layer.state.values())]
        weights = list(weights)
        if len(weights) != len(targets):
            raise InputError(f"set_weights got {len(weights)} arrays, the model has {len(targets)}.")
        for target, value in zip(targets, weights, strict=True):
            if np.shape(value) != target.shape:
                raise InputError(f"set_weights: shape {np.shape(value)} does not match {target.shape}.")
        for target, value in zip(targets, weights, strict=True):
            np.copyto(target, value, casting="same_kind")

    def count_params(self) -> int:
        return sum(layer.count_params() for layer in self.layers)

    def summary(self, print_fn: Callable[[str], None] = print) -> None:
        """Print a table of layers, output shapes and parameter counts."""
        rows = [("Layer (type)", "Output Shape", "Param #")] + _summary_rows(self.layers, depth=0)
        widths = [max(len(row[i]) for row in rows) + 2 for i in range(3)]
        rule = "-" * sum(widths)
        lines = [
            f'Model: "{self.name}"',
            rule,
            "".join(c.ljust(w) for c, w in zip(rows[0], widths, strict=True)),
            "=" * len(rule),
        ]
        lines += ["".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows[1:]]
        non_trainable = sum(a.size for layer in self.layers for a in layer.state.values())
        lines += [
            "=" * len(rule),
            f"Total params: {self.count_params() + non_trainable:,}",
            f"Trainable params: {self.count_params():,}",
            f"Non-trainable params: {non_trainable:,}",
            rule,
        ]
        print_fn("\n".join(lines))

    def save(self, path: str | os.PathLike) -> None:
        """Save architecture (JSON), weights and optimizer state to one .npz file, atomically."""
        save_model(self, path)

    def to_onnx(self, path: str | os.PathLike | None = None, **options) -> bytes:
        """The model as ONNX (see ``numpynn.interop.onnx.export.to_onnx``); needs ``pip install 'numpynn[onnx]'``."""
        from numpynn.interop.onnx.export import to_onnx

        return to_onnx(self, path, **options)

    def get_config(self) -> dict:
        """Constructor arguments (JSON-serialisable); a subclass adds its own."""
        return {
            "name": self.name,
            "dtype": self.dtype.name,
            "layers": [{"class_name": type(layer).__name__, "config": layer.get_config()} for layer in self.layers],
        }

    @classmethod
    def from_config(cls, config: dict) -> Sequential:
        """The (unbuilt) model that ``get_config()`` describes."""
        config = dict(config)
        layers = [layers_module.from_config(entry["class_name"], entry["config"]) for entry in config.pop("layers")]
        return cls(layers, **config)


def _summary_rows(layers: list[Layer], depth: int) -> list[tuple[str, str, str]]:
    """One row per layer, a block's layers indented under it."""
    rows = []
    for layer in layers:
        shape = "(None, " + ", ".join(map(str, layer.output_shape)) + ")" if layer.output_shape else "?"
        indent = "  " * depth + ("└ " if depth else "")
        rows.append((f"{indent}{layer.name} ({type(layer).__name__})", shape, f"{layer.count_params():,}"))
        rows += _summary_rows(layer.sublayers(), depth + 1)
    return rows
