"""Callbacks: hooks that ``fit`` calls at the start and end of training, epochs and batches.

``logs`` at epoch end hold the epoch's metrics: loss, accuracy, val_loss, val_accuracy, lr, seconds.
A callback stops training by setting ``model.stop_training = True``.
"""
from .backup import BackupAndRestore
from .base import Callback, CallbackList, History
from .inspection import LayerStats
from .monitors import EarlyStopping, LearningRateScheduler, ModelCheckpoint, ReduceLROnPlateau, TerminateOnNaN
from .progress import EpochProgressBar, ProgressBar

__all__ = ["BackupAndRestore", "Callback", "CallbackList", "EarlyStopping", "EpochProgressBar", "History",
           "LayerStats", "LearningRateScheduler", "ModelCheckpoint", "ProgressBar", "ReduceLROnPlateau",
           "TerminateOnNaN"]
