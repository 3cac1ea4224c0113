"""Learning-rate schedules: ``schedule(step) -> learning rate``.

``step`` counts optimizer updates (batches), starting at 0, so "decay" here is per step unless a
schedule's ``decay_steps`` says otherwise (set decay_steps = steps per epoch to decay per epoch).
Each schedule also accepts an array of steps, which is what the plots use.
"""

from __future__ import annotations

import numpy as np

from numpynn.errors import InputError
from numpynn.utils import lookup


class LearningRateSchedule:
    name = "schedule"

    def __call__(self, step: int | np.ndarray) -> float | np.ndarray:
        raise NotImplementedError

    def get_config(self) -> dict:
        raise NotImplementedError

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "name")
        return f"{type(self).__name__}({args})"


def _as_float(value, step):
    return float(value) if np.ndim(step) == 0 else value


def _check_positive(value, name):
    if not value > 0:
        raise InputError(f"{name} must be positive, got {value!r}.")
    return value


class InverseTimeDecay(LearningRateSchedule):
    """lr / (1 + decay_rate * step / decay_steps): the classic "SGD with decay"."""

    name = "inverse_time_decay"

    def __init__(
        self, initial_learning_rate: float, decay_steps: int = 1, decay_rate: float = 1e-3, staircase: bool = False
    ):
        self.initial_learning_rate = float(_check_positive(initial_learning_rate, "initial_learning_rate"))
        self.decay_steps = float(_check_positive(decay_steps, "decay_steps"))
        self.decay_rate = float(decay_rate)
        self.staircase = bool(staircase)

    def __call__(self, step: int | np.ndarray) -> float | np.ndarray:
        t = np.asarray(step, dtype=np.float64) / self.decay_steps
        if self.staircase:
            t = np.floor(t)
        return _as_float(self.initial_learning_rate / (1 + self.decay_rate * t), step)

    def get_config(self) -> dict:
        return {
            "name": self.name,
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
        }


class ExponentialDecay(LearningRateSchedule):
    """lr * decay_rate ** (step / decay_steps)."""

    name = "exponential_decay"

    def __init__(self, initial_learning_rate: float, decay_steps: int, decay_rate: float, staircase: bool = False):
        self.initial_learning_rate = float(_check_positive(initial_learning_rate, "initial_learning_rate"))
        self.decay_steps = float(_check_positive(decay_steps, "decay_steps"))
        self.decay_rate = float(_check_positive(decay_rate, "decay_rate"))
        self.staircase = bool(staircase)

    def __call__(self, step: int | np.ndarray) -> float | np.ndarray:
        t = np.asarray(step, dtype=np.float64) / self.decay_steps
        if self.staircase:
            t = np.floor(t)
        return _as_float(self.initial_learning_rate * self.decay_rate**t, step)

    def get_config(self) -> dict:
        return {
            "name": self.name,
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
        }


class PiecewiseConstantDecay(LearningRateSchedule):
    """values[i] while boundaries[i-1] < step <= boundaries[i] (Keras's convention)."""

    name = "piecewise_constant_decay"

    def __init__(self, boundaries: list[int], values: list[float]):
        if len(values) != len(boundaries) + 1:
            raise InputError(
                f"PiecewiseConstantDecay needs one more value than boundaries, got {len(boundaries)} "
                f"boundaries and {len(values)} values."
            )
        if list(boundaries) != sorted(boundaries):
            raise InputError(f"boundaries must be increasing, got {list(boundaries)}.")
        self.boundaries = [float(b) for b in boundaries]
        self.values = [float(v) for v in values]

    def __call__(self, step: int | np.ndarray) -> float | np.ndarray:
        index = np.searchsorted(np.asarray(self.boundaries), np.asarray(step, dtype=np.float64), side="left")
        return _as_float(np.asarray(self.values)[index], step)

    def get_config(self) -> dict:
        return {"name": self.name, "boundaries": self.boundaries, "values": self.values}


