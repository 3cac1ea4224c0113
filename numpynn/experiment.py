"""The demo pipeline behind ``numpynn train``: load, split, preprocess, build, train, evaluate, write a run folder.

A run folder holds config.json, history.csv, metrics.json, model.npz, preprocessing.json,
figures/*.png and report.html. Everything needed to re-evaluate or predict later is in it.
"""
from __future__ import annotations

import csv
import io
import json
import math
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from . import callbacks, datasets, losses, optimizers, schedules
from .builders import build_model, is_convolutional
from .files import write_text
from .metrics import (confusion_matrix, labels_from_outputs, precision_recall_f1, prediction_confidence,
                      roc_auc)
from .preprocessing import StandardScaler, random_shift, scale_pixels, split_indices, train_val_test_split

# Defaults per kind of data; every one can be overridden on the command line.
DEFAULTS = {
    # Tabular: weight decay 0.03 was chosen on Breast Cancer seeds 100-299 (disjoint from the seeds 0-19
    # the README reports): 0.9795 / 0.9772 mean test accuracy on the two split procedures of
    # benchmarks/breast_cancer_splits.py, against 0.9737 / 0.9726 without it (docs/benchmarks.md).
    "tabular": {"model": "mlp:16", "epochs": 300, "batch_size": 32, "optimizer": "adam", "lr": 1e-3,
                "weight_decay": 0.03, "schedule": "constant", "lr_decay": 0.0, "early_stopping": 30,
                "val_size": 0.2, "test_size": 0.2, "seed": 0, "augment": 0},
    # MNIST: 0.9905 test accuracy in 25 s of training on 2 cores (README); shifting training images by
    # up to one pixel and dropout are what lift it above the plain 784-256-128-10 MLP (0.9828).
    "images": {"model": "dense:512,dropout:0.2,dense:512,dropout:0.2", "epochs": 12, "batch_size": 128,
               "optimizer": "adam", "lr": 2e-3, "weight_decay": 0.0, "schedule": "cosine", "lr_decay": 0.0,
               "early_stopping": 0, "val_size": 5000, "test_size": None, "seed": 0, "augment": 1},
}
CNN_EPOCHS = 12
MISCLASSIFIED_LISTED = 100  # in metrics.json and the report; MNIST errors run to about a hundred
OPTIMIZER_CHOICES = ("sgd", "momentum", "adam", "adamw", "rmsprop")
SCHEDULE_CHOICES = ("constant", "inverse-time", "exponential", "cosine", "step")


# config key -> `numpynn train` flag, for the command that reproduces a run.
TRAIN_FLAGS = {"model": "--model", "epochs": "--epochs", "batch_size": "--batch-size", "optimizer": "--optimizer",
               "lr": "--lr", "weight_decay": "--weight-decay", "schedule": "--schedule", "lr_decay": "--lr-decay",
               "early_stopping": "--early-stopping", "augment": "--augment", "val_size": "--val-size",
               "test_size": "--test-size", "seed": "--seed"}


def reproduce_command(config) -> str:
    """The `numpynn train` command line that repeats a run, every setting spelled out."""
    import shlex
    words = ["numpynn", "train", config["dataset"]]
    if config.get("target"):
        words += ["--target", str(config["target"])]
    for key, flag in TRAIN_FLAGS.items():
        if config.get(key) is not None:
            words += [flag, str(config[key])]
    return shlex.join(words)


class UsageError(ValueError):
    """A bad option or argument: reported on one line by the command line."""


@dataclass
class PreparedData:
    kind: str  # "tabular" or "images"
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: list
    feature_names: list = field(default_factory=list)
    preprocessing: dict = field(default_factory=dict)
    # Where each test sample came from: its row in the loaded table (0-based, header not counted) or its
    # index in the official image test set, so a report can point at the very samples it got wrong.
    test_rows: np.ndarray | None = None


def dataset_kind(dataset: str) -> str:
    if dataset in ("breast-cancer",) or dataset.startswith("csv:"):
        return "tabular"
    if dataset in ("mnist",) or dataset.startswith("idx:"):
        return "images"
    raise UsageError(f"unknown dataset {dataset!r}; use breast-cancer, mnist, idx:FOLDER or csv:FILE.")


def load_raw(dataset: str, target: str | None = None):
    """A tabular ``Dataset`` or, for image sets, the official ((x_train, y_train), (x_test, y_test))."""
    kind = dataset_kind(dataset)
    if dataset == "breast-cancer":
        return datasets.load_breast_cancer()
    if dataset.startswith("csv:"):
        if not target:
            raise UsageError("csv data needs --target COLUMN (the column holding the class labels).")
        return datasets.load_csv(dataset[4:], target)
    if dataset == "mnist":
        return datasets.load_mnist()
    assert kind == "images"
    return datasets.load_idx(dataset[4:])


