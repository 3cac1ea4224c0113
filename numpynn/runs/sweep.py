"""``numpynn sweep``: train many configurations, locally in processes or on a Dask cluster, and keep the best.

    numpynn sweep breast-cancer --grid "lr=1e-3,3e-3 model=mlp:16;mlp:32,16 weight-decay=0,0.03"

A grid axis is any option of ``numpynn train``, written as its flag without dashes (``weight-decay``)
or its key (``weight_decay``), with values separated by commas, or by semicolons when a value holds a
comma (``model=mlp:16;mlp:32,16``); ``--search random --n-iter N`` tries N of the combinations, and
``--search halving`` gives every combination a third of a third... of the epochs, then the best third
three times as many, until the last ones train for the full epochs (successive halving).
Every configuration is scored on the validation split (or, with
``--folds K``, on K folds of the training and validation rows). Tasks run in local processes (joblib),
or with ``--scheduler tcp://HOST:8786`` on an existing Dask cluster through joblib's Dask backend; the
data is prepared once and sent to each worker once. The sweep folder holds results.csv, a figure of the
score against every swept option, the best configuration retrained as a full run folder (``best/``), and
report.html linking it.
"""

from __future__ import annotations

import base64
import contextlib
import csv
import html
import io
import itertools
import json
import os
import socket
import time
from collections.abc import Callable
from dataclasses import replace as with_fields
from pathlib import Path

import numpy as np

from numpynn.console import progress_bar, say_nothing
from numpynn.data.sources import PreparedData, dataset_kind
from numpynn.errors import UsageError, missing_dependency
from numpynn.files import write_text
from numpynn.models.specs import is_convolutional
from numpynn.runs import options, plots
from numpynn.runs.experiment import fit_and_evaluate, prepare_run_data, train
from numpynn.runs.report import STYLE, html_table, save_figure


def parse_grid(text: str, kind: str, dataset: str) -> dict[str, list]:
    """{option key: [values]} from 'lr=1e-3,3e-3 model=mlp:16;mlp:32,16', each value parsed and checked."""
    grid = {}
    for axis in text.split():
        name, _, values = axis.partition("=")
        key = name.strip().lstrip("-").replace("-", "_")
        if key not in options.BY_KEY:
            raise UsageError(f"--grid: unknown option {name!r}; sweepable: {', '.join(sorted(options.BY_KEY))}.")
        option = options.BY_KEY[key]
        cells = [v for v in values.split(";" if ";" in values else ",") if v.strip()]
        if not cells:
            raise UsageError(f"--grid: the axis {name!r} has no values; write {name}=VALUE,VALUE.")
        try:
            grid[key] = [option.parse(cell.strip()) for cell in cells]
        except (TypeError, ValueError):
            raise UsageError(f"--grid: a value of {name!r} is not {option.parse.__name__}: {values!r}.") from None
        for value in grid[key]:  # each value checked as `numpynn train` would check it
            options.resolve(kind, dataset, **{key: value})
    if not grid:
        raise UsageError('--grid needs at least one axis, e.g. --grid "lr=1e-3,3e-3".')
    return grid


def configurations(grid: dict, search: str, n_iter: int, seed: int) -> list[dict]:
    """Every combination (grid), or ``n_iter`` of them drawn without repeats (random, halving)."""
    every = [dict(zip(grid, values, strict=True)) for values in itertools.product(*grid.values())]
    if search == "grid" or n_iter >= len(every):
        return every
    chosen = np.random.default_rng(seed).choice(len(every), n_iter, replace=False)
    return [every[i] for i in sorted(chosen)]


def fold_data(data: PreparedData, folds: int, fold: int, seed: int) -> PreparedData:
    """The training and validation rows re-split: fold ``fold`` of ``folds`` validates, the rest trains
    (stratified for classes; the test split is left as it is)."""
    x = np.concatenate([data.x_train, data.x_val])
    y = np.concatenate([data.y_train, data.y_val])
    order = np.random.default_rng(seed).permutation(len(y))
    if data.task == "classification":
        order = order[np.argsort(y[order], kind="stable")]  # class by class, then dealt out round robin
    held_out = order[fold::folds]
    train = np.setdiff1d(np.arange(len(y)), held_out)
    return with_fields(data, x_train=x[train], y_train=y[train], x_val=x[held_out], y_val=y[held_out])


