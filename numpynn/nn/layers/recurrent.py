"""Recurrent layers: SimpleRNN, LSTM and GRU over sequences (batch, time, features).

The input's contribution to every time step, x_t @ W + b, is one matrix product over the whole
sequence; only the recurrence h_{t-1} @ U runs step by step (the loop over time is inherent, there is
none over samples). Backward is backpropagation through time: the same loop run in reverse, collecting
dL/dz_t for every step, after which dL/dW, dL/db and dL/dx are again one matrix product each.

Weights follow Keras's names and gate order: W (features, k * units) is the kernel, U (units, k *
units) the recurrent kernel, b the bias, with the gates side by side in W's columns. Keras's LSTM order
is (input, forget, cell, output), PyTorch's (input, forget, cell, output) too but stored transposed
(weight_ih_l0 = W.T); Keras's GRU order is (update z, reset r, candidate h), PyTorch's (reset, update,
candidate). ``return_sequences`` returns every step's state (batch, time, units) instead of the last
(batch, units); ``go_backwards`` reads the sequence from its end, as Keras does.
"""

from __future__ import annotations

import numpy as np

from numpynn.errors import InputError
from numpynn.nn import activations, initializers
from numpynn.nn.layers.base import Layer, register
from numpynn.utils import check_positive_int


