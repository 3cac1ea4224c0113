"""Run folders: what ``numpynn train`` writes, and reading one back.

A run folder holds config.json (every setting and the command that repeats the run),
environment.json, history.csv, metrics.json, model.npz, preprocessing.json, figures/*.png and
report.html. Every file is written atomically; an existing non-empty folder is never written into
unless asked (``force``).
"""
from __future__ import annotations

import csv
import io
import json
import shutil
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import UsageError
from .files import write_text
from .options import reproduce_command

if TYPE_CHECKING:  # for annotations only: importing these at run time would be circular
    from .experiment import TrainingResult
    from .models import Sequential


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
    if out.exists() and any(out.iterdir()) and not force:
        raise UsageError(f"run folder {out} already exists and is not empty; choose another --out or pass --force.")
    (out / "figures").mkdir(parents=True, exist_ok=True)
    return out


def remove_if_empty(run_dir: Path) -> None:
    """Leave no empty folder behind when a run failed before writing anything."""
    if not any(run_dir.rglob("*.*")):
        shutil.rmtree(run_dir, ignore_errors=True)


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
    from . import report
    from .environment import environment_info
    config = {**result.config, "command": reproduce_command(result.config)}
    for name, content in (("config.json", config), ("environment.json", environment_info()),
                          ("metrics.json", result.metrics), ("preprocessing.json", result.data.preprocessing)):
        write_text(run_dir / name, json.dumps(content, indent=2) + "\n")
    write_text(run_dir / "history.csv", history_csv(result.history))
    result.model.save(run_dir / "model.npz")
    figures = report.save_figures(run_dir / "figures", config, result.metrics, result.history, result.model,
                                  result.data)
    report.write_report(run_dir, config, result.metrics, figures)


def load_run(run_dir: str | Path) -> tuple[dict, dict, Sequential]:
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
