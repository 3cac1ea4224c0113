"""Build a model from a short text spec, as the command line's ``--model`` takes it.

    mlp:256,128                      Dense 256 -> Dense 128 (ReLU), then the output layer
    logistic, linear                 the output layer alone (logistic / softmax / linear regression)
    cnn                              the default convolutional network for images
    resnet                           a small residual CNN with batch normalization
    dense:128,dropout:0.2,dense:64   any list of layers: dense:N, dropout:R, conv:F[xK], conv1d:F[xK],
                                     pool[:S], avgpool[:S], gap, bn, flatten, rnn:N, lstm:N, gru:N,
                                     bi(lstm:N) (both directions), res(layers...) (a residual block:
                                     relu(layers(x) + x), projected when the shape changes). Without
                                     conv layers images are read as sequences of rows: 28 steps of 28
                                     pixels for MNIST.

The output layer is added for you: Dense(1, sigmoid) for two classes, Dense(K, softmax) for more.
"""

from __future__ import annotations

import functools

import numpy as np

from numpynn.errors import InputError
from numpynn.models.sequential import Sequential
from numpynn.nn import layers
from numpynn.nn.layers.walk import named_leaves

RECURRENT = {"rnn": layers.SimpleRNN, "lstm": layers.LSTM, "gru": layers.GRU}

PRESETS = {
    # MNIST: 0.9950 test accuracy after 12 epochs with the default one-pixel shifts (README), about
    # 17 s per epoch on 2 cores.
    "cnn": "conv:32,pool,conv:64,pool,dense:128,dropout:0.3",
    # A small residual network (He et al. 2016) with batch normalization; the first pooling comes early so
    # the blocks run on 14x14 and 7x7 maps (about twice the CNN's time per epoch).
    "resnet": "conv:32,bn,pool,res(conv:32,bn,conv:32,bn),pool,res(conv:64,bn,conv:64,bn),gap,dropout:0.2",
}


def _number(text, kind, token):
    try:
        return kind(text)
    except ValueError:
        raise InputError(f"bad number {text!r} in model spec token {token!r}.") from None


def split_tokens(spec: str) -> list[str]:
    """The spec's top-level tokens: commas inside res(...) or bi(...) do not split."""
    tokens, depth, current = [], 0, ""
    for char in spec:
        depth += (char == "(") - (char == ")")
        if depth < 0:
            raise InputError(f"unbalanced ')' in model spec {spec!r}.")
        if char == "," and depth == 0:
            tokens.append(current.strip())
            current = ""
        else:
            current += char
    if depth:
        raise InputError(f"unclosed '(' in model spec {spec!r}.")
    return [token for token in tokens + [current.strip()] if token]


def parse_layers(spec: str) -> list:
    """The hidden layers a spec describes (without the output layer)."""
    spec = spec.strip().lower()
    spec = PRESETS.get(spec, spec)
    if spec in ("logistic", "linear"):  # the output layer alone: logistic, softmax or linear regression
        return []
    if spec.startswith("mlp:") or spec.startswith("mlp,"):
        sizes = [s for s in spec[4:].split(",") if s]
        return [layers.Dense(_number(s, int, spec), activation="relu", kernel_initializer="he_uniform") for s in sizes]
    tokens = split_tokens(spec)
    # A recurrent layer feeding another recurrent layer passes every step on, not just the last.
    recurrent = [_is_recurrent(token) for token in tokens]
    return [
        _layer(token, spec, keep_steps=recurrent[i] and i + 1 < len(tokens) and recurrent[i + 1])
        for i, token in enumerate(tokens)
    ]


def _is_recurrent(token: str) -> bool:
    name = token.partition(":")[0]
    return name in RECURRENT or token.startswith("bi(")


