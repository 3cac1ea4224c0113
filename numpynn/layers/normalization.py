"""Batch normalization over the last axis (features of Dense outputs, channels of images)."""
from __future__ import annotations

import numpy as np

from ..errors import InputError
from .base import Layer, register


@register
class BatchNormalization(Layer):
    """y = gamma * (x - mean) / sqrt(var + epsilon) + beta, per feature (last axis).

    Training: mean and (biased) variance of the batch, over every axis but the last; the running
    statistics move towards them: running = momentum * running + (1 - momentum) * batch.
    Inference: the running statistics. ``gamma``/``beta`` are trained params; ``running_mean`` and
    ``running_var`` are state (saved with the model, not trained). Defaults are Keras's.
    """

    def __init__(self, momentum: float = 0.99, epsilon: float = 1e-3, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= momentum < 1:
            raise InputError(f"BatchNormalization momentum must be in [0, 1), got {momentum!r}.")
        if not epsilon > 0:
            raise InputError(f"BatchNormalization epsilon must be positive, got {epsilon!r}.")
        self.momentum, self.epsilon = float(momentum), float(epsilon)

    def weight_count(self, input_shape: tuple) -> int:
        return 4 * int(input_shape[-1])  # gamma, beta, running mean and variance

    def _create_params(self):
        features = self.input_shape[-1]
        self.params["gamma"] = np.ones(features, dtype=self.dtype)
        self.params["beta"] = np.zeros(features, dtype=self.dtype)
        self.state["running_mean"] = np.zeros(features, dtype=self.dtype)
        self.state["running_var"] = np.ones(features, dtype=self.dtype)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        axes = tuple(range(x.ndim - 1))
        if training:
            mean = x.mean(axis=axes)
            var = x.var(axis=axes)
            for name, batch_value in (("running_mean", mean), ("running_var", var)):
                running = self.state[name]
                running *= self.momentum
                running += (1 - self.momentum) * batch_value
        else:
            mean, var = self.state["running_mean"], self.state["running_var"]
        self._training = training
        self._inv_std = 1 / np.sqrt(var + np.asarray(self.epsilon, dtype=x.dtype))
        self._normalized = (x - mean) * self._inv_std
        return self._normalized * self.params["gamma"] + self.params["beta"]

    def backward(self, grad_output: np.ndarray) -> np.ndarray | None:
        axes = tuple(range(grad_output.ndim - 1))
        np.sum(grad_output * self._normalized, axis=axes, out=self.grads["gamma"])
        np.sum(grad_output, axis=axes, out=self.grads["beta"])
        if not self.needs_input_grad:
            return None
        grad_normalized = grad_output * self.params["gamma"]
        if not self._training:  # the statistics were constants
            return grad_normalized * self._inv_std
        # The batch mean and variance depend on every input, hence the two correction terms.
        mean_grad = grad_normalized.mean(axis=axes)
        mean_grad_x = (grad_normalized * self._normalized).mean(axis=axes)
        return (grad_normalized - mean_grad - self._normalized * mean_grad_x) * self._inv_std

    def get_config(self) -> dict:
        return {**super().get_config(), "momentum": self.momentum, "epsilon": self.epsilon}
