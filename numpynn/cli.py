"""The ``numpynn`` command line: train, evaluate and predict.

    numpynn train breast-cancer
    numpynn train mnist --model mlp:512,256 --epochs 20 --optimizer momentum --lr 0.05 --schedule cosine
    numpynn train csv:data.csv --target label
    numpynn evaluate runs/mnist-20261126-101500
    numpynn predict runs/mnist-20261126-101500 digit.png

Bad input (an unknown option, a missing file, a corrupt file, bad data) gets one line on stderr and exit
status 2; set NUMPYNN_DEBUG=1 to see its traceback. Anything else is a bug in numpynn: it shows its
traceback and exits with status 1.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
from pathlib import Path

import numpy as np

from . import experiment, options
from .errors import InputError, UsageError, missing_dependency
from .files import write_text
from .preparation import prepare_data
from .runs import load_run

# Failures that are the user's to fix: one line and exit status 2. Anything else is a bug.
USER_ERRORS = (InputError, FileNotFoundError, FileExistsError, PermissionError, IsADirectoryError, NotADirectoryError)


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    from . import __version__
    parser = _Parser(prog="numpynn",
                     description="Train and inspect numpynn models on Breast Cancer, MNIST or your data.")
    parser.add_argument("--version", action="version", version=f"numpynn {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    train = commands.add_parser("train", help="train a model and write a run folder",
                                description="Train a model; defaults depend on the dataset (tabular or images).",
                                epilog=options.defaults_text(), formatter_class=argparse.RawDescriptionHelpFormatter)
    train.add_argument("dataset", help="breast-cancer, mnist, idx:FOLDER or csv:FILE")
    train.add_argument("--target", help="the class-label column of a csv: dataset")
    options.add_arguments(train)
    train.add_argument("--out", type=Path, help="run folder (default runs/<dataset>-<time>)")
    train.add_argument("--force", action="store_true", help="write into an existing non-empty --out folder")
    train.add_argument("--quiet", action="store_true", help="no progress bars or messages")
    evaluate = commands.add_parser("evaluate", help="re-compute the test metrics of a run from its saved model")
    evaluate.add_argument("run_dir", type=Path)
    predict = commands.add_parser("predict", help="classify a PNG image or the rows of a CSV file with a run's model")
    predict.add_argument("run_dir", type=Path)
    predict.add_argument("file", type=Path)
    predict.add_argument("--out", type=Path, metavar="CSV",
                         help="also write one line per input: row, predicted class, probability of each class")
    return parser


def command_train(args: argparse.Namespace) -> int:
    given = {option.key: getattr(args, option.key) for option in options.OPTIONS}
    log = (lambda *a: None) if args.quiet else (lambda message: print(message, file=sys.stderr))
    run_dir, metrics = experiment.train(args.dataset, out=args.out, force=args.force, quiet=args.quiet,
                                        target=args.target, log=log, **given)
    test = metrics["test"]
    print(f"test accuracy {test['accuracy']:.4f}  loss {test['loss']:.4f}  macro F1 {test['macro']['f1']:.4f}  "
          f"epochs {metrics['epochs_run']}  train time {metrics['train_seconds']:.1f} s  run {run_dir}")
    return 0


def command_evaluate(args: argparse.Namespace) -> int:
    config, preprocessing, model = load_run(args.run_dir)
    data = prepare_data(config["dataset"], config.get("target"), config["seed"], config["val_size"],
                                   config["test_size"], channels_last=preprocessing.get("channels_last", False))
    from .metrics import classification_report, labels_from_outputs
    scores, outputs = model.evaluate(data.x_test, data.y_test, return_outputs=True)
    predicted = labels_from_outputs(outputs)
    accuracy = float(np.mean(predicted == data.y_test))
    print(f"test accuracy {accuracy:.4f}  loss {scores['loss']:.4f}  ({len(data.y_test)} samples)")
    saved_path = args.run_dir / "metrics.json"
    if saved_path.is_file():
        saved = json.loads(saved_path.read_text())["test"]["accuracy"]
        print(f"saved in metrics.json: {saved:.4f} ({'same' if abs(saved - accuracy) < 1e-9 else 'DIFFERENT'})")
    print(classification_report(data.y_test, predicted, config["class_names"], digits=4))
    return 0


def read_png_digit(path: Path, shape: tuple) -> np.ndarray:
    """A PNG as a float32 image in [0, 1] with a dark background, like MNIST; checks its size."""
    try:
        import matplotlib.image as mpimg
        image = mpimg.imread(path, format="png")
    except ImportError:
        raise missing_dependency("reading PNG files", "matplotlib", "plots") from None
    except Exception as exc:
        raise UsageError(f"{path} is not a readable PNG image ({exc}).") from None
    image = np.asarray(image, dtype=np.float32)
    if image.dtype.kind in "ui":
        image = image / np.iinfo(image.dtype).max
    if image.ndim == 3:
        image = image[..., :3].mean(axis=-1)  # RGB(A) to grey; alpha ignored
    height, width = shape[0], shape[1]
    if image.shape != (height, width):
        raise UsageError(f"{path} is {image.shape[1]}x{image.shape[0]} pixels; the model expects {width}x{height} "
                         "greyscale images. Resize it first.")
    if image.mean() > 0.5:  # dark digit on light paper: MNIST digits are light on dark
        image = 1.0 - image
    return image.reshape(shape).astype(np.float32)


def command_predict(args: argparse.Namespace) -> int:
    config, preprocessing, model = load_run(args.run_dir)
    names = config["class_names"]
    if not args.file.is_file():
        raise UsageError(f"no file {args.file}.")
    suffix = args.file.suffix.lower()
    if config["kind"] == "images":
        if suffix != ".png":
            raise UsageError(f"this run's model classifies images: give a .png file, not {args.file.name}.")
        x = read_png_digit(args.file, tuple(config["input_shape"]))[None]
    else:
        if suffix != ".csv":
            raise UsageError(f"this run's model classifies table rows: give a .csv file, not {args.file.name}.")
        x = read_feature_rows(args.file, config["feature_names"], preprocessing)
    outputs = model.predict(x)
    probabilities = np.c_[1 - outputs[:, 0], outputs[:, 0]] if outputs.shape[1] == 1 else outputs
    for row, probs in enumerate(probabilities):
        top = np.argsort(-probs)[:3]
        alternatives = ", ".join(f"{names[i]} {probs[i]:.1%}" for i in top[1:])
        label = f"row {row + 1}: " if len(probabilities) > 1 or config["kind"] != "images" else ""
        print(f"{label}{names[top[0]]} ({probs[top[0]]:.1%}; next: {alternatives})")
    if args.out is not None:
        write_predictions(args.out, names, probabilities)
        print(f"predictions written to {args.out}", file=sys.stderr)
    return 0


def write_predictions(path: Path, class_names: list[str], probabilities: np.ndarray) -> None:
    """CSV: row (1-based, as printed), predicted class, then P(class) for every class. Written atomically."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["row", "predicted"] + [f"p_{name}" for name in class_names])
    for row, probs in enumerate(probabilities):
        writer.writerow([row + 1, class_names[int(np.argmax(probs))]] + [f"{p:.6f}" for p in probs])
    write_text(path, buffer.getvalue())


def read_feature_rows(path: Path, feature_names: list[str], preprocessing: dict) -> np.ndarray:
    """Feature rows of a CSV (the target column, if present, is ignored), scaled like the training data."""
    from .datasets import numeric_columns, read_csv_table
    from .preprocessing import StandardScaler
    header, rows = read_csv_table(path)
    x = numeric_columns(path, header, rows, feature_names)
    return StandardScaler.from_state(preprocessing["scaler_mean"], preprocessing["scaler_scale"]).transform(x)


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return {"train": command_train, "evaluate": command_evaluate, "predict": command_predict}[args.command](args)
    except USER_ERRORS as exc:
        if os.environ.get("NUMPYNN_DEBUG"):
            raise
        message = str(exc).strip().replace("\n", " ") or type(exc).__name__
        print(f"numpynn: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("numpynn: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
