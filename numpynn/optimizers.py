"""Optimizers: arithmetic on parameters, in place, float32 end to end.

Each update follows ``torch.optim``'s formula for the same hyper-parameters (names are Keras's), so
with a constant learning rate a numpynn run and a PyTorch run take the same steps. ``apply_gradients``
receives ``(key, param, grad)`` triples; state arrays (momentum, Adam moments) are kept per key.

Subnormal floats: where gradients are zero, moments decay by beta each step until they fall below
~1e-38 (float32), and arithmetic on subnormals is many times slower on x86. NumPy has no flush-to-zero
switch, so every ``FLUSH_EVERY`` steps we set state entries below 1e-30 (float32) to exactly zero. A value
above that needs far more than FLUSH_EVERY steps of decay to become subnormal, so none survives.

Clipping: ``clipnorm`` clips each variable's gradient on its own, as Keras does; ``global_clipnorm``
clips all of them together, as ``torch.nn.utils.clip_grad_norm_``. A Sequential hands over its
parameters packed into one vector and says where each variable lies in it (``segments``), so
``clipnorm`` still clips each kernel and each bias on its own.
"""
from __future__ import annotations

import numpy as np

from . import schedules
from .errors import InputError, InputTypeError
from .utils import lookup

FLUSH_EVERY = 50
_FLUSH_BELOW = {np.dtype("float32"): 1e-30, np.dtype("float64"): 1e-290}


class Optimizer:
    name = "optimizer"
    slot_names: tuple[str, ...] = ()

    def __init__(self, learning_rate=0.01, weight_decay=0.0, clipnorm=None, global_clipnorm=None):
        if isinstance(learning_rate, schedules.LearningRateSchedule):
            self.learning_rate = learning_rate
        else:
            if isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float, np.floating)) \
                    or not learning_rate > 0:
                raise InputError(
                    f"learning_rate must be a positive number or a schedule, got {learning_rate!r}."
                )
            self.learning_rate = float(learning_rate)
        if weight_decay is None or weight_decay < 0:
            raise InputError(f"weight_decay must be >= 0, got {weight_decay!r}.")
        for name, value in (("clipnorm", clipnorm), ("global_clipnorm", global_clipnorm)):
            if value is not None and not value > 0:
                raise InputError(f"{name} must be positive or None, got {value!r}.")
        self.weight_decay = float(weight_decay)
        self.clipnorm = clipnorm
        self.global_clipnorm = global_clipnorm
        self.iterations = 0
        self.slots: dict[str, dict[str, np.ndarray]] = {name: {} for name in self.slot_names}
        self._scratch: dict[str, np.ndarray] = {}
        self._l2_buffers: dict[str, np.ndarray] = {}

    # ----- the learning rate ------------------------------------------------------------------
    def current_learning_rate(self) -> float:
        """The rate the next step will use (a schedule is evaluated at ``iterations``)."""
        if isinstance(self.learning_rate, schedules.LearningRateSchedule):
            return float(self.learning_rate(self.iterations))
        return self.learning_rate

    # ----- one step ---------------------------------------------------------------------------
    def apply_gradients(self, variables, segments=None) -> None:
        """Update every param in place from its grad. ``variables``: iterable of (key, param, grad).

        ``segments``: optional {key: sizes} for a param that packs several variables end to end
        (sizes in elements, summing to param.size); ``clipnorm`` then clips each of them on its own.
        """
        variables = list(variables)
        if self.clipnorm is not None or self.global_clipnorm is not None:
            variables = self._clip(variables, segments or {})
        lr = self.current_learning_rate()
        for key, param, grad in variables:
            if key not in self._scratch:
                self._scratch[key] = np.empty_like(param)
                for slot in self.slots.values():
                    slot[key] = np.zeros_like(param)
            elif self._scratch[key].shape != param.shape:
                raise ValueError(f"The parameters under {key!r} changed shape since this optimizer's first step "
                                 f"({self._scratch[key].shape} -> {param.shape}), e.g. a layer was added after "
                                 "training; call model.compile again with a new optimizer.")
            self._update(key, param, grad, lr, self._scratch[key])
        self.iterations += 1
        if self.iterations % FLUSH_EVERY == 0:
            self._flush_subnormals()

    def _update(self, key, param, grad, lr, scratch) -> None:
        raise NotImplementedError

    def _clip(self, variables, segments):
        if self.clipnorm is not None:  # Keras: each gradient on its own
            variables = [(k, p, _scaled_to_norm(g, self.clipnorm, segments.get(k))) for k, p, g in variables]
        if self.global_clipnorm is not None:  # torch.nn.utils.clip_grad_norm_: all together
            total = np.sqrt(sum(float(np.vdot(g, g)) for _, _, g in variables))
            if total > self.global_clipnorm:
                scale = self.global_clipnorm / (total + 1e-6)
                variables = [(k, p, g * np.asarray(scale, g.dtype)) for k, p, g in variables]
        return variables

    def _flush_subnormals(self):
        for slot in self.slots.values():
            for array in slot.values():
                array[np.abs(array) < _FLUSH_BELOW[array.dtype]] = 0

    def _with_l2(self, key, param, grad):
        """grad + weight_decay * param (classic L2, as torch's weight_decay), in a buffer of its own."""
        if not self.weight_decay:
            return grad
        buffer = self._l2_buffers.get(key)
        if buffer is None:
            buffer = self._l2_buffers[key] = np.empty_like(param)
        np.multiply(param, self.weight_decay, out=buffer)
        buffer += grad
        return buffer

    # ----- saving -----------------------------------------------------------------------------
    def get_config(self) -> dict:
        lr = self.learning_rate
        return {"name": self.name,
                "learning_rate": lr.get_config() if isinstance(lr, schedules.LearningRateSchedule) else lr,
                "weight_decay": self.weight_decay, "clipnorm": self.clipnorm,
                "global_clipnorm": self.global_clipnorm}

    def get_state(self) -> dict[str, np.ndarray]:
        state = {"iterations": np.array(self.iterations, dtype=np.int64)}
        for slot_name, slot in self.slots.items():
            for key, array in slot.items():
                state[f"{slot_name}/{key}"] = array
        return state

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        self.iterations = int(state.get("iterations", 0))
        for name, array in state.items():
            if name == "iterations":
                continue
            slot_name, key = name.split("/", 1)
            self.slots[slot_name][key] = np.array(array)
            self._scratch[key] = np.empty_like(self.slots[slot_name][key])

    def __repr__(self):
        return f"{type(self).__name__}(learning_rate={self.learning_rate!r})"