def prepare_data(dataset, target=None, seed=0, val_size=None, test_size=None, channels_last=False) -> PreparedData:
    """Load and split without leakage: statistics (the scaler) come from the training split only."""
    kind = dataset_kind(dataset)
    defaults = DEFAULTS[kind]
    val_size = defaults["val_size"] if val_size is None else val_size
    test_size = defaults["test_size"] if test_size is None else test_size
    if kind == "tabular":
        data = load_raw(dataset, target)
        if len(data.class_names) < 2:
            raise UsageError(f"the target column has a single class ({data.class_names}); need at least two.")
        counts = np.bincount(data.y, minlength=len(data.class_names))
        if counts.min() < 3:
            raise UsageError(f"class {data.class_names[int(np.argmin(counts))]!r} has {counts.min()} row(s); a stratified "
                             "train/validation/test split needs at least 3 rows per class.")
        # Splitting the row numbers (the split depends only on y and the seed) keeps track of each row.
        rows = [part[0] for part in train_val_test_split(np.arange(len(data.y)), data.y, val_size=val_size,
                                                         test_size=test_size, stratify=True, seed=seed)]
        splits = tuple((data.x[part], data.y[part]) for part in rows)
        return scale_tabular(splits, data.class_names, data.feature_names, test_rows=rows[2])
    (x_all, y_all), (x_test, y_test) = load_raw(dataset)
    # The official test set stays untouched; validation is carved out of the training set.
    fraction = val_size / len(x_all) if val_size >= 1 else val_size
    train_idx, val_idx = split_indices(len(x_all), fraction, y_all, np.random.default_rng(seed))
    x_all = _images_to_float(x_all, channels_last)
    x_test = _images_to_float(x_test, channels_last)
    class_names = [str(i) for i in range(int(max(y_all.max(), y_test.max())) + 1)]
    return PreparedData("images", x_all[train_idx], y_all[train_idx], x_all[val_idx], y_all[val_idx], x_test, y_test,
                        class_names, [], {"pixel_scale": 255.0, "channels_last": bool(channels_last)},
                        np.arange(len(y_test)))


def scale_tabular(splits, class_names, feature_names=(), test_rows=None) -> PreparedData:
    """PreparedData from ((x_train, y_train), (x_val, y_val), (x_test, y_test)) of raw features.

    The scaler is fitted on the training split alone and then applied to all three. ``test_rows``: the
    row of each test sample in the original table, if known.
    """
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = splits
    scaler = StandardScaler().fit(x_train)
    return PreparedData("tabular", scaler.transform(x_train), y_train, scaler.transform(x_val), y_val,
                        scaler.transform(x_test), y_test, list(class_names), list(feature_names),
                        {"scaler_mean": scaler.mean_.tolist(), "scaler_scale": scaler.scale_.tolist()},
                        test_rows)


def _images_to_float(images, channels_last):
    x = scale_pixels(images) if images.dtype == np.uint8 else images.astype(np.float32)
    if channels_last and x.ndim == 3:
        x = x[..., None]
    return x


