"""Optimizers: arithmetic on parameters, in place (see ``base`` for the contract, ``rules`` for the updates)."""

from __future__ import annotations

from numpynn.errors import InputTypeError
from numpynn.nn import schedules
from numpynn.nn.optimizers.base import FLUSH_EVERY, Optimizer
from numpynn.nn.optimizers.rules import SGD, Adam, AdamW, RMSprop
from numpynn.utils import lookup

__all__ = ["FLUSH_EVERY", "SGD", "Adam", "AdamW", "Optimizer", "RMSprop", "get", "names"]

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
