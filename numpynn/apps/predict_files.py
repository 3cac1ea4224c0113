"""``numpynn predict``'s files: the inputs named on the command line, and the predictions CSV it writes."""

from __future__ import annotations

import csv
import glob
import io
from pathlib import Path

import numpy as np

from numpynn.errors import UsageError
from numpynn.files import write_text


def expand_inputs(arguments: list[str], suffixes: tuple[str, ...]) -> list[Path]:
    """Files named, files inside the folders named, and files matching glob patterns, in that order."""
    files = []
    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            files += sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and p.suffix.lower() in suffixes
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        elif path.is_file():
            files.append(path)
        elif glob.has_magic(argument):
            files += sorted(Path(p) for p in glob.glob(argument, recursive=True) if Path(p).is_file())
        else:
            raise UsageError(f"no file or folder {argument}.")
    if not files:
        raise UsageError(f"no input file found in {' '.join(arguments)} (looked for {', '.join(suffixes)}).")
    return files


def write_predictions(
    path: Path, key: str, names: list[str], class_names: list[str], probabilities: np.ndarray
) -> None:
    """CSV: the input (column ``key``: a file, or a row from 1), predicted class, P(class) for every class.

    Written atomically (temporary file, then rename)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([key, "predicted"] + [f"p_{name}" for name in class_names])
    for name, probs in zip(names, probabilities, strict=True):
        writer.writerow([name, class_names[int(np.argmax(probs))]] + [f"{p:.6f}" for p in probs])
    write_text(path, buffer.getvalue())


def write_values(path: Path, key: str, names: list[str], target: str, values: np.ndarray) -> None:
    """CSV of a regression model's predictions: the input (column ``key``) and the predicted ``target``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([key, f"predicted {target}"])
    writer.writerows([name, f"{value:.6g}"] for name, value in zip(names, values, strict=True))
    write_text(path, buffer.getvalue())