def make_optimizer(name, lr, weight_decay=0.0, schedule="constant", lr_decay=0.0, steps_per_epoch=1, epochs=1):
    """An optimizer from command-line words; schedules count optimizer steps."""
    if name not in OPTIMIZER_CHOICES:
        raise UsageError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZER_CHOICES)}.")
    if schedule not in SCHEDULE_CHOICES:
        raise UsageError(f"unknown schedule {schedule!r}; choose one of {', '.join(SCHEDULE_CHOICES)}.")
    if not lr > 0:
        raise UsageError(f"--lr must be positive, got {lr}.")
    total_steps = steps_per_epoch * epochs
    if lr_decay and schedule == "constant":
        schedule = "inverse-time"
    if schedule == "inverse-time":
        rate = schedules.InverseTimeDecay(lr, decay_steps=1, decay_rate=lr_decay or 1e-3)
    elif schedule == "exponential":
        # lr_decay is the per-epoch factor here (default: 0.9 per epoch).
        rate = schedules.ExponentialDecay(lr, decay_steps=steps_per_epoch, decay_rate=lr_decay or 0.9)
    elif schedule == "cosine":
        warmup = min(steps_per_epoch, max(total_steps // 10, 1))
        rate = schedules.CosineDecay(lr / 10, decay_steps=max(total_steps - warmup, 1), alpha=0.01,
                                     warmup_target=lr, warmup_steps=warmup)
    elif schedule == "step":
        boundaries = [int(total_steps * f) for f in (0.5, 0.75)]
        rate = schedules.PiecewiseConstantDecay(boundaries, [lr, lr / 10, lr / 100])
    else:
        rate = lr
    if name == "sgd":
        return optimizers.SGD(rate, weight_decay=weight_decay)
    if name == "momentum":
        return optimizers.SGD(rate, momentum=0.9, nesterov=True, weight_decay=weight_decay)
    if name == "adam":
        return optimizers.Adam(rate, weight_decay=weight_decay)
    if name == "adamw":
        return optimizers.AdamW(rate, weight_decay=weight_decay)
    return optimizers.RMSprop(rate, weight_decay=weight_decay)


def resolve_options(dataset: str, **options) -> dict:
    """The dataset's defaults updated with every option that was given (None means 'not given')."""
    config = dict(DEFAULTS[dataset_kind(dataset)])
    given = {key: value for key, value in options.items() if value is not None}
    if is_convolutional(given.get("model", config["model"])):
        config["epochs"] = CNN_EPOCHS  # a CNN's epochs are slower and it needs fewer of them
    config.update(given)
    config["dataset"] = dataset
    if not isinstance(config["epochs"], int) or config["epochs"] < 1:
        raise UsageError(f"--epochs must be a positive integer, got {config['epochs']}.")
    if not isinstance(config["batch_size"], int) or config["batch_size"] < 1:
        raise UsageError(f"--batch-size must be a positive integer, got {config['batch_size']}.")
    if config.get("augment") and dataset_kind(dataset) != "images":
        raise UsageError("--augment shifts images; it does not apply to tabular data.")
    if config.get("early_stopping") is not None and config["early_stopping"] < 0:
        raise UsageError(f"--early-stopping must be >= 0 (0 turns it off), got {config['early_stopping']}.")
    return config


def evaluate_split(model, x, y, class_names, rows=None) -> dict:
    """Loss, accuracy, confusion matrix and per-class scores of ``model`` on one split.

    With ``rows`` (where each sample came from) the result also lists the misclassified samples,
    the most confident mistakes first (at most MISCLASSIFIED_LISTED of them).
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
        "per_class": {str(name): {"precision": float(scores["precision"][i]), "recall": float(scores["recall"][i]),
                                  "f1": float(scores["f1"][i]), "support": int(scores["support"][i])}
                      for i, name in enumerate(class_names)},
        "macro": scores["macro"],
        "weighted": scores["weighted"],
    }
    if k == 2:
        result["roc_auc"] = roc_auc(y, outputs[:, 0])
    if rows is not None:
        confidence = prediction_confidence(outputs, predicted)
        wrong = np.flatnonzero(predicted != y)
        wrong = wrong[np.argsort(-confidence[wrong], kind="stable")][:MISCLASSIFIED_LISTED]
        result["misclassified"] = [{"row": int(rows[i]), "true": str(class_names[y[i]]),
                                    "predicted": str(class_names[predicted[i]]),
                                    "confidence": round(float(confidence[i]), 4)} for i in wrong]
    return result


def new_run_dir(dataset: str, out=None, force=False) -> Path:
    """Create the run folder; an existing non-empty folder is an error unless ``force``."""
    if out is None:
        slug = dataset.split(":", 1)[0] if ":" in dataset else dataset
        if ":" in dataset:
            slug += "-" + Path(dataset.split(":", 1)[1]).stem
        base = Path("runs") / f"{slug}-{datetime.now():%Y%m%d-%H%M%S}"
        out, n = base, 1
        while out.exists():
            out, n = Path(f"{base}-{n}"), n + 1
    out = Path(out)
    if out.exists() and any(out.iterdir()) and not force:
        raise UsageError(f"run folder {out} already exists and is not empty; choose another --out or pass --force.")
    (out / "figures").mkdir(parents=True, exist_ok=True)
    return out


def fit_and_evaluate(dataset: str, quiet=True, target=None, log=print, data: PreparedData | None = None, **options):
    """Train on one split and evaluate on train/val/test, writing nothing.

    ``data`` supplies splits made elsewhere (for example a benchmark's own split procedure); by default
    the dataset is loaded and split by ``prepare_data`` with the configured seed.
    Returns (model, data, history dict, metrics dict, config dict).
    """
    config = resolve_options(dataset, target=target, **options)
    conv = is_convolutional(config["model"])
    if data is None:
        data = prepare_data(dataset, target, config["seed"], config["val_size"], config["test_size"],
                            channels_last=conv)
    model = build_model(config["model"], data.x_train.shape[1:], len(data.class_names), seed=config["seed"])
    steps_per_epoch = math.ceil(len(data.x_train) / config["batch_size"])
    optimizer = make_optimizer(config["optimizer"], config["lr"], config["weight_decay"], config["schedule"],
                               config["lr_decay"], steps_per_epoch, config["epochs"])
    loss = "binary_crossentropy" if len(data.class_names) == 2 else "sparse_categorical_crossentropy"
    model.compile(optimizer=optimizer, loss=losses.get(loss), metrics=["accuracy"])
    callback_list = []
    if config.get("early_stopping"):
        callback_list.append(callbacks.EarlyStopping("val_loss", patience=config["early_stopping"],
                                                     restore_best_weights=True))
    if not quiet:
        log(f"{dataset}: {len(data.x_train)} train / {len(data.x_val)} validation / {len(data.x_test)} test samples, "
            f"{len(data.class_names)} classes; model {config['model']} ({model.count_params():,} parameters), "
            f"{config['optimizer']} lr {config['lr']} ({config['schedule']})"
            + (f", weight decay {config['weight_decay']}" if config["weight_decay"] else ""))
    # Many short epochs get one bar over epochs; long epochs get a bar each.
    per_epoch_bars = not quiet and steps_per_epoch >= 50
    if not quiet and not per_epoch_bars:
        callback_list.append(callbacks.EpochProgressBar(config["epochs"]))
    start = time.perf_counter()
    augment = None
    if config["augment"]:
        shift = int(config["augment"])
        augment = lambda batch, rng: random_shift(batch, shift, rng)  # noqa: E731
    history = model.fit(data.x_train, data.y_train, batch_size=config["batch_size"], epochs=config["epochs"],
                        validation_data=(data.x_val, data.y_val), callbacks=callback_list,
                        verbose=1 if per_epoch_bars else 0, augment=augment)
    train_seconds = time.perf_counter() - start
    metrics = {"dataset": dataset, "epochs_run": len(history.epoch), "train_seconds": round(train_seconds, 3)}
    if config.get("early_stopping") and callback_list[0].best_epoch is not None:
        metrics["best_epoch"] = callback_list[0].best_epoch + 1
    for split, (x, y) in (("train", (data.x_train, data.y_train)), ("val", (data.x_val, data.y_val)),
                          ("test", (data.x_test, data.y_test))):
        metrics[split] = evaluate_split(model, x, y, data.class_names, data.test_rows if split == "test" else None)
    config.update({"class_names": data.class_names, "feature_names": data.feature_names,
                   "input_shape": list(model.input_shape), "kind": data.kind})
    return model, data, history.history, metrics, config


def train(dataset: str, out=None, force=False, quiet=False, target=None, log=print, **options):
    """Run the whole demo for one dataset and write its run folder; returns (run_dir, metrics dict)."""
    dataset_kind(dataset)
    run_dir = new_run_dir(dataset, out, force)
    try:
        model, data, history, metrics, config = fit_and_evaluate(dataset, quiet, target, log, **options)
    except BaseException:
        if not any(run_dir.rglob("*.*")):  # leave no empty folder behind when nothing was written
            import shutil
            shutil.rmtree(run_dir, ignore_errors=True)
        raise
    write_run(run_dir, config, metrics, history, model, data)
    if not quiet:
        log(f"{dataset}: test accuracy {metrics['test']['accuracy']:.4f} (loss {metrics['test']['loss']:.4f}) after "
            f"{metrics['epochs_run']} epochs in {metrics['train_seconds']:.1f} s; run folder {run_dir}")
    return run_dir, metrics


def write_run(run_dir: Path, config, metrics, history, model, data: PreparedData):
    from . import report
    from .environment import environment_info
    config = {**config, "command": reproduce_command(config)}
    write_text(run_dir / "config.json", json.dumps(config, indent=2) + "\n")
    write_text(run_dir / "environment.json", json.dumps(environment_info(), indent=2) + "\n")
    write_text(run_dir / "metrics.json", json.dumps(metrics, indent=2) + "\n")
    write_text(run_dir / "preprocessing.json", json.dumps(data.preprocessing, indent=2) + "\n")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    keys = list(history)
    writer.writerow(["epoch"] + keys)
    for epoch in range(len(history["loss"])):
        writer.writerow([epoch + 1] + [history[key][epoch] for key in keys])
    write_text(run_dir / "history.csv", buffer.getvalue())
    model.save(run_dir / "model.npz")
    figures = report.save_figures(run_dir / "figures", config, metrics, history, model, data)
    report.write_report(run_dir, config, metrics, figures)


def load_run(run_dir):
    """(config, preprocessing, model) of a run folder, with clear errors when it is not one."""
    from .saving import load_model
    run_dir = Path(run_dir)
    if not (run_dir / "config.json").is_file():
        raise UsageError(f"{run_dir} is not a run folder (no config.json); pass a folder written by 'numpynn train'.")
    try:
        config = json.loads((run_dir / "config.json").read_text())
        preprocessing = json.loads((run_dir / "preprocessing.json").read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise UsageError(f"{run_dir} has an unreadable config.json or preprocessing.json ({exc}).") from None
    return config, preprocessing, load_model(run_dir / "model.npz")
