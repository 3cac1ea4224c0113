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

from collections.abc import Iterable

import numpy as np

from numpynn.errors import InputError
from numpynn.kernels.parallel import split_rows
from numpynn.nn import schedules
from numpynn.nn.schedules import LearningRateSchedule

FLUSH_EVERY = 50
_FLUSH_BELOW = {np.dtype("float32"): 1e-30, np.dtype("float64"): 1e-290}


class Optimizer:
    name = "optimizer"
    slot_names: tuple[str, ...] = ()
    l2_in_gradient = True  # weight_decay adds to the gradient (AdamW decays the weights instead)
    passes = 4  # about how many element-wise passes over the parameters one update makes

    def __init__(
        self,
        learning_rate: float | LearningRateSchedule = 0.01,
        weight_decay: float = 0.0,
        clipnorm: float | None = None,
        global_clipnorm: float | None = None,
    ):
        if isinstance(learning_rate, schedules.LearningRateSchedule):
            self.learning_rate = learning_rate
        else:
            if (
                isinstance(learning_rate, bool)
                or not isinstance(learning_rate, (int, float, np.floating))
                or not learning_rate > 0
            ):
                raise InputError(f"learning_rate must be a positive number or a schedule, got {learning_rate!r}.")
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
    def apply_gradients(
        self, variables: Iterable[tuple[str, np.ndarray, np.ndarray]], segments: dict[str, list[int]] | None = None
    ) -> None:
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
                raise ValueError(
                    f"The parameters under {key!r} changed shape since this optimizer's first step "
                    f"({self._scratch[key].shape} -> {param.shape}), e.g. a layer was added after "
                    "training; call model.compile again with a new optimizer."
                )
            if self.weight_decay and self.l2_in_gradient and key not in self._l2_buffers:
                self._l2_buffers[key] = np.empty_like(param)
            scratch = self._scratch[key]
            # Every rule is element-wise, so parts of the (packed) parameter update side by side on
            # the CPU's threads with the same result (numpynn/kernels/parallel.py).
            if param.ndim == 0:  # a scalar: `...` indexes it as a view
                self._update(key, param[...], grad[...], lr, scratch[...], ...)
                continue
            # split_rows runs every part before it returns, so the loop variables are still this key's.
            split_rows(
                lambda part: self._update(key, param[part], grad[part], lr, scratch[part], part),  # noqa: B023
                len(param),
                param.size * self.passes,
            )
        self.iterations += 1
        if self.iterations % FLUSH_EVERY == 0:
            self._flush_subnormals()

    def _update(self, key, param, grad, lr, scratch, part: slice) -> None:
        """Update ``param`` in place: the rows ``part`` of the parameter under ``key`` (param, grad and
        scratch are already those rows; the rule reads its state as ``self.slots[name][key][part]``)."""
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

    def _with_l2(self, key, param, grad, part: slice):
        """grad + weight_decay * param (classic L2, as torch's weight_decay), in a buffer of its own."""
        if not self.weight_decay:
            return grad
        buffer = self._l2_buffers[key][part]
        np.multiply(param, self.weight_decay, out=buffer)
        buffer += grad
        return buffer

    # ----- saving -----------------------------------------------------------------------------
    def get_config(self) -> dict:
        lr = self.learning_rate
        return {
            "name": self.name,
            "learning_rate": lr.get_config() if isinstance(lr, schedules.LearningRateSchedule) else lr,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
        }

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
        raise ValueError(
            f"segments {sizes.tolist()} must be positive sizes that add up to the {grad.size} elements of the gradient."
        )
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    norms = np.sqrt(np.add.reduceat(np.square(grad.ravel(), dtype=np.float64), starts))
    scales = np.minimum(1.0, max_norm / np.maximum(norms, np.finfo(np.float64).tiny)).astype(grad.dtype)
    return grad * np.repeat(scales, sizes).reshape(grad.shape)
