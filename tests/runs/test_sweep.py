"""numpynn sweep: grids checked before anything runs; the same scores serially, in local processes and
on a two-worker Dask LocalCluster started here."""

import csv

import pytest

from numpynn.apps.cli import main
from numpynn.errors import UsageError
from numpynn.runs.sweep import parse_grid, sweep

GRID = "lr=1e-3,1e-2 model=mlp:4;mlp:8,4"
SETTINGS = {"epochs": 15, "early_stopping": 0}


def read(folder):
    with open(folder / "results.csv") as handle:
        rows = list(csv.DictReader(handle))
    return {(row["lr"], row["model"]): row for row in rows}


def test_a_grid_is_parsed_and_checked_before_anything_runs():
    grid = parse_grid("lr=1e-3,3e-3 model=mlp:16;mlp:32,16 --weight-decay=0 val-size=5000", "images", "mnist")
    assert grid == {"lr": [1e-3, 3e-3], "model": ["mlp:16", "mlp:32,16"], "weight_decay": [0.0], "val_size": [5000]}
    for text, message in (
        ("learning=1", "unknown option 'learning'"),
        ("lr=", "has no values"),
        ("epochs=ten", "not int"),
        ("epochs=0", "--epochs must be positive"),
        ("", "at least one"),
    ):
        with pytest.raises(UsageError, match=message):
            parse_grid(text, "tabular", "breast-cancer")


def test_serial_and_parallel_sweeps_agree_and_the_best_is_retrained(tmp_path, capsys):
    serial = sweep("breast-cancer", GRID, tmp_path / "serial", folds=2, workers=1, quiet=True, **SETTINGS)
    assert (
        main(
            [
                "sweep",
                "breast-cancer",
                "--grid",
                GRID,
                "--folds",
                "2",
                "--workers",
                "2",
                "--epochs",
                "15",
                "--early-stopping",
                "0",
                "--out",
                str(tmp_path / "parallel"),
                "--quiet",
            ]
        )
        == 0
    )
    parallel = {"config": capsys.readouterr().out.split("best ")[1].split(": mean")[0]}
    a, b = read(tmp_path / "serial"), read(tmp_path / "parallel")
    assert len(a) == 4 and all(a[key]["mean_score"] == b[key]["mean_score"] for key in a)
    import json

    assert serial["config"] == json.loads(parallel["config"])
    assert (tmp_path / "parallel" / "best" / "report.html").is_file()
    assert "best/report.html" in (tmp_path / "parallel" / "report.html").read_text()


def test_a_dask_local_cluster_runs_the_tasks_and_gives_the_serial_scores(tmp_path):
    distributed = pytest.importorskip("distributed", reason="the Dask tests need pip install 'numpynn[dask]'")
    serial = sweep("breast-cancer", GRID, tmp_path / "serial", folds=2, workers=1, quiet=True, **SETTINGS)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        on_dask = sweep(
            "breast-cancer",
            GRID,
            tmp_path / "dask",
            folds=2,
            scheduler=cluster.scheduler_address,
            quiet=True,
            **SETTINGS,
        )
        with distributed.Client(cluster) as client:
            addresses = set(client.scheduler_info()["workers"])
    a, b = read(tmp_path / "serial"), read(tmp_path / "dask")
    assert all(a[key]["mean_score"] == b[key]["mean_score"] for key in a)
    assert serial["config"] == on_dask["config"]
    used = {address for row in b.values() for address in row["workers"].split()}
    assert used == addresses  # both workers ran tasks


def test_an_unreachable_scheduler_is_named_quickly(tmp_path, capsys):
    pytest.importorskip("distributed", reason="the Dask tests need pip install 'numpynn[dask]'")
    code = main(
        [
            "sweep",
            "breast-cancer",
            "--grid",
            "lr=1e-3",
            "--scheduler",
            "tcp://127.0.0.1:9",
            "--out",
            str(tmp_path / "s"),
            "--quiet",
        ]
    )
    assert code == 2 and "no Dask scheduler answers at tcp://127.0.0.1:9" in capsys.readouterr().err


def test_a_grid_of_image_models_dense_and_convolutional(tmp_path):
    from helpers import write_fake_mnist_folder

    write_fake_mnist_folder(tmp_path / "digits")
    best = sweep(
        f"idx:{tmp_path / 'digits'}",
        "model=mlp:16;conv:4,pool",
        tmp_path / "s",
        workers=1,
        quiet=True,
        epochs=3,
        val_size=60,
    )
    assert best["config"]["model"] in ("mlp:16", "conv:4,pool") and len(read_models(tmp_path / "s")) == 2


def read_models(folder):
    with open(folder / "results.csv") as handle:
        return [row["model"] for row in csv.DictReader(handle)]


def test_successive_halving_gives_the_survivors_more_epochs(tmp_path):
    from numpynn.runs.sweep import halving_rounds

    assert halving_rounds(4, 9) == [3, 9] and halving_rounds(10, 27) == [3, 9, 27] and halving_rounds(1, 5) == [5]
    best = sweep(
        "breast-cancer", GRID, tmp_path / "h", search="halving", workers=1, quiet=True, epochs=9, early_stopping=0
    )
    rows = read(tmp_path / "h")
    assert sorted(row["epochs"] for row in rows.values()) == ["3", "3", "3", "9"]
    survivor = next(key for key, row in rows.items() if row["epochs"] == "9")
    assert (str(best["config"]["lr"]), best["config"]["model"]) == survivor


def test_ctrl_c_keeps_the_finished_configurations(tmp_path):
    """A real process, interrupted once its progress bar shows a finished task: exit 130, results.csv with
    the finished configurations scored and the rest empty, a report that says it was interrupted."""
    import re
    import signal
    import subprocess
    import sys

    out = tmp_path / "sweep"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "numpynn",
            "sweep",
            "breast-cancer",
            "--grid",
            "lr=1e-3,2e-3,3e-3,4e-3,5e-3,6e-3",
            "--workers",
            "1",
            "--epochs",
            "200",
            "--early-stopping",
            "0",
            "--out",
            str(out),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen = ""
    while not re.search(r"\| *[1-5]/6 ", seen):  # at least one task done, and at least one still to run
        chunk = process.stderr.read(1)
        assert chunk, f"the sweep ended before a task finished: {seen[-500:]}"
        seen += chunk
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr[-2000:]
    assert "sweep interrupted" in stderr + stdout
    with open(out / "results.csv") as handle:
        rows = list(csv.DictReader(handle))
    scored = [row for row in rows if row["mean_score"] not in ("", "nan")]
    assert len(rows) == 6 and 1 <= len(scored) < 6
    assert "interrupted" in (out / "report.html").read_text().lower()
    assert not (out / "best").exists()  # no retraining of a best configuration from a cut-short sweep
