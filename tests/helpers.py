"""Small fake data files for dataset and command-line tests."""

import csv
import gzip
from pathlib import Path

import numpy as np

IDX_CODES = {np.dtype(np.uint8): 0x08, np.dtype(">i4"): 0x0C, np.dtype(">f4"): 0x0D}


def idx_bytes(array: np.ndarray) -> bytes:
    array = np.asarray(array)
    code = IDX_CODES[array.dtype if array.dtype == np.uint8 else array.dtype.newbyteorder(">")]
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    return header + array.astype(array.dtype.newbyteorder(">") if array.dtype != np.uint8 else np.uint8).tobytes()


def write_idx(path: Path, array: np.ndarray, gz: bool = True) -> Path:
    data = idx_bytes(array)
    path = Path(str(path) + (".gz" if gz else ""))
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def fake_digits(n, size=8, classes=3, seed=0):
    """Images whose class is where a bright bar sits: learnable in a few epochs."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % classes
    x = rng.integers(0, 40, (n, size, size)).astype(np.uint8)
    for c in range(classes):
        rows = slice(c * size // classes, (c + 1) * size // classes)
        x[y == c, rows, :] = 220
    return x, y.astype(np.uint8)


def write_fake_mnist_folder(folder: Path, n_train=300, n_test=90, gz=True):
    folder.mkdir(parents=True, exist_ok=True)
    x, y = fake_digits(n_train)
    xt, yt = fake_digits(n_test, seed=1)
    paths = {}
    for stem, array in (
        ("train-images-idx3-ubyte", x),
        ("train-labels-idx1-ubyte", y),
        ("t10k-images-idx3-ubyte", xt),
        ("t10k-labels-idx1-ubyte", yt),
    ):
        paths[stem] = write_idx(folder / stem, array, gz=gz)
    return paths


TOPIC_WORDS = {
    "space": "rocket orbit planet moon launch astronaut telescope star",
    "cooking": "recipe oven flour butter garlic simmer bake salt",
    "football": "goal match striker referee penalty league keeper coach",
}
FILLER = ["the", "a", "of", "and", "to", "in", "is", "it", "that", "with", "for", "on", "was"]


def quotes_csv(path, rows=240, seed=0):
    """A CSV of short texts, each mostly filler words with a few words of its topic, plus a number."""
    rng = np.random.default_rng(seed)
    topics = list(TOPIC_WORDS)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text", "length", "topic"])
        for i in range(rows):
            topic = topics[i % 3]
            words = list(rng.choice(FILLER, 6)) + list(rng.choice(TOPIC_WORDS[topic].split(), 3))
            rng.shuffle(words)
            writer.writerow([f"q{i}", " ".join(words).capitalize() + ".", rng.integers(5, 50), topic])
    return path
