"""BackupAndRestore: a run that is stopped (Ctrl-C, a crash, a killed process) goes on where it stopped."""

from __future__ import annotations

import os
from pathlib import Path

from numpynn.errors import InputError
from numpynn.training.callbacks.base import Callback
from numpynn.training.checkpoints import load_checkpoint, restore_checkpoint, save_checkpoint

CHECKPOINT_NAME = "checkpoint.npz"


class BackupAndRestore(Callback):
    """Write a checkpoint into ``directory`` at the end of every epoch; at the start of ``fit``, if one is
    there, put the model, the optimizer, every callback and the random generators back to it and go on
    with the next epoch (as Keras's callback of the same name). With ``save_every`` it also checkpoints
    every that many batches inside an epoch, and a resumed fit goes on from that batch.

    The resumed run ends with the same weights, bit for bit, as one that was never stopped: everything
    that decides them is in the checkpoint (``numpynn.training.checkpoints``). With ``delete_on_finish`` the
    checkpoint is removed once training ends normally.
    """

    restores_state = True  # the CallbackList calls it after every other callback

    def __init__(self, directory: str | os.PathLike, delete_on_finish: bool = True, save_every: int | None = None):
        super().__init__()
        if save_every is not None and (
            isinstance(save_every, bool) or not isinstance(save_every, int) or save_every < 1
        ):
            raise InputError(f"save_every must be a positive number of batches or None, got {save_every!r}.")
        self.directory = Path(directory)
        self.delete_on_finish = delete_on_finish
        self.save_every = save_every
        self.resumed_from: int | None = None  # epochs done in the checkpoint that fit went on from
        self._epoch = 0

    @property
    def path(self) -> Path:
        return self.directory / CHECKPOINT_NAME

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.resumed_from = None
        if not self.path.is_file():
            return
        checkpoint = load_checkpoint(self.path)
        restore_checkpoint(checkpoint, self.model, self.params["callbacks"])
        self.resumed_from = checkpoint.epochs_done
        # Nothing is left to do when the checkpoint's run had stopped (early stopping) or had done every epoch.
        self.model.initial_epoch = self.params["epochs"] if checkpoint.stop_training else checkpoint.epochs_done
        self.model.resume_progress = checkpoint.epoch_progress  # None unless it was written mid-epoch

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._epoch = epoch

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self.save_every and (batch + 1) % self.save_every == 0 and batch + 1 < self.params["steps"]:
            save_checkpoint(
                self.path, self.model, self._epoch, self.params["callbacks"], progress=self.model.epoch_progress
            )

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        save_checkpoint(self.path, self.model, epoch + 1, self.params["callbacks"])

    def on_train_end(self, logs: dict | None = None) -> None:
        if self.delete_on_finish and self.path.is_file():
            self.path.unlink()