def _sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-z)) as 0.5 + 0.5 tanh(z / 2): the same function, one pass, no overflow for any z."""
    half = np.tanh(z * np.asarray(0.5, z.dtype))
    half *= 0.5
    half += 0.5
    return half


class _Recurrent(Layer):
    """The shared shape logic, weights and time loop plumbing; subclasses say what one step does."""

    gates = 1

    def __init__(
        self,
        units: int,
        return_sequences: bool = False,
        go_backwards: bool = False,
        kernel_initializer: str = "glorot_uniform",
        recurrent_initializer: str = "orthogonal",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.units = check_positive_int(units, f"{type(self).__name__} units")
        self.return_sequences, self.go_backwards = bool(return_sequences), bool(go_backwards)
        self.kernel_initializer, self.recurrent_initializer = kernel_initializer, recurrent_initializer

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        if len(input_shape) != 2:
            raise InputError(
                f"{self.describe()} expects sequences (batch, time, features), got samples of shape "
                f"{tuple(input_shape)}; for one feature per step add an axis, e.g. x[..., None]."
            )
        return (input_shape[0], self.units) if self.return_sequences else (self.units,)

    def weight_count(self, input_shape: tuple) -> int:
        return (int(input_shape[-1]) + self.units + 1) * self.gates * self.units

    def _bias_shape(self) -> tuple:
        return (self.gates * self.units,)

    def _create_params(self) -> None:
        features, width = self.input_shape[-1], self.gates * self.units
        kernel = initializers.get(self.kernel_initializer)
        self.params["W"] = kernel((features, width), features, width, self._rng, self.dtype)
        recurrent = (
            _orthogonal if self.recurrent_initializer == "orthogonal" else initializers.get(self.recurrent_initializer)
        )
        self.params["U"] = np.concatenate(
            [
                recurrent((self.units, self.units), self.units, self.units, self._rng, self.dtype)
                for _ in range(self.gates)
            ],
            axis=1,
        )
        self.params["b"] = self._initial_bias()

    def _initial_bias(self) -> np.ndarray:
        return np.zeros(self._bias_shape(), dtype=self.dtype)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        if self.go_backwards:
            x = x[:, ::-1]
        self._input = x
        inputs = x @ self.params["W"]  # (batch, time, k * units): every step's input part at once
        inputs += self.params["b"] if self.params["b"].ndim == 1 else self.params["b"][0]
        states = self._run(inputs)  # (batch, time, units)
        return states if self.return_sequences else states[:, -1]

    def backward(self, grad_output: np.ndarray) -> np.ndarray | None:
        batch, steps, features = self._input.shape
        grad_states = np.zeros((batch, steps, self.units), dtype=grad_output.dtype)
        if self.return_sequences:
            grad_states += grad_output
        else:
            grad_states[:, -1] = grad_output
        self.grads["U"][...] = 0
        grad_inputs = self._run_backward(grad_states)  # dL/d(x_t W + b) for every step: (batch, time, k * units)
        flat = grad_inputs.reshape(-1, grad_inputs.shape[-1])
        np.matmul(self._input.reshape(-1, features).T, flat, out=self.grads["W"])
        bias_grad = self.grads["b"] if self.grads["b"].ndim == 1 else self.grads["b"][0]
        np.sum(flat, axis=0, out=bias_grad)
        if not self.needs_input_grad:
            return None
        grad_x = grad_inputs @ self.params["W"].T
        return grad_x[:, ::-1] if self.go_backwards else grad_x

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "units": self.units,
            "return_sequences": self.return_sequences,
            "go_backwards": self.go_backwards,
            "kernel_initializer": self.kernel_initializer,
            "recurrent_initializer": self.recurrent_initializer,
        }


def _orthogonal(shape, fan_in, fan_out, rng, dtype) -> np.ndarray:  # noqa: ARG001 - an initializer's signature
    """A random orthogonal matrix (Keras's recurrent default): the state neither grows nor fades."""
    q, r = np.linalg.qr(rng.normal(size=shape))
    return (q * np.sign(np.diag(r))).astype(dtype)


@register
class SimpleRNN(_Recurrent):
    """h_t = activation(x_t @ W + h_{t-1} @ U + b). Shapes: W (features, units), U (units, units), b (units,)."""

    def __init__(self, units: int, activation: str = "tanh", **kwargs):
        super().__init__(units, **kwargs)
        self.activation = activations.get(activation)

    def _run(self, inputs: np.ndarray) -> np.ndarray:
        batch, steps, _ = inputs.shape
        states = np.zeros((batch, steps + 1, self.units), dtype=inputs.dtype)  # states[:, 0] is h_0 = 0
        for t in range(steps):
            states[:, t + 1] = self.activation.forward(inputs[:, t] + states[:, t] @ self.params["U"])
        self._states = states
        return states[:, 1:]

    def _run_backward(self, grad_states: np.ndarray) -> np.ndarray:
        states, grad_inputs = self._states, np.empty_like(grad_states)
        grad_next = np.zeros_like(grad_states[:, 0])
        for t in reversed(range(grad_states.shape[1])):
            grad_z = self.activation.backward(grad_states[:, t] + grad_next, states[:, t + 1])
            self.grads["U"] += states[:, t].T @ grad_z
            grad_next = grad_z @ self.params["U"].T
            grad_inputs[:, t] = grad_z
        return grad_inputs

    def get_config(self) -> dict:
        return {**super().get_config(), "activation": self.activation.get_config()}


@register
class LSTM(_Recurrent):
    """Long short-term memory; gates (input i, forget f, cell g, output o) side by side, Keras's order:

        [i, f, g, o] = [sigmoid, sigmoid, tanh, sigmoid](x_t @ W + h_{t-1} @ U + b)
        c_t = f * c_{t-1} + i * g,    h_t = o * tanh(c_t)

    Shapes: W (features, 4 units), U (units, 4 units), b (4 units,), the forget bias starting at 1 (Keras's
    unit_forget_bias).
    """

    gates = 4

    def _initial_bias(self) -> np.ndarray:
        bias = np.zeros(self._bias_shape(), dtype=self.dtype)
        bias[self.units : 2 * self.units] = 1.0
        return bias

    def _run(self, inputs: np.ndarray) -> np.ndarray:
        batch, steps, _ = inputs.shape
        u = self.units
        states = np.zeros((batch, steps + 1, u), dtype=inputs.dtype)
        cells = np.zeros((batch, steps + 1, u), dtype=inputs.dtype)
        tanh_cells = np.empty((batch, steps, u), dtype=inputs.dtype)  # kept: backward needs them again
        gates = np.empty((batch, steps, 4 * u), dtype=inputs.dtype)  # activated i, f, g, o of every step
        for t in range(steps):
            z = gates[:, t]
            np.matmul(states[:, t], self.params["U"], out=z)
            z += inputs[:, t]
            z[:, : 2 * u] = _sigmoid(z[:, : 2 * u])
            np.tanh(z[:, 2 * u : 3 * u], out=z[:, 2 * u : 3 * u])
            z[:, 3 * u :] = _sigmoid(z[:, 3 * u :])
            i, f, g, o = z[:, :u], z[:, u : 2 * u], z[:, 2 * u : 3 * u], z[:, 3 * u :]
            np.multiply(f, cells[:, t], out=cells[:, t + 1])
            cells[:, t + 1] += i * g
            np.tanh(cells[:, t + 1], out=tanh_cells[:, t])
            np.multiply(o, tanh_cells[:, t], out=states[:, t + 1])
        self._states, self._cells, self._tanh_cells, self._gates = states, cells, tanh_cells, gates
        return states[:, 1:]

    def _run_backward(self, grad_states: np.ndarray) -> np.ndarray:
        states, cells, tanh_cells, gates = self._states, self._cells, self._tanh_cells, self._gates
        u = self.units
        grad_inputs = np.empty_like(gates)
        grad_h_next = np.zeros_like(grad_states[:, 0])
        grad_c_next = np.zeros_like(grad_states[:, 0])
        for t in reversed(range(grad_states.shape[1])):
            i, f, g, o = gates[:, t, :u], gates[:, t, u : 2 * u], gates[:, t, 2 * u : 3 * u], gates[:, t, 3 * u :]
            tanh_c = tanh_cells[:, t]
            grad_h = grad_states[:, t] + grad_h_next
            grad_c = grad_h * o * (1 - tanh_c * tanh_c) + grad_c_next
            grad_z = grad_inputs[:, t]  # dL/dz of the four gates, written in place
            np.multiply(grad_c * g, i * (1 - i), out=grad_z[:, :u])
            np.multiply(grad_c * cells[:, t], f * (1 - f), out=grad_z[:, u : 2 * u])
            np.multiply(grad_c * i, 1 - g * g, out=grad_z[:, 2 * u : 3 * u])
            np.multiply(grad_h * tanh_c, o * (1 - o), out=grad_z[:, 3 * u :])
            self.grads["U"] += states[:, t].T @ grad_z
            grad_h_next, grad_c_next = grad_z @ self.params["U"].T, grad_c * f
        return grad_inputs


@register
class GRU(_Recurrent):
    """Gated recurrent unit, Keras's default (reset_after=True); gates (update z, reset r, candidate)
    side by side:

        [xz, xr, xh] = x_t @ W + b_in,   [hz, hr, hh] = h_{t-1} @ U + b_rec
        z = sigmoid(xz + hz),   r = sigmoid(xr + hr),   n = tanh(xh + r * hh)
        h_t = z * h_{t-1} + (1 - z) * n

    Shapes: W (features, 3 units), U (units, 3 units), b (2, 3 units): b[0] the input bias, b[1] the
    recurrent one (as PyTorch's bias_ih and bias_hh, whose gate order is r, z, n).
    """

    gates = 3

    def __init__(self, units: int, reset_after: bool = True, **kwargs):
        super().__init__(units, **kwargs)
        if not reset_after:
            raise InputError("GRU supports reset_after=True (Keras's and PyTorch's default) only.")
        self.reset_after = True

    def _bias_shape(self) -> tuple:
        return (2, self.gates * self.units)

    def weight_count(self, input_shape: tuple) -> int:
        return (int(input_shape[-1]) + self.units + 2) * self.gates * self.units

    def _run(self, inputs: np.ndarray) -> np.ndarray:
        batch, steps, _ = inputs.shape
        u = self.units
        states = np.zeros((batch, steps + 1, u), dtype=inputs.dtype)
        saved = np.empty((batch, steps, 4 * u), dtype=inputs.dtype)  # z, r, n, hh of every step
        for t in range(steps):
            recurrent = states[:, t] @ self.params["U"] + self.params["b"][1]
            z = _sigmoid(inputs[:, t, :u] + recurrent[:, :u])
            r = _sigmoid(inputs[:, t, u : 2 * u] + recurrent[:, u : 2 * u])
            n = np.tanh(inputs[:, t, 2 * u :] + r * recurrent[:, 2 * u :])
            states[:, t + 1] = z * states[:, t] + (1 - z) * n
            saved[:, t] = np.concatenate([z, r, n, recurrent[:, 2 * u :]], axis=1)
        self._states, self._saved = states, saved
        return states[:, 1:]

    def _run_backward(self, grad_states: np.ndarray) -> np.ndarray:
        states, saved = self._states, self._saved
        batch, steps, u = grad_states.shape
        grad_inputs = np.empty((batch, steps, 3 * u), dtype=grad_states.dtype)
        grad_recurrent_bias = np.zeros(3 * u, dtype=grad_states.dtype)
        grad_next = np.zeros_like(grad_states[:, 0])
        for t in reversed(range(steps)):
            z, r, n, hh = np.split(saved[:, t], 4, axis=1)
            grad_h = grad_states[:, t] + grad_next
            grad_n = grad_h * (1 - z) * (1 - n * n)  # dL/d(xh + r * hh)
            grad_z = grad_h * (states[:, t] - n) * z * (1 - z)
            grad_r = grad_n * hh * r * (1 - r)
            grad_inputs[:, t] = np.concatenate([grad_z, grad_r, grad_n], axis=1)
            grad_rec = np.concatenate([grad_z, grad_r, grad_n * r], axis=1)  # dL/d(h_{t-1} U + b_rec)
            self.grads["U"] += states[:, t].T @ grad_rec
            grad_recurrent_bias += grad_rec.sum(axis=0)
            grad_next = grad_h * z + grad_rec @ self.params["U"].T
        self._grad_recurrent_bias = grad_recurrent_bias
        return grad_inputs

    def backward(self, grad_output: np.ndarray) -> np.ndarray | None:
        grad_x = super().backward(grad_output)
        self.grads["b"][1] = self._grad_recurrent_bias
        return grad_x

    def get_config(self) -> dict:
        return {**super().get_config(), "reset_after": self.reset_after}
