"""Time ``model.evaluate`` on the 10,000 MNIST test images, for the default MLP and the CNN preset.

    python benchmarks/evaluate.py                           # this checkout
    python benchmarks/evaluate.py --compare /path/to/other  # and another checkout, alternating processes

Each measurement runs in its own process (the numpynn it imports comes from --checkout); the weights
are the untrained seed-0 weights, which cost the same to evaluate as trained ones. With --compare the
two checkouts alternate, round after round, so a noisy machine slows both alike; the ratio is per round.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODELS = {"mlp": "dense:512,dropout:0.2,dense:512,dropout:0.2", "cnn": "cnn"}


def worker(model_name: str, repeat: int) -> dict:
    import numpy as np

    from numpynn.data.datasets import load_mnist
    from numpynn.data.preprocessing import scale_pixels
    from numpynn.models import specs
    from numpynn.nn import losses

    _, (x, y) = load_mnist(download=False)
    x = scale_pixels(x)
    x = x[..., None] if model_name == "cnn" else x.reshape(len(x), -1)
    model = specs.build_model(MODELS[model_name], x.shape[1:], 10, seed=0)
    model.compile("adam", losses.get("sparse_categorical_crossentropy"), metrics=["accuracy"])
    model.evaluate(x[:512], y[:512])  # warm-up: page in the buffers
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        model.evaluate(x, y)
        times.append(time.perf_counter() - start)
    return {"seconds": min(times), "all": times, "numpy": np.__version__}


def measure(checkout: Path, model_name: str, repeat: int) -> float:
    env = dict(os.environ, PYTHONPATH=str(checkout))
    out = subprocess.run(
        [sys.executable, __file__, "--worker", model_name, "--repeat", str(repeat)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])["seconds"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkout", type=Path, default=HERE.parent, help="numpynn checkout to time")
    parser.add_argument("--compare", type=Path, help="a second checkout, timed alternately with the first")
    parser.add_argument("--models", default="mlp,cnn")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3, help="evaluations per process (the best one counts)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.repeat)))
        return
    print(
        f"CPU {platform.processor() or platform.machine()}, kernel {platform.release()}, "
        f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}"
    )
    for model_name in args.models.split(","):
        rows = []
        for _ in range(args.rounds):
            first = measure(args.checkout, model_name, args.repeat)
            second = measure(args.compare, model_name, args.repeat) if args.compare else None
            rows.append((first, second))
            print(
                f"{model_name}: {args.checkout.name} {first:.3f} s"
                + (f", {args.compare.name} {second:.3f} s, ratio {first / second:.3f}" if second else ""),
                flush=True,
            )
        if args.compare:
            ratios = [a / b for a, b in rows]
            print(
                f"{model_name}: median ratio {statistics.median(ratios):.3f} "
                f"({args.checkout.name} / {args.compare.name})"
            )


if __name__ == "__main__":
    main()
