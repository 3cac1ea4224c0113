"""ONNX converters for sequence layers: SimpleRNN, LSTM, GRU, Bidirectional, Conv1D, Embedding,
LayerNormalization and the 1-D global poolings. Sequences are (batch, time, features) as in numpynn.

ONNX's RNN, LSTM and GRU operators read (time, batch, features) and stack their gates in rows in their own
order: LSTM (input, output, forget, cell) against our (input, forget, cell, output); GRU (update, reset,
candidate) as ours, with ``linear_before_reset=1`` being Keras's ``reset_after``. Their "reverse" direction
returns its steps in the input's order, where our ``go_backwards`` returns them in the order it read them.
"""

from __future__ import annotations

import numpy as np

from numpynn.errors import InputError
from numpynn.interop.onnx.graph import Graph, add_activation

ONNX_OP = {"SimpleRNN": "RNN", "LSTM": "LSTM", "GRU": "GRU"}
LSTM_ORDER = [0, 3, 1, 2]  # ONNX's i, o, f, c from our i, f, c, o
RNN_ACTIVATIONS = {"tanh": "Tanh", "relu": "Relu", "sigmoid": "Sigmoid"}


def _gate_rows(matrix: np.ndarray, units: int, kind: str) -> np.ndarray:
    """Our gates side by side in columns (in, k * units) -> ONNX's stacked in rows (k * units, in)."""
    blocks = np.split(matrix, matrix.shape[-1] // units, axis=-1)
    if kind == "LSTM":
        blocks = [blocks[i] for i in LSTM_ORDER]
    return np.concatenate(blocks, axis=-1).T


def _recurrent_weights(layers: list, kind: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """W (dirs, k*units, features), R (dirs, k*units, units), B (dirs, 2*k*units) for one or two layers."""
    weights, recurrents, biases = [], [], []
    for layer in layers:
        units = layer.units
        weights.append(_gate_rows(layer.params["W"], units, kind))
        recurrents.append(_gate_rows(layer.params["U"], units, kind))
        bias = layer.params["b"]
        input_bias, recurrent_bias = (bias[0], bias[1]) if bias.ndim == 2 else (bias, np.zeros_like(bias))
        biases.append(
            np.concatenate(
                [_gate_rows(input_bias[None], units, kind)[:, 0], _gate_rows(recurrent_bias[None], units, kind)[:, 0]]
            )
        )
    return np.stack(weights), np.stack(recurrents), np.stack(biases)


def _run_recurrent(graph: Graph, layers: list, direction: str) -> None:
    """The operator over (time, batch, features); leaves Y (time, dirs, batch, units) when the layer
    returns sequences, else Y_h (dirs, batch, units)."""
    first = layers[0]
    kind = type(first).__name__
    weights, recurrents, biases = _recurrent_weights(layers, kind)
    attributes = {"hidden_size": first.units, "direction": direction}
    if kind == "GRU":
        attributes["linear_before_reset"] = 1
    if kind == "SimpleRNN":
        if first.activation.name not in RNN_ACTIVATIONS:
            raise InputError(
                f"ONNX export of {first.describe()}: its activation {first.activation.name!r} has no "
                f"ONNX RNN counterpart; use one of {', '.join(RNN_ACTIVATIONS)}."
            )
        attributes["activations"] = [RNN_ACTIVATIONS[first.activation.name]] * len(layers)
    graph.add("Transpose", [], perm=[1, 0, 2])
    inputs = [graph.tensor, graph.weight("W", weights), graph.weight("R", recurrents), graph.weight("B", biases)]
    graph.add_node(ONNX_OP[kind], inputs, output_index=0 if first.return_sequences else 1, **attributes)


def _reverse_time(graph: Graph, axis: int) -> None:
    graph.add(
        "Slice",
        [
            graph.constant("starts", [-1]),
            graph.constant("ends", [-(2**62)]),
            graph.constant("axes", [axis]),
            graph.constant("steps", [-1]),
        ],
    )


def _recurrent(graph, layer, rank):
    _run_recurrent(graph, [layer], "reverse" if layer.go_backwards else "forward")
    if layer.return_sequences:
        graph.add("Squeeze", [graph.constant("axes", [1])])  # (time, batch, units)
        graph.add("Transpose", [], perm=[1, 0, 2])
        if layer.go_backwards:  # ours lists the steps in the order it read them: last input first
            _reverse_time(graph, 1)
    else:
        graph.add("Squeeze", [graph.constant("axes", [0])])


def _bidirectional(graph, layer, rank):
    """ONNX's bidirectional operator: both directions at once, already aligned with the input's steps."""
    ahead = layer.forward_layer
    if ahead.go_backwards:
        raise InputError(
            f"ONNX export of {layer.describe()}: a wrapped layer with go_backwards=True has no ONNX "
            "counterpart; wrap one with go_backwards=False."
        )
    _run_recurrent(graph, [ahead, layer.backward_layer], "bidirectional")
    if ahead.return_sequences:
        graph.add("Transpose", [], perm=[2, 0, 1, 3])  # (time, dirs, batch, units) -> (batch, time, dirs, units)
        direction_axis = 2
    else:
        graph.add("Transpose", [], perm=[1, 0, 2])  # (dirs, batch, units) -> (batch, dirs, units)
        direction_axis = 1
    if layer.merge_mode == "concat":
        graph.add("Reshape", [graph.constant("shape", [0] * direction_axis + [-1])])
        return
    reduce = {"sum": "ReduceSum", "ave": "ReduceMean", "mul": "ReduceProd"}[layer.merge_mode]
    graph.add(reduce, [graph.constant("axes", [direction_axis])], keepdims=0)


def _conv1d(graph, layer, rank):
    (_, _, before, after), _ = layer.geometry(layer.image_shape)
    graph.add("Transpose", [], perm=[0, 2, 1])  # (batch, channels, time)
    inputs = [graph.weight("W", layer.params["W"].transpose(2, 1, 0))]  # (k, C, F) -> (F, C, k)
    if layer.use_bias:
        inputs.append(graph.weight("b", layer.params["b"]))
    graph.add("Conv", inputs, kernel_shape=[layer.kernel_size[1]], strides=[layer.strides[1]], pads=[before, after])
    graph.add("Transpose", [], perm=[0, 2, 1])
    add_activation(graph, layer.activation)


def _embedding(graph, layer, rank):
    graph.add_node("Gather", [graph.weight("E", layer.params["E"]), graph.tensor], axis=0)


def _layer_normalization(graph, layer, rank):
    graph.add(
        "LayerNormalization",
        [graph.weight("gamma", layer.params["gamma"]), graph.weight("beta", layer.params["beta"])],
        axis=-1,
        epsilon=float(layer.epsilon),
    )


def _global_pooling_1d(op):
    def convert(graph, layer, rank):
        graph.add(op, [graph.constant("axes", [1])], keepdims=0)

    return convert


SEQUENCE_CONVERTERS = {
    "SimpleRNN": _recurrent,
    "LSTM": _recurrent,
    "GRU": _recurrent,
    "Bidirectional": _bidirectional,
    "Conv1D": _conv1d,
    "Embedding": _embedding,
    "LayerNormalization": _layer_normalization,
    "GlobalAveragePooling1D": _global_pooling_1d("ReduceMean"),
    "GlobalMaxPooling1D": _global_pooling_1d("ReduceMax"),
}
