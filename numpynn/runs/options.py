"""The training options of ``numpynn train``, defined once.

Each option's flag, type, default per kind of data, help text and check live in one ``Option``; the
argparse flags, the defaults in ``numpynn train --help``, the validation of a run's settings and the
command that repeats a run are all generated from ``OPTIONS``.
"""

from __future__ import annotations

import argparse
import shlex
import textwrap
from collections.abc import Callable
from dataclasses import dataclass

from numpynn.data.datasets.images import parse_image_size
from numpynn.errors import UsageError
from numpynn.models.specs import is_convolutional
from numpynn.nn import optimizers, schedules

KINDS = {
    "tabular": "breast-cancer, diabetes, csv:FILE, text:FOLDER, npz:FILE",
    "images": "mnist, idx:FOLDER, images:FOLDER, npz:FILE",
}
CNN_EPOCHS = 12  # a convolutional --model trains for this many epochs unless --epochs says otherwise
# Defaults that differ for one kind of dataset (by the start of its name) from its kind's defaults.
# A folder of images or an .npz of unknown size: a tenth for validation and, when it brings no test split,
# a fifth for testing (MNIST and IDX sets come with their own test set and hold out 5000 training images).
DATASET_DEFAULTS = {
    "images:FOLDER": {"val_size": 0.1, "test_size": 0.2},
    "npz:FILE": {"val_size": 0.1, "test_size": 0.2},
    # A text folder is a table of thousands of documents and 2,000 TF-IDF features: fewer epochs than a
    # small table's 300, stopped when the validation loss stops improving, and no L2 (with 0.03, the
    # tables' default, the fortune topics of benchmarks/text.py learned nothing: 0.2749, the majority).
    "text:FOLDER": {
        "val_size": 0.1,
        "test_size": 0.2,
        "epochs": 40,
        "early_stopping": 5,
        "weight_decay": 0.0,
        "lr": 0.01,
    },
}


def _positive(value) -> str | None:
    return None if value > 0 else "must be positive"


def _not_negative(value) -> str | None:
    return None if value >= 0 else "must be >= 0"


def _fraction(value) -> str | None:
    return None if 0 < value < 1 else "must be a fraction between 0 and 1"


def _one_of(names) -> Callable:
    return lambda value: None if value in names else f"must be one of {', '.join(names)}"


def _fraction_or_count(text: str) -> float | int:
    """A fraction of the samples (0.2) or a number of them (5000)."""
    value = float(text)
    return int(value) if value >= 1 else value


def _image_size(text: str) -> tuple[int, int]:
    return parse_image_size(text)


_image_size.__name__ = "HxW"  # argparse names the expected format with it: "invalid HxW value"


@dataclass(frozen=True)
class Option:
    key: str  # the name in config.json and in fit_and_evaluate(**options)
    parse: Callable  # text on the command line -> value
    defaults: dict  # kind of data -> default (None: not used for that kind)
    help: str
    check: Callable | None = None  # value -> None, or what is wrong with it
    metavar: str | None = None
    const: object = None  # the value of the flag given alone (None: the flag needs a value)

    @property
    def flag(self) -> str:
        return "--" + self.key.replace("_", "-")


