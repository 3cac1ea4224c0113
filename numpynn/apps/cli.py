"""The ``numpynn`` command line: train, evaluate and predict.

    numpynn train breast-cancer
    numpynn train mnist --model mlp:512,256 --epochs 20 --optimizer momentum --lr 0.05 --schedule cosine
    numpynn train csv:data.csv --target label
    numpynn evaluate runs/mnist-20261126-101500
    numpynn train images:photos --image-size 64x64 --model cnn
    numpynn predict runs/mnist-20261126-101500 digit.png more-digits/ "scans/*.jpg"

Ctrl-C or SIGTERM during training keeps the last finished epoch's checkpoint in the run folder and prints
the command that resumes it (exit status 130 / 143).
Bad input (an unknown option, a missing file, a corrupt file, bad data) gets one line on stderr and exit
status 2; set NUMPYNN_DEBUG=1 to see its traceback. Anything else is a bug in numpynn: it shows its
traceback and exits with status 1.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import warnings
from datetime import datetime
from pathlib import Path

import numpy as np

from numpynn._version import __version__
from numpynn.apps.predict_files import expand_inputs, write_predictions, write_values
from numpynn.apps.serve import make_server
from numpynn.data.datasets.images import IMAGE_EXTENSIONS
from numpynn.data.datasets.text import TEXT_EXTENSIONS, read_text
from numpynn.data.preprocessing import TargetScaler
from numpynn.data.raw_inputs import column_inputs, image_inputs, table_inputs
from numpynn.data.sources.text import TEXT_COLUMN
from numpynn.errors import InputError, UsageError
from numpynn.kernels.runtime import configure_runtime
from numpynn.nn.metrics import classification_report, labels_from_outputs
from numpynn.runs import experiment, options
from numpynn.runs.export import export_run
from numpynn.runs.run_folder import RunFolder, load_run
from numpynn.runs.sweep import sweep

# Failures that are the user's to fix: one line and exit status 2. Anything else is a bug.
USER_ERRORS = (InputError, FileNotFoundError, FileExistsError, PermissionError, IsADirectoryError, NotADirectoryError)


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def _add_sweep_parser(commands) -> None:
    sweep = commands.add_parser(
        "sweep",
        help="train many configurations (locally or on a Dask cluster), keep the best",
        description="Every option of `numpynn train` can be a grid axis.",
    )
    sweep.add_argument("dataset", help="any dataset numpynn train takes")
    sweep.add_argument(
        "--grid",
        required=True,
        metavar='"OPTION=V1,V2 ..."',
        help='e.g. "lr=1e-3,3e-3 model=mlp:16;mlp:32,16" (semicolons when a value holds a comma)',
    )
    sweep.add_argument("--target", help="the target column of a csv: dataset")
    options.add_arguments(sweep)  # fixed settings for every configuration
    sweep.add_argument(
        "--folds", type=int, default=1, help="score on K folds of train+validation (default: the validation split)"
    )
    sweep.add_argument("--search", choices=("grid", "random", "halving"), default="grid")
    sweep.add_argument("--n-iter", type=int, default=10, help="configurations drawn by --search random")
    sweep.add_argument("--workers", type=int, default=2, help="local processes (default 2)")
    sweep.add_argument("--scheduler", metavar="tcp://HOST:8786", help="run the tasks on this Dask cluster")
    sweep.add_argument("--out", type=Path, help="sweep folder (default sweeps/<dataset>-<time>)")
    sweep.add_argument("--quiet", action="store_true")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="numpynn", description="Train and inspect numpynn models on Breast Cancer, MNIST or your data."
    )
    parser.add_argument("--version", action="version", version=f"numpynn {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    train = commands.add_parser(
        "train",
        help="train a model and write a run folder",
        description="Train a model; defaults depend on the dataset (tabular or images).",
        epilog=options.defaults_text(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    train.add_argument(
        "dataset",
        nargs="?",
        help="breast-cancer, diabetes, mnist, csv:FILE, npz:FILE, idx:FOLDER, images:FOLDER or text:FOLDER",
    )
    train.add_argument(
        "--resume",
        type=Path,
        metavar="RUN",
        help="finish a run that was stopped (Ctrl-C, SIGTERM, a crash) from its checkpoint",
    )
    train.add_argument("--target", help="the target column of a csv: dataset (class labels or numbers)")
    options.add_arguments(train)
    train.add_argument("--out", type=Path, help="run folder (default runs/<dataset>-<time>)")
    train.add_argument(
        "--checkpoint-every",
        type=int,
        metavar="BATCHES",
        help="also checkpoint every BATCHES batches (always: at the end of every epoch)",
    )
    train.add_argument("--force", action="store_true", help="write into an existing non-empty --out folder")
    train.add_argument("--quiet", action="store_true", help="no progress bars or messages")
    evaluate = commands.add_parser("evaluate", help="re-compute the test metrics of a run from its saved model")
    evaluate.add_argument("run_dir", type=Path)
    export = commands.add_parser("export", help="write a run's model as ONNX, preprocessing included")
    export.add_argument("run_dir", type=Path)
    export.add_argument("path", type=Path, metavar="MODEL.onnx")
    serve = commands.add_parser("serve", help="a local web page to draw a digit or fill in a row, and a JSON API")
    serve.add_argument("run_dir", type=Path)
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--host", default="127.0.0.1", help="127.0.0.1 (this machine only) unless you mean it")
    _add_sweep_parser(commands)
    predict = commands.add_parser("predict", help="classify images or the rows of CSV files with a run's model")
    predict.add_argument("run_dir", type=Path)
    predict.add_argument(
        "files",
        nargs="*",
        metavar="FILE",
        help="image files, folders of them or glob patterns (image models); CSV files (tables); .txt files "
        "(text:FOLDER models)",
    )
    predict.add_argument(
        "--text",
        action="append",
        default=[],
        metavar="TEXT",
        help="a text to classify, instead of files (models trained on text:FOLDER; repeat for more)",
    )
    predict.add_argument(
        "--out",
        type=Path,
        metavar="CSV",
        help="also write one line per input: file or row, predicted class, probability of each class",
    )
    return parser


def command_train(args: argparse.Namespace) -> int:
    given = {option.key: getattr(args, option.key) for option in options.OPTIONS}
    log = (lambda *a: None) if args.quiet else (lambda message: print(message, file=sys.stderr))
    if args.resume is not None:
        named = [options.BY_KEY[key].flag for key, value in given.items() if value is not None]
        named += ["DATASET"] * (args.dataset is not None) + ["--target"] * (args.target is not None)
        named += ["--out"] * (args.out is not None) + ["--force"] * args.force
        named += ["--checkpoint-every"] * (args.checkpoint_every is not None)
        if named:
            raise UsageError(f"--resume takes its settings from the run's config.json; leave out {', '.join(named)}.")
        run_dir, metrics = experiment.resume(args.resume, quiet=args.quiet, log=log)
    elif args.dataset is None:
        raise UsageError("name a dataset to train on (e.g. numpynn train mnist), or --resume RUN.")
    else:
        run_dir, metrics = experiment.train(
            args.dataset,
            out=args.out,
            force=args.force,
            quiet=args.quiet,
            target=args.target,
            log=log,
            checkpoint_every=args.checkpoint_every,
            **given,
        )
    print(
        f"{experiment.summary(metrics)}  epochs {metrics['epochs_run']}  train time "
        f"{metrics['train_seconds']:.1f} s  run {run_dir}"
    )
    return 0


def command_evaluate(args: argparse.Namespace) -> int:
    folder = RunFolder(args.run_dir)
    config, preprocessing, model = folder.load()
    data = experiment.prepare_run_data(config, preprocessing.get("channels_last", False))
    saved_metrics = folder.read_metrics()
    saved = saved_metrics["test"] if saved_metrics is not None else None
    if data.task == "regression":
        target = TargetScaler.from_config(data.preprocessing["target"])
        scores = experiment.evaluate_regression(model, data.x_test, data.y_test, target, target.mean)
        print(
            f"test R^2 {scores['r2']:.4f}  MAE {scores['mae']:.4g}  RMSE {scores['rmse']:.4g}  "
            f"({len(data.y_test)} samples)"
        )
        if saved is not None:
            print(
                f"saved in metrics.json: R^2 {saved['r2']:.4f} "
                f"({'same' if abs(saved['r2'] - scores['r2']) < 1e-9 else 'DIFFERENT'})"
            )
        return 0
    scores, outputs = model.evaluate(data.x_test, data.y_test, return_outputs=True)
    predicted = labels_from_outputs(outputs)
    accuracy = float(np.mean(predicted == data.y_test))
    print(f"test accuracy {accuracy:.4f}  loss {scores['loss']:.4f}  ({len(data.y_test)} samples)")
    if saved is not None:
        print(
            f"saved in metrics.json: {saved['accuracy']:.4f} "
            f"({'same' if abs(saved['accuracy'] - accuracy) < 1e-9 else 'DIFFERENT'})"
        )
    print(classification_report(data.y_test, predicted, config["class_names"], digits=4))
    return 0


def _raw_inputs(files: list[str], config: dict, preprocessing: dict) -> tuple[np.ndarray, str, list[str]]:
    """(model inputs, what one input is called, the name of each input) from the files on the command line."""
    if config["kind"] == "images":
        paths = expand_inputs(files, IMAGE_EXTENSIONS)
        wrong = [p.name for p in paths if p.suffix.lower() not in IMAGE_EXTENSIONS]
        if wrong:
            raise UsageError(
                f"this run's model classifies images ({', '.join(IMAGE_EXTENSIONS)} files), not {wrong[0]}."
            )
        return image_inputs(paths, config, preprocessing), "file", [str(p) for p in paths]
    if config["dataset"].startswith("text:"):
        paths = expand_inputs(files, TEXT_EXTENSIONS)
        wrong = [p.name for p in paths if p.suffix.lower() not in TEXT_EXTENSIONS]
        if wrong:
            raise UsageError(f"this run's model classifies text files (.txt), not {wrong[0]}.")
        texts = {TEXT_COLUMN: [read_text(path) for path in paths]}
        return column_inputs(texts, [TEXT_COLUMN], preprocessing), "file", [str(p) for p in paths]
    paths = expand_inputs(files, (".csv",))
    wrong = [p.name for p in paths if p.suffix.lower() != ".csv"]
    if wrong:
        raise UsageError(f"this run's model classifies table rows: give .csv files, not {wrong[0]}.")
    parts = [table_inputs(p, config["feature_names"], preprocessing) for p in paths]
    names = [
        str(i + 1) if len(paths) == 1 else f"{path}:{i + 1}"
        for path, part in zip(paths, parts, strict=True)
        for i in range(len(part))
    ]
    return np.concatenate(parts), "row", names


def command_predict(args: argparse.Namespace) -> int:
    config, preprocessing, model = load_run(args.run_dir)
    class_names = config["class_names"]
    if args.text:
        if args.files:
            raise UsageError("give files or --text, not both.")
        if not config["dataset"].startswith("text:"):
            raise UsageError(
                f"--text classifies texts with a model trained on text:FOLDER; this run used {config['dataset']}."
            )
        x = column_inputs({TEXT_COLUMN: list(args.text)}, [TEXT_COLUMN], preprocessing)
        key, names = "text", [str(i + 1) for i in range(len(args.text))]
    elif args.files:
        x, key, names = _raw_inputs(args.files, config, preprocessing)
    else:
        raise UsageError("name the files to classify (or, for a text model, --text).")
    outputs = model.predict(x)
    if config.get("task") == "regression":
        values = TargetScaler.from_config(preprocessing["target"]).inverse_transform(outputs[:, 0])
        for name, value in zip(names, values, strict=True):
            print(f"{'' if len(names) == 1 and key == 'file' else f'{key} {name}: '}{value:.6g}")
        if args.out is not None:
            write_values(args.out, key, names, config.get("target") or "prediction", values)
            print(f"predictions written to {args.out}", file=sys.stderr)
        return 0
    probabilities = np.c_[1 - outputs[:, 0], outputs[:, 0]] if outputs.shape[1] == 1 else outputs
    for name, probs in zip(names, probabilities, strict=True):
        top = np.argsort(-probs)[:3]
        alternatives = ", ".join(f"{class_names[i]} {probs[i]:.1%}" for i in top[1:])
        label = (
            "" if len(names) == 1 and key == "file" else (f"{key} {name}: " if key in ("row", "text") else f"{name}: ")
        )
        print(f"{label}{class_names[top[0]]} ({probs[top[0]]:.1%}; next: {alternatives})")
    if args.out is not None:
        write_predictions(args.out, key, names, class_names, probabilities)
        print(f"predictions written to {args.out}", file=sys.stderr)
    return 0


def _one_line_warning(message, category, filename, lineno, line=None) -> str:
    return f"numpynn: warning: {message}\n"


def _terminate(signum, frame) -> None:
    raise experiment.Terminated()


def command_serve(args: argparse.Namespace) -> int:
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(
            f"numpynn: warning: serving on {args.host}: other machines can reach this page and its API", file=sys.stderr
        )
    try:
        server = make_server(args.run_dir, args.host, args.port)
    except OSError as exc:
        raise UsageError(f"cannot serve on {args.host}:{args.port} ({exc.strerror}); choose another --port.") from None
    host, port = str(server.server_address[0]), server.server_address[1]
    print(
        f"numpynn: serving {args.run_dir} at http://{'localhost' if host == '127.0.0.1' else host}:{port}/ "
        "(Ctrl-C stops it)",
        file=sys.stderr,
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("numpynn: stopped", file=sys.stderr)
    finally:
        server.server_close()
    return 0


def command_sweep(args: argparse.Namespace) -> int:

    if args.folds < 1 or args.workers < 1 or args.n_iter < 1:
        raise UsageError("--folds, --workers and --n-iter must be positive.")
    out = args.out or Path("sweeps") / f"{args.dataset.split(':')[0]}-{datetime.now():%Y%m%d-%H%M%S}"
    log = (lambda *a: None) if args.quiet else (lambda message: print(message, file=sys.stderr))
    try:
        fixed = {
            option.key: getattr(args, option.key) for option in options.OPTIONS if getattr(args, option.key) is not None
        }
        best = sweep(
            args.dataset,
            args.grid,
            out,
            target=args.target,
            folds=args.folds,
            search=args.search,
            n_iter=args.n_iter,
            workers=args.workers,
            scheduler=args.scheduler,
            quiet=args.quiet,
            log=log,
            **fixed,
        )
    except KeyboardInterrupt:
        print(f"numpynn: sweep interrupted; the finished configurations are in {out / 'results.csv'}", file=sys.stderr)
        return 130
    if best is not None:
        print(f"best {json.dumps(best['config'])}: mean score {best['mean']:.4f}; sweep {out}, best run {out / 'best'}")
    return 0


def command_export(args: argparse.Namespace) -> int:
    for line in export_run(args.run_dir, args.path):
        print(line)
    print(f"ONNX model written to {args.path}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    warnings.formatwarning = _one_line_warning  # a user reads "what", not the library's file and line
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)  # stop as Ctrl-C does: checkpoint kept, resumable
    try:
        args = build_parser().parse_args(argv)
        commands = {
            "train": command_train,
            "evaluate": command_evaluate,
            "predict": command_predict,
            "export": command_export,
            "serve": command_serve,
            "sweep": command_sweep,
        }
        return commands[args.command](args)
    except USER_ERRORS as exc:
        if os.environ.get("NUMPYNN_DEBUG"):
            raise
        message = str(exc).strip().replace("\n", " ") or type(exc).__name__
        print(f"numpynn: error: {message}", file=sys.stderr)
        return 2
    except experiment.Interrupted as stop:
        print(f"numpynn: {stop}", file=sys.stderr)
        return stop.exit_status
    except KeyboardInterrupt as stop:  # a second Ctrl-C, or one outside training: the last checkpoint stays
        print("numpynn: interrupted", file=sys.stderr)
        return 143 if isinstance(stop, experiment.Terminated) else 130
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def run() -> None:
    """The ``numpynn`` command (and ``python -m numpynn``): tune the process for training, then ``main``.

    The command line owns its process, so it opts in to ``configure_runtime`` (OpenBLAS's idle threads
    sleep soon, freed memory is reused: numpynn/kernels/runtime.py); the first start sets the variable
    OpenBLAS reads and starts the command again, once, so ``main`` runs with it.
    """
    configure_runtime(restart=True)
    sys.exit(main())


if __name__ == "__main__":
    run()
