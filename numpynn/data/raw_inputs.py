"""Raw files in, model inputs out, converted exactly as the training data was (for ``numpynn predict``).

Images: any size, colour mode and format Pillow reads; brought to the training images' size and colour
with antialiasing, scaled to [0, 1], and inverted when their background is the opposite of the training
images' (a dark digit drawn on white paper, for a model trained on MNIST's light strokes on black).
Table rows: the training feature columns of a CSV, scaled with the training split's statistics.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from numpynn.data.datasets import read_csv_columns
from numpynn.data.datasets.images import conform, read_image
from numpynn.data.preprocessing import StandardScaler
from numpynn.data.table_encoder import TableEncoder
from numpynn.errors import UsageError


def image_settings(config: dict, preprocessing: dict) -> tuple[tuple[int, int], str, str]:
    """(size, color, background) of a run's training images; MNIST and IDX runs predate the last two."""
    shape = config["input_shape"]
    size = tuple(preprocessing.get("image_size", shape[:2]))
    color = preprocessing.get("color", "rgb" if len(shape) == 3 and shape[-1] == 3 else "gray")
    return size, color, preprocessing.get("background", "dark")


def mnist_digit(image: np.ndarray, size: int = 28, box: int = 20) -> np.ndarray:
    """A picture of one digit, light on dark in [0, 1] (H, W), made the way MNIST's digits were: the
    background pulled to 0, cropped to the digit, scaled (antialiased, aspect kept) to fit a box x box
    square, and placed in a size x size image with its centre of mass at the centre."""
    from PIL import Image

    background = float(np.median(image))
    peak = float(image.max())
    if peak - background < 1e-3:
        return np.zeros((size, size), np.float32)  # a blank picture
    image = np.clip((image - background) / (peak - background), 0, 1)
    rows, cols = np.flatnonzero(image.max(axis=1) > 0.2), np.flatnonzero(image.max(axis=0) > 0.2)
    digit = image[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    scale = box / max(digit.shape)
    height, width = max(1, round(digit.shape[0] * scale)), max(1, round(digit.shape[1] * scale))
    digit = np.asarray(Image.fromarray(digit.astype(np.float32), mode="F").resize((width, height), Image.LANCZOS))
    canvas = np.zeros((size, size), np.float32)
    top, left = (size - height) // 2, (size - width) // 2
    canvas[top : top + height, left : left + width] = np.clip(digit, 0, 1)
    mass = canvas.sum()
    centre_y = (canvas.sum(axis=1) @ np.arange(size)) / mass
    centre_x = (canvas.sum(axis=0) @ np.arange(size)) / mass
    shift_y, shift_x = round((size - 1) / 2 - centre_y), round((size - 1) / 2 - centre_x)
    shift_y = int(np.clip(shift_y, -top, size - top - height))
    shift_x = int(np.clip(shift_x, -left, size - left - width))
    return np.roll(canvas, (shift_y, shift_x), axis=(0, 1))


def image_inputs(files: list, config: dict, preprocessing: dict) -> np.ndarray:
    """A batch for the run's model from image files (paths or file objects): (N, *input_shape) float32 in
    [0, 1].

    A model trained on MNIST gets every picture made into an MNIST digit (``mnist_digit``), so a photo
    or a drawing of a digit, of any size and anywhere in the picture, is read as MNIST's were.
    """
    size, color, background = image_settings(config, preprocessing)
    as_mnist = config.get("dataset") == "mnist"
    batch = []
    for path in files:
        pixels = read_image(path, "gray" if color == "gray" else None)
        scale = np.float32(preprocessing.get("pixel_scale", 255.0))
        image = (pixels if as_mnist else conform(pixels, size, color)).astype(np.float32) / scale
        if (np.median(image) > 0.5) != (background == "light"):
            image = 1.0 - image  # the opposite background: a dark drawing on light paper, or the reverse
        batch.append(mnist_digit(image, size[0]) if as_mnist else image)
    return np.stack(batch).reshape((len(batch), *config["input_shape"]))


def column_inputs(columns: dict[str, list], feature_names: list[str], preprocessing: dict) -> np.ndarray:
    """Rows given as {column: cells} (text, numbers or None), encoded like the training data: by the run's
    TableEncoder, or (Breast Cancer runs and older ones) its numeric feature columns, scaled."""
    if "encoder" in preprocessing:
        return TableEncoder.from_config(preprocessing["encoder"]).transform(columns)
    missing = [name for name in feature_names if name not in columns]
    if missing:
        raise UsageError(
            f"the rows lack the column(s) {missing[:5]}; the model was trained on {len(feature_names)} numeric columns."
        )
    x = np.empty((len(columns[feature_names[0]]), len(feature_names)), dtype=np.float32)
    for c, name in enumerate(feature_names):
        for r, cell in enumerate(columns[name]):
            try:
                x[r, c] = float(cell)
            except (TypeError, ValueError):
                raise UsageError(f"row {r + 1}, column {name!r}: {cell!r} is not a number.") from None
    if not np.isfinite(x).all():
        r, c = np.argwhere(~np.isfinite(x))[0]
        raise UsageError(f"row {r + 1}, column {feature_names[c]!r} is NaN or infinite.")
    return StandardScaler.from_state(preprocessing["scaler_mean"], preprocessing["scaler_scale"]).transform(x)


def table_inputs(path: Path, feature_names: list[str], preprocessing: dict) -> np.ndarray:
    """Feature rows of a CSV (the target column, if present, is ignored), encoded like the training data
    (``column_inputs``); an error names the file."""
    try:
        return column_inputs(read_csv_columns(path), feature_names, preprocessing)
    except UsageError as exc:
        raise UsageError(f"{path}: {exc}") from None