OPTIONS = (
    Option(
        "model",
        str,
        {"tabular": "mlp:16", "images": "dense:512,dropout:0.2,dense:512,dropout:0.2"},
        "mlp:256,128 | logistic | cnn | resnet | a layer list such as conv:32,pool,dense:128, lstm:128 or "
        "conv:32,res(conv:32,bn,conv:32,bn),gap",
    ),
    Option("epochs", int, {"tabular": 300, "images": 12}, "passes over the training data", _positive),
    Option("batch_size", int, {"tabular": 32, "images": 128}, "samples per update", _positive),
    Option(
        "optimizer",
        str,
        {"tabular": "adam", "images": "adam"},
        ", ".join(optimizers.names()),
        _one_of(optimizers.names()),
    ),
    Option("lr", float, {"tabular": 1e-3, "images": 2e-3}, "(peak) learning rate", _positive),
    # Tabular: weight decay 0.03 was chosen on Breast Cancer seeds 100-299 (disjoint from the seeds 0-19
    # the README reports): 0.9795 / 0.9772 mean test accuracy on the two split procedures of
    # benchmarks/breast_cancer_splits.py, against 0.9737 / 0.9726 without it (docs/benchmarks.md).
    Option(
        "weight_decay",
        float,
        {"tabular": 0.03, "images": 0.0},
        "L2 for sgd/momentum/adam, decoupled for adamw",
        _not_negative,
    ),
    # Images: a cosine decay with warm-up, dropout and one-pixel shifts lift the MLP from 0.9828 (the
    # plain 784-256-128-10) to 0.99 on MNIST (README).
    Option(
        "schedule",
        str,
        {"tabular": "constant", "images": "cosine"},
        ", ".join(schedules.NAMES),
        _one_of(schedules.NAMES),
    ),
    Option(
        "lr_decay",
        float,
        {"tabular": 0.0, "images": 0.0},
        "inverse-time: lr/(1 + decay*step) per step; exponential: factor per epoch",
        _not_negative,
    ),
    Option(
        "early_stopping",
        int,
        {"tabular": 30, "images": 0},
        "epochs without val_loss gain; 0 = off",
        _not_negative,
        "PATIENCE",
    ),
    Option(
        "augment",
        int,
        {"tabular": 0, "images": 1},
        "shift training images by up to PIXELS at random",
        _not_negative,
        "PIXELS",
    ),
    Option(
        "val_size",
        _fraction_or_count,
        {"tabular": 0.2, "images": 5000},
        "fraction of the rows or training images held out for validation, or a number of them",
        _positive,
    ),
    Option(
        "test_size",
        float,
        {"tabular": 0.2, "images": None},
        "fraction held out for testing (data that brings no test split of its own)",
        _fraction,
    ),
    Option(
        "image_size",
        _image_size,
        {"tabular": None, "images": None},
        "images:FOLDER: resize every image to HxW pixels (default: the most common size)",
        metavar="HxW",
    ),
    Option(
        "color",
        str,
        {"tabular": None, "images": None},
        "images:FOLDER: gray or rgb (default: gray if every image is)",
        _one_of(("gray", "rgb")),
    ),
    Option(
        "categorical",
        str,
        {"tabular": None, "images": None},
        "csv:FILE: columns to one-hot encode even if they hold numbers (text columns always are)",
        metavar="COL,...",
    ),
    Option("drop", str, {"tabular": None, "images": None}, "csv:FILE: columns to leave out", metavar="COL,..."),
    Option(
        "text",
        str,
        {"tabular": None, "images": None},
        "csv:FILE: columns to encode as free text (TF-IDF of their words) even if they look like categories",
        metavar="COL,...",
    ),
    Option(
        "na",
        str,
        {"tabular": None, "images": None},
        "csv:FILE: more cell values that mean missing (besides empty, NA, N/A, NaN, null, none, ?)",
        metavar="VALUE,...",
    ),
    Option(
        "task",
        str,
        {"tabular": "auto", "images": "classification"},
        "classification, regression, or auto: regression for a numeric target with more than 20 distinct "
        "values (and more than 5 %% of the rows)",
        _one_of(("auto", "classification", "regression")),
    ),
    Option(
        "loss", str, {"tabular": None, "images": None}, "regression: mse (default) or huber", _one_of(("mse", "huber"))
    ),
    Option("seed", int, {"tabular": 0, "images": 0}, "seeds the split, the weights, shuffling and dropout"),
    Option(
        "inspect",
        int,
        {"tabular": 0, "images": 0},
        "record per-layer statistics every epoch (layer_stats.csv) "
        "and diagnose them in the report; --inspect alone means 1",
        _not_negative,
        metavar="0|1",
        const=1,
    ),
)
FOLDER_ONLY = ("image_size", "color")  # options that apply to images:FOLDER datasets alone
CSV_ONLY = ("categorical", "drop", "na", "text")  # options that apply to csv:FILE datasets alone
BY_KEY = {option.key: option for option in OPTIONS}


