"""The Layer contract every layer follows.

- ``layer(x, training=False)`` is the template every caller uses: it builds the layer on first use,
  checks the input's shape, casts it to the layer's dtype, then calls ``forward``.
- ``forward(x, training=False)`` returns the output and caches what backward needs; ``x`` is checked.
- ``backward(grad_output)`` returns dL/d(input) and writes dL/d(param) into ``grads`` (same keys as
  ``params``). It returns None when ``needs_input_grad`` is False (the first layer of a model: nobody
  needs the gradient of the data, so we skip that matrix product).
- ``params`` are trained; ``state`` holds non-trained arrays that are still saved (running statistics).
- Shapes are inferred on the first call, so ``Dense(50)`` needs no input size.
- A layer whose output is softmax or sigmoid of its own "logits" says so in ``fused_activation`` and
  implements ``forward_with_logits`` and ``backward_from_logits``: the model then hands the logits to
  the cross-entropy and back-propagates the fused gradient (prediction - target) from them.
- ``get_config()`` returns the constructor arguments; ``from_config(config)`` rebuilds the layer.
- ``register_forward_hook(hook)`` watches a layer's outputs (PyTorch's forward hooks) without patching it.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable

import numpy as np

from numpynn.errors import InputError
from numpynn.utils import as_float_dtype, get_rng

LAYERS: dict[str, type] = {}


def unique_name(layer: Layer, taken: set[str]) -> str:
    """Keras-style names not in ``taken``: dense, dense_1, conv2d, max_pooling2d, ..."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", type(layer).__name__).lower()
    base = words.replace("2_d", "2d").replace("1_d", "1d")
    name, count = base, 0
    while name in taken:
        count += 1
        name = f"{base}_{count}"
    return name


def register(cls) -> type:
    """Class decorator: make a layer loadable from its saved config by class name."""
    LAYERS[cls.__name__] = cls
    return cls


ForwardHook = Callable[["Layer", np.ndarray, np.ndarray], None]
_hook_ids = itertools.count()  # a handle's key is never reused, so an old handle cannot remove a new hook


