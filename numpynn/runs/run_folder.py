"""Run folders: what ``numpynn train`` writes, and reading one back.

A run folder holds config.json (every setting and the command that repeats the run),
environment.json, history.csv, metrics.json, model.npz, preprocessing.json, figures/*.png and
report.html. While training it also holds checkpoint.npz (the last finished epoch) and a lock file
naming the process that writes it; an interrupted run keeps its checkpoint and a report that says so.
Every file is written atomically; an existing non-empty folder is never written into unless asked
(``force``), and never by two processes at once.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from numpynn.data.table_encoder import TableEncoder
from numpynn.errors import InputError, UsageError
from numpynn.files import write_text
from numpynn.models.saving import load_model
from numpynn.runs import report
from numpynn.runs.environment import environment_info
from numpynn.runs.inside import report as inside_report
from numpynn.runs.options import reproduce_command
from numpynn.training.callbacks.backup import CHECKPOINT_NAME

if TYPE_CHECKING:  # for annotations only: importing these at run time would be circular
    from numpynn.models.sequential import Sequential
    from numpynn.runs.experiment import TrainingResult


LOCK_NAME = ".numpynn-lock"


class RunFolder:
    """The one place that knows a run folder's files: their names, how each is written (atomically), and
    how each is read back, with one clear error naming the file when it is missing or damaged.

        folder = RunFolder("runs/mnist-20261126-101500")
        config, preprocessing, model = folder.load()      # a finished run, checked
        saved = folder.read_metrics()                     # None when the run wrote none
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.config_path = self.path / "config.json"  # every setting, and the command that repeats the run
        self.environment_path = self.path / "environment.json"  # versions, machine, thread settings
        self.history_path = self.path / "history.csv"  # one row per epoch
        self.metrics_path = self.path / "metrics.json"  # train, validation and test scores
        self.model_path = self.path / "model.npz"
        self.preprocessing_path = self.path / "preprocessing.json"  # how raw inputs become model inputs
        self.layer_stats_path = self.path / "layer_stats.csv"  # --inspect
        self.figures_path = self.path / "figures"
        self.report_path = self.path / "report.html"
        self.checkpoint_path = self.path / CHECKPOINT_NAME  # while training: the last finished epoch
        self.lock_path = self.path / LOCK_NAME

    def __repr__(self) -> str:
        return f"RunFolder({str(self.path)!r})"

    # ----- creating and claiming ------------------------------------------------------------
    @classmethod
    def create(cls, dataset: str, out: str | Path | None = None, force: bool = False) -> RunFolder:
        """Create and claim the run folder (default runs/<dataset>-<time>); an existing non-empty one is an
        error unless ``force``."""
        if out is None:
            slug = dataset.split(":", 1)[0] if ":" in dataset else dataset
            if ":" in dataset:
                slug += "-" + Path(dataset.split(":", 1)[1]).stem
            base = Path("runs") / f"{slug}-{datetime.now():%Y%m%d-%H%M%S}"
            out, n = base, 1
            while out.exists():
                out, n = Path(f"{base}-{n}"), n + 1
        folder = cls(out)
        folder.path.mkdir(parents=True, exist_ok=True)
        folder.lock(take_over=force)  # first, so two runs started together cannot both pass the check below
        if not force and any(path.name != LOCK_NAME for path in folder.path.iterdir()):
            folder.unlock()
            raise UsageError(
                f"run folder {folder.path} already exists and is not empty; choose another --out or pass --force."
            )
        folder.figures_path.mkdir(exist_ok=True)
        return folder

    def lock(self, take_over: bool = False) -> None:
        """Claim the folder for this process (a lock file holding its id), in one atomic step.

        Another live process's lock is an error; ``take_over`` replaces a lock whose process is gone.
        """
        try:
            fd = os.open(self.lock_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            owner = _lock_owner(self.lock_path)
            if not take_over or (owner is not None and owner != os.getpid() and _alive(owner)):
                raise UsageError(
                    f"run folder {self.path} is being written by another numpynn process "
                    f"({owner or 'unknown'}); choose another --out or wait for it."
                ) from None
            self.lock_path.unlink(missing_ok=True)
            return self.lock()
        with os.fdopen(fd, "w") as handle:
            handle.write(str(os.getpid()))

    def unlock(self) -> None:
        self.lock_path.unlink(missing_ok=True)

    def remove_if_empty(self) -> None:
        """Leave no empty folder behind when a run failed before its first checkpoint (its start config.json
        and lock aside); otherwise just release the lock."""
        if not any(path.name not in (self.config_path.name, LOCK_NAME) for path in self.path.rglob("*.*")):
            shutil.rmtree(self.path, ignore_errors=True)
        else:
            self.unlock()

    def remove_unfinished_writes(self) -> None:
        """Temporary files of writes cut short by a killed process: never read, removed before resuming."""
        for leftover in self.path.rglob(".*.tmp"):
            leftover.unlink(missing_ok=True)

    # ----- writing --------------------------------------------------------------------------
    def write_config(self, config: dict) -> None:
        _write_json(self.config_path, config)

    def write_run(self, result: TrainingResult) -> None:
        """Write every file of a finished run from a ``TrainingResult``."""
        config = {**result.config, "command": reproduce_command(result.config)}
        environment = environment_info()
        self.write_config(config)
        _write_json(self.environment_path, environment)
        _write_json(self.metrics_path, result.metrics)
        _write_json(self.preprocessing_path, result.data.preprocessing)
        write_text(self.history_path, history_csv(result.history))
        result.model.save(self.model_path)
        if result.layer_stats is not None:
            write_text(self.layer_stats_path, result.layer_stats.to_csv())
        outputs = result.model.predict(result.data.x_test, verbose=0)  # once, for both sets of figures
        figures = report.save_figures(
            self.figures_path, config, result.metrics, result.history, result.model, result.data, outputs
        )
        inside = inside_report.save_inside(
            self.figures_path,
            result.model,
            result.data,
            result.history,
            result.layer_stats,
            outputs,
            seed=config.get("seed") or 0,
        )
        page = report.report_page(
            self.path,
            config,
            result.metrics,
            figures,
            inside_report.inside_html(self.path, inside),
            encoder=result.data.preprocessing.get("encoder"),
            environment=environment,
        )
        write_text(self.report_path, page)

    def write_interrupted_run(self, settings: dict, history: dict, message: str) -> None:
        """What an interrupted run got to: history.csv and its figure (if an epoch finished) and a report.html
        that says where it stopped and how to go on. The checkpoint beside them holds the rest."""
        figures = []
        if history.get("loss"):
            write_text(self.history_path, history_csv(history))
            figures = report.save_history_figure(self.figures_path, settings, history)
        write_text(
            self.report_path,
            report.interrupted_page(self.path, settings, message, figures, environment=self.read_environment()),
        )

    # ----- reading --------------------------------------------------------------------------
    def read_config(self, required: dict | None = None) -> dict:
        """config.json, with the keys every run has ("dataset") and the ``required`` ones ({key: type})."""
        if not self.config_path.is_file():
            raise UsageError(
                f"{self.path} is not a run folder (no config.json); pass a folder written by 'numpynn train'."
            )
        return _read_json(self.config_path, {"dataset": str, **(required or {})})

    def read_metrics(self) -> dict | None:
        """metrics.json (None when the run wrote none: it did not finish)."""
        if not self.metrics_path.is_file():
            return None
        return _read_json(self.metrics_path, {"test": dict})

    def read_environment(self) -> dict:
        """environment.json ({} when the run wrote none yet)."""
        if not self.environment_path.is_file():
            return {}
        return _read_json(self.environment_path, {})

    def load(self) -> tuple[dict, dict, Sequential]:
        """(config, preprocessing, model) of a finished run, with clear errors when it is not one."""
        config = self.read_config({"kind": str, "class_names": list, "input_shape": list, "seed": int})
        if config["kind"] not in ("tabular", "images") or config.get("task", "classification") not in (
            "classification",
            "regression",
        ):
            raise UsageError(f"{self.config_path} names an unknown kind or task; the run folder is damaged.")
        if config.get("status") == "running":
            raise UsageError(
                f"{self.path} holds a run that has not finished; finish it with numpynn train --resume {self.path}."
            )
        needs = {"images": {"pixel_scale": (int, float)}, "tabular": {}}[config["kind"]]
        preprocessing = _read_json(self.preprocessing_path, needs)
        model = load_model(self.model_path)
        problem = _run_problem(config, preprocessing, model)
        if problem:
            raise UsageError(f"{self.path} is damaged: {problem}; train again.")
        return config, preprocessing, model


def load_run(run_dir: str | os.PathLike) -> tuple[dict, dict, Sequential]:
    """(config, preprocessing, model) of a finished run folder: ``RunFolder(run_dir).load()``."""
    return RunFolder(run_dir).load()


def _write_json(path: Path, content: dict) -> None:
    write_text(path, json.dumps(content, indent=2) + "\n")


def _lock_owner(lock: Path) -> int | None:
    try:
        return int(lock.read_text().strip())
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def history_csv(history: dict) -> str:
    """One line per epoch: epoch (from 1), then every logged value."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    keys = list(history)
    writer.writerow(["epoch"] + keys)
    for epoch in range(len(history["loss"])):
        writer.writerow([epoch + 1] + [history[key][epoch] for key in keys])
    return buffer.getvalue()


def _numbers(value, length: int | None = None) -> bool:
    return (
        isinstance(value, list)
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
        and (length is None or len(value) == length)
    )


def _run_problem(config: dict, preprocessing: dict, model) -> str | None:
    """What in a run folder's JSON does not fit its model (None if all does): what predict and evaluate read."""
    outputs = model.output_shape[-1]
    if list(model.input_shape) != config["input_shape"]:
        return f"config.json says input shape {config['input_shape']}, the model takes {list(model.input_shape)}"
    if config.get("task") == "regression":
        target = preprocessing.get("target")
        if not (isinstance(target, dict) and _numbers([target.get("mean"), target.get("scale")])):
            return "preprocessing.json lacks the target's mean and scale"
    elif not (
        all(isinstance(name, str) for name in config["class_names"])
        and len(config["class_names"]) == (2 if outputs == 1 else outputs)
    ):
        return f"config.json names {len(config['class_names'])} classes for a model with {outputs} outputs"
    if config["kind"] == "images":
        size = preprocessing.get("image_size", [1, 1])
        if not (
            preprocessing["pixel_scale"] > 0
            and _numbers(size, 2)
            and min(size) >= 1
            and preprocessing.get("color", "gray") in ("gray", "rgb")
            and preprocessing.get("background", "dark") in ("dark", "light")
        ):
            return "preprocessing.json describes the images (pixel_scale, image_size, color, background) wrongly"
        return None
    if "encoder" in preprocessing:
        try:
            TableEncoder.from_config(preprocessing["encoder"])
        except InputError as exc:
            return f"preprocessing.json: {exc}"
        return None
    features = config.get("feature_names")
    if not (
        isinstance(features, list)
        and all(isinstance(f, str) for f in features)
        and _numbers(preprocessing.get("scaler_mean"), len(features))
        and _numbers(preprocessing.get("scaler_scale"), len(features))
    ):
        return "the feature names and their scaling in config.json and preprocessing.json do not match"
    return None


def _read_json(path: Path, required: dict) -> dict:
    """A run folder's JSON file as a dict holding the ``required`` keys with values of the given types, or a
    UsageError naming what is wrong."""
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path} is unreadable ({type(exc).__name__}: {exc}); the run folder is damaged.") from None
    if not isinstance(content, dict):
        raise UsageError(f"{path} does not hold a JSON object; the run folder is damaged.")
    missing = [key for key in required if key not in content]
    if missing:
        raise UsageError(f"{path} lacks {', '.join(missing)}; the run folder is damaged: train again.")
    wrong = [
        key for key, kind in required.items() if not isinstance(content[key], kind) or isinstance(content[key], bool)
    ]
    if wrong:
        raise UsageError(f"{path} holds a value of the wrong type for {', '.join(wrong)}; the run folder is damaged.")
    return content
