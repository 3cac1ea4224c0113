"""Callbacks that act on the logs: stop early, lower the learning rate, save the best model, stop on NaN."""

from __future__ import annotations

import math
import os
from collections.abc import Callable

import numpy as np

from numpynn.errors import InputError, InputTypeError
from numpynn.training.callbacks.base import Callback


class _Monitor:
    """Tracks the best value of one logged quantity; 'auto' maximises accuracy/AUC and minimises the rest."""

    def __init__(self, owner: str, monitor: str, mode: str, min_delta: float):
        if mode not in ("auto", "min", "max"):
            raise InputError(f"{owner} mode must be 'auto', 'min' or 'max', got {mode!r}.")
        if mode == "auto":
            mode = "max" if any(word in monitor for word in ("acc", "auc", "f1", "precision", "recall")) else "min"
        self.owner, self.monitor, self.mode, self.min_delta = owner, monitor, mode, abs(float(min_delta))
        self.reset()

    def reset(self) -> None:
        """Forget the best value (at the start of every fit)."""
        self.best = math.inf if self.mode == "min" else -math.inf

    def value(self, logs) -> float:
        if self.monitor not in (logs or {}):
            available = ", ".join(sorted(logs or {}))
            hint = " (pass validation_data or validation_split to fit)" if self.monitor.startswith("val_") else ""
            raise InputError(
                f"{self.owner} monitors {self.monitor!r}, which is not logged{hint}; logged values: {available}."
            )
        return float(logs[self.monitor])

    def improved(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs.

    With ``restore_best_weights=True`` the best epoch's weights are put back when training ends, for
    whatever reason it ends (patience, the last epoch, a NaN).
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0.0,
        patience: int = 0,
        mode: str = "auto",
        restore_best_weights: bool = False,
        start_from_epoch: int = 0,
        verbose: int = 0,
    ):
        super().__init__()
        if patience < 0:
            raise InputError(f"patience must be >= 0, got {patience}.")
        self.monitor, self.min_delta, self.patience, self.mode = monitor, min_delta, int(patience), mode
        self.restore_best_weights, self.start_from_epoch, self.verbose = restore_best_weights, start_from_epoch, verbose
        self._tracker = _Monitor("EarlyStopping", monitor, mode, min_delta)

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._tracker.reset()
        self.wait, self.stopped_epoch, self.best_epoch, self.best_weights = 0, None, None, None

    @property
    def best(self) -> float:
        return self._tracker.best

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        value = self._tracker.value(logs)
        if epoch < self.start_from_epoch or not math.isfinite(value):
            return
        if self._tracker.improved(value):
            self._tracker.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            self.model.stop_training = True
            if self.verbose:
                print(
                    f"Early stopping at epoch {epoch + 1}: {self.monitor} last improved at epoch "
                    f"{self.best_epoch + 1} ({self.best:.5g})."
                )

    def get_state(self) -> dict:
        return {
            "best": self._tracker.best,
            "wait": self.wait,
            "stopped_epoch": self.stopped_epoch,
            "best_epoch": self.best_epoch,
            "best_weights": self.best_weights,
        }

    def set_state(self, state: dict) -> None:
        self._tracker.best, self.wait = state["best"], state["wait"]
        self.stopped_epoch, self.best_epoch, self.best_weights = (
            state["stopped_epoch"],
            state["best_epoch"],
            state["best_weights"],
        )

    def on_train_end(self, logs: dict | None = None) -> None:
        if self.restore_best_weights and self.best_weights is not None:
            self.model.set_weights(self.best_weights)
            if self.verbose:
                print(f"Restored the weights of epoch {self.best_epoch + 1} ({self.monitor} {self.best:.5g}).")


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` after ``patience`` epochs without improvement."""

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
        mode: str = "auto",
        verbose: int = 0,
    ):
        super().__init__()
        if not 0 < factor < 1:
            raise InputError(f"factor must be in (0, 1), got {factor}.")
        self.monitor, self.factor, self.patience, self.min_delta = monitor, factor, patience, min_delta
        self.cooldown, self.min_lr, self.mode, self.verbose = cooldown, min_lr, mode, verbose
        self._tracker = _Monitor("ReduceLROnPlateau", monitor, mode, min_delta)

    def on_train_begin(self, logs: dict | None = None) -> None:
        if not isinstance(self.model.optimizer.learning_rate, float):
            raise InputError("ReduceLROnPlateau needs an optimizer with a constant learning rate, not a schedule.")
        self._tracker.reset()
        self.wait, self.cooldown_left = 0, 0

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        value = self._tracker.value(logs)
        if self.cooldown_left > 0:
            self.cooldown_left -= 1
            self.wait = 0
        if self._tracker.improved(value):
            self._tracker.best, self.wait = value, 0
            return
        if self.cooldown_left > 0:
            return
        self.wait += 1
        if self.wait >= self.patience:
            optimizer = self.model.optimizer
            new_lr = max(optimizer.learning_rate * self.factor, self.min_lr)
            if new_lr < optimizer.learning_rate:
                if self.verbose:
                    print(f"Epoch {epoch + 1}: reducing learning rate to {new_lr:.3g}.")
                optimizer.learning_rate = new_lr
            self.wait, self.cooldown_left = 0, self.cooldown

    def get_state(self) -> dict:
        return {"best": self._tracker.best, "wait": self.wait, "cooldown_left": self.cooldown_left}

    def set_state(self, state: dict) -> None:
        self._tracker.best, self.wait, self.cooldown_left = state["best"], state["wait"], state["cooldown_left"]


class LearningRateScheduler(Callback):
    """Set the learning rate at each epoch start from ``schedule(epoch, current_lr) -> new_lr``."""

    def __init__(self, schedule: Callable[[int, float], float], verbose: int = 0):
        super().__init__()
        if not callable(schedule):
            raise InputTypeError("LearningRateScheduler needs a function schedule(epoch, lr) -> lr.")
        self.schedule, self.verbose = schedule, verbose

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        optimizer = self.model.optimizer
        if not isinstance(optimizer.learning_rate, float):
            raise InputError("LearningRateScheduler needs an optimizer with a constant learning rate, not a schedule.")
        new_lr = float(self.schedule(epoch, optimizer.learning_rate))
        if not new_lr > 0 or not math.isfinite(new_lr):
            raise InputError(f"The schedule returned an invalid learning rate {new_lr!r} at epoch {epoch}.")
        optimizer.learning_rate = new_lr


class ModelCheckpoint(Callback):
    """Save the model to ``filepath`` (may contain ``{epoch}``) whenever ``monitor`` improves.

    With ``save_best_only=False`` it saves after every epoch. Saves are atomic (temporary file, rename).
    """

    def __init__(
        self,
        filepath: str | os.PathLike,
        monitor: str = "val_loss",
        save_best_only: bool = True,
        mode: str = "auto",
        verbose: int = 0,
    ):
        super().__init__()
        self.filepath, self.monitor, self.save_best_only, self.mode = os.fspath(filepath), monitor, save_best_only, mode
        self.verbose = verbose
        self._tracker = _Monitor("ModelCheckpoint", monitor, mode, 0.0)

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._tracker.reset()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        path = self.filepath.format(epoch=epoch + 1)
        if not self.save_best_only:
            self.model.save(path)
            return
        value = self._tracker.value(logs)
        if math.isfinite(value) and self._tracker.improved(value):
            self._tracker.best = value
            self.model.save(path)
            if self.verbose:
                print(f"Epoch {epoch + 1}: {self.monitor} improved to {value:.5g}, saved {path}.")

    def get_state(self) -> dict:
        return {"best": self._tracker.best}

    def set_state(self, state: dict) -> None:
        self._tracker.best = state["best"]


class TerminateOnNaN(Callback):
    """Stop as soon as a batch loss is NaN or infinite (``fit`` also keeps the last finite weights)."""

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(loss):
            self.model.stop_training = True
