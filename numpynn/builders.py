"""Build a model from a short text spec, as the command line's ``--model`` takes it.

    mlp:256,128                      Dense 256 -> Dense 128 (ReLU), then the output layer
    logistic, linear                 the output layer alone (logistic / softmax / linear regression)
    cnn                              the default convolutional network for images
    dense:128,dropout:0.2,dense:64   any list of layers: dense:N, dropout:R, conv:F[xK], pool[:S],
                                     avgpool[:S], gap, bn, flatten, rnn:N, lstm:N, gru:N (images are
                                     read as sequences of rows: 28 steps of 28 pixels for MNIST)

The output layer is added for you: Dense(1, sigmoid) for two classes, Dense(K, softmax) for more.
"""
from __future__ import annotations

from . import layers
from .errors import InputError
from .models import Sequential

RECURRENT = {"rnn": layers.SimpleRNN, "lstm": layers.LSTM, "gru": layers.GRU}

PRESETS = {
    # MNIST: 0.9950 test accuracy after 12 epochs with the default one-pixel shifts (README), about
    # 17 s per epoch on 2 cores.
    "cnn": "conv:32,pool,conv:64,pool,dense:128,dropout:0.3",
}


def _number(text, kind, token):
    try:
        return kind(text)
    except ValueError:
        raise InputError(f"bad number {text!r} in model spec token {token!r}.") from None


def parse_layers(spec: str) -> list:
    """The hidden layers a spec describes (without the output layer)."""
    spec = spec.strip().lower()
    spec = PRESETS.get(spec, spec)
    if spec in ("logistic", "linear"):  # the output layer alone: logistic, softmax or linear regression
        return []
    if spec.startswith("mlp:") or spec.startswith("mlp,"):
        sizes = [s for s in spec[4:].split(",") if s]
        return [layers.Dense(_number(s, int, spec), activation="relu", kernel_initializer="he_uniform")
                for s in sizes]
    result = []
    for token in (t.strip() for t in spec.split(",") if t.strip()):
        name, _, arg = token.partition(":")
        if name == "dense":
            result.append(layers.Dense(_number(arg, int, token), activation="relu", kernel_initializer="he_uniform"))
        elif name == "dropout":
            result.append(layers.Dropout(_number(arg, float, token)))
        elif name == "flatten":
            result.append(layers.Flatten())
        elif name in ("conv", "pool", "avgpool", "gap", "bn"):
            result.append(_image_layer(name, arg, token))
        elif name in RECURRENT:
            result.append(RECURRENT[name](_number(arg, int, token)))
        else:
            raise InputError(f"unknown layer {name!r} in model spec {spec!r}; use mlp:256,128, logistic, cnn, or a "
                             "list of dense:N, dropout:R, conv:F[xK], pool[:S], avgpool[:S], gap, bn, flatten, "
                             "rnn:N, lstm:N, gru:N.")
    for layer, following in zip(result, result[1:]):  # a recurrent layer feeding another passes every step on
        if isinstance(layer, tuple(RECURRENT.values())) and isinstance(following, tuple(RECURRENT.values())):
            layer.return_sequences = True
    return result


def _image_layer(name, arg, token):
    if name == "conv":
        filters, _, kernel = arg.partition("x")
        return layers.Conv2D(_number(filters, int, token), _number(kernel or "3", int, token), padding="same",
                             activation="relu", kernel_initializer="he_uniform")
    if name == "pool":
        return layers.MaxPooling2D(_number(arg or "2", int, token))
    if name == "avgpool":
        return layers.AveragePooling2D(_number(arg or "2", int, token))
    if name == "gap":
        return layers.GlobalAveragePooling2D()
    return layers.BatchNormalization()


IMAGE_LAYERS = ("Conv2D", "MaxPooling2D", "AveragePooling2D")


def is_convolutional(spec: str) -> bool:
    """Whether the spec has image layers, i.e. wants (N, H, W, C) input instead of flat vectors."""
    return any(type(layer).__name__ in IMAGE_LAYERS for layer in parse_layers(spec))


def build_model(spec: str, input_shape: tuple, num_classes: int, seed: int | None = None,
                dtype: str = "float32") -> Sequential:
    """A Sequential for inputs of ``input_shape`` (no batch axis) with the right output layer:
    Dense(1, sigmoid) for 2 classes, Dense(K, softmax) for K > 2, one linear output for 0 (regression).

    Flatten layers are inserted where image-shaped activations meet a Dense layer.
    """
    model_layers = []
    spatial = len(input_shape) > 1
    if num_classes == 0:
        output = layers.Dense(1)
    else:
        output = layers.Dense(1, activation="sigmoid") if num_classes == 2 else layers.Dense(num_classes,
                                                                                              activation="softmax")
    for layer in parse_layers(spec) + [output]:
        kind = type(layer).__name__
        if kind == "Dense" and spatial:
            model_layers.append(layers.Flatten())
            spatial = False
        if kind in ("Flatten", "GlobalAveragePooling2D") or (kind in ("SimpleRNN", "LSTM", "GRU")
                                                             and not layer.return_sequences):
            spatial = False
        model_layers.append(layer)
    model = Sequential(model_layers, seed=seed, dtype=dtype)
    model.build(input_shape)
    return model
