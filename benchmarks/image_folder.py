"""Seconds to read a folder of small PNG images with ``numpynn.data.datasets.load_image_folder``.

    python benchmarks/image_folder.py [--images 70000] [--folder /tmp/mnist-pngs]

Writes the MNIST digits (train and test, 70,000 28x28 greyscale PNGs; random digits-shaped images when
MNIST is not available) into one sub-folder per class, unless --folder already holds them, then times
reading the whole folder into memory (a cold read of files just written: they are in the page cache).
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np


def write_pngs(folder: Path, count: int) -> str:
    from PIL import Image

    try:
        from numpynn.data.datasets import load_mnist

        (x, y), (x_test, y_test) = load_mnist(download=False)
        x, y, source = np.concatenate([x, x_test])[:count], np.concatenate([y, y_test])[:count], "MNIST"
    except Exception:
        rng = np.random.default_rng(0)
        x, y, source = rng.integers(0, 256, (count, 28, 28), dtype=np.uint8), rng.integers(0, 10, count), "random"
    for label in range(10):
        (folder / str(label)).mkdir(parents=True, exist_ok=True)
    for i, (image, label) in enumerate(zip(x, y)):
        Image.fromarray(image).save(folder / str(label) / f"{i:05d}.png")
    return f"{len(x)} {source} images"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=70000)
    parser.add_argument("--folder", type=Path, help="a folder of class sub-folders to read (written if empty)")
    args = parser.parse_args()
    from numpynn.data.datasets import load_image_folder

    folder = args.folder or Path(tempfile.mkdtemp(prefix="numpynn-pngs-"))
    if not folder.is_dir() or not any(folder.iterdir()):
        start = time.perf_counter()
        what = write_pngs(folder, args.images)
        print(f"wrote {what} to {folder} in {time.perf_counter() - start:.1f} s")
    start = time.perf_counter()
    loaded = load_image_folder(folder, progress=False, log=lambda message: None)
    seconds = time.perf_counter() - start
    x, y = loaded.splits["all"]
    print(f"CPU {platform.processor() or platform.machine()} ({os.cpu_count()} cores), kernel {platform.release()}")
    print(
        f"read {len(y)} images of {loaded.image_size[0]}x{loaded.image_size[1]} ({loaded.color}) in "
        f"{seconds:.1f} s: {len(y) / seconds:.0f} images/s"
    )


if __name__ == "__main__":
    main()