def _layer(token: str, spec: str, keep_steps: bool = False):
    name, _, arg = token.partition(":")
    if token.startswith("res(") and token.endswith(")"):
        return layers.Residual(parse_layers(token[4:-1]) or _empty(token), activation="relu")
    if token.startswith("bi(") and token.endswith(")"):
        inner = split_tokens(token[3:-1])
        if len(inner) != 1 or not _is_recurrent(inner[0]):
            raise InputError(f"bi(...) wraps one recurrent layer, e.g. bi(lstm:64); got {token!r}.")
        return layers.Bidirectional(_layer(inner[0], spec, keep_steps))
    if name == "dense":
        return layers.Dense(_number(arg, int, token), activation="relu", kernel_initializer="he_uniform")
    if name == "dropout":
        return layers.Dropout(_number(arg, float, token))
    if name == "flatten":
        return layers.Flatten()
    if name in ("conv", "conv1d", "pool", "avgpool", "gap", "bn"):
        return _image_layer(name, arg, token)
    if name in RECURRENT:
        return RECURRENT[name](_number(arg, int, token), return_sequences=keep_steps)
    raise InputError(
        f"unknown layer {name!r} in model spec {spec!r}; use mlp:256,128, logistic, cnn, resnet, or "
        "a list of dense:N, dropout:R, conv:F[xK], conv1d:F[xK], pool[:S], avgpool[:S], gap, bn, "
        "flatten, rnn:N, lstm:N, gru:N, bi(lstm:N), res(layers...)."
    )


def _empty(token):
    raise InputError(f"{token!r} has no layers inside; write e.g. res(conv:32,bn,conv:32,bn).")


def _image_layer(name, arg, token):
    if name in ("conv", "conv1d"):
        filters, _, kernel = arg.partition("x")
        conv = layers.Conv2D if name == "conv" else layers.Conv1D
        return conv(
            _number(filters, int, token),
            _number(kernel or "3", int, token),
            padding="same",
            activation="relu",
            kernel_initializer="he_uniform",
        )
    if name == "pool":
        return layers.MaxPooling2D(_number(arg or "2", int, token))
    if name == "avgpool":
        return layers.AveragePooling2D(_number(arg or "2", int, token))
    if name == "gap":
        return layers.GlobalAveragePooling2D()
    return layers.BatchNormalization()


IMAGE_LAYERS = ("Conv2D", "MaxPooling2D", "AveragePooling2D")


@functools.lru_cache(maxsize=64)
def is_convolutional(spec: str) -> bool:
    """Whether the spec has image layers, i.e. wants (N, H, W, C) input instead of flat vectors.

    Asked for the same spec by the options, the data preparation and sweeps: the answer is kept, so a
    spec is parsed once for it (and once more by ``build_model``, which needs fresh layers).
    """
    return any(type(layer).__name__ in IMAGE_LAYERS for _, layer in named_leaves(parse_layers(spec)))


def build_model(
    spec: str, input_shape: tuple, num_classes: int, seed: int | None = None, dtype: str = "float32"
) -> Sequential:
    """A Sequential for inputs of ``input_shape`` (no batch axis) with the right output layer:
    Dense(1, sigmoid) for 2 classes, Dense(K, softmax) for K > 2, one linear output for 0 (regression).

    Flatten layers are inserted where image- or sequence-shaped activations meet a Dense layer.
    """
    if num_classes == 0:
        output = layers.Dense(1)
    else:
        output = (
            layers.Dense(1, activation="sigmoid")
            if num_classes == 2
            else layers.Dense(num_classes, activation="softmax")
        )
    model_layers: list[layers.Layer] = []
    shape = tuple(input_shape)
    for layer in parse_layers(spec) + [output]:
        if isinstance(layer, layers.Dense) and len(shape) > 1:
            model_layers.append(layers.Flatten())
            shape = (int(np.prod(shape)),)
        model_layers.append(layer)
        shape = tuple(layer.compute_output_shape(shape))
    model = Sequential(model_layers, seed=seed, dtype=dtype)
    model.build(input_shape)
    return model
