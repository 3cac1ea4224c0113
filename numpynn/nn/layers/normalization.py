"""Normalization layers: y = gamma * (x - mean) / sqrt(var + epsilon) + beta, per feature (last axis).

BatchNormalization takes the mean and variance over the batch; LayerNormalization over each sample's
features. Both share the scale-and-shift and its backward pass (``_Normalization``); they differ only in
which axes the statistics cover.
"""

from __future__ import annotations

import numpy as np

from numpynn.errors import InputError
from numpynn.kernels.workspace import Workspace
from numpynn.nn.layers.base import Layer, register
from numpynn.nn.layers.core import sum_rows


class _Normalization(Layer):
    """gamma * normalized + beta with normalized = (x - mean) * inv_std; gamma and beta per feature."""

    def __init__(self, epsilon: float, **kwargs):
        super().__init__(**kwargs)
        if not epsilon > 0:
            raise InputError(f"{type(self).__name__} epsilon must be positive, got {epsilon!r}.")
        self.epsilon = float(epsilon)

    def _create_params(self) -> None:
        features = self.input_shape[-1]
        self.params["gamma"] = np.ones(features, dtype=self.dtype)
        self.params["beta"] = np.zeros(features, dtype=self.dtype)

    def _scale_shift(self, x: np.ndarray, mean, var) -> np.ndarray:
        self._inv_std = 1 / np.sqrt(var + np.asarray(self.epsilon, dtype=x.dtype))
        self._normalized = x - mean
        self._normalized *= self._inv_std  # in place: each large temporary is a pass over memory
        out = self._normalized * self.params["gamma"]
        out += self.params["beta"]
        return out

    def _backward(self, grad_output: np.ndarray, statistic_axes: tuple | None) -> np.ndarray | None:
        """Gradients of gamma and beta, and of the input; ``statistic_axes``: the axes the mean and variance
        were taken over (None when they were constants, as BatchNormalization's at inference)."""
        axes = tuple(range(grad_output.ndim - 1))
        np.sum(grad_output * self._normalized, axis=axes, out=self.grads["gamma"])
        np.sum(grad_output, axis=axes, out=self.grads["beta"])
        if not self.needs_input_grad:
            return None
        grad_normalized = grad_output * self.params["gamma"]
        if statistic_axes is None:
            return grad_normalized * self._inv_std
        # The mean and variance depend on every input they were taken over, hence the two correction terms.
        mean_grad = grad_normalized.mean(axis=statistic_axes, keepdims=True)
        mean_grad_x = (grad_normalized * self._normalized).mean(axis=statistic_axes, keepdims=True)
        return (grad_normalized - mean_grad - self._normalized * mean_grad_x) * self._inv_std

    def get_config(self) -> dict:
        return {**super().get_config(), "epsilon": self.epsilon}


@register
class BatchNormalization(_Normalization):
    """Statistics over the batch (every axis but the last).

    Training: mean and (biased) variance of the batch; the running statistics move towards them:
    running = momentum * running + (1 - momentum) * batch. Inference: the running statistics.
    ``gamma``/``beta`` are trained params; ``running_mean`` and ``running_var`` are state (saved with the
    model, not trained). Defaults are Keras's.
    """

    def __init__(self, momentum: float = 0.99, epsilon: float = 1e-3, **kwargs):
        super().__init__(epsilon, **kwargs)
        if not 0 <= momentum < 1:
            raise InputError(f"BatchNormalization momentum must be in [0, 1), got {momentum!r}.")
        self.momentum = float(momentum)
        self._workspace = Workspace()

    def weight_count(self, input_shape: tuple) -> int:
        return 4 * int(input_shape[-1])  # gamma, beta, running mean and variance

    def _create_params(self) -> None:
        super()._create_params()
        features = self.input_shape[-1]
        self.state["running_mean"] = np.zeros(features, dtype=self.dtype)
        self.state["running_var"] = np.ones(features, dtype=self.dtype)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        self._training = training
        if not training:
            return self._scale_shift(x, self.state["running_mean"], self.state["running_var"])
        # The batch statistics as BLAS matrix-vector products over the rows of (samples * positions, C),
        # which measured several times faster than mean/var over the leading axes (docs/benchmarks.md).
        rows = x.reshape(-1, x.shape[-1])
        count = np.asarray(len(rows), dtype=x.dtype)
        mean = sum_rows(rows, None) / count
        centered = self._workspace.get("normalized", rows.shape, x.dtype)  # kept for backward, reused next step
        np.subtract(rows, mean, out=centered)
        out = np.square(centered)
        var = sum_rows(out, None) / count
        for name, batch_value in (("running_mean", mean), ("running_var", var)):
            running = self.state[name]
            running *= self.momentum
            running += (1 - self.momentum) * batch_value
        self._inv_std = 1 / np.sqrt(var + np.asarray(self.epsilon, dtype=x.dtype))
        centered *= self._inv_std
        self._normalized = centered.reshape(x.shape)
        np.multiply(centered, self.params["gamma"], out=out)
        out += self.params["beta"]
        return out.reshape(x.shape)

    def backward(self, grad_output: np.ndarray) -> np.ndarray | None:
        if not self._training:
            return self._backward(grad_output, None)
        # With the statistics over the same rows as gamma's and beta's gradients, the two correction terms
        # of _backward are those gradients again: mean(g * gamma) = gamma * dbeta / m and
        # mean(g * gamma * normalized) = gamma * dgamma / m, so dx = gamma * inv_std * (g - dbeta / m -
        # normalized * dgamma / m): no reduction beyond the two the parameters need.
        grad = grad_output.reshape(-1, grad_output.shape[-1])
        normalized = self._normalized.reshape(grad.shape)
        count = np.asarray(len(grad), dtype=grad.dtype)
        sum_rows(grad, self.grads["beta"])
        work = grad * normalized
        sum_rows(work, self.grads["gamma"])
        if not self.needs_input_grad:
            return None
        np.multiply(normalized, self.grads["gamma"] / count, out=work)
        np.subtract(grad, work, out=work)
        work -= self.grads["beta"] / count
        work *= self.params["gamma"] * self._inv_std
        return work.reshape(grad_output.shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "momentum": self.momentum}


@register
class LayerNormalization(_Normalization):
    """Statistics over the last axis of each sample (not over the batch), so training and inference
    compute the same thing."""

    def __init__(self, epsilon: float = 1e-3, **kwargs):
        super().__init__(epsilon, **kwargs)

    def weight_count(self, input_shape: tuple) -> int:
        return 2 * int(input_shape[-1])

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        return self._scale_shift(x, x.mean(axis=-1, keepdims=True), x.var(axis=-1, keepdims=True))

    def backward(self, grad_output: np.ndarray) -> np.ndarray | None:
        return self._backward(grad_output, (-1,))
