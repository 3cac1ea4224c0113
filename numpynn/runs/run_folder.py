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

from numpynn.errors import InputError, UsageError
from numpynn.files import write_text
from numpynn.runs.options import reproduce_command
from numpynn.data.table_encoder import TableEncoder
from numpynn.models.saving import load_model
from numpynn.runs import report
from numpynn.runs.environment import environment_info
from numpynn.runs.inside import report as inside_report

if TYPE_CHECKING:  # for annotations only: importing these at run time would be circular
    from numpynn.runs.experiment import TrainingResult
    from numpynn.models.sequential import Sequential


LOCK_NAME = ".numpynn-lock"


def lock_run_dir(run_dir: Path, take_over: bool = False) -> None:
    """Claim ``run_dir`` for this process (a lock file holding its id), in one atomic step.

    Another live process's lock is an error; ``take_over`` replaces a lock whose process is gone.
    """
    lock = run_dir / LOCK_NAME
    try:
        fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        owner = _lock_owner(lock)
        if not take_over or (owner is not None and owner != os.getpid() and _alive(owner)):
            raise UsageError(f"run folder {run_dir} is being written by another numpynn process "
                             f"({owner or 'unknown'}); choose another --out or wait for it.") from None
        lock.unlink(missing_ok=True)
        return lock_run_dir(run_dir)
    with os.fdopen(fd, "w") as handle:
        handle.write(str(os.getpid()))


def unlock_run_dir(run_dir: Path) -> None:
    (run_dir / LOCK_NAME).unlink(missing_ok=True)


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


def new_run_dir(dataset: str, out: str | Path | None = None, force: bool = False) -> Path:
    """Create the run folder (default runs/<dataset>-<time>); an existing non-empty one is an error unless ``force``."""
    if out is None:
        slug = dataset.split(":", 1)[0] if ":" in dataset else dataset
        if ":" in dataset:
            slug += "-" + Path(dataset.split(":", 1)[1]).stem
        base = Path("runs") / f"{slug}-{datetime.now():%Y%m%d-%H%M%S}"
        out, n = base, 1
        while out.exists():
            out, n = Path(f"{base}-{n}"), n + 1
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    lock_run_dir(out, take_over=force)  # first, so two runs started together cannot both pass the check below
    if not force and any(path.name != LOCK_NAME for path in out.iterdir()):
        unlock_run_dir(out)
        raise UsageError(f"run folder {out} already exists and is not empty; choose another --out or pass --force.")
    (out / "figures").mkdir(exist_ok=True)
    return out


def remove_if_empty(run_dir: Path) -> None:
    """Leave no empty folder behind when a run failed before its first checkpoint (its start config.json
    and lock aside); otherwise just release the lock."""
    if not any(path.name not in ("config.json", LOCK_NAME) for path in run_dir.rglob("*.*")):
        shutil.rmtree(run_dir, ignore_errors=True)
    else:
        unlock_run_dir(run_dir)


