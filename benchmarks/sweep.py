"""Wall time of one sweep run serially, in 2 local processes, and on a 2-worker Dask LocalCluster.

    python benchmarks/sweep.py [--dataset breast-cancer] [--grid "..."] [--folds 2]

The default grid has 24 configurations of the Breast Cancer recipe (4 learning rates x 3 models x 2 weight
decays), each scored on 2 folds: 48 tasks. The per-task overhead is (wall time x workers - the sum of the
tasks' own fit times) / tasks.
"""

from __future__ import annotations

import argparse
import csv
import platform
import tempfile
import time
from pathlib import Path

GRID = "lr=3e-4,1e-3,3e-3,1e-2 model=mlp:8;mlp:16;mlp:32,16 weight-decay=0,0.03"


def fit_seconds(folder: Path) -> float:
    with open(folder / "results.csv") as handle:
        return sum(float(row["fit_seconds"]) for row in csv.DictReader(handle))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="breast-cancer")
    parser.add_argument("--grid", default=GRID)
    parser.add_argument("--folds", type=int, default=2)
    parser.add_argument("--epochs", type=int, help="fixed epochs for every configuration")
    args = parser.parse_args()
    from distributed import Client, LocalCluster

    from numpynn.runs.sweep import sweep

    fixed = {"epochs": args.epochs} if args.epochs else {}
    print(
        f"CPU {platform.processor() or platform.machine()}, kernel {platform.release()}; {args.dataset}, "
        f"grid {args.grid!r}, {args.folds} folds"
    )
    root = Path(tempfile.mkdtemp(prefix="numpynn-sweep-"))
    runs = {}
    for name, workers in (("serial", 1), ("2 local processes", 2)):
        start = time.perf_counter()
        sweep(args.dataset, args.grid, root / name, folds=args.folds, workers=workers, quiet=True, **fixed)
        runs[name] = (time.perf_counter() - start, workers)
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        Client(cluster),
    ):
        start = time.perf_counter()
        sweep(
            args.dataset,
            args.grid,
            root / "dask",
            folds=args.folds,
            scheduler=cluster.scheduler_address,
            quiet=True,
            **fixed,
        )
        runs["2-worker Dask LocalCluster"] = (time.perf_counter() - start, 2)
    tasks = len((root / "serial" / "results.csv").read_text().splitlines()) - 1
    serial = runs["serial"][0]
    print("| how | wall time (s) | speed-up | overhead per task (ms) |")
    print("|---|---|---|---|")
    for name, (seconds, workers) in runs.items():
        folder = root / ("dask" if "Dask" in name else name)
        overhead = (seconds * workers - fit_seconds(folder)) / (tasks * args.folds) * 1000
        print(f"| {name} | {seconds:.1f} | {serial / seconds:.2f}x | {overhead:.0f} |")
    print("(wall time includes preparing the data once and retraining the best configuration as a run folder)")


if __name__ == "__main__":
    main()
