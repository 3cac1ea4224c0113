"""How many MNIST test digits, turned into pictures as someone would draw or photograph them, keep their
prediction through `numpynn predict`'s conversion (``predicting.image_inputs``).

    python benchmarks/digit_pictures.py [--pictures 1000] [--run runs/mnist-...]

Each chosen test digit becomes dark ink on light noisy paper, scaled up 3-6x, placed anywhere in a
200x200 RGB picture, saved as PNG. The model is a run's (``--run``) or, by default, a 784-256-10 MLP
trained here for 3 epochs with one-pixel shifts. Printed: the share of pictures whose prediction equals
the original digit's, the share predicted correctly, and the same with a plain resize to 28x28.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
from pathlib import Path

import numpy as np


def as_picture(digit: np.ndarray, rng: np.random.Generator, size: int = 200):
    from PIL import Image

    side = int(28 * rng.uniform(3, 6))
    ink = np.asarray(Image.fromarray(255 - digit).resize((side, side), Image.LANCZOS))
    paper = np.clip(rng.normal(235, 6, (size, size)), 0, 255).astype(np.uint8)
    top, left = rng.integers(0, size - side + 1, 2)
    paper[top : top + side, left : left + side] = np.minimum(paper[top : top + side, left : left + side], ink)
    return Image.fromarray(paper).convert("RGB")


def trained_model(nn, x, y):
    model = nn.Sequential(
        [nn.Flatten(input_shape=(28, 28)), nn.Dense(256, activation="relu"), nn.Dense(10, activation="softmax")], seed=0
    )
    model.compile(nn.optimizers.Adam(1e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(
        nn.preprocessing.scale_pixels(x),
        y,
        epochs=3,
        batch_size=128,
        verbose=0,
        augment=lambda batch, rng: nn.preprocessing.random_shift(batch, 1, rng),
    )
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pictures", type=int, default=1000)
    parser.add_argument("--run", type=Path, help="a run folder of `numpynn train mnist` (default: train one here)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    import numpynn as nn
    from numpynn.data.raw_inputs import image_inputs
    from numpynn.runs.run_folder import load_run

    (x, y), (x_test, y_test) = nn.datasets.load_mnist(download=False)
    if args.run:
        config, _, model = load_run(args.run)
        shape = config["input_shape"]
    else:
        model, shape = trained_model(nn, x, y), [28, 28]
    rng = np.random.default_rng(args.seed)
    chosen = rng.choice(len(x_test), args.pictures, replace=False)
    folder = Path(tempfile.mkdtemp(prefix="numpynn-digits-"))
    files = []
    for i in chosen:
        files.append(folder / f"{i}.png")
        as_picture(x_test[i], rng).save(files[-1])
    originals = model.predict_labels(nn.preprocessing.scale_pixels(x_test[chosen]).reshape(len(chosen), *shape))
    print(f"CPU {platform.processor() or platform.machine()}, kernel {platform.release()}; {len(files)} pictures")
    print(f"originals: {np.mean(originals == y_test[chosen]):.3f} correct")
    for name, dataset in (("MNIST digit conversion", "mnist"), ("plain resize to 28x28", "idx:")):
        pictures = image_inputs(files, {"dataset": dataset, "input_shape": shape}, {"pixel_scale": 255.0})
        predicted = model.predict_labels(pictures)
        print(
            f"{name}: {np.mean(predicted == originals):.3f} keep the original's prediction, "
            f"{np.mean(predicted == y_test[chosen]):.3f} correct"
        )


if __name__ == "__main__":
    main()
