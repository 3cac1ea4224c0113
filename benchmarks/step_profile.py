"""Where one training step of a benchmarks/cnn.py network spends its time: milliseconds per layer and pass,
and the optimizer, averaged over --steps steps of a batch of 128 (float32).

    python benchmarks/step_profile.py [--network reference|default|resnet] [--conv-algorithm auto|im2col]

Each of the model's steps is wrapped with a timer, forward and backward: a layer, or a layer with ReLU
and the max pooling after it, which the model runs as one step ("conv2d+max_pooling2d",
numpynn/nn/layers/pooled_relu.py). The step itself is ``model.train_step`` as ``fit`` runs it. Layers inside
residual blocks are timed as part of their block.
"""

from __future__ import annotations

# isort: split
import argparse
import os
import sys
import time
from collections import defaultdict

import numpy as np
from cnn import numpynn_model
from common import machine_line

import numpynn
from numpynn.kernels import parallel


def timing(name: str, method, totals: dict):
    def timed(*args, **kwargs):
        start = time.perf_counter()
        result = method(*args, **kwargs)
        totals[name] += time.perf_counter() - start
        return result

    return timed


class TimedStep:
    """One of the model's steps (a layer, or a layer and its max pooling run as one), timed both ways."""

    def __init__(self, step, totals: dict):
        self.forward = timing(f"{step.name} forward", step, totals)
        self.backward = timing(f"{step.name} backward", step.backward, totals)

    def __call__(self, x, training=False):
        return self.forward(x, training)


def main() -> None:
    import numpynn as nn

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--network", default="reference", choices=("reference", "default", "resnet"))
    parser.add_argument("--conv-algorithm", default="auto", choices=("auto", "im2col", "winograd"))
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument(
        "--no-opt-in",
        action="store_true",
        help="skip numpynn.configure_runtime: what `fit` from your own Python gets without it",
    )
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    x, y = rng.random((128, 28, 28, 1), dtype=np.float32), rng.integers(0, 10, 128)
    if args.network == "resnet":  # the `--model resnet` preset
        from numpynn.models.specs import build_model

        model = build_model("resnet", (28, 28, 1), 10, seed=0)
    else:
        model = numpynn_model(args.network, args.conv_algorithm)
    model.compile(nn.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, batch_size=128, verbose=0)  # builds, and pages in the buffers
    totals: dict[str, float] = defaultdict(float)
    timed = {id(step): TimedStep(step, totals) for step in model._steps}  # what the model runs
    model._steps = [timed[id(step)] for step in model._steps]
    model._backward_steps = [timed[id(step)] for step in model._backward_steps]
    last = model.layers[-1]
    last.forward_with_logits = timing(f"{last.name} forward", last.forward_with_logits, totals)
    last.backward_from_logits = timing(f"{last.name} backward", last.backward_from_logits, totals)
    model.apply_gradients = timing("optimizer (Adam)", model.apply_gradients, totals)
    start = time.perf_counter()
    for _ in range(args.steps):
        model.train_step(x, y)
    step = (time.perf_counter() - start) / args.steps * 1e3
    print(
        f"{machine_line()}; "
        f"OPENBLAS_THREAD_TIMEOUT={os.environ.get('OPENBLAS_THREAD_TIMEOUT', 'unset')}; "
        f"element-wise threads {parallel.thread_count()}"
    )
    print(f"{args.network} network, Conv2D algorithm {args.conv_algorithm}: {step:.1f} ms per step\n")
    print("| layer and pass | ms per step |")
    print("|---|---|")
    for name, seconds in sorted(totals.items(), key=lambda item: -item[1]):
        if seconds / args.steps >= 5e-5:
            print(f"| {name} | {seconds / args.steps * 1e3:.1f} |")


if __name__ == "__main__":
    if "--no-opt-in" not in sys.argv:
        numpynn.configure_runtime(restart=True)  # as the command line does: numpynn/kernels/runtime.py
    main()