def run_task(dataset: str, target: str | None, data: PreparedData, settings: dict, folds: int, fold: int) -> dict:
    """Train one configuration on one fold (or the validation split): its score, time and worker."""
    start = time.perf_counter()
    split = fold_data(data, folds, fold, settings.get("seed") or 0) if folds > 1 else data
    metrics = fit_and_evaluate(dataset, quiet=True, target=target, data=split, **settings).metrics["val"]
    return {
        "score": metrics["r2"] if "r2" in metrics else metrics["accuracy"],
        "seconds": time.perf_counter() - start,
        "worker": _worker_name(),
    }


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return f"{socket.gethostname()}:{os.getpid()}"


def _connect(scheduler: str):
    """A client of the Dask cluster at ``scheduler``, connected within a few seconds or a clear error."""
    try:
        from distributed import Client
    except ImportError:
        raise missing_dependency("numpynn sweep --scheduler", "dask[distributed]", "dask") from None
    try:
        return Client(scheduler, timeout="5s")
    except (OSError, TimeoutError) as exc:
        raise UsageError(
            f"no Dask scheduler answers at {scheduler} ({exc}); start one with `dask scheduler`."
        ) from None


def sweep(
    dataset: str,
    grid_text: str,
    out: Path,
    target: str | None = None,
    folds: int = 1,
    search: str = "grid",
    n_iter: int = 10,
    workers: int = 2,
    scheduler: str | None = None,
    quiet: bool = False,
    log: Callable[[str], None] = print,
    **fixed,
) -> dict | None:
    """Run a sweep and write its folder; returns the best configuration with its score (None if no task finished)."""
    kind = dataset_kind(dataset)
    grid = parse_grid(grid_text, kind, dataset)
    configs = configurations(grid, "grid" if search == "halving" else search, n_iter, fixed.get("seed") or 0)
    base = {**options.resolve(kind, dataset, **fixed), "dataset": dataset, "target": target}
    # Images get a channel axis if any configuration is convolutional; the dense ones flatten it anyway.
    convolutional = any(is_convolutional(spec) for spec in grid.get("model", [base["model"]]))
    data = prepare_run_data(base, channels_last=convolutional, log=say_nothing if quiet else log, progress=not quiet)
    out.mkdir(parents=True, exist_ok=True)
    import joblib

    client = _connect(scheduler) if scheduler else None
    try:
        # On a cluster, joblib's Dask backend sends the data to every worker once, not with every task.
        with joblib.parallel_config(backend="dask", scatter=[data]) if client else contextlib.nullcontext():
            parallel = joblib.Parallel(n_jobs=-1 if client else workers, return_as="generator_unordered")
            rounds: list[int | None] = (
                [*halving_rounds(len(configs), base["epochs"])] if search == "halving" else [None]
            )
            results, interrupted = _run_all(parallel, dataset, target, data, fixed, configs, folds, quiet, rounds)
    finally:
        if client is not None:
            client.close()
    write_results(out, grid, results)
    last = max((r["epochs"] or 0 for r in results if r["scores"]), default=0)  # halving: the final round's
    finished = [r for r in results if len(r["scores"]) == folds and (r["epochs"] or 0) == last]
    best = max(finished, key=lambda r: r["mean"], default=None)
    if best is not None and not interrupted:
        train(dataset, out=out / "best", force=True, quiet=True, target=target, log=log, **{**fixed, **best["config"]})
    write_sweep_report(out, dataset, grid, results, best, interrupted)
    if interrupted:
        raise KeyboardInterrupt
    return best


def halving_rounds(candidates: int, max_epochs: int) -> list[int]:
    """The epochs of each round of successive halving: a third of the configurations survive each round
    and get three times the epochs, the last round the full ``max_epochs``."""
    if candidates <= 1:
        return [max_epochs]
    rounds = 1
    while 3**rounds < candidates:
        rounds += 1
    return [max(1, round(max_epochs / 3 ** (rounds - 1 - r))) for r in range(rounds)]


