"""numpynn: a deep-learning library written from scratch in NumPy.

import numpynn as nn
model = nn.Sequential([nn.Dense(64, activation="relu", input_dim=30), nn.Dense(1, activation="sigmoid")])
model.compile(optimizer=nn.optimizers.Adam(1e-3), loss="binary_crossentropy", metrics=["accuracy"])
"""

from numpynn import utils
from numpynn._version import __version__
from numpynn.data import datasets, preprocessing
from numpynn.kernels.runtime import RuntimeSettings, configure_runtime, set_num_threads
from numpynn.models.gradcheck import GradcheckResult, gradcheck
from numpynn.models.saving import load_model
from numpynn.models.sequential import Sequential
from numpynn.nn import activations, initializers, layers, losses, metrics, optimizers, schedules
from numpynn.nn.layers import (
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
from numpynn.training import callbacks
from numpynn.utils import set_seed

__all__ = [
    "Activation",
    "AveragePooling2D",
    "BatchNormalization",
    "Conv2D",
    "Dense",
    "Dropout",
    "Flatten",
    "GlobalAveragePooling2D",
    "GRU",
    "LSTM",
    "MaxPooling2D",
    "SimpleRNN",
    "Embedding",
    "GlobalAveragePooling1D",
    "GlobalMaxPooling1D",
    "LayerNormalization",
    "Residual",
    "Bidirectional",
    "Conv1D",
    "GradcheckResult",
    "Layer",
    "RuntimeSettings",
    "Sequential",
    "__version__",
    "configure_runtime",
    "set_num_threads",
    "activations",
    "callbacks",
    "datasets",
    "gradcheck",
    "initializers",
    "layers",
    "load_model",
    "losses",
    "metrics",
    "optimizers",
    "preprocessing",
    "schedules",
    "set_seed",
    "utils",
]