def _scaled_to_norm(grad, max_norm, sizes=None):
    """grad scaled down to norm max_norm if longer; with ``sizes`` (positive element counts of the
    variables packed in grad) each piece is scaled on its own. Returns a new array or grad itself."""
    if sizes is None:
        norm = float(np.sqrt(np.vdot(grad, grad)))
        return grad * np.asarray(max_norm / norm, grad.dtype) if norm > max_norm else grad
    sizes = np.asarray(sizes)
    if sizes.sum() != grad.size or (sizes <= 0).any():
        raise ValueError(f"segments {sizes.tolist()} must be positive sizes that add up to the {grad.size} "
                         "elements of the gradient.")
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    norms = np.sqrt(np.add.reduceat(np.square(grad.ravel(), dtype=np.float64), starts))
    scales = np.minimum(1.0, max_norm / np.maximum(norms, np.finfo(np.float64).tiny)).astype(grad.dtype)
    return grad * np.repeat(scales, sizes).reshape(grad.shape)


class SGD(Optimizer):
    """SGD with optional (Nesterov) momentum and L2 weight decay, as torch.optim.SGD (dampening 0).

    g <- grad + weight_decay * p;  buf <- momentum * buf + g;
    p <- p - lr * (g + momentum * buf if nesterov else buf)
    """

    name = "sgd"
    slot_names = ("momentum",)

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=0.0, **kwargs):
        if not 0 <= momentum < 1:
            raise InputError(f"momentum must be in [0, 1), got {momentum!r}.")
        if nesterov and momentum == 0:
            raise InputError("nesterov=True needs a momentum > 0.")
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)
        if self.momentum == 0:
            self.slot_names = ()
        super().__init__(learning_rate, weight_decay=weight_decay, **kwargs)

    def _update(self, key, param, grad, lr, scratch):
        grad = self._with_l2(key, param, grad)
        if self.momentum:
            buf = self.slots["momentum"][key]
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

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class Adam(Optimizer):
    """Adam as torch.optim.Adam; ``weight_decay`` adds L2 to the gradient (AdamW decouples it).

    m <- b1 m + (1-b1) g;  v <- b2 v + (1-b2) g^2;
    p <- p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
    """

    name = "adam"
    slot_names = ("m", "v")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, weight_decay=0.0, **kwargs):
        super().__init__(learning_rate, weight_decay=weight_decay, **kwargs)
        for name, beta in (("beta_1", beta_1), ("beta_2", beta_2)):
            if not 0 <= beta < 1:
                raise InputError(f"{name} must be in [0, 1), got {beta!r}.")
        if not epsilon > 0:
            raise InputError(f"epsilon must be positive, got {epsilon!r}.")
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)

    def _update(self, key, param, grad, lr, scratch):
        grad = self._with_l2(key, param, grad)
        self._adam_step(key, param, grad, lr, scratch)

    def _adam_step(self, key, param, grad, lr, scratch):
        m, v = self.slots["m"][key], self.slots["v"][key]
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
        scratch *= 1 / np.sqrt(1 - self.beta_2 ** t)
        scratch += self.epsilon
        np.divide(m, scratch, out=scratch)
        scratch *= lr / (1 - self.beta_1 ** t)
        param -= scratch

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


