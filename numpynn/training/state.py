"""How far training is, as the loop and the checkpoints share it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from numpynn.nn.metrics import RunningMeans


@dataclass
class EpochProgress:
    """How far the current epoch is: its sample order (indices into the training set), the next batch, the
    running means of the logs so far and the learning rate it started with."""

    order: np.ndarray
    next_batch: int
    means: RunningMeans
    learning_rate: float
