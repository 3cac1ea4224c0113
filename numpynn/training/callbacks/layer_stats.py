"""LayerStats: what happens inside the network, epoch by epoch, at a small fixed cost.

At the end of every epoch it records, for every layer with parameters (a block's layers as
"block/layer"), the norm of its weights, the norm of the last step's gradient and the update-to-weight
ratio of that step; and, when given a fixed sample batch, the output of every layer with an activation
on it: mean, standard deviation, the fraction of ReLU units that never fire on the sample and the
fraction of sigmoid/tanh units saturated. ``numpynn.runs.inside.diagnoses`` reads these rows.
"""

from __future__ import annotations

import csv
import io

import numpy as np

from numpynn.nn.layers import Layer
from numpynn.nn.layers.walk import layer_outputs, named_leaves
from numpynn.training.callbacks.base import Callback

# A sigmoid unit is saturated when its output is within this distance of 0 or 1 (its derivative
# s (1 - s) is then below 0.03); a tanh unit when |output| > 1 - this (1 - tanh^2 < 0.06).
SATURATION_MARGIN = 0.03
HISTOGRAM_VALUES = 4096  # activation values kept per layer for the first and last epoch's histograms
COLUMNS = (
    "epoch",
    "layer",
    "type",
    "weight_norm",
    "grad_norm",
    "update_ratio",
    "activation",
    "act_mean",
    "act_std",
    "dead_fraction",
    "saturated_fraction",
)


def parameter_layers(layers: list[Layer]) -> list[tuple[str, Layer]]:
    """(name, layer) of every layer that holds parameters itself, a block's layers as "block/layer"."""
    return [(name, layer) for name, layer in named_leaves(layers) if layer.params]


def activation_name(layer: Layer) -> str | None:
    activation = getattr(layer, "activation", None)
    return getattr(activation, "name", None)


def activation_stats(output: np.ndarray, activation: str | None) -> dict:
    """Mean and standard deviation of a layer's output on a batch; for ReLU the fraction of units (last
    axis: features, channels) that are 0 for every sample and position, for sigmoid and tanh the
    fraction of outputs in the flat part of the curve."""
    values = output.astype(np.float64, copy=False)
    stats = {"activation": activation or "", "act_mean": float(values.mean()), "act_std": float(values.std())}
    if activation in ("relu", "leaky_relu"):
        per_unit = values.reshape(-1, values.shape[-1])
        stats["dead_fraction"] = float(np.mean(np.all(per_unit <= 0, axis=0)))
    elif activation == "sigmoid":
        stats["saturated_fraction"] = float(np.mean((values < SATURATION_MARGIN) | (values > 1 - SATURATION_MARGIN)))
    elif activation == "tanh":
        stats["saturated_fraction"] = float(np.mean(np.abs(values) > 1 - SATURATION_MARGIN))
    return stats


class LayerStats(Callback):
    """Per-layer statistics at the end of every epoch: ``rows`` (one dict per epoch and layer, the columns
    of ``COLUMNS``), also kept as ``model.history.layer_stats`` and written by ``to_csv``.

    x_sample: a fixed batch (say 256 validation samples) for the activation statistics; without it only
        the weight, gradient and update statistics are recorded.
    Cost: one copy of the parameter vector before each epoch's last step and one forward pass of the
    sample per epoch; nothing per batch otherwise.
    """

    def __init__(self, x_sample: np.ndarray | None = None):
        super().__init__()
        self.x_sample = x_sample
        self.rows: list[dict] = []
        self.histograms: dict[str, dict[str, np.ndarray]] = {}  # "first" / "last" -> layer -> values
        self._before_last_step: np.ndarray | None = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.rows, self.histograms = [], {}
        self.model.history.layer_stats = self.rows

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._before_last_step = self.model.parameters.copy() if self.params.get("steps") == 1 else None

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if batch == self.params.get("steps", 0) - 2:  # the parameters the last step will start from
            self._before_last_step = self.model.parameters.copy()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        rows = {
            name: {"epoch": epoch + 1, "layer": name, "type": type(layer).__name__}
            for name, layer in self._named_layers()
        }
        self._parameter_stats(rows)
        if self.x_sample is not None:
            self._activation_stats(rows)
        self.rows.extend(row for row in rows.values() if len(row) > 3)  # layers with something to say
        self.model.history.layer_stats = self.rows

    def _named_layers(self) -> list[tuple[str, Layer]]:
        """Every top-level layer, each followed by the layers inside it."""
        named = []
        for layer in self.model.layers:
            named.append((layer.name, layer))
            named += named_leaves(layer.sublayers(), f"{layer.name}/")
        return named

    def _parameter_stats(self, rows: dict) -> None:
        parameters = self.model.parameters
        update = parameters - self._before_last_step if self._before_last_step is not None else None
        offset = 0
        for name, layer in parameter_layers(self.model.layers):
            size = sum(array.size for array in layer.params.values())
            weights = np.concatenate([array.ravel() for array in layer.params.values()]).astype(np.float64)
            gradient = np.concatenate([array.ravel() for array in layer.grads.values()]).astype(np.float64)
            weight_norm = float(np.linalg.norm(weights))
            rows[name].update(weight_norm=weight_norm, grad_norm=float(np.linalg.norm(gradient)))
            if update is not None and weight_norm > 0:
                step = float(np.linalg.norm(update[offset : offset + size].astype(np.float64)))
                rows[name]["update_ratio"] = step / weight_norm
            offset += size

    def _activation_stats(self, rows: dict) -> None:
        samples = {}
        layers = dict(self._named_layers())
        for name, output in layer_outputs(self.model.layers, self.model.check_inputs(self.x_sample)).items():
            activation = activation_name(layers[name])
            if activation is None or activation == "linear":
                continue
            rows[name].update(activation_stats(output, activation))
            values = output.ravel()
            samples[name] = values[:: max(1, values.size // HISTOGRAM_VALUES)][:HISTOGRAM_VALUES].copy()
        self.histograms.setdefault("first", samples)
        self.histograms["last"] = samples

    def to_csv(self) -> str:
        """The rows as CSV text: one line per epoch and layer, empty cells where a statistic does not apply."""
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=COLUMNS, restval="", lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.rows)
        return buffer.getvalue()

    @staticmethod
    def read_csv(path) -> list[dict]:
        """The rows of a run's layer_stats.csv, with numbers as numbers and empty cells left out."""
        with open(path, newline="") as handle:
            rows = list(csv.DictReader(handle))
        text = ("layer", "type", "activation")
        return [
            {
                key: value if key in text else int(value) if key == "epoch" else float(value)
                for key, value in row.items()
                if value != ""
            }
            for row in rows
        ]

    def get_state(self) -> dict:
        state: dict[str, object] = {"rows": self.rows}
        for which, layers in self.histograms.items():
            state.update({f"histogram/{which}/{name}": values for name, values in layers.items()})
        return state

    def set_state(self, state: dict) -> None:
        self.rows[:] = state.get("rows", [])
        self.histograms = {}
        for key, values in state.items():
            if key.startswith("histogram/"):
                _, which, name = key.split("/", 2)
                self.histograms.setdefault(which, {})[name] = np.asarray(values)
        self.model.history.layer_stats = self.rows