def history_csv(history: dict) -> str:
    """One line per epoch: epoch (from 1), then every logged value."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    keys = list(history)
    writer.writerow(["epoch"] + keys)
    for epoch in range(len(history["loss"])):
        writer.writerow([epoch + 1] + [history[key][epoch] for key in keys])
    return buffer.getvalue()


def write_run(run_dir: Path, result: TrainingResult) -> None:
    """Write every file of a run folder from a ``TrainingResult``."""
    config = {**result.config, "command": reproduce_command(result.config)}
    for name, content in (("config.json", config), ("environment.json", environment_info()),
                          ("metrics.json", result.metrics), ("preprocessing.json", result.data.preprocessing)):
        write_text(run_dir / name, json.dumps(content, indent=2) + "\n")
    write_text(run_dir / "history.csv", history_csv(result.history))
    result.model.save(run_dir / "model.npz")
    if result.layer_stats is not None:
        write_text(run_dir / "layer_stats.csv", result.layer_stats.to_csv())
    outputs = result.model.predict(result.data.x_test, verbose=0)  # once, for both sets of figures
    figures = report.save_figures(run_dir / "figures", config, result.metrics, result.history, result.model,
                                  result.data, outputs)
    inside = inside_report.save_inside(run_dir / "figures", result.model, result.data, result.history,
                                       result.layer_stats, outputs, seed=config.get("seed") or 0)
    report.write_report(run_dir, config, result.metrics, figures, inside_report.inside_html(run_dir, inside))


def write_interrupted_run(run_dir: Path, settings: dict, history: dict, message: str) -> None:
    """What an interrupted run got to: history.csv and its figure (if an epoch finished) and a report.html
    that says where it stopped and how to go on. The checkpoint beside them holds the rest."""
    figures = []
    if history.get("loss"):
        write_text(run_dir / "history.csv", history_csv(history))
        figures = report.save_history_figure(run_dir / "figures", settings, history)
    report.write_interrupted_report(run_dir, settings, message, figures)


def load_run(run_dir: str | Path) -> tuple[dict, dict, Sequential]:
    """(config, preprocessing, model) of a finished run folder, with clear errors when it is not one."""
    run_dir = Path(run_dir)
    if not (run_dir / "config.json").is_file():
        raise UsageError(f"{run_dir} is not a run folder (no config.json); pass a folder written by 'numpynn train'.")
    config = _read_json(run_dir / "config.json", {"dataset": str, "kind": str, "class_names": list,
                                                  "input_shape": list, "seed": int})
    if config["kind"] not in ("tabular", "images") or config.get("task", "classification") not in (
            "classification", "regression"):
        raise UsageError(f"{run_dir}/config.json names an unknown kind or task; the run folder is damaged.")
    if config.get("status") == "running":
        raise UsageError(f"{run_dir} holds a run that has not finished; finish it with numpynn train --resume "
                         f"{run_dir}.")
    needs = {"images": {"pixel_scale": (int, float)}, "tabular": {}}[config["kind"]]
    preprocessing = _read_json(run_dir / "preprocessing.json", needs)
    model = load_model(run_dir / "model.npz")
    problem = _run_problem(config, preprocessing, model)
    if problem:
        raise UsageError(f"{run_dir} is damaged: {problem}; train again.")
    return config, preprocessing, model


def _numbers(value, length: int | None = None) -> bool:
    return (isinstance(value, list) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
            and (length is None or len(value) == length))


def _run_problem(config: dict, preprocessing: dict, model) -> str | None:
    """What in a run folder's JSON does not fit its model (None if all does): what predict and evaluate read."""
    outputs = model.output_shape[-1]
    if list(model.input_shape) != config["input_shape"]:
        return f"config.json says input shape {config['input_shape']}, the model takes {list(model.input_shape)}"
    if config.get("task") == "regression":
        target = preprocessing.get("target")
        if not (isinstance(target, dict) and _numbers([target.get("mean"), target.get("scale")])):
            return "preprocessing.json lacks the target's mean and scale"
    elif not (all(isinstance(name, str) for name in config["class_names"])
              and len(config["class_names"]) == (2 if outputs == 1 else outputs)):
        return f"config.json names {len(config['class_names'])} classes for a model with {outputs} outputs"
    if config["kind"] == "images":
        size = preprocessing.get("image_size", [1, 1])
        if not (preprocessing["pixel_scale"] > 0 and _numbers(size, 2) and min(size) >= 1
                and preprocessing.get("color", "gray") in ("gray", "rgb")
                and preprocessing.get("background", "dark") in ("dark", "light")):
            return "preprocessing.json describes the images (pixel_scale, image_size, color, background) wrongly"
        return None
    if "encoder" in preprocessing:
        try:
            TableEncoder.from_config(preprocessing["encoder"])
        except InputError as exc:
            return f"preprocessing.json: {exc}"
        return None
    features = config.get("feature_names")
    if not (isinstance(features, list) and all(isinstance(f, str) for f in features)
            and _numbers(preprocessing.get("scaler_mean"), len(features))
            and _numbers(preprocessing.get("scaler_scale"), len(features))):
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
    wrong = [key for key, kind in required.items() if not isinstance(content[key], kind) or
             isinstance(content[key], bool)]
    if wrong:
        raise UsageError(f"{path} holds a value of the wrong type for {', '.join(wrong)}; the run folder is damaged.")
    return content
