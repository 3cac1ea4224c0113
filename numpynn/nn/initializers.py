"""Weight initializers: ``init(shape, fan_in, fan_out, rng, dtype) -> array``.

Normal variants use a truncated-free normal with std = sqrt(scale / fan); uniform variants draw from
[-limit, limit] with limit = sqrt(3 * scale / fan) so both have the same variance.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from numpynn.utils import lookup


def _variance_scaling(scale: float, mode: str, distribution: str) -> Callable[..., np.ndarray]:
    def init(
        shape: tuple, fan_in: float, fan_out: float, rng: np.random.Generator, dtype: str | np.dtype
    ) -> np.ndarray:
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
        variance = scale / max(1.0, fan)
        if distribution == "normal":
            values = rng.normal(0.0, np.sqrt(variance), size=shape)
        else:
            limit = np.sqrt(3.0 * variance)
            values = rng.uniform(-limit, limit, size=shape)
        return values.astype(dtype)

    return init


def zeros(shape: tuple, fan_in: float, fan_out: float, rng: np.random.Generator, dtype: str | np.dtype) -> np.ndarray:
    return np.zeros(shape, dtype=dtype)


INITIALIZERS = {
    "he_normal": _variance_scaling(2.0, "fan_in", "normal"),
    "he_uniform": _variance_scaling(2.0, "fan_in", "uniform"),
    "glorot_normal": _variance_scaling(1.0, "fan_avg", "normal"),
    "glorot_uniform": _variance_scaling(1.0, "fan_avg", "uniform"),
    "lecun_normal": _variance_scaling(1.0, "fan_in", "normal"),
    "lecun_uniform": _variance_scaling(1.0, "fan_in", "uniform"),
    "zeros": zeros,
}


def get(name: str) -> Callable[..., np.ndarray]:
    """Return the initializer function for ``name`` (or ``name`` itself if it is callable)."""
    if callable(name):
        return name
    return lookup(name, INITIALIZERS, "initializer")
