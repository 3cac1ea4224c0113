"""Seconds per epoch of `numpynn train` from this checkout and another, each run its own process, alternating.

    python benchmarks/cli_epochs.py /path/to/other/checkout [--rounds 3] [--models mlp,cnn]

What a user of the command line gets: each round runs `python -m numpynn train mnist --epochs 2` (the MLP
preset, and `--model cnn`) once from each checkout, in turn, the first to go alternating, in a clean
environment (no OPENBLAS_THREAD_TIMEOUT: each checkout's command line makes its own process settings).
It reads both epochs' seconds from the run's history.csv and the process's wall time (start-up, data,
training, the report). A noisy machine slows neighbours alike, so the ratio of each pair is steadier
than two runs timed apart; the table gives the medians of the per-pair ratios (this / other).
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import machine_line

HERE = Path(__file__).resolve().parents[1]


def train_once(checkout: Path, model: str, out: Path) -> tuple[list[float], float]:
    """(seconds of each epoch, wall seconds of the whole command) for one `numpynn train mnist` run."""
    env = {key: value for key, value in os.environ.items() if key != "OPENBLAS_THREAD_TIMEOUT"}
    env["PYTHONPATH"] = str(checkout)  # this checkout's numpynn, ahead of any installed one
    preset = [] if model == "mlp" else ["--model", model]  # the MLP is mnist's default network
    command = [
        sys.executable,
        "-m",
        "numpynn",
        "train",
        "mnist",
        *preset,
        "--epochs",
        "2",
        "--seed",
        "0",
        "--quiet",
        "--out",
        str(out),
    ]
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, cwd=checkout, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    with open(out / "history.csv", newline="") as handle:
        epochs = [float(row["seconds"]) for row in csv.DictReader(handle)]
    return epochs, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkout", type=Path, help="the other numpynn checkout (the folder holding numpynn/)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--models", default="mlp,cnn")
    args = parser.parse_args()
    checkouts = {"this": HERE, "other": args.checkout.resolve()}
    print(machine_line())
    with tempfile.TemporaryDirectory() as folder:
        for model in args.models.split(","):
            ratios, walls, seconds = [], [], {"this": [], "other": []}
            for round_number in range(args.rounds):
                order = ["this", "other"] if round_number % 2 == 0 else ["other", "this"]
                results = {}
                for name in order:
                    results[name] = train_once(checkouts[name], model, Path(folder) / f"{model}-{round_number}-{name}")
                for name in results:
                    seconds[name] += results[name][0]
                ratios += [ours / theirs for ours, theirs in zip(results["this"][0], results["other"][0])]
                walls.append(results["this"][1] / results["other"][1])
                print(
                    f"{model} round {round_number + 1}: epochs this {results['this'][0]}, other "
                    f"{results['other'][0]}; wall this {results['this'][1]:.1f} s, other {results['other'][1]:.1f} s",
                    flush=True,
                )
            print(
                f"| {model} | {statistics.median(seconds['this']):.2f} | {statistics.median(seconds['other']):.2f} | "
                f"{statistics.median(ratios):.3f} ({min(ratios):.3f}-{max(ratios):.3f}) | "
                f"{statistics.median(walls):.3f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
