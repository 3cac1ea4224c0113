"""The training loop: compile, fit, evaluate and predict, built from steps a subclass can override.

``fit`` is a loop over epochs and, inside it, over batches; each batch goes through
``train_step(x, y) -> logs``, each evaluation batch through ``test_step(x, y) -> (logs, outputs)``.
Callbacks only ever see logs, so a subclass that overrides a step (gradient accumulation, mixup, ...)
works with every callback. The building blocks of a step:

- ``compute_gradients(x, y) -> (loss, outputs)``: forward, loss and backward; gradients land in
  every layer's ``grads`` (and so in ``model.gradients``, all of them as one vector);
- ``apply_gradients()``: one optimizer update from those gradients;
- ``compute_metrics(y, outputs) -> dict``: the compiled metrics of one batch.

The fused output gradient: when the last layer ends in softmax (or sigmoid) and the loss is the
matching cross-entropy on probabilities, the model asks that layer for its logits and scores them with
the same loss ``from_logits``, whose gradient (prediction - target) goes straight back into the layer.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from numpynn.console import progress_bar
from numpynn.data.preprocessing import split_indices
from numpynn.errors import InputError
from numpynn.nn import losses, optimizers
from numpynn.nn import metrics as metrics_module
from numpynn.training.callbacks import CallbackList, History, ProgressBar
from numpynn.training.state import EpochProgress
from numpynn.utils import check_array, check_positive_int, check_same_length

# Large enough to keep BLAS busy, small enough that a conv layer's im2col buffer stays in the low 100s of MB.
PREDICT_BATCH_SIZE = 256


def steps_per_epoch(samples: int, batch_size: int) -> int:
    """Batches in one epoch over ``samples`` samples: the last one may be smaller."""
    return math.ceil(samples / batch_size)


def _batch_bar(verbose: int, batches: int, description: str):
    """A progress bar over ``batches`` batches when ``verbose`` (else one that shows nothing)."""
    return progress_bar(batches, description, "batch", leave=False, disable=not verbose)


class Trainer:
    """compile / fit / evaluate / predict for a model that provides ``forward``, ``backward`` and weights.

    A model class (``Sequential``) calls ``Trainer.__init__`` and provides ``layers``, ``rng``,
    ``check_inputs``, ``forward``, ``backward``, ``get_weights``/``set_weights``, the packed
    ``parameters``/``gradients``, ``packed_variables`` and ``parameter_segments`` (what the optimizer
    updates in one pass) and ``check_views``. Everything the loop itself reads and writes is declared here.
    """

    def __init__(self) -> None:
        # Set by compile.
        self.optimizer: optimizers.Optimizer | None = None
        self.loss: losses.Loss | None = None
        self.metric_names: list[str] = []
        self._metric_fns: dict[str, Callable] = {}
        self.scores_logits = False  # whether the loss scores the last layer's logits
        self.scoring_loss: losses.Loss | None = None
        # Set by fit, read by callbacks.
        self.history: History | None = None
        self.epoch_progress: EpochProgress | None = None  # how far the current epoch is
        # Can be set by callbacks: stop after this batch or epoch (EarlyStopping, TerminateOnNaN).
        self.stop_training = False
        # Can be set by callbacks in on_train_begin, to resume (BackupAndRestore): the epoch to start from,
        # and how far into it the run had come (None: from its first batch).
        self.initial_epoch = 0
        self.resume_progress: EpochProgress | None = None

    def compile(
        self,
        optimizer: str | optimizers.Optimizer = "adam",
        loss: str | losses.Loss | None = None,
        metrics: str | list[str] | None = None,
    ) -> None:
        """Choose the optimizer, the loss and the metrics to track (names or objects)."""
        if loss is None:
            raise InputError("compile needs a loss, e.g. loss='sparse_categorical_crossentropy'.")
        self.optimizer = optimizers.get(optimizer)
        self.loss = losses.get(loss)
        names = [metrics] if isinstance(metrics, str) else list(metrics or [])
        self._metric_fns = {name: metrics_module.get_model_metric(name) for name in names}
        self.metric_names = names
        self._choose_scoring_loss()

    def _choose_scoring_loss(self) -> None:
        """Score the last layer's logits (the fused gradient) when its activation matches the loss."""
        last = self.layers[-1] if self.layers else None
        self.scores_logits = (
            self.loss is not None
            and last is not None
            and not self.loss.from_logits
            and last.fused_activation is not None
            and last.fused_activation == self.loss.fused_activation
        )
        self.scoring_loss = self.loss.as_from_logits() if self.scores_logits else self.loss

    def _check_compiled(self, what: str) -> None:
        if self.optimizer is None or self.loss is None:
            raise RuntimeError(f"Call model.compile(optimizer=..., loss=...) before {what}.")

    def _check_data(self, x, y, x_name: str = "X", y_name: str = "y") -> tuple[np.ndarray, np.ndarray]:
        x = self.check_inputs(x, x_name)
        y = check_array(y, y_name)
        check_same_length(x, y, x_name, y_name)
        return x, self.loss.prepare_targets(y, self.output_shape)

    # ----- steps ------------------------------------------------------------------------------
    def outputs_and_scores(self, x: np.ndarray, training: bool) -> tuple[np.ndarray, np.ndarray]:
        """The model's outputs and what the loss scores: the last layer's logits when fused, else the outputs."""
        if self.scores_logits:
            return self.forward(x, training=training, with_logits=True)
        outputs = self.forward(x, training=training)
        return outputs, outputs

    def compute_gradients(self, x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        """Forward (training mode), loss and backward for one batch: (mean loss, outputs).

        The gradients are written into every layer's ``grads``; nothing is updated yet.
        """
        outputs, scores = self.outputs_and_scores(x, training=True)
        loss_value, grad = self.scoring_loss.value_and_grad(scores, y)
        self.backward(grad, from_logits=self.scores_logits)
        return loss_value, outputs

    def apply_gradients(self) -> None:
        """One optimizer update of every parameter from the gradients in the layers' ``grads``."""
        self.optimizer.apply_gradients(self.packed_variables, self.parameter_segments)

    def compute_metrics(self, y: np.ndarray, outputs: np.ndarray) -> dict:
        """The compiled metrics of one batch: {"accuracy": ...}."""
        return {name: fn(y, outputs, self.loss.threshold) for name, fn in self._metric_fns.items()}

    def train_step(self, x: np.ndarray, y: np.ndarray) -> dict:
        """One training batch: gradients, one update; returns the batch's logs {"loss": ..., metrics...}."""
        loss_value, outputs = self.compute_gradients(x, y)
        self.apply_gradients()
        return {"loss": loss_value, **self.compute_metrics(y, outputs)}

    def test_step(self, x: np.ndarray, y: np.ndarray) -> tuple[dict, np.ndarray]:
        """One evaluation batch, no gradient: (logs {"loss": ..., metrics...}, outputs)."""
        outputs, scores = self.outputs_and_scores(x, training=False)
        return {"loss": self.scoring_loss.value(scores, y), **self.compute_metrics(y, outputs)}, outputs

    def predict_step(self, x: np.ndarray) -> np.ndarray:
        """The outputs for one batch, inference mode."""
        return self.forward(x, training=False)

    # ----- loops ------------------------------------------------------------------------------
    def fit(
        self,
        x: ArrayLike,
        y: ArrayLike,
        batch_size: int = 32,
        epochs: int = 1,
        verbose: int = 1,
        callbacks: list | None = None,
        validation_split: float = 0.0,
        validation_data: tuple | None = None,
        shuffle: bool = True,
        augment: Callable | None = None,
        initial_epoch: int = 0,
    ) -> History:
        """Train for ``epochs`` passes over (x, y). Returns the History callback.

        x: (samples, *input_shape); y: (samples,) labels or (samples, outputs) targets.
        verbose: 0 silent, 1 a progress bar per epoch, 2 one line per epoch.
        augment: optional ``fn(x_batch, rng) -> x_batch`` applied to every training batch (for example
            ``preprocessing.random_shift``); validation data is never augmented.
        initial_epoch: the epoch to start at (the ones before it count as done); a callback may move it in
            on_train_begin (``BackupAndRestore`` does, to go on from its checkpoint).
        If the loss stops being finite, training stops with a warning and the weights of the last
        finite epoch are kept.
        """
        self._check_compiled("fit")
        batch_size = check_positive_int(batch_size, "batch_size")
        epochs = check_positive_int(epochs, "epochs")
        x, y = self._check_data(x, y)
        x, y, validation = self._split_validation(x, y, validation_data, validation_split)
        self.history = History()
        progress = [ProgressBar(verbose)] if verbose else []
        callback_list = CallbackList(
            [self.history, *progress, *(callbacks or [])],
            self,
            {"epochs": epochs, "steps": steps_per_epoch(len(x), batch_size), "verbose": verbose},
        )
        self.stop_training = False
        self.initial_epoch = initial_epoch
        callback_list.on_train_begin()
        last_finite_weights = self.get_weights()
        with np.errstate(over="ignore", invalid="ignore"):  # a diverging run is caught by its loss
            for epoch in range(self.initial_epoch, epochs):
                callback_list.on_epoch_begin(epoch)
                start = time.perf_counter()
                logs = self._fit_epoch(x, y, batch_size, shuffle, augment, callback_list)
                lr = self.epoch_progress.learning_rate
                if not math.isfinite(logs["loss"]):
                    self.set_weights(last_finite_weights)
                    warnings.warn(
                        f"The loss became {logs['loss']} in epoch {epoch + 1}; training stopped and the "
                        "weights of the last finite epoch were kept. Lower the learning rate or scale "
                        "the inputs.",
                        RuntimeWarning,
                        stacklevel=2,
                    )
                    break
                if validation is not None:
                    logs.update({f"val_{k}": v for k, v in self._evaluate_checked(*validation)[0].items()})
                logs.update(lr=lr, seconds=time.perf_counter() - start)
                last_finite_weights = self.get_weights()
                callback_list.on_epoch_end(epoch, logs)
                if self.stop_training:
                    break
        callback_list.on_train_end()
        return self.history

    def _fit_epoch(self, x, y, batch_size, shuffle, augment, callback_list) -> dict:
        """One pass over (x, y) in batches: the epoch's mean logs (cut short once the loss is not finite).

        ``self.epoch_progress`` says how far the epoch is, for a callback that checkpoints mid-epoch; an
        ``EpochProgress`` left in ``self.resume_progress`` (by BackupAndRestore) is picked up where it stopped.
        """
        progress, self.resume_progress = self.resume_progress, None
        if progress is None:
            order = self.rng.permutation(len(x)) if shuffle else np.arange(len(x))
            progress = EpochProgress(order, 0, metrics_module.RunningMeans(), self.optimizer.current_learning_rate())
        self.epoch_progress = progress
        means = progress.means
        for batch, start in enumerate(range(0, len(x), batch_size)):
            if batch < progress.next_batch:
                continue  # done before the checkpoint this fit resumed from
            index = progress.order[start : start + batch_size]
            x_batch, y_batch = x[index], y[index]
            if augment is not None:
                x_batch = augment(x_batch, self.rng)
            logs = self.train_step(x_batch, y_batch)
            means.add(logs, len(index))
            progress.next_batch = batch + 1
            if callback_list.wants_batch_logs:
                callback_list.on_batch_end(batch, means.result())
            if self.stop_training or not math.isfinite(logs["loss"]):
                break
        self.check_views()  # once per epoch: a layer that rebinds its arrays does it on every step
        return means.result()

    def _split_validation(self, x, y, validation_data, validation_split):
        """(x_train, y_train, (x_val, y_val) or None) from fit's validation arguments."""
        if validation_data is not None:
            if len(validation_data) != 2:
                raise InputError("validation_data must be a pair (X_val, y_val).")
            return x, y, self._check_data(*validation_data, "X_val", "y_val")
        if not validation_split:
            return x, y, None
        if not 0 < validation_split < 1:
            raise InputError(f"validation_split must be in (0, 1), got {validation_split}.")
        stratify = metrics_module.labels_from_targets(y) if self.loss.classification else None
        train_idx, val_idx = split_indices(len(x), validation_split, stratify, self.rng)
        return x[train_idx], y[train_idx], (x[val_idx], y[val_idx])

    def evaluate(
        self, x: ArrayLike, y: ArrayLike, batch_size: int | None = None, verbose: int = 0, return_outputs: bool = False
    ) -> dict | tuple[dict, np.ndarray]:
        """Loss and compiled metrics on (x, y): {"loss": ..., "accuracy": ...}.

        With ``return_outputs`` also the model outputs it computed on the way, as (scores, outputs),
        so a caller that needs both makes one pass over the data instead of two. ``verbose=1`` shows a
        progress bar over the batches (on stderr).
        """
        self._check_compiled("evaluate")
        x, y = self._check_data(x, y)
        scores, outputs = self._evaluate_checked(x, y, batch_size, verbose)
        return (scores, outputs) if return_outputs else scores

    def _evaluate_checked(self, x, y, batch_size=None, verbose: int = 0) -> tuple[dict, np.ndarray]:
        batch_size = check_positive_int(batch_size or PREDICT_BATCH_SIZE, "batch_size")
        means, all_outputs = metrics_module.RunningMeans(), []
        with _batch_bar(verbose, steps_per_epoch(len(x), batch_size), "evaluate") as bar:
            for start in range(0, len(x), batch_size):
                logs, outputs = self.test_step(x[start : start + batch_size], y[start : start + batch_size])
                means.add(logs, len(outputs))
                all_outputs.append(outputs)
                bar.update()
        return means.result(), np.concatenate(all_outputs)

    def predict(self, x: ArrayLike, batch_size: int | None = None, verbose: int = 0) -> np.ndarray:
        """Model outputs for x, computed in batches: (samples, *output_shape); ``verbose=1`` shows a
        progress bar over the batches (on stderr)."""
        x = self.check_inputs(x)
        batch_size = check_positive_int(batch_size or PREDICT_BATCH_SIZE, "batch_size")
        outputs = []
        with _batch_bar(verbose, steps_per_epoch(len(x), batch_size), "predict") as bar:
            for start in range(0, len(x), batch_size):
                outputs.append(self.predict_step(x[start : start + batch_size]))
                bar.update()
        return np.concatenate(outputs)

    def predict_labels(self, x: ArrayLike, batch_size: int | None = None) -> np.ndarray:
        """Class ids: argmax of the outputs, or for one output a threshold (0 for logits, 0.5 for probabilities)."""
        threshold = self.loss.threshold if self.loss is not None else 0.5
        return metrics_module.labels_from_outputs(self.predict(x, batch_size), threshold)
