"""Layers: each keeps its forward and backward side by side (see ``base.Layer`` for the contract)."""
from .base import LAYERS, Layer, register
from .core import Activation, Dense, Flatten
from .dropout import Dropout

__all__ = ["LAYERS", "Layer", "register", "Activation", "Dense", "Dropout", "Flatten"]


def from_config(class_name: str, config: dict) -> Layer:
    """Rebuild a layer from ``get_config()`` output (no code is executed from the file)."""
    if class_name not in LAYERS:
        raise ValueError(f"Unknown layer type {class_name!r} in saved model. Known: {', '.join(sorted(LAYERS))}.")
    return LAYERS[class_name](**config)
