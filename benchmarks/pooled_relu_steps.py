"""Training steps of the benchmarks/cnn.py networks with ReLU after max pooling (numpynn/nn/layers/pooled_relu.py)
against the same model run layer by layer, alternating, in one process (float32, batch 128, Adam).

    python benchmarks/pooled_relu_steps.py [--rounds 8] [--steps 10] [--networks default,reference]

Each round times --steps steps of each model, one after the other, so a noisy machine slows both alike;
the table gives the median ms per step and the median of the per-round ratios. Both models start from the
same weights; the script checks they still hold the same weights, bit for bit, after the timed steps.
"""

from __future__ import annotations

# isort: split
import argparse
import time

import numpy as np
from cnn import numpynn_model
from common import machine_line

import numpynn


def layer_by_layer(model):
    """The model without pairs: every hidden layer its own step (what Sequential did before the pairing)."""
    model.pair_relu_and_pooling = False
    model.build(model.input_shape)
    return model


def compare(network: str, rounds: int, steps: int) -> str:
    rng = np.random.default_rng(0)
    x, y = rng.random((128, 28, 28, 1), dtype=np.float32), rng.integers(0, 10, 128)
    models = {"paired": numpynn_model(network), "layer by layer": numpynn_model(network)}
    for model in models.values():
        model.compile(numpynn.nn.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
        model.build((28, 28, 1))
        model.set_weights(models["paired"].get_weights())
    layer_by_layer(models["layer by layer"])
    for model in models.values():
        model.train_step(x, y)  # pages in the buffers
    times: dict[str, list[float]] = {name: [] for name in models}
    for _ in range(rounds):
        for name, model in models.items():
            start = time.perf_counter()
            for _ in range(steps):
                model.train_step(x, y)
            times[name].append((time.perf_counter() - start) / steps * 1e3)
    same = all(np.array_equal(a, b) for a, b in zip(*(model.get_weights() for model in models.values())))
    paired, plain = (np.array(times[name]) for name in models)
    return (
        f"| {network} | {np.median(plain):.1f} | {np.median(paired):.1f} | "
        f"**{np.median(paired / plain):.3f}** | {'yes' if same else 'NO'} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--networks", default="default,reference")
    args = parser.parse_args()
    print(f"{machine_line()}; {args.rounds} rounds of {args.steps} steps\n")
    print("| network | layer by layer ms/step | paired ms/step | paired / layer by layer | same weights |")
    print("|---|---|---|---|---|")
    for network in args.networks.split(","):
        print(compare(network, args.rounds, args.steps), flush=True)


if __name__ == "__main__":
    numpynn.configure_runtime(restart=True)  # as the command line does: numpynn/kernels/runtime.py
    main()
