"""Layers: each keeps its forward and backward side by side (see ``base.Layer`` for the contract)."""

from numpynn.nn.layers.base import LAYERS, Layer, RemovableHandle, from_config, register
from numpynn.nn.layers.bidirectional import Bidirectional
from numpynn.nn.layers.blocks import Block, Residual
from numpynn.nn.layers.conv import Conv2D
from numpynn.nn.layers.conv1d import Conv1D
from numpynn.nn.layers.core import Activation, Dense, Flatten
from numpynn.nn.layers.dropout import Dropout
from numpynn.nn.layers.normalization import BatchNormalization, LayerNormalization
from numpynn.nn.layers.pooling import AveragePooling2D, GlobalAveragePooling2D, MaxPooling2D
from numpynn.nn.layers.recurrent import GRU, LSTM, SimpleRNN
from numpynn.nn.layers.sequence import Embedding, GlobalAveragePooling1D, GlobalMaxPooling1D

__all__ = [
    "LAYERS",
    "Layer",
    "RemovableHandle",
    "from_config",
    "register",
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
    "Block",
    "Residual",
    "Conv1D",
    "Bidirectional",
]
