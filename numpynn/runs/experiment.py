"""The pipeline behind ``numpynn train``: prepare the data, build, train, evaluate, write a run folder.

``fit_and_evaluate`` trains and evaluates and writes nothing; ``train`` also writes the run folder
(``runs.py``). The options and their defaults are in ``options.py``, the splits in ``preparation.py``.
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from numpynn._version import __version__
from numpynn.console import say_nothing
from numpynn.data.preprocessing import TargetScaler, random_shift
from numpynn.data.sources import PreparedData, dataset_kind, prepare_data
from numpynn.errors import UsageError
from numpynn.models.sequential import Sequential
from numpynn.models.specs import build_model, is_convolutional
from numpynn.nn import losses, optimizers, schedules
from numpynn.nn.metrics import (
    confusion_matrix,
    labels_from_outputs,
    precision_recall_f1,
    prediction_confidence,
    regression_scores,
    roc_auc,
)
from numpynn.runs import options
from numpynn.runs.run_folder import RunFolder
from numpynn.training import callbacks
from numpynn.training.checkpoints import load_checkpoint
from numpynn.training.trainer import steps_per_epoch

MISCLASSIFIED_LISTED = 100  # in metrics.json and the report; MNIST errors run to about a hundred
# Runs with fewer batches per epoch than this get one progress bar over the epochs instead of one per epoch.
BAR_PER_EPOCH_FROM = 50
INSPECT_SAMPLES = 256  # the fixed validation batch --inspect computes activation statistics on


@dataclass
class TrainingResult:
    """What a training run produced: the trained model, its data, the History's logs, the metrics of
    every split (as in metrics.json) and every setting (as in config.json)."""

    model: Sequential
    data: PreparedData
    history: dict
    metrics: dict
    config: dict
    layer_stats: callbacks.LayerStats | None = None  # with --inspect: the per-layer statistics


def evaluate_split(
    model: Sequential,
    x: np.ndarray,
    y: np.ndarray,
    class_names: list,
    rows: np.ndarray | None = None,
    files: list[str] | None = None,
) -> dict:
    """Loss, accuracy, confusion matrix and per-class scores of ``model`` on one split.

    With ``rows`` (where each sample came from) the result also lists the misclassified samples,
    the most confident mistakes first (at most MISCLASSIFIED_LISTED of them), with their ``files`` if given.
    """
    evaluation, outputs = model.evaluate(x, y, return_outputs=True)
    predicted = labels_from_outputs(outputs)
    k = len(class_names)
    scores = precision_recall_f1(y, predicted, k)
    result = {
        "accuracy": float(np.mean(predicted == y)),
        "loss": float(evaluation["loss"]),
        "samples": int(len(y)),
        "confusion_matrix": confusion_matrix(y, predicted, k).tolist(),
        "per_class": {
            str(name): {
                "precision": float(scores["precision"][i]),
                "recall": float(scores["recall"][i]),
                "f1": float(scores["f1"][i]),
                "support": int(scores["support"][i]),
            }
            for i, name in enumerate(class_names)
        },
        "macro": scores["macro"],
        "weighted": scores["weighted"],
    }
    if k == 2:
        result["roc_auc"] = roc_auc(y, outputs[:, 0])
    if rows is not None:
        result["misclassified"] = _misclassified(outputs, predicted, y, class_names, rows, files)
    return result


def _misclassified(outputs, predicted, y, class_names, rows, files) -> list[dict]:
    confidence = prediction_confidence(outputs, predicted)
    wrong = np.flatnonzero(predicted != y)
    wrong = wrong[np.argsort(-confidence[wrong], kind="stable")][:MISCLASSIFIED_LISTED]
    return [
        {
            "row": int(rows[i]),
            **({"file": files[i]} if files is not None else {}),
            "true": str(class_names[y[i]]),
            "predicted": str(class_names[predicted[i]]),
            "confidence": round(float(confidence[i]), 4),
        }
        for i in wrong
    ]


def evaluate_regression(model: Sequential, x: np.ndarray, y: np.ndarray, target: TargetScaler, baseline: float) -> dict:
    """Loss (on standardised targets), MAE, RMSE and R^2 in the target's own units, and the same scores of
    the baseline that always predicts ``baseline`` (the training targets' mean)."""
    evaluation, outputs = model.evaluate(x, y, return_outputs=True)
    y_true = target.inverse_transform(y)
    predicted = target.inverse_transform(outputs[:, 0])
    return {
        **regression_scores(y_true, predicted),
        "loss": float(evaluation["loss"]),
        "samples": int(len(y)),
        "baseline": regression_scores(y_true, np.full(len(y), baseline)),
    }


def prepare_run_data(
    config: dict, channels_last: bool, log: Callable[[str], None] = say_nothing, progress: bool = False
) -> PreparedData:
    """The splits a run's settings describe (the same ones again for a run folder's config.json)."""
    return prepare_data(
        config["dataset"],
        config.get("target"),
        config["seed"],
        config["val_size"],
        config["test_size"],
        channels_last=channels_last,
        image_size=config.get("image_size"),
        color=config.get("color"),
        log=log,
        progress=progress,
        table_options=options.table_options(config),
        task=config.get("task") or "auto",
    )


def compiled_model(config: dict, data: PreparedData) -> Sequential:
    """The model, optimizer and loss a run's settings describe, for the shapes of ``data``."""
    model = build_model(config["model"], data.x_train.shape[1:], len(data.class_names), seed=config["seed"])
    steps = steps_per_epoch(len(data.x_train), config["batch_size"])
    learning_rate = schedules.from_name(config["schedule"], config["lr"], config["lr_decay"], steps, config["epochs"])
    optimizer = optimizers.get(config["optimizer"], learning_rate=learning_rate, weight_decay=config["weight_decay"])
    if data.task == "regression":
        model.compile(optimizer=optimizer, loss=losses.get(config["loss"] or "mse"), metrics=["mae"])
        return model
    loss = "binary_crossentropy" if len(data.class_names) == 2 else "sparse_categorical_crossentropy"
    model.compile(optimizer=optimizer, loss=losses.get(loss), metrics=["accuracy"])
    return model


def fit_and_evaluate(
    dataset: str,
    quiet: bool = True,
    target: str | None = None,
    log: Callable[[str], None] = print,
    data: PreparedData | None = None,
    extra_callbacks: list | None = None,
    **given,
) -> TrainingResult:
    """Train on one split and evaluate on train/val/test, writing nothing (but what ``extra_callbacks`` do).

    ``given``: training options by key (see ``options.OPTIONS``); the rest take the dataset's defaults.
    ``data`` supplies splits made elsewhere (for example a benchmark's own split procedure); by default
    the dataset is loaded and split by ``prepare_data`` with the configured seed.
    """
    config = {**options.resolve(dataset_kind(dataset), dataset, **given), "dataset": dataset, "target": target}
    return fit_resolved(config, quiet, log, data, extra_callbacks)


def fit_resolved(
    config: dict,
    quiet: bool = True,
    log: Callable[[str], None] = print,
    data: PreparedData | None = None,
    extra_callbacks: list | None = None,
) -> TrainingResult:
    """``fit_and_evaluate`` for settings resolved already (``options.resolve`` plus "dataset" and "target",
    as config.json holds them): nothing is resolved or checked a second time."""
    config = dict(config)  # the result's config gains the data's names and shapes; the caller's stays as it was
    dataset = config["dataset"]
    if data is None:
        data = prepare_run_data(
            config, is_convolutional(config["model"]), log=say_nothing if quiet else log, progress=not quiet
        )
    if dataset.startswith("images:"):  # what was chosen from the images, so the reproduce command says it
        config["image_size"], config["color"] = data.preprocessing["image_size"], data.preprocessing["color"]
    config["task"] = data.task
    if not quiet and data.task_reason:
        log(f"{dataset}: {data.task} ({data.task_reason})")
    model = compiled_model(config, data)
    if not quiet:
        what = f"{len(data.class_names)} classes" if data.class_names else "regression"
        log(
            f"{dataset}: {len(data.x_train)} train / {len(data.x_val)} validation / {len(data.x_test)} test samples, "
            f"{what}; model {config['model']} ({model.count_params():,} parameters), "
            f"{config['optimizer']} lr {config['lr']} ({config['schedule']})"
            + (f", weight decay {config['weight_decay']}" if config["weight_decay"] else "")
        )
    start = time.perf_counter()
    layer_stats = callbacks.LayerStats(data.x_val[:INSPECT_SAMPLES]) if config.get("inspect") else None
    history, best_epoch = _fit(
        model, config, data, quiet, list(extra_callbacks or []) + ([layer_stats] if layer_stats else [])
    )
    metrics = {
        "dataset": dataset,
        "epochs_run": len(history.epoch),
        "train_seconds": round(time.perf_counter() - start, 3),
    }
    if best_epoch is not None:
        metrics["best_epoch"] = best_epoch + 1
    metrics.update(_evaluate_splits(model, data))
    config.update(
        {
            "class_names": data.class_names,
            "feature_names": data.feature_names,
            "input_shape": list(model.input_shape),
            "kind": data.kind,
        }
    )
    return TrainingResult(
        model=model, data=data, history=history.history, metrics=metrics, config=config, layer_stats=layer_stats
    )


def _evaluate_splits(model: Sequential, data: PreparedData) -> dict:
    """The metrics of every split, with the baseline of the task: the training targets' mean, or the most
    frequent training class."""
    splits = (
        ("train", data.x_train, data.y_train),
        ("val", data.x_val, data.y_val),
        ("test", data.x_test, data.y_test),
    )
    if data.task == "regression":
        target = TargetScaler.from_config(data.preprocessing["target"])
        baseline = float(np.mean(target.inverse_transform(data.y_train)))
        return {split: evaluate_regression(model, x, y, target, baseline) for split, x, y in splits}
    majority = int(np.argmax(np.bincount(data.y_train)))
    result = {}
    for split, x, y in splits:
        test = split == "test"
        result[split] = evaluate_split(
            model, x, y, data.class_names, data.test_rows if test else None, data.test_files if test else None
        )
        result[split]["baseline_accuracy"] = float(np.mean(y == majority))
    return result


def _fit(model: Sequential, config: dict, data: PreparedData, quiet: bool, extra_callbacks: list):
    """model.fit with the run's callbacks and augmentation: (History, best epoch or None)."""
    stopper = None
    callback_list = list(extra_callbacks)
    if config["early_stopping"]:
        stopper = callbacks.EarlyStopping("val_loss", patience=config["early_stopping"], restore_best_weights=True)
        callback_list.append(stopper)
    per_epoch_bars = not quiet and steps_per_epoch(len(data.x_train), config["batch_size"]) >= BAR_PER_EPOCH_FROM
    if not quiet and not per_epoch_bars:
        callback_list.append(callbacks.EpochProgressBar(config["epochs"]))
    augment = None
    if config["augment"]:
        shift = int(config["augment"])
        augment = lambda batch, rng: random_shift(batch, shift, rng)  # noqa: E731
    history = model.fit(
        data.x_train,
        data.y_train,
        batch_size=config["batch_size"],
        epochs=config["epochs"],
        validation_data=(data.x_val, data.y_val),
        callbacks=callback_list,
        verbose=1 if per_epoch_bars else 0,
        augment=augment,
    )
    return history, stopper.best_epoch if stopper is not None else None


def summary(metrics: dict) -> str:
    """The test scores in a few words: accuracy and loss, or R^2, MAE and RMSE, with the baseline."""
    test = metrics["test"]
    if "r2" in test:
        return (
            f"test R^2 {test['r2']:.4f}, MAE {test['mae']:.4g}, RMSE {test['rmse']:.4g} (predicting the "
            f"training mean: R^2 {test['baseline']['r2']:.4f}, MAE {test['baseline']['mae']:.4g})"
        )
    return (
        f"test accuracy {test['accuracy']:.4f} (loss {test['loss']:.4f}; the most frequent class: "
        f"{test['baseline_accuracy']:.4f})"
    )


class Terminated(KeyboardInterrupt):
    """SIGTERM, turned into an exception so a run stops the way Ctrl-C stops it."""


class Interrupted(Exception):
    """A run stopped by Ctrl-C or SIGTERM: its folder holds the last finished epoch and says how to go on."""

    def __init__(self, run_dir: Path, epochs_done: int, epochs: int, exit_status: int):
        self.run_dir, self.epochs_done, self.epochs, self.exit_status = run_dir, epochs_done, epochs, exit_status
        super().__init__(
            f"interrupted after epoch {epochs_done} of {epochs}; resume with: "
            f"{shlex.join(['numpynn', 'train', '--resume', str(run_dir)])}"
        )


def train(
    dataset: str,
    out: str | Path | None = None,
    force: bool = False,
    quiet: bool = False,
    target: str | None = None,
    log: Callable[[str], None] = print,
    checkpoint_every: int | None = None,
    **given,
) -> tuple[Path, dict]:
    """Run the whole pipeline for one dataset and write its run folder; returns (run_dir, metrics dict).

    The folder is claimed and its config.json written first; a checkpoint follows every epoch, so a run
    stopped by Ctrl-C or SIGTERM (``Interrupted``) or killed can be finished by ``resume``;
    ``checkpoint_every`` adds one every that many batches (the results do not change).
    """
    kind = dataset_kind(dataset)
    settings = {
        **options.resolve(kind, dataset, **given),
        "dataset": dataset,
        "target": target,
        "status": "running",
        "checkpoint_every": checkpoint_every,
    }
    folder = RunFolder.create(dataset, out, force)
    folder.write_config(settings)
    return _train_into(folder, settings, quiet, log)


def resume(run_dir: str | Path, quiet: bool = False, log: Callable[[str], None] = print) -> tuple[Path, dict]:
    """Finish a run that was stopped: the same settings, going on from its last checkpoint."""
    folder = RunFolder(run_dir)
    settings = folder.read_config()
    if settings.get("status") != "running":
        raise UsageError(f"{folder.path} holds a finished run; there is nothing to resume.")
    if folder.checkpoint_path.is_file():
        written_by = load_checkpoint(folder.checkpoint_path).numpynn_version
        if written_by != __version__:
            raise UsageError(
                f"{folder.path} was checkpointed by numpynn {written_by}, this is {__version__}; "
                "resume it with that version, or start the run again."
            )
    folder.lock(take_over=True)
    folder.remove_unfinished_writes()
    return _train_into(folder, settings, quiet, log)


def _train_into(folder: RunFolder, settings: dict, quiet: bool, log: Callable[[str], None]) -> tuple[Path, dict]:
    backup = callbacks.BackupAndRestore(
        folder.path, delete_on_finish=False, save_every=settings.get("checkpoint_every")
    )
    # config.json holds every option resolved when the run started (a key a later version added takes
    # its default): nothing is resolved twice.
    present = {key: settings[key] for key in options.BY_KEY if key in settings}
    config = {**options.defaults(dataset_kind(settings["dataset"]), settings["dataset"]), **present}
    config.update(dataset=settings["dataset"], target=settings.get("target"))
    try:
        result = fit_resolved(config, quiet, log, extra_callbacks=[backup])
        if backup.resumed_from is not None and not quiet:
            log(f"{settings['dataset']}: went on from the checkpoint after epoch {backup.resumed_from}")
    except KeyboardInterrupt as stop:
        raise _interrupted(folder, settings, 143 if isinstance(stop, Terminated) else 130) from None
    except BaseException:
        folder.remove_if_empty()
        raise
    folder.write_run(result)
    folder.checkpoint_path.unlink(missing_ok=True)
    folder.unlock()
    if not quiet:
        log(
            f"{settings['dataset']}: {summary(result.metrics)} after {result.metrics['epochs_run']} epochs in "
            f"{result.metrics['train_seconds']:.1f} s; run folder {folder.path}"
        )
    return folder.path, result.metrics


def _interrupted(folder: RunFolder, settings: dict, exit_status: int) -> Interrupted:
    """Write what an interrupted run got to (history, its figure, a report saying so) and say how to go on."""
    history, epochs_done = {}, 0
    if folder.checkpoint_path.is_file():
        checkpoint = load_checkpoint(folder.checkpoint_path)
        history, epochs_done = checkpoint.history, checkpoint.epochs_done
    stop = Interrupted(folder.path, epochs_done, settings["epochs"], exit_status)
    folder.write_interrupted_run(settings, history, str(stop))
    folder.unlock()
    return stop