class AdamW(Adam):
    """Adam with decoupled weight decay, as torch.optim.AdamW: p <- p * (1 - lr * weight_decay), then Adam."""

    name = "adamw"

    def __init__(self, learning_rate=0.001, weight_decay=0.004, **kwargs):
        super().__init__(learning_rate, weight_decay=weight_decay, **kwargs)

    def _update(self, key, param, grad, lr, scratch):
        if self.weight_decay:
            param *= 1 - lr * self.weight_decay
        self._adam_step(key, param, grad, lr, scratch)


class RMSprop(Optimizer):
    """RMSprop as torch.optim.RMSprop (rho is torch's alpha).

    v <- rho v + (1-rho) g^2;  step = g / (sqrt(v) + eps);  with momentum: buf <- momentum buf + step
    """

    name = "rmsprop"
    slot_names = ("v", "momentum")

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, weight_decay=0.0, **kwargs):
        if not 0 <= rho < 1:
            raise InputError(f"rho must be in [0, 1), got {rho!r}.")
        if not 0 <= momentum < 1:
            raise InputError(f"momentum must be in [0, 1), got {momentum!r}.")
        self.rho, self.momentum, self.epsilon = float(rho), float(momentum), float(epsilon)
        if self.momentum == 0:
            self.slot_names = ("v",)
        super().__init__(learning_rate, weight_decay=weight_decay, **kwargs)

    def _update(self, key, param, grad, lr, scratch):
        grad = self._with_l2(key, param, grad)
        v = self.slots["v"][key]
        np.multiply(grad, grad, out=scratch)
        scratch -= v
        scratch *= 1 - self.rho
        v += scratch
        np.sqrt(v, out=scratch)
        scratch += self.epsilon
        np.divide(grad, scratch, out=scratch)
        if self.momentum:
            buf = self.slots["momentum"][key]
            buf *= self.momentum
            buf += scratch
            np.multiply(buf, lr, out=scratch)
        else:
            scratch *= lr
        param -= scratch

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon}


OPTIMIZERS = {cls.name: cls for cls in (SGD, Adam, AdamW, RMSprop)}
# Other names for a class with some arguments set: "momentum" is SGD with Nesterov momentum 0.9.
ALIASES = {"momentum": ("sgd", {"momentum": 0.9, "nesterov": True})}


def names() -> list[str]:
    """Every name ``get`` accepts."""
    return sorted([*OPTIMIZERS, *ALIASES])


def get(identifier: str | dict | Optimizer, **kwargs) -> Optimizer:
    """Accept an Optimizer, a name ('sgd', 'momentum', 'adam', 'adamw', 'rmsprop') or a config dict.

    With a name, ``kwargs`` go to the constructor: ``get("adam", learning_rate=1e-3, weight_decay=0.01)``.
    """
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        config = dict(identifier)
        cls = lookup(config.pop("name"), OPTIMIZERS, "optimizer")
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.from_config(config["learning_rate"])
        return cls(**config)
    if isinstance(identifier, str):
        name, preset = ALIASES.get(identifier.lower(), (identifier, {}))
        return lookup(name, OPTIMIZERS, "optimizer")(**{**preset, **kwargs})
    raise InputTypeError(f"optimizer must be an Optimizer or a name such as 'adam', got {identifier!r}.")
