"""Save and load models as one .npz file: JSON config + weights + optimizer state, no pickle.

Layout of the archive (every entry a plain array; loaded with ``allow_pickle=False``):
  __numpynn__           JSON string: format, version, model config, input shape, optimizer, loss, metrics
  params/<i>/<name>     parameter <name> of layer i
  state/<i>/<name>      non-trained state (running statistics) of layer i
  optimizer/<name>      optimizer state (iterations, moments), keyed like the parameters
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING

import numpy as np

from numpynn.errors import InputError
from numpynn.files import atomic_write, read_npz
from numpynn.nn import losses, optimizers
from numpynn.nn.layers import from_config

if TYPE_CHECKING:  # for annotations only: importing these at run time would be circular
    from numpynn.models.sequential import Sequential

# Model classes by name, so a file names its class and load_model needs no import of the models module.
MODEL_CLASSES: dict[str, type] = {}

FORMAT_NAME = "numpynn-model"
FORMAT_VERSION = 1
META_KEY = "__numpynn__"


def register_model(cls: type) -> type:
    """Class decorator: make a model class (Sequential or a subclass of it) loadable by ``load_model``."""
    MODEL_CLASSES[cls.__name__] = cls
    return cls


def save_model(model: Sequential, path) -> None:
    """Write ``model`` to ``path`` atomically (temporary file, then rename), or into a binary file object."""
    if not model.built:
        raise InputError("The model is not built yet: fit it or call model.build(input_shape) before saving.")
    meta = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "class_name": type(model).__name__,
        "model": model.get_config(),
        "input_shape": list(model.input_shape),
        "optimizer": model.optimizer.get_config() if model.optimizer is not None else None,
        "loss": model.loss.get_config() if model.loss is not None else None,
        "metrics": list(model.metric_names),
    }
    optimizer_state = model.optimizer.get_state() if model.optimizer is not None else {}
    meta["optimizer_state"] = sorted(optimizer_state)  # so a file missing some of them is caught on load
    arrays = {META_KEY: np.array(json.dumps(meta))}
    arrays.update({f"optimizer/{key}": value for key, value in optimizer_state.items()})
    for i, layer in enumerate(model.layers):
        arrays.update({f"params/{i}/{key}": value for key, value in layer.params.items()})
        arrays.update({f"state/{i}/{key}": value for key, value in layer.state.items()})
    if hasattr(path, "write"):
        np.savez(path, **arrays)
        return
    with atomic_write(path, "wb") as handle:
        np.savez(handle, **arrays)


def _read_meta(path: str, entry: np.ndarray) -> dict:
    """The JSON header of a model file, checked for what load_model reads from it."""
    try:
        meta = json.loads(str(entry))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(
            f"{path!r} has an unreadable header ({exc}); it may be corrupt: save the model again."
        ) from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME or not isinstance(meta.get("version"), int):
        raise InputError(f"{path!r} is not a numpynn model file (unknown format).")
    if meta["version"] > FORMAT_VERSION:
        raise InputError(f"{path!r} was written by a newer numpynn (format {meta['version']}); upgrade numpynn.")
    missing = [key for key in ("model", "input_shape", "optimizer", "loss", "metrics") if key not in meta]
    if missing:
        raise InputError(f"{path!r} is corrupt: its header lacks {missing}.")
    return meta


def _check_sizes(path: str, layer_configs: list, input_shape: list, arrays: dict) -> None:
    """Refuse, before anything is built, a config whose layers would hold other sizes than the file's weights
    (a damaged config could otherwise ask for terabytes)."""
    shape = tuple(int(s) for s in input_shape)
    for i, entry in enumerate(layer_configs):
        layer = from_config(entry["class_name"], {k: v for k, v in entry["config"].items() if k != "input_shape"})
        expected = layer.weight_count(shape)
        if expected is not None:
            stored = sum(int(a.size) for name, a in arrays.items() if name.startswith((f"params/{i}/", f"state/{i}/")))
            if stored != expected:
                raise InputError(
                    f"{path!r} is corrupt: layer {i} ({type(layer).__name__}) would hold {expected} "
                    f"numbers, the file has {stored}."
                )
        shape = tuple(layer.compute_output_shape(shape))


def _copy_weights(path, model: Sequential, arrays: dict[str, np.ndarray]) -> None:
    """Put the saved params and state of every layer into the model just built, checking each one."""
    for i, layer in enumerate(model.layers):
        for group, target in (("params", layer.params), ("state", layer.state)):
            for key, array in target.items():
                name = f"{group}/{i}/{key}"
                if name not in arrays:
                    raise InputError(f"{path!r} is corrupt: the weights {name!r} are missing.")
                if arrays[name].shape != array.shape:
                    raise InputError(
                        f"{path!r} is corrupt: {name!r} has shape {arrays[name].shape}, "
                        f"the architecture needs {array.shape}."
                    )
                np.copyto(array, arrays[name])


def load_model(path) -> Sequential:
    """Rebuild a model saved by ``model.save`` (from a path or a binary file object); its predictions are
    identical to the saved model's."""
    if hasattr(path, "read"):
        source, path = path, "the model bytes"
    else:
        path = source = os.fspath(path)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"No model file at {path!r}.")
    arrays = read_npz(source, "numpynn model file")
    if META_KEY not in arrays:
        raise InputError(
            f"{path!r} is a NumPy archive but not a numpynn model (no {META_KEY} entry); "
            "save models with model.save(path)."
        )
    meta = _read_meta(path, arrays.pop(META_KEY))

    class_name = meta.get("class_name", "Sequential")
    if class_name not in MODEL_CLASSES:
        raise InputError(
            f"{path!r} holds a {class_name} model, a class numpynn does not know: import the module "
            "that defines it (decorated with @numpynn.models.saving.register_model) before loading."
        )
    try:
        _check_sizes(path, meta["model"]["layers"], meta["input_shape"], arrays)
        model = MODEL_CLASSES[class_name].from_config(meta["model"])
        model.build(meta["input_shape"])
    except (KeyError, TypeError, MemoryError) as exc:  # a config that was edited or damaged
        raise InputError(
            f"{path!r} describes a model that cannot be built ({type(exc).__name__}: {exc}); it may be "
            "corrupt: save the model again."
        ) from None
    _copy_weights(path, model, arrays)
    if meta["optimizer"] is not None and meta["loss"] is not None:
        model.compile(
            optimizer=optimizers.get(meta["optimizer"]), loss=losses.get(meta["loss"]), metrics=meta["metrics"]
        )
        prefix = "optimizer/"
        state = {name[len(prefix) :]: value for name, value in arrays.items() if name.startswith(prefix)}
        missing = sorted(set(meta.get("optimizer_state", state)) - set(state))
        if missing:
            raise InputError(f"{path!r} is corrupt: the optimizer state {missing[:3]} is missing.")
        model.optimizer.set_state(state)
    return model
