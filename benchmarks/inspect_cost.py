"""What --inspect costs: MNIST epoch time with and without callbacks.LayerStats, for the default MLP and
the CNN preset.

    python benchmarks/inspect_cost.py                      # 3 rounds of (plain epoch, inspected epoch)
    python benchmarks/inspect_cost.py --models mlp --rounds 5 --samples 10000

In one process, epochs with and without LayerStats alternate (ABAB), so the machine's noise slows both
alike; the ratio is taken per round and the median reported. LayerStats gets the 256 validation images
that `numpynn train --inspect` gives it. The epochs run on the training images (all of them by default).
The last column times LayerStats' end-of-epoch work on its own (the parameter copy before an epoch's last
step is included in the epochs, not there).
"""

from __future__ import annotations

import argparse
import statistics
import time

from common import load_mnist_float, machine_line

MODELS = {"mlp": "dense:512,dropout:0.2,dense:512,dropout:0.2", "cnn": "cnn"}


def epoch_seconds(model, x, y, callbacks) -> float:
    start = time.perf_counter()
    model.fit(x, y, epochs=1, batch_size=128, verbose=0, callbacks=callbacks)
    return time.perf_counter() - start


def measure(name: str, rounds: int, samples: int | None) -> dict:
    import numpynn as nn
    from numpynn.models import specs
    from numpynn.nn import losses

    x, y, source = load_mnist_float(images_4d=name == "cnn")
    x_sample, x, y = x[-256:], x[:samples], y[:samples]
    model = specs.build_model(MODELS[name], x.shape[1:], 10, seed=0)
    model.compile(nn.optimizers.Adam(1e-3), losses.get("sparse_categorical_crossentropy"), metrics=["accuracy"])
    epoch_seconds(model, x[:1024], y[:1024], [])  # warm-up: page in the buffers
    plain, inspected = [], []
    for _ in range(rounds):
        plain.append(epoch_seconds(model, x, y, []))
        inspected.append(epoch_seconds(model, x, y, [nn.callbacks.LayerStats(x_sample)]))
    ratios = [b / a for a, b in zip(plain, inspected)]
    # The epoch-end work alone, timed directly: the part of the cost a noisy machine cannot hide.
    stats = nn.callbacks.LayerStats(x_sample)
    stats.set_model(model)
    stats.set_params({"steps": 1})
    stats.on_train_begin()
    end_of_epoch = []
    for epoch in range(5):
        stats.on_epoch_begin(epoch)
        start = time.perf_counter()
        stats.on_epoch_end(epoch, {})
        end_of_epoch.append(time.perf_counter() - start)
    return {
        "model": name,
        "source": source,
        "samples": len(x),
        "plain": statistics.median(plain),
        "inspected": statistics.median(inspected),
        "ratio": statistics.median(ratios),
        "low": min(ratios),
        "high": max(ratios),
        "epoch_end": statistics.median(end_of_epoch),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="mlp,cnn")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--samples", type=int, help="train on the first N images (default: all 60,000)")
    args = parser.parse_args()
    import os

    pin = os.environ.get("OPENBLAS_CORETYPE", "unset")
    print(f"{machine_line()} (OPENBLAS_CORETYPE={pin})")
    print(
        "| model | data | epoch s, plain | epoch s, --inspect | ratio (median) | ratio range | epoch-end work s "
        "(share of a plain epoch) |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name in args.models.split(","):
        r = measure(name, args.rounds, args.samples)
        print(
            f"| {name} | {r['samples']} {r['source']} images | {r['plain']:.2f} | {r['inspected']:.2f} | "
            f"{r['ratio']:.3f} | {r['low']:.3f}-{r['high']:.3f} | {r['epoch_end']:.3f} "
            f"({r['epoch_end'] / r['plain']:.1%}) |",
            flush=True,
        )


if __name__ == "__main__":
    main()
