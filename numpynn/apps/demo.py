"""``make demo``: train the Breast Cancer and MNIST demos with their defaults and print the results."""

from __future__ import annotations

import sys
import time

from numpynn.kernels.runtime import configure_runtime
from numpynn.runs import experiment


def main() -> int:
    start = time.perf_counter()
    results = []
    for dataset in ("breast-cancer", "mnist"):
        try:
            run_dir, metrics = experiment.train(dataset, log=lambda m: print(m, file=sys.stderr))
        except (ValueError, FileNotFoundError, ImportError) as exc:  # e.g. MNIST neither on disk nor reachable
            print(f"numpynn demo: {dataset}: {str(exc).replace(chr(10), ' ')}", file=sys.stderr)
            return 2
        results.append((dataset, metrics, run_dir))
    print("\nnumpynn demo results")
    print(
        f"{'dataset':<15}{'test accuracy':>15}{'test loss':>12}{'epochs':>8}{'train s':>9}  "
        "run folder (report.html inside)"
    )
    for dataset, metrics, run_dir in results:
        test = metrics["test"]
        print(
            f"{dataset:<15}{test['accuracy']:>15.4f}{test['loss']:>12.4f}{metrics['epochs_run']:>8}"
            f"{metrics['train_seconds']:>9.2f}  {run_dir}"
        )
    print(f"total time {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    configure_runtime(restart=True)  # a program of its own, as the command line: numpynn/kernels/runtime.py
    sys.exit(main())
