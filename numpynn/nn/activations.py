"""Element-wise activations, each a forward/backward pair.

Every backward here is written in terms of the activation's *output* (ReLU: out > 0, sigmoid:
out * (1 - out), tanh: 1 - out**2, softmax: out * (g - sum(g * out))), so a layer caches one array
and may compute the forward in place on a buffer it owns (``out=x``).
"""

from __future__ import annotations

import numpy as np

from numpynn.errors import InputError, InputTypeError
from numpynn.kernels.parallel import split_rows
from numpynn.utils import lookup


class ActivationFunction:
    name = "base"

    def forward(self, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad_output: np.ndarray, output: np.ndarray) -> np.ndarray:
        """Gradient w.r.t. the input, given dL/d(output) and the forward output (same shapes)."""
        raise NotImplementedError

    def get_config(self) -> dict:
        return {"name": self.name}

    def __repr__(self):
        return f"{type(self).__name__}()"


class Linear(ActivationFunction):
    name = "linear"

    def forward(self, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        if out is None or out is x:
            return x
        np.copyto(out, x)
        return out

    def backward(self, grad_output: np.ndarray, output: np.ndarray) -> np.ndarray:
        return grad_output


class ReLU(ActivationFunction):
    name = "relu"

    def forward(self, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        out = np.empty_like(x) if out is None else out
        split_rows(lambda rows: np.maximum(x[rows], 0, out=out[rows]), len(x), x.size)
        return out

    def backward(self, grad_output: np.ndarray, output: np.ndarray) -> np.ndarray:
        grad = np.empty_like(grad_output)
        split_rows(lambda rows: np.multiply(grad_output[rows], output[rows] > 0, out=grad[rows]), len(grad), grad.size)
        return grad


class LeakyReLU(ActivationFunction):
    """max(x, alpha * x) for 0 < alpha < 1; the sign of the output equals the sign of the input."""

    name = "leaky_relu"

    def __init__(self, alpha: float = 0.01):
        if not 0 < alpha < 1:
            raise InputError(f"leaky_relu alpha must be in (0, 1), got {alpha}.")
        self.alpha = float(alpha)

    def forward(self, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        return np.maximum(x, x * np.asarray(self.alpha, dtype=x.dtype), out=out)

    def backward(self, grad_output: np.ndarray, output: np.ndarray) -> np.ndarray:
        slope = np.where(output > 0, 1.0, self.alpha).astype(grad_output.dtype, copy=False)
        return grad_output * slope

    def get_config(self) -> dict:
        return {"name": self.name, "alpha": self.alpha}


class Sigmoid(ActivationFunction):
    name = "sigmoid"

    def forward(self, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        return stable_sigmoid(x, out=out)

    def backward(self, grad_output: np.ndarray, output: np.ndarray) -> np.ndarray:
        return grad_output * output * (1 - output)


class Tanh(ActivationFunction):
    name = "tanh"

    def forward(self, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        return np.tanh(x, out=out)

    def backward(self, grad_output: np.ndarray, output: np.ndarray) -> np.ndarray:
        return grad_output * (1 - output * output)


class Softmax(ActivationFunction):
    """Softmax over the last axis; the backward applies the full Jacobian, not only its diagonal."""

    name = "softmax"

    def forward(self, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        return stable_softmax(x, out=out)

    def backward(self, grad_output: np.ndarray, output: np.ndarray) -> np.ndarray:
        # J^T g = out * (g - <g, out>) row by row: the exact softmax Jacobian-vector product.
        dot = np.sum(grad_output * output, axis=-1, keepdims=True)
        return output * (grad_output - dot)


def stable_sigmoid(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """1 / (1 + exp(-x)) without overflow: exp(-logaddexp(0, -x)) is finite for any finite x."""
    result = np.logaddexp(0, -x, out=out)
    np.negative(result, out=result)
    return np.exp(result, out=result)


def stable_softmax(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """exp(x - max) / sum(exp(x - max)) over the last axis; finite for any finite x."""
    result = np.subtract(x, x.max(axis=-1, keepdims=True), out=out)
    np.exp(result, out=result)
    result /= result.sum(axis=-1, keepdims=True)
    return result


def log_softmax(x: np.ndarray) -> np.ndarray:
    """x - logsumexp(x) over the last axis, stable for any finite x."""
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


ACTIVATIONS = {
    "linear": Linear,
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "softmax": Softmax,
}


def get(identifier: str | dict | None) -> ActivationFunction:
    """Accept None (linear), a name, a config dict or an ActivationFunction instance."""
    if identifier is None:
        return Linear()
    if isinstance(identifier, ActivationFunction):
        return identifier
    if isinstance(identifier, dict):
        config = dict(identifier)
        cls = lookup(config.pop("name"), ACTIVATIONS, "activation")
        return cls(**config)
    if isinstance(identifier, str):
        return lookup(identifier, ACTIVATIONS, "activation")()
    raise InputTypeError(f"activation must be a name such as 'relu', got {type(identifier).__name__}.")
