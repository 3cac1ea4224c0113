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
import zipfile
import zlib
from typing import TYPE_CHECKING

import numpy as np

from . import losses, optimizers
from .errors import InputError
from .files import atomic_write

if TYPE_CHECKING:  # for annotations only: importing these at run time would be circular
    from .models import Sequential

# Model classes by name, so a file names its class and load_model needs no import of the models module.
MODEL_CLASSES: dict[str, type] = {}

FORMAT_NAME = "numpynn-model"
FORMAT_VERSION = 1
META_KEY = "__numpynn__"


def register_model(cls: type) -> type:
    """Class decorator: make a model class (Sequential or a subclass of it) loadable by ``load_model``."""
    MODEL_CLASSES[cls.__name__] = cls
    return cls


def save_model(model: Sequential, path: str | os.PathLike) -> None:
    """Write ``model`` to ``path`` atomically (temporary file, then rename)."""
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
    arrays = {META_KEY: np.array(json.dumps(meta))}
    for i, layer in enumerate(model.layers):
        arrays.update({f"params/{i}/{key}": value for key, value in layer.params.items()})
        arrays.update({f"state/{i}/{key}": value for key, value in layer.state.items()})
    if model.optimizer is not None:
        arrays.update({f"optimizer/{key}": value for key, value in model.optimizer.get_state().items()})
    with atomic_write(path, "wb") as handle:
        np.savez(handle, **arrays)


def load_model(path: str | os.PathLike) -> Sequential:
    """Rebuild a model saved by ``model.save``; its predictions are identical to the saved model's."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"No model file at {path!r}.")
    try:
        with np.load(path, allow_pickle=False) as archive:
            if META_KEY not in archive.files:
                raise InputError(f"{path!r} is a NumPy archive but not a numpynn model (no {META_KEY} entry); "
                                 "save models with model.save(path).")
            meta = json.loads(str(archive[META_KEY]))
            if meta.get("format") != FORMAT_NAME or not isinstance(meta.get("version"), int):
                raise InputError(f"{path!r} is not a numpynn model file (unknown format).")
            if meta["version"] > FORMAT_VERSION:
                raise InputError(f"{path!r} was written by a newer numpynn (format {meta['version']}); "
                                 "upgrade numpynn.")
            arrays = {name: archive[name] for name in archive.files if name != META_KEY}
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, json.JSONDecodeError, KeyError) as exc:
        raise InputError(f"{path!r} is not a readable numpynn model file ({type(exc).__name__}: {exc}); "
                         "it may be truncated or corrupt: save the model again.") from None
    except ValueError as exc:
        if "numpynn" in str(exc):
            raise
        raise InputError(f"{path!r} is not a readable numpynn model file ({exc}).") from None

    class_name = meta.get("class_name", "Sequential")
    if class_name not in MODEL_CLASSES:
        raise InputError(f"{path!r} holds a {class_name} model, a class numpynn does not know: import the module "
                         "that defines it (decorated with @numpynn.saving.register_model) before loading.")
    model = MODEL_CLASSES[class_name].from_config(meta["model"])
    model.build(meta["input_shape"])
    for i, layer in enumerate(model.layers):
        for group, target in (("params", layer.params), ("state", layer.state)):
            for key, array in target.items():
                name = f"{group}/{i}/{key}"
                if name not in arrays:
                    raise InputError(f"{path!r} is corrupt: the weights {name!r} are missing.")
                if arrays[name].shape != array.shape:
                    raise InputError(f"{path!r} is corrupt: {name!r} has shape {arrays[name].shape}, "
                                     f"the architecture needs {array.shape}.")
                np.copyto(array, arrays[name])
    if meta["optimizer"] is not None and meta["loss"] is not None:
        model.compile(optimizer=optimizers.get(meta["optimizer"]), loss=losses.get(meta["loss"]),
                      metrics=meta["metrics"])
        prefix = "optimizer/"
        model.optimizer.set_state({name[len(prefix):]: value for name, value in arrays.items()
                                   if name.startswith(prefix)})
    return model