def defaults(kind: str, dataset: str = "") -> dict:
    """Every option's default for one kind of data ('tabular' or 'images') and, if given, one dataset."""
    values = {option.key: option.defaults[kind] for option in OPTIONS}
    for pattern, overrides in DATASET_DEFAULTS.items():
        if dataset.startswith(pattern.split(":")[0] + ":"):
            values.update(overrides)
    return values


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """One flag per option; an option not given is None, so its default can depend on the data."""
    for option in OPTIONS:
        alone = {"nargs": "?", "const": option.const} if option.const is not None else {}
        parser.add_argument(
            option.flag, type=option.parse, help=option.help, metavar=option.metavar, dest=option.key, **alone
        )


def defaults_text() -> str:
    """The default of every option, per kind of dataset, for `numpynn train --help`."""
    lines = ["defaults:"]
    for kind, datasets_of_kind in KINDS.items():
        settings = ", ".join(
            f"{option.flag}={option.defaults[kind]}" for option in OPTIONS if option.defaults[kind] is not None
        )
        lines.append(
            textwrap.fill(
                settings,
                width=100,
                initial_indent=f"  {kind} ({datasets_of_kind}): ",
                subsequent_indent="    ",
                break_on_hyphens=False,
            )
        )
    for pattern, overrides in DATASET_DEFAULTS.items():
        settings = ", ".join(f"{BY_KEY[key].flag}={value}" for key, value in overrides.items())
        lines.append(f"  {pattern}: {settings}")
    lines.append(f"  a convolutional --model (cnn, conv:...) trains for {CNN_EPOCHS} epochs by default")
    return "\n".join(lines)


def resolve(kind: str, dataset: str = "", **given) -> dict:
    """The defaults of the kind (and dataset) updated with every option given (None: not given), checked."""
    unknown = set(given) - set(BY_KEY)
    if unknown:
        raise TypeError(f"unknown training option(s): {', '.join(sorted(unknown))}")
    given = {key: value for key, value in given.items() if value is not None}
    config = defaults(kind, dataset)
    if is_convolutional(given.get("model", config["model"])):
        config["epochs"] = CNN_EPOCHS  # a CNN's epochs are slower and it needs fewer of them
    config.update(given)
    for key, value in given.items():
        problem = BY_KEY[key].check(value) if BY_KEY[key].check else None
        if problem:
            raise UsageError(f"{BY_KEY[key].flag} {problem}, got {value!r}.")
    if config["augment"] and kind != "images":
        raise UsageError("--augment shifts images; it does not apply to tabular data.")
    for keys, prefix, what in (
        (FOLDER_ONLY, "images:", "folders of images (images:FOLDER)"),
        (CSV_ONLY, "csv:", "CSV files (csv:FILE)"),
    ):
        for key in keys:
            if key in given and not dataset.startswith(prefix):
                raise UsageError(f"{BY_KEY[key].flag} applies to {what}, not to {dataset}.")
    return config


def table_options(config: dict) -> dict:
    """The TableEncoder arguments a run's --categorical, --drop, --na and --text name."""

    def names(key):
        return tuple(name.strip() for name in (config.get(key) or "").split(",") if name.strip())

    return {
        "categorical": names("categorical"),
        "drop": names("drop"),
        "na_values": names("na"),
        "text": names("text"),
    }


def reproduce_command(config: dict) -> str:
    """The `numpynn train` command line that repeats a run, every setting spelled out."""
    words = ["numpynn", "train", config["dataset"]]
    if config.get("target"):
        words += ["--target", str(config["target"])]
    for option in OPTIONS:
        value = config.get(option.key)
        if value is not None:
            words += [option.flag, "x".join(map(str, value)) if isinstance(value, (tuple, list)) else str(value)]
    return shlex.join(words)