class CosineDecay(LearningRateSchedule):
    """Optional linear warm-up, then cosine decay to alpha * peak over decay_steps.

    Without ``warmup_target`` there is no warm-up and the peak is ``initial_learning_rate``. With it,
    the rate climbs linearly from ``initial_learning_rate`` to ``warmup_target`` over ``warmup_steps``.
    """

    name = "cosine_decay"

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        alpha: float = 0.0,
        warmup_target: float | None = None,
        warmup_steps: int = 0,
    ):
        self.initial_learning_rate = float(initial_learning_rate)
        if self.initial_learning_rate < 0:
            raise InputError(f"initial_learning_rate must be >= 0, got {initial_learning_rate}.")
        self.decay_steps = float(_check_positive(decay_steps, "decay_steps"))
        self.alpha = float(alpha)
        self.warmup_target = None if warmup_target is None else float(warmup_target)
        self.warmup_steps = float(warmup_steps)
        if self.warmup_steps < 0:
            raise InputError(f"warmup_steps must be >= 0, got {warmup_steps}.")

    def __call__(self, step: int | np.ndarray) -> float | np.ndarray:
        t = np.asarray(step, dtype=np.float64)
        peak = self.initial_learning_rate if self.warmup_target is None else self.warmup_target
        decay_t = np.clip(t - self.warmup_steps, 0, self.decay_steps) / self.decay_steps
        cosine = 0.5 * (1 + np.cos(np.pi * decay_t))
        lr = peak * ((1 - self.alpha) * cosine + self.alpha)
        if self.warmup_target is not None and self.warmup_steps > 0:
            warm = self.initial_learning_rate + (peak - self.initial_learning_rate) * t / self.warmup_steps
            lr = np.where(t < self.warmup_steps, warm, lr)
        return _as_float(lr, step)

    def get_config(self) -> dict:
        return {
            "name": self.name,
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }


SCHEDULES = {cls.name: cls for cls in (InverseTimeDecay, ExponentialDecay, PiecewiseConstantDecay, CosineDecay)}


def from_config(config: dict) -> LearningRateSchedule:
    config = dict(config)
    return lookup(config.pop("name"), SCHEDULES, "learning-rate schedule")(**config)


# The schedules a run names in one word (``numpynn train --schedule``).
NAMES = ("constant", "inverse-time", "exponential", "cosine", "step")


def from_name(
    name: str, learning_rate: float, decay: float = 0.0, steps_per_epoch: int = 1, epochs: int = 1
) -> float | LearningRateSchedule:
    """A learning rate for a run of ``epochs`` x ``steps_per_epoch`` steps, from one word.

    constant: ``learning_rate`` (inverse-time instead if ``decay`` is given); inverse-time:
    lr / (1 + decay * step); exponential: ``decay`` is the factor per epoch (default 0.9); cosine: a
    warm-up from lr / 10 over at most one epoch, then a cosine decay to 1 % of lr; step: lr, then lr / 10
    at half of the steps and lr / 100 at three quarters.
    """
    name = lookup(name, {known: known for known in NAMES}, "learning-rate schedule")
    total_steps = steps_per_epoch * epochs
    if decay and name == "constant":
        name = "inverse-time"
    if name == "inverse-time":
        return InverseTimeDecay(learning_rate, decay_steps=1, decay_rate=decay or 1e-3)
    if name == "exponential":
        return ExponentialDecay(learning_rate, decay_steps=steps_per_epoch, decay_rate=decay or 0.9)
    if name == "cosine":
        warmup = min(steps_per_epoch, max(total_steps // 10, 1))
        return CosineDecay(
            learning_rate / 10,
            decay_steps=max(total_steps - warmup, 1),
            alpha=0.01,
            warmup_target=learning_rate,
            warmup_steps=warmup,
        )
    if name == "step":
        boundaries = [int(total_steps * f) for f in (0.5, 0.75)]
        return PiecewiseConstantDecay(boundaries, [learning_rate, learning_rate / 10, learning_rate / 100])
    return learning_rate
