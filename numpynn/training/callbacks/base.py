"""The callback contract, the list that dispatches to callbacks, and History.

``fit`` calls every hook through one ``CallbackList``: on_train_begin, then per epoch on_epoch_begin,
on_batch_end after each batch (logs: the epoch's running means so far) and on_epoch_end (logs: the
epoch's loss and metrics, val_* metrics, lr, seconds), then on_train_end. A callback stops training by
setting ``model.stop_training = True``; ``params`` holds epochs, steps (batches per epoch), verbose and
callbacks (all of them, in the order they are called).
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from numpynn.errors import InputTypeError
from numpynn.nn.layers import Layer
from numpynn.nn.optimizers import Optimizer
from numpynn.training.state import EpochProgress


class TrainedModel(Protocol):
    """What a callback may touch of the model it is given (a ``Sequential``, or any ``Trainer``).

    Read: ``layers``, ``optimizer``, ``parameters`` (every weight as one vector), ``history``,
    ``epoch_progress``, ``check_inputs``, ``get_weights``, ``save``. Write: ``stop_training``, and in
    ``on_train_begin`` only, ``initial_epoch`` and ``resume_progress`` (to resume a run), and the weights
    through ``set_weights``.
    """

    layers: list[Layer]
    optimizer: Optimizer | None
    history: Any  # the History callback of the running fit
    epoch_progress: EpochProgress | None
    stop_training: bool
    initial_epoch: int
    resume_progress: EpochProgress | None

    @property
    def parameters(self) -> np.ndarray: ...

    def check_inputs(self, x: Any, name: str = "X") -> np.ndarray: ...

    def get_weights(self) -> list[np.ndarray]: ...

    def set_weights(self, weights: list[np.ndarray]) -> None: ...

    def save(self, path: Any) -> None: ...


class Callback:
    """Hooks that ``fit`` calls; ``self.model`` is the model being trained (see ``TrainedModel``)."""

    def __init__(self):
        self.model: Any = None  # a TrainedModel once fit starts
        self.params: dict = {}

    def set_model(self, model: TrainedModel) -> None:
        self.model = model

    def set_params(self, params: dict) -> None:
        self.params = params

    def on_train_begin(self, logs: dict | None = None) -> None:
        pass

    def on_train_end(self, logs: dict | None = None) -> None:
        pass

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        pass

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        pass

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        pass

    # What a checkpoint keeps of this callback, so a resumed fit goes on exactly as an uninterrupted one:
    # JSON values, NumPy arrays or lists of arrays. Callbacks without state keep the defaults.
    def get_state(self) -> dict:
        return {}

    def set_state(self, state: dict) -> None:
        pass


class CallbackList:
    """Calls each hook on every callback, in order; ``fit`` talks to callbacks only through it."""

    def __init__(self, callbacks: list[Callback], model: TrainedModel, params: dict):
        for callback in callbacks:
            if not isinstance(callback, Callback):
                raise InputTypeError(f"callbacks must be numpynn Callback objects, got {type(callback).__name__}.")
        # A callback that restores state (BackupAndRestore) acts after every other one: it puts their state
        # back after their on_train_begin reset it, and saves it after their on_epoch_end updated it.
        self.callbacks = sorted(callbacks, key=lambda callback: getattr(callback, "restores_state", False))
        params = {**params, "callbacks": self.callbacks}
        for callback in self.callbacks:
            callback.set_model(model)
            callback.set_params(params)
        # Most callbacks ignore batches; fit then skips assembling the per-batch logs altogether.
        self._batch_callbacks = [
            callback for callback in self.callbacks if type(callback).on_batch_end is not Callback.on_batch_end
        ]

    @property
    def wants_batch_logs(self) -> bool:
        """Whether any callback acts on on_batch_end."""
        return bool(self._batch_callbacks)

    def on_train_begin(self, logs: dict | None = None) -> None:
        for callback in self.callbacks:
            callback.on_train_begin(logs)

    def on_train_end(self, logs: dict | None = None) -> None:
        for callback in self.callbacks:
            callback.on_train_end(logs)

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        for callback in self.callbacks:
            callback.on_epoch_begin(epoch, logs)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        for callback in self.callbacks:
            callback.on_epoch_end(epoch, logs)

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        for callback in self._batch_callbacks:
            callback.on_batch_end(batch, logs)


class History(Callback):
    """Records every epoch's logs: ``history.history["val_loss"][i]`` is epoch i's validation loss."""

    def __init__(self):
        super().__init__()
        self.history: dict[str, list] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.history, self.epoch = {}, []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
