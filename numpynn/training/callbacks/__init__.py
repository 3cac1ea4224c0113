"""Callbacks: hooks that ``fit`` calls at the start and end of training, epochs and batches.

``logs`` at epoch end hold the epoch's metrics: loss, accuracy, val_loss, val_accuracy, lr, seconds.
A callback stops training by setting ``model.stop_training = True``.
"""

from numpynn.training.callbacks.backup import BackupAndRestore
from numpynn.training.callbacks.base import Callback, CallbackList, History
from numpynn.training.callbacks.layer_stats import LayerStats
from numpynn.training.callbacks.monitors import (
    EarlyStopping,
    LearningRateScheduler,
    ModelCheckpoint,
    ReduceLROnPlateau,
    TerminateOnNaN,
)
from numpynn.training.callbacks.progress import EpochProgressBar, ProgressBar

__all__ = [
    "BackupAndRestore",
    "Callback",
    "CallbackList",
    "EarlyStopping",
    "EpochProgressBar",
    "History",
    "LayerStats",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "ProgressBar",
    "ReduceLROnPlateau",
    "TerminateOnNaN",
]
