"""Progress bars (tqdm, plain text: they work in terminals and notebooks alike)."""

from __future__ import annotations

import sys

from numpynn.console import progress_bar
from numpynn.training.callbacks.base import Callback

# Refresh the per-batch numbers every this many batches: formatting them costs more than a small batch.
POSTFIX_EVERY = 20


def format_logs(logs: dict) -> dict:
    """Logs as short strings: 4 significant digits, seconds to a tenth."""
    return {key: (f"{value:.1f}" if key == "seconds" else f"{value:.4g}") for key, value in logs.items()}


class ProgressBar(Callback):
    """What ``fit(verbose=...)`` shows: 1 a bar per epoch with the running loss and metrics, 2 a line per epoch."""

    def __init__(self, verbose: int = 1):
        super().__init__()
        self.verbose = verbose
        self._bar = None

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        if self.verbose == 1:
            self._bar = progress_bar(
                self.params["steps"], f"Epoch {epoch + 1}/{self.params['epochs']}", "batch", leave=True, mininterval=0.2
            )

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self._bar is None:
            return
        self._bar.update(1)
        if batch % POSTFIX_EVERY == 0 or batch == self.params["steps"] - 1:
            self._bar.set_postfix(format_logs(logs or {}), refresh=False)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self._bar is not None:
            self._bar.set_postfix(format_logs(logs or {}), refresh=False)
            self._close()
        elif self.verbose == 2:
            print(
                f"Epoch {epoch + 1}/{self.params['epochs']} - "
                + " - ".join(f"{k}: {v}" for k, v in format_logs(logs or {}).items()),
                file=sys.stderr,
            )

    def on_train_end(self, logs: dict | None = None) -> None:
        self._close()  # an epoch cut short (a NaN loss) leaves its bar open

    def _close(self):
        if self._bar is not None:
            self._bar.close()
            self._bar = None


class EpochProgressBar(Callback):
    """One progress bar over all epochs (instead of one per epoch), for runs of many short epochs."""

    def __init__(self, epochs: int | None = None):
        super().__init__()
        self.epochs = epochs
        self._bar = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._bar = progress_bar(self.epochs or self.params.get("epochs"), "Training", "epoch")

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        shown = {k: v for k, v in format_logs(logs or {}).items() if k != "seconds"}
        self._bar.set_postfix(shown, refresh=False)
        self._bar.update(1)

    def on_train_end(self, logs: dict | None = None) -> None:
        if self._bar is not None:
            self._bar.close()
