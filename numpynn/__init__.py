"""numpynn: a deep-learning library written from scratch in NumPy.

    import numpynn as nn
    model = nn.Sequential([nn.Dense(64, activation="relu", input_dim=30), nn.Dense(1, activation="sigmoid")])
    model.compile(optimizer=nn.optimizers.Adam(1e-3), loss="binary_crossentropy", metrics=["accuracy"])
"""
# ruff: noqa: E402 - the imports below must come after the process settings
from . import runtime

runtime.configure()  # before NumPy loads OpenBLAS: see numpynn/runtime.py

from . import (
               activations,
               callbacks,
               datasets,
               initializers,
               layers,
               losses,
               metrics,
               optimizers,
               preprocessing,
               schedules,
               utils,
)
from .gradcheck import GradcheckResult, gradcheck
from .layers import (
    GRU,
    LSTM,
    Activation,
    AveragePooling2D,
    BatchNormalization,
    Bidirectional,
    Conv1D,
    Conv2D,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalMaxPooling1D,
    Layer,
    LayerNormalization,
    MaxPooling2D,
    Residual,
    SimpleRNN,
)
from .models import Sequential
from .saving import load_model
from .utils import set_seed

__version__ = "0.1.0"

__all__ = [
    "Activation", "AveragePooling2D", "BatchNormalization", "Conv2D", "Dense", "Dropout", "Flatten",
    "GlobalAveragePooling2D", "GRU", "LSTM", "MaxPooling2D", "SimpleRNN", "Embedding",
    "GlobalAveragePooling1D", "GlobalMaxPooling1D", "LayerNormalization", "Residual", "Bidirectional", "Conv1D",
    "GradcheckResult", "Layer", "Sequential",
    "activations", "callbacks",
    "datasets",
    "gradcheck", "initializers", "layers", "load_model", "losses", "metrics", "optimizers", "preprocessing",
    "schedules", "set_seed", "utils",
]
