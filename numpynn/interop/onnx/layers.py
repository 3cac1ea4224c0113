"""ONNX converters for the dense and image layers, and for Residual blocks; ``convert`` dispatches.

A converter is ``(graph, layer, rank)``, rank being that of the layer's input tensor (batch axis included).
Recurrent and other sequence layers are in ``onnx_sequences``.
"""

from __future__ import annotations

from numpynn.errors import InputError
from numpynn.interop.onnx.graph import Graph, add_activation
from numpynn.interop.onnx.sequences import SEQUENCE_CONVERTERS


def _dense(graph, layer, rank):
    graph.add("MatMul", [graph.weight("W", layer.params["W"])])
    if layer.use_bias:
        graph.add("Add", [graph.weight("b", layer.params["b"])])
    add_activation(graph, layer.activation)


def _conv(graph, layer, rank):
    graph.to_layout("NCHW")
    (top, bottom, left, right), _ = layer.geometry(layer.input_shape)
    inputs = [graph.weight("W", layer.params["W"].transpose(3, 2, 0, 1))]  # (kh, kw, C, F) -> (F, C, kh, kw)
    if layer.use_bias:
        inputs.append(graph.weight("b", layer.params["b"]))
    graph.add(
        "Conv",
        inputs,
        kernel_shape=list(layer.kernel_size),
        strides=list(layer.strides),
        pads=[top, left, bottom, right],
    )
    add_activation(graph, layer.activation)


def _pool(op):
    def convert(graph, layer, rank):
        graph.to_layout("NCHW")
        graph.add(op, [], kernel_shape=list(layer.pool_size), strides=list(layer.strides))

    return convert


def _global_average(graph, layer, rank):
    graph.to_layout("NCHW")
    graph.add("GlobalAveragePool", [])
    graph.add("Flatten", [], axis=1)


def _batch_norm(graph, layer, rank):
    if rank == 4:
        graph.to_layout("NCHW")
    elif rank == 3:  # sequences: ONNX normalises axis 1, ours is the last
        graph.add("Transpose", [], perm=[0, 2, 1])
    inputs = [
        graph.weight(stem, array)
        for stem, array in (
            ("gamma", layer.params["gamma"]),
            ("beta", layer.params["beta"]),
            ("mean", layer.state["running_mean"]),
            ("var", layer.state["running_var"]),
        )
    ]
    graph.add("BatchNormalization", inputs, epsilon=float(layer.epsilon))
    if rank == 3:
        graph.add("Transpose", [], perm=[0, 2, 1])


def _flatten(graph, layer, rank):
    graph.to_layout("NHWC")  # the element order the Dense weights after it were trained on
    graph.add("Flatten", [], axis=1)


def _activation_layer(graph, layer, rank):
    add_activation(graph, layer.activation)


def _dropout(graph, layer, rank):
    """Inference is the identity: nothing to export."""


def _residual(graph, layer, rank):
    """Both paths from the same tensor, then Add (in the main path's layout) and the block's activation."""
    start, start_layout = graph.tensor, graph.layout
    for sublayer in layer.layers:
        convert(graph, sublayer)
    main, main_layout = graph.tensor, graph.layout
    graph.tensor, graph.layout = start, start_layout
    if layer.projection is not None:
        convert(graph, layer.projection)
    if rank == 4:
        graph.to_layout(main_layout)
    graph.add("Add", [main])
    add_activation(graph, layer.activation)


CONVERTERS = {
    "Dense": _dense,
    "Conv2D": _conv,
    "MaxPooling2D": _pool("MaxPool"),
    "AveragePooling2D": _pool("AveragePool"),
    "GlobalAveragePooling2D": _global_average,
    "BatchNormalization": _batch_norm,
    "Flatten": _flatten,
    "Activation": _activation_layer,
    "Dropout": _dropout,
    "Residual": _residual,
}


def convert(graph: Graph, layer) -> None:
    """Add ``layer``'s operators to the graph."""
    converter = CONVERTERS.get(type(layer).__name__) or SEQUENCE_CONVERTERS.get(type(layer).__name__)
    if converter is None:
        names = sorted({*CONVERTERS, *SEQUENCE_CONVERTERS})
        raise InputError(
            f"ONNX export has no converter for {layer.describe()} ({type(layer).__name__}); "
            f"exportable layers: {', '.join(names)}."
        )
    converter(graph, layer, 1 + len(layer.input_shape))
