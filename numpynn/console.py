"""Progress bars on stderr (tqdm: plain text, so they work in terminals and notebooks alike)."""

from __future__ import annotations

import sys

from tqdm import tqdm


def progress_bar(total: int | None, description: str, unit: str, **options) -> tqdm:
    """A tqdm bar on stderr: ``total`` steps of ``unit`` (None: unknown), labelled ``description``."""
    return tqdm(total=total, desc=description, unit=unit, dynamic_ncols=True, file=sys.stderr, **options)


def say_nothing(message: str) -> None:
    """A ``log`` function that prints nothing, for quiet runs."""
