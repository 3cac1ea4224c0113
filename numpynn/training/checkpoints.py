"""Training checkpoints: everything ``fit`` needs to go on exactly where it stopped, in one .npz file.

A checkpoint is written at the end of an epoch, when every piece of state is consistent:
- the model's weights and non-trained state (batch-norm statistics);
- the optimizer's state (moments, step count, and so the schedule's position) and learning rate;
- every callback's state (``Callback.get_state``: early stopping's best value, patience and best weights,
  ReduceLROnPlateau's counters, ...);
- the random generators' states (shuffling, dropout masks, augmentation all draw from them);
- the history so far and the number of epochs done.
JSON and NumPy arrays only (loaded with ``allow_pickle=False``), written to a temporary file and renamed,
so the previous checkpoint stays whole until the new one is complete.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

import numpy as np

from numpynn._version import __version__
from numpynn.errors import InputError
from numpynn.files import atomic_write, read_npz
from numpynn.nn.metrics import RunningMeans
from numpynn.training.state import EpochProgress

FORMAT_NAME = "numpynn-checkpoint"
FORMAT_VERSION = 1
META_KEY = "__checkpoint__"


@dataclass
class Checkpoint:
    """What a checkpoint file holds, read back."""

    epochs_done: int
    stop_training: bool
    history: dict
    model_config: dict
    optimizer_learning_rate: float | None
    numpynn_version: str
    rng_states: dict
    callback_states: list = field(default_factory=list)  # [(class name, state)] of the callbacks with state
    weights: list = field(default_factory=list)
    optimizer_state: dict = field(default_factory=dict)
    epoch_progress: EpochProgress | None = None  # of a checkpoint written mid-epoch


def _generators(model) -> dict[str, np.random.Generator]:
    """The model's generator and any layer's own one (a layer built with seed= has its own)."""
    generators = {"model": model.rng}
    for i, layer in enumerate(model.layers):
        rng = getattr(layer, "_rng", None)
        if rng is not None and rng is not model.rng:
            generators[f"layer/{i}"] = rng
    return generators


def _split_state(state: dict, prefix: str, arrays: dict) -> dict:
    """JSON part of a callback state; arrays (and lists of arrays) go to ``arrays`` under ``prefix``."""
    plain: dict[str, object] = {}
    for key, value in state.items():
        if isinstance(value, np.ndarray):
            arrays[f"{prefix}/{key}"] = value
            plain[key] = {"__array__": True}
        elif isinstance(value, list) and value and all(isinstance(v, np.ndarray) for v in value):
            for j, array in enumerate(value):
                arrays[f"{prefix}/{key}/{j}"] = array
            plain[key] = {"__arrays__": len(value)}
        else:
            plain[key] = value
    return plain


def _join_state(plain: dict, prefix: str, arrays: dict) -> dict:
    state = {}
    for key, value in plain.items():
        if isinstance(value, dict) and value.get("__array__"):
            state[key] = arrays[f"{prefix}/{key}"]
        elif isinstance(value, dict) and "__arrays__" in value:
            state[key] = [arrays[f"{prefix}/{key}/{j}"] for j in range(value["__arrays__"])]
        else:
            state[key] = value
    return state


def save_checkpoint(path: str | os.PathLike, model, epochs_done: int, callbacks: list, progress=None) -> None:
    """Write the state of a training run after ``epochs_done`` epochs to ``path``, atomically.

    ``progress`` (an ``EpochProgress``): the checkpoint is taken inside the next epoch, this far.
    """
    arrays = {f"weights/{i}": array for i, array in enumerate(model.get_weights())}
    arrays.update({f"optimizer/{key}": value for key, value in model.optimizer.get_state().items()})
    stateful = [(type(callback).__name__, state) for callback in callbacks if (state := callback.get_state())]
    callback_states = [
        {"name": name, "state": _split_state(state, f"callbacks/{i}", arrays)}
        for i, (name, state) in enumerate(stateful)
    ]
    learning_rate = model.optimizer.learning_rate
    meta = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "numpynn": __version__,
        "epochs_done": epochs_done,
        "stop_training": bool(model.stop_training),
        "history": model.history.history,
        "model": model.get_config(),
        "learning_rate": learning_rate if isinstance(learning_rate, float) else None,
        "rng": {name: rng.bit_generator.state for name, rng in _generators(model).items()},
        "callbacks": callback_states,
    }
    if progress is not None:
        arrays["progress/order"] = progress.order
        meta["progress"] = {
            "next_batch": progress.next_batch,
            "sums": progress.means.sums,
            "count": progress.means.count,
            "learning_rate": progress.learning_rate,
        }
    arrays[META_KEY] = np.array(json.dumps(meta))
    with atomic_write(path, "wb") as handle:
        np.savez(handle, **arrays)


def load_checkpoint(path: str | os.PathLike) -> Checkpoint:
    """Read a checkpoint written by ``save_checkpoint``, with a clear error when it is not one."""
    arrays = read_npz(path, "checkpoint")
    if META_KEY not in arrays:
        raise InputError(f"{path} is not a numpynn checkpoint (no {META_KEY} entry).")
    try:
        meta = json.loads(str(arrays.pop(META_KEY)))
        if meta.get("format") != FORMAT_NAME or meta.get("version", 0) > FORMAT_VERSION:
            raise InputError(f"{path} is not a checkpoint this numpynn can read (format {meta.get('version')}).")
        weights = [arrays[f"weights/{i}"] for i in range(sum(name.startswith("weights/") for name in arrays))]
        prefix = "optimizer/"
        return Checkpoint(
            meta["epochs_done"],
            meta["stop_training"],
            meta["history"],
            meta["model"],
            meta["learning_rate"],
            meta["numpynn"],
            meta["rng"],
            [
                (entry["name"], _join_state(entry["state"], f"callbacks/{i}", arrays))
                for i, entry in enumerate(meta["callbacks"])
            ],
            weights,
            {name[len(prefix) :]: value for name, value in arrays.items() if name.startswith(prefix)},
            _read_progress(meta.get("progress"), arrays),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:  # a damaged header: name the file
        if isinstance(exc, InputError):
            raise
        raise InputError(f"{path} is not a readable checkpoint ({type(exc).__name__}: {exc}).") from None


def _read_progress(saved: dict | None, arrays: dict):
    """The EpochProgress of a mid-epoch checkpoint, or None."""
    if saved is None:
        return None
    means = RunningMeans()
    means.sums, means.count = {key: float(value) for key, value in saved["sums"].items()}, int(saved["count"])
    return EpochProgress(arrays["progress/order"], int(saved["next_batch"]), means, float(saved["learning_rate"]))


def _match_callbacks(saved: list, callbacks: list) -> list:
    """(callback, state) pairs: the k-th callback of a class that keeps state gets the k-th saved state of
    that class. Callbacks without state (progress bars, a user's printer) may come and go."""
    pairs = []
    for callback in callbacks:
        if not callback.get_state():
            continue
        name = type(callback).__name__
        match = next((i for i, (saved_name, _) in enumerate(saved) if saved_name == name), None)
        if match is None:
            raise InputError(
                f"the checkpoint holds no state for the {name} callback; resume with the callbacks it "
                "was written with, or delete the checkpoint to start over."
            )
        pairs.append((callback, saved.pop(match)[1]))
    return pairs


def restore_checkpoint(checkpoint: Checkpoint, model, callbacks: list) -> None:
    """Put a checkpoint's state back into a compiled, built model and its callbacks (in the same order)."""
    if checkpoint.model_config["layers"] != model.get_config()["layers"]:
        raise InputError(
            "the checkpoint was written by a model with other layers; resume with the model it was "
            "written by, or delete the checkpoint to start over."
        )
    states = _match_callbacks(checkpoint.callback_states, callbacks)
    model.set_weights(checkpoint.weights)
    model.optimizer.set_state(checkpoint.optimizer_state)
    if checkpoint.optimizer_learning_rate is not None:
        model.optimizer.learning_rate = checkpoint.optimizer_learning_rate
    for callback, state in states:
        callback.set_state(state)
    for name, rng in _generators(model).items():
        rng.bit_generator.state = checkpoint.rng_states[name]
    model.history.history = {key: list(values) for key, values in checkpoint.history.items()}
    model.history.epoch = list(range(checkpoint.epochs_done))
    model.stop_training = checkpoint.stop_training
