"""The update rules: SGD (momentum, Nesterov), Adam, AdamW and RMSprop, each as torch.optim computes it."""

from __future__ import annotations

import numpy as np

from numpynn.errors import InputError
from numpynn.nn.optimizers.base import Optimizer
from numpynn.nn.schedules import LearningRateSchedule


class SGD(Optimizer):
    """SGD with optional (Nesterov) momentum and L2 weight decay, as torch.optim.SGD (dampening 0).

    g <- grad + weight_decay * p;  buf <- momentum * buf + g;
    p <- p - lr * (g + momentum * buf if nesterov else buf)
    """

    name = "sgd"
    slot_names: tuple[str, ...] = ("momentum",)

    def __init__(
        self,
        learning_rate: float | LearningRateSchedule = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
        **kwargs,
    ):
        if not 0 <= momentum < 1:
            raise InputError(f"momentum must be in [0, 1), got {momentum!r}.")
        if nesterov and momentum == 0:
            raise InputError("nesterov=True needs a momentum > 0.")
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)
        if self.momentum == 0:
            self.slot_names = ()
        super().__init__(learning_rate, weight_decay=weight_decay, **kwargs)

    def _update(self, key, param, grad, lr, scratch, part):
        grad = self._with_l2(key, param, grad, part)
        if self.momentum:
            buf = self.slots["momentum"][key][part]
            buf *= self.momentum
            buf += grad
            if self.nesterov:
                np.multiply(buf, self.momentum, out=scratch)
                scratch += grad
                grad = scratch
            else:
                grad = buf
        np.multiply(grad, lr, out=scratch)
        param -= scratch

    def get_config(self) -> dict:
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class Adam(Optimizer):
    """Adam as torch.optim.Adam; ``weight_decay`` adds L2 to the gradient (AdamW decouples it).

    m <- b1 m + (1-b1) g;  v <- b2 v + (1-b2) g^2;
    p <- p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
    """

    name = "adam"
    slot_names = ("m", "v")
    passes = 12

    def __init__(
        self,
        learning_rate: float | LearningRateSchedule = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        weight_decay: float = 0.0,
        **kwargs,
    ):
        super().__init__(learning_rate, weight_decay=weight_decay, **kwargs)
        for name, beta in (("beta_1", beta_1), ("beta_2", beta_2)):
            if not 0 <= beta < 1:
                raise InputError(f"{name} must be in [0, 1), got {beta!r}.")
        if not epsilon > 0:
            raise InputError(f"epsilon must be positive, got {epsilon!r}.")
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)

    def _update(self, key, param, grad, lr, scratch, part):
        grad = self._with_l2(key, param, grad, part)
        self._adam_step(key, param, grad, lr, scratch, part)

    def _adam_step(self, key, param, grad, lr, scratch, part):
        m, v = self.slots["m"][key][part], self.slots["v"][key][part]
        t = self.iterations + 1
        # m += (1 - b1)(g - m) equals b1 m + (1 - b1) g, with one pass fewer.
        np.subtract(grad, m, out=scratch)
        scratch *= 1 - self.beta_1
        m += scratch
        np.multiply(grad, grad, out=scratch)
        scratch -= v
        scratch *= 1 - self.beta_2
        v += scratch
        np.sqrt(v, out=scratch)
        scratch *= 1 / np.sqrt(1 - self.beta_2**t)
        scratch += self.epsilon
        np.divide(m, scratch, out=scratch)
        scratch *= lr / (1 - self.beta_1**t)
        param -= scratch

    def get_config(self) -> dict:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


class AdamW(Adam):
    """Adam with decoupled weight decay, as torch.optim.AdamW: p <- p * (1 - lr * weight_decay), then Adam."""

    name = "adamw"
    l2_in_gradient = False

    def __init__(self, learning_rate: float | LearningRateSchedule = 0.001, weight_decay: float = 0.004, **kwargs):
        super().__init__(learning_rate, weight_decay=weight_decay, **kwargs)

    def _update(self, key, param, grad, lr, scratch, part):
        if self.weight_decay:
            param *= 1 - lr * self.weight_decay
        self._adam_step(key, param, grad, lr, scratch, part)


class RMSprop(Optimizer):
    """RMSprop as torch.optim.RMSprop (rho is torch's alpha).

    v <- rho v + (1-rho) g^2;  step = g / (sqrt(v) + eps);  with momentum: buf <- momentum buf + step
    """

    name = "rmsprop"
    slot_names: tuple[str, ...] = ("v", "momentum")
    passes = 9

    def __init__(
        self,
        learning_rate: float | LearningRateSchedule = 0.001,
        rho: float = 0.9,
        momentum: float = 0.0,
        epsilon: float = 1e-7,
        weight_decay: float = 0.0,
        **kwargs,
    ):
        if not 0 <= rho < 1:
            raise InputError(f"rho must be in [0, 1), got {rho!r}.")
        if not 0 <= momentum < 1:
            raise InputError(f"momentum must be in [0, 1), got {momentum!r}.")
        self.rho, self.momentum, self.epsilon = float(rho), float(momentum), float(epsilon)
        if self.momentum == 0:
            self.slot_names = ("v",)
        super().__init__(learning_rate, weight_decay=weight_decay, **kwargs)

    def _update(self, key, param, grad, lr, scratch, part):
        grad = self._with_l2(key, param, grad, part)
        v = self.slots["v"][key][part]
        np.multiply(grad, grad, out=scratch)
        scratch -= v
        scratch *= 1 - self.rho
        v += scratch
        np.sqrt(v, out=scratch)
        scratch += self.epsilon
        np.divide(grad, scratch, out=scratch)
        if self.momentum:
            buf = self.slots["momentum"][key][part]
            buf *= self.momentum
            buf += scratch
            np.multiply(buf, lr, out=scratch)
        else:
            scratch *= lr
        param -= scratch

    def get_config(self) -> dict:
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon}