def _run_all(
    parallel, dataset, target, data, fixed, configs, folds, quiet, rounds: list[int | None]
) -> tuple[list[dict], bool]:
    """Every task, round after round (one round with ``[None]``; successive halving otherwise, each round
    with its epochs): (one entry per configuration, whether Ctrl-C cut it short)."""
    import joblib

    results = [
        {"config": config, "scores": [], "seconds": 0.0, "workers": set(), "folds": folds, "epochs": None}
        for config in configs
    ]
    alive, interrupted = list(range(len(configs))), False
    for number, epochs in enumerate(rounds):
        budget = {} if epochs is None else {"epochs": epochs}
        tasks = [
            joblib.delayed(_indexed)(i, fold, dataset, target, data, {**fixed, **configs[i], **budget}, folds)
            for i in alive
            for fold in range(folds)
        ]
        for i in alive:
            results[i].update(scores=[], epochs=epochs)
        bar = None if quiet else progress_bar(len(tasks), f"Sweep round {number + 1}/{len(rounds)}", "task")
        try:
            for i, answer in parallel(tasks):
                results[i]["scores"].append(answer["score"])
                results[i]["seconds"] += answer["seconds"]
                results[i]["workers"].add(answer["worker"])
                if bar is not None:
                    bar.update(1)
        except KeyboardInterrupt:  # the outstanding tasks are cancelled as joblib unwinds; finished ones stay
            interrupted = True
        finally:
            if bar is not None:
                bar.close()
        if interrupted:
            break
        alive = sorted(alive, key=lambda i: -float(np.mean(results[i]["scores"])))[: max(1, len(alive) // 3)]
    for entry in results:
        entry["mean"] = float(np.mean(entry["scores"])) if entry["scores"] else float("nan")
        entry["std"] = float(np.std(entry["scores"])) if entry["scores"] else float("nan")
    return results, interrupted


def _indexed(index, fold, dataset, target, data, settings, folds):
    return index, run_task(dataset, target, data, settings, folds, fold)


def write_results(out: Path, grid: dict, results: list[dict]) -> None:
    """results.csv: one row per configuration, every swept option, the mean and std of the score."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([*grid, "epochs", "mean_score", "std_score", "folds_done", "fit_seconds", "workers"])
    for entry in sorted(results, key=lambda r: -np.nan_to_num(r["mean"], nan=-np.inf)):
        writer.writerow(
            [entry["config"][key] for key in grid]
            + [
                entry["epochs"] or "",
                f"{entry['mean']:.6f}",
                f"{entry['std']:.6f}",
                len(entry["scores"]),
                f"{entry['seconds']:.2f}",
                " ".join(sorted(entry["workers"])),
            ]
        )
    write_text(out / "results.csv", buffer.getvalue())


def write_sweep_report(
    out: Path, dataset: str, grid: dict, results: list[dict], best: dict | None, interrupted: bool = False
) -> None:
    """A figure of the score against each swept option and report.html with the table and the best run."""

    figure = plots.plot_sweep(grid, [(r["config"], r["mean"]) for r in results if r["scores"]])
    save_figure(figure, out / "scores.png")
    rows = [
        [
            *(str(r["config"][key]) for key in grid),
            f"{r['mean']:.4f}",
            f"{r['std']:.4f}",
            f"{r['seconds']:.1f}",
            " ".join(sorted(r["workers"])),
        ]
        for r in sorted(results, key=lambda r: -np.nan_to_num(r["mean"], nan=-np.inf))
    ]
    if best is None:
        best_text = "<p>No configuration finished.</p>"
    elif interrupted:
        best_text = (
            f"<p><b>Interrupted</b>: the best finished configuration was "
            f"<code>{html.escape(json.dumps(best['config']))}</code> ({best['mean']:.4f}).</p>"
        )
    else:
        best_text = (
            f"<p>Best: <code>{html.escape(json.dumps(best['config']))}</code>, mean score "
            f"{best['mean']:.4f}; retrained with its settings as a full run: "
            "<a href='best/report.html'>best/report.html</a>.</p>"
        )
    image = base64.b64encode((out / "scores.png").read_bytes()).decode()
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>numpynn sweep: {html.escape(dataset)}</title>
<style>{STYLE}</style></head><body>
<h1>numpynn sweep: {html.escape(dataset)}</h1>
{best_text}
<figure><img alt="score against each option" src="data:image/png;base64,{image}"></figure>
{html_table([*grid, "mean score", "std", "fit seconds", "workers"], rows)}
</body></html>
"""
    write_text(out / "report.html", page)
