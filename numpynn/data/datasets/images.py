"""Folders of images sorted into one sub-folder per class (the layout of Keras's
``image_dataset_from_directory`` and torchvision's ``ImageFolder``), read with Pillow.

    FOLDER/cat/1.png, FOLDER/dog/2.jpg, ...                     one pool, split by numpynn
    FOLDER/train/cat/..., FOLDER/test/cat/... [, FOLDER/val/...]  splits used as given

Images of mixed sizes and modes are brought to one size (default: the most common one) and one colour
mode (default: grey if every image is grey) with antialiasing. Hidden files and files without an image
extension are ignored; an image file that cannot be decoded is skipped with one line naming it.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from numpynn.console import progress_bar
from numpynn.data.datasets.base import DatasetError
from numpynn.data.datasets.folders import class_folders, files_with_suffix, split_layout
from numpynn.errors import missing_dependency

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
COLORS = ("gray", "rgb")


@dataclass
class ImageFolder:
    """Images as uint8 arrays, (N, H, W) for grey or (N, H, W, 3) for RGB, and int64 class ids (N,).

    ``splits`` maps "train", "val" and "test" (the sub-folders found) or "all" (one pool) to (x, y);
    ``files`` holds the path of every image in the same order; ``skipped`` the files that were not images.
    """

    splits: dict[str, tuple[np.ndarray, np.ndarray]]
    class_names: list[str]
    image_size: tuple[int, int]
    color: str
    files: dict[str, list[str]] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)


def _pillow():
    try:
        from PIL import Image
    except ImportError:
        raise missing_dependency("reading image files", "Pillow", "images") from None
    return Image


def parse_image_size(text: str) -> tuple[int, int]:
    """'32x48' (height x width) or '32' (square) -> (32, 48)."""
    parts = str(text).lower().split("x")
    try:
        size = tuple(int(part) for part in parts)
    except ValueError:
        size = ()
    if len(size) == 1:
        size = size * 2
    if len(size) != 2 or min(size) < 1:
        raise DatasetError(f"image size {text!r} is not HEIGHTxWIDTH in pixels, e.g. 28x28 or 64.")
    return size


def image_files(folder: Path) -> list[Path]:
    """Every image file below ``folder`` (sorted; hidden files and other extensions left out)."""
    return files_with_suffix(folder, IMAGE_EXTENSIONS)


def read_image(path: str | os.PathLike, color: str | None = None) -> np.ndarray:
    """One image file as uint8: (H, W) grey, (H, W, 3) RGB; ``color`` None keeps grey images grey.

    Transparent pixels are composed onto white (a drawing saved with a transparent background).
    """
    image_module = _pillow()
    try:
        with image_module.open(path) as image:
            image.load()
            if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
                background = image_module.new("RGBA", image.size, (255, 255, 255, 255))
                image = image_module.alpha_composite(background, image.convert("RGBA"))
            if color == "gray" or (color is None and image.mode in ("L", "1", "I", "I;16", "F")):
                return np.asarray(image.convert("L"))
            return np.asarray(image.convert("RGB"))
    except FileNotFoundError:
        raise
    except Exception as exc:  # Pillow fails on damaged files in many ways; name the file
        raise DatasetError(f"{path} is not a readable image ({type(exc).__name__}: {exc}).") from None


def conform(pixels: np.ndarray, image_size: tuple[int, int], color: str) -> np.ndarray:
    """An image array (H, W) or (H, W, 3) in the given colour mode and size (antialiased resampling)."""
    if color == "gray" and pixels.ndim == 3:
        pixels = np.asarray(_pillow().fromarray(pixels).convert("L"))
    elif color == "rgb" and pixels.ndim == 2:
        pixels = np.repeat(pixels[..., None], 3, axis=-1)
    if pixels.shape[:2] != tuple(image_size):
        image_module = _pillow()
        resized = image_module.fromarray(pixels).resize((image_size[1], image_size[0]), image_module.LANCZOS)
        pixels = np.asarray(resized)
    return pixels


def _is_gray(pixels: np.ndarray) -> bool:
    if pixels.ndim == 2:
        return True
    return bool((pixels[..., 0] == pixels[..., 1]).all() and (pixels[..., 1] == pixels[..., 2]).all())


def load_image_folder(
    path: str | os.PathLike,
    image_size: tuple[int, int] | str | None = None,
    color: str | None = None,
    progress: bool = True,
    log: Callable[[str], None] = _stderr,
) -> ImageFolder:
    """Read a folder of class sub-folders of images (see the module docstring).

    image_size: (height, width) or 'HxW'; default the most common size. color: 'gray' or 'rgb'; default
    grey if every image is grey. Undecodable files are skipped with one ``log`` line each.
    """
    if color is not None and color not in COLORS:
        raise DatasetError(f"color must be one of {', '.join(COLORS)}, got {color!r}.")
    size = parse_image_size(image_size) if isinstance(image_size, str) else image_size
    folder = Path(path)
    layout = split_layout(folder, "images")
    class_names = sorted({p.name for split_folder in layout.values() for p in class_folders(split_folder)})
    if len(class_names) < 1:
        raise DatasetError(f"{folder} has no class sub-folders; put each class's images in a folder of its own.")
    raw, skipped = _read_all(layout, class_names, color, progress, log)
    all_pixels = [pixels for items in raw.values() for pixels, _, _ in items]
    size = tuple(size) if size is not None else Counter(p.shape[:2] for p in all_pixels).most_common(1)[0][0]
    color = color or ("gray" if all(_is_gray(p) for p in all_pixels) else "rgb")
    splits, files = {}, {}
    for split, items in raw.items():
        x = np.stack([conform(pixels, size, color) for pixels, _, _ in items])
        y = np.array([label for _, label, _ in items], dtype=np.int64)
        splits[split], files[split] = (x, y), [name for _, _, name in items]
    if skipped:
        log(f"skipped {len(skipped)} file(s) that are not readable images")
    for split, (_, y) in splits.items():
        counts = np.bincount(y, minlength=len(class_names))
        log(
            f"{folder} ({split}): {len(y)} images, {size[0]}x{size[1]} {color}: "
            + ", ".join(f"{name} {count}" for name, count in zip(class_names, counts, strict=True))
        )
    return ImageFolder(splits, class_names, tuple(int(s) for s in size), color, files, skipped)


def _read_all(layout, class_names, color, progress, log):
    """{split: [(pixels, label, path)]} at each image's own size, and the files that could not be read."""
    jobs = [
        (split, label, path)
        for split, split_folder in layout.items()
        for label, name in enumerate(class_names)
        if (split_folder / name).is_dir()
        for path in image_files(split_folder / name)
    ]
    bar = None
    if progress:
        bar = progress_bar(len(jobs), "Reading images", "image", leave=False)
    raw = {split: [] for split in layout}
    skipped = []
    for split, label, path in jobs:
        try:
            raw[split].append((read_image(path, "gray" if color == "gray" else None), label, str(path)))
        except DatasetError as exc:
            skipped.append(str(path))
            log(f"skipped {exc}")
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    for split, split_folder in layout.items():
        counts = Counter(label for _, label, _ in raw[split])
        empty = [
            class_names[label]
            for label in range(len(class_names))
            if (split_folder / class_names[label]).is_dir() and counts[label] == 0
        ]
        if empty:
            raise DatasetError(
                f"class folder(s) {', '.join(repr(str(split_folder / n)) for n in empty)} hold no "
                "readable image; add images or remove the folder."
            )
        if not raw[split]:
            raise DatasetError(f"{split_folder} holds no readable image.")
    return raw, skipped