class RemovableHandle:
    """What ``register_forward_hook`` returns: ``remove()`` takes the hook off again (also on leaving a
    ``with`` block), as PyTorch's handle does."""

    def __init__(self, hooks: dict[int, ForwardHook], key: int):
        self._hooks, self._key = hooks, key

    def remove(self) -> None:
        self._hooks.pop(self._key, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.remove()


def from_config(class_name: str, config: dict) -> Layer:
    """Rebuild a layer from ``get_config()`` output (no code is executed from the file)."""
    if class_name not in LAYERS:
        raise InputError(f"Unknown layer type {class_name!r} in saved model. Known: {', '.join(sorted(LAYERS))}.")
    return LAYERS[class_name].from_config(config)


class Layer:
    integer_input = False  # takes integer ids (Embedding): the model leaves its input's dtype alone
    # {handle key: hook}; None until a hook is registered, so a layer without hooks pays one test per call.
    _forward_hooks: dict[int, ForwardHook] | None = None

    def __init__(
        self,
        name: str | None = None,
        input_shape: tuple | None = None,
        input_dim: int | None = None,
        dtype: str | None = None,
        seed: int | None = None,
    ):
        if input_dim is not None:
            input_shape = (int(input_dim),)
        self.name = name
        self.input_shape = tuple(int(s) for s in input_shape) if input_shape is not None else None
        self.output_shape = None
        self.dtype = as_float_dtype(dtype) if dtype is not None else None
        self.seed = seed
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.state: dict[str, np.ndarray] = {}
        self.built = False
        self.needs_input_grad = True
        self._rng = None
        self._declared_input_shape = self.input_shape

    # ----- building -------------------------------------------------------------------------
    def build(
        self, input_shape: tuple, dtype: str | np.dtype | None = None, rng: np.random.Generator | None = None
    ) -> None:
        """Create parameters for inputs of shape (batch, *input_shape)."""
        self.input_shape = tuple(int(s) for s in input_shape)
        if self.dtype is None:
            self.dtype = as_float_dtype(dtype)
        self._rng = get_rng(self.seed if self.seed is not None else rng)
        self.output_shape = tuple(self.compute_output_shape(self.input_shape))
        self._create_params()
        self.grads = {key: np.zeros_like(value) for key, value in self.params.items()}
        self.built = True

    def _create_params(self) -> None:
        """Subclasses with parameters fill ``self.params`` (and ``self.state``) here."""

    def weight_count(self, input_shape: tuple) -> int | None:
        """How many numbers ``params`` and ``state`` will hold once built for ``input_shape``, without building
        (None: the layer does not say). Lets a loader refuse a damaged config before allocating it."""
        return 0 if type(self)._create_params is Layer._create_params else None

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape)

    def sublayers(self) -> list[Layer]:
        """The layers this one is made of (a block's); their arrays appear in ``params`` as "layer/key"."""
        return []

    def check_input(self, x) -> np.ndarray:
        """Build on first use and check the input's shape and dtype against what the layer was built for."""
        x = np.asarray(x)
        if not self.built:
            if x.ndim < 2:
                raise InputError(
                    f"{self.describe()} expects a batch of samples (batch, ...), got shape {x.shape}; "
                    "add a batch axis, e.g. x[None]."
                )
            self.build(x.shape[1:], dtype=x.dtype if x.dtype.name in ("float32", "float64") else None)
        if x.shape[1:] != self.input_shape:
            raise InputError(
                f"{self.describe()} was built for inputs of shape (batch, "
                f"{', '.join(map(str, self.input_shape))}), got {x.shape}; reshape the data or build a new model."
            )
        if x.dtype != self.dtype:
            x = x.astype(self.dtype)
        return x

    # ----- running ----------------------------------------------------------------------------
    def __call__(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """The layer's output for a batch x: (batch, *input_shape) -> (batch, *output_shape)."""
        x = self.check_input(x)
        output = self.forward(x, training=training)
        if self._forward_hooks:
            for hook in self._forward_hooks.values():
                hook(self, x, output)
        return output

    def call_with_logits(self, x: np.ndarray, training: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """(output, logits) for a batch x, for a layer with a ``fused_activation``."""
        x = self.check_input(x)
        output, logits = self.forward_with_logits(x, training=training)
        if self._forward_hooks:
            for hook in self._forward_hooks.values():
                hook(self, x, output)
        return output, logits

    @property
    def has_forward_hooks(self) -> bool:
        return bool(self._forward_hooks)

    def register_forward_hook(self, hook: ForwardHook) -> RemovableHandle:
        """Call ``hook(layer, inputs, output)`` after every call of this layer (``layer(x)``, as models and
        blocks run their layers). A hook watches: what it returns is ignored, and it must not change the
        arrays (the backward pass reads them). ``handle.remove()`` takes it off."""
        if self._forward_hooks is None:
            self._forward_hooks = {}
        key = next(_hook_ids)
        self._forward_hooks[key] = hook
        return RemovableHandle(self._forward_hooks, key)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad_output: np.ndarray) -> np.ndarray | None:
        raise NotImplementedError

    # Set by layers whose output is softmax or sigmoid of logits they compute ("softmax", "sigmoid").
    fused_activation: str | None = None

    def forward_with_logits(self, x: np.ndarray, training: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """(output, logits): the output and the pre-activation it is the softmax or sigmoid of."""
        raise NotImplementedError(
            f"{self.describe()} has no logits to hand to a loss: only a layer with a "
            "fused_activation (Dense, Conv2D or Activation ending in softmax or sigmoid) has."
        )

    def backward_from_logits(self, grad_logits: np.ndarray) -> np.ndarray | None:
        """Backward from dL/d(logits) instead of dL/d(output): the fused cross-entropy gradient."""
        raise NotImplementedError(
            f"{self.describe()} has no logits to back-propagate from: only a layer with a "
            "fused_activation (Dense, Conv2D or Activation ending in softmax or sigmoid) has."
        )

    # ----- description and saving -------------------------------------------------------------
    def describe(self) -> str:
        return f"{type(self).__name__} layer {self.name!r}" if self.name else f"{type(self).__name__} layer"

    def count_params(self) -> int:
        return int(sum(p.size for p in self.params.values()))

    def get_config(self) -> dict:
        """Constructor arguments that rebuild this layer (JSON-serialisable)."""
        config = {"name": self.name}
        if self._declared_input_shape is not None:
            config["input_shape"] = list(self._declared_input_shape)
        if self.seed is not None and isinstance(self.seed, int):
            config["seed"] = self.seed
        return config

    @classmethod
    def from_config(cls, config: dict) -> Layer:
        """The layer that ``get_config()`` describes (not built: it builds on first use)."""
        return cls(**config)

    def __repr__(self):
        return f"{type(self).__name__}(name={self.name!r}, output_shape={self.output_shape})"
