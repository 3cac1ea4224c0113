"""Export a Sequential model to ONNX (opset 21, IR version 10), so it runs in onnxruntime, a browser or an app.

Each layer has a converter beside the others below. numpynn's images are channels-last (N, H, W, C);
ONNX's Conv and pooling operators are channels-first (N, C, H, W). The exported graph takes (N, H, W, C)
like numpynn and keeps track of the layout of the tensor it has: it transposes to NCHW only in front of
an operator that needs it, and back to NHWC only in front of one that needs that (Flatten, whose element
order the following Dense weights were trained on). ``preprocess`` puts arithmetic preprocessing in front
(pixel scaling, standardisation), so the exported model can take raw pixels or raw numeric columns.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from .errors import InputError, missing_dependency
from .files import atomic_write

if TYPE_CHECKING:  # for annotations only
    from .models import Sequential

OPSET = 21
IR_VERSION = 10
TO_NCHW, TO_NHWC = (0, 3, 1, 2), (0, 2, 3, 1)


def _onnx():
    try:
        import onnx
        from onnx import helper, numpy_helper
    except ImportError:
        raise missing_dependency("ONNX export", "onnx", "onnx") from None
    return onnx, helper, numpy_helper


@dataclass
class _Graph:
    """The graph under construction: nodes, weights, and the current tensor's name and layout."""

    nodes: list = field(default_factory=list)
    initializers: list = field(default_factory=list)
    tensor: str = "input"
    layout: str = "NHWC"  # of a 4-D tensor; 2-D tensors are (N, features) either way
    count: int = 0

    def name(self, stem: str) -> str:
        self.count += 1
        return f"{stem}_{self.count}"

    def weight(self, stem: str, array: np.ndarray) -> str:
        from onnx import numpy_helper
        name = self.name(stem)
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array, dtype=np.float32), name))
        return name

    def add(self, op: str, inputs: list[str], stem: str | None = None, **attributes) -> str:
        from onnx import helper
        output = self.name(stem or op.lower())
        self.nodes.append(helper.make_node(op, [self.tensor] + inputs if inputs is not None else [self.tensor],
                                           [output], name=output, **attributes))
        self.tensor = output
        return output

    def to_layout(self, layout: str) -> None:
        if self.layout != layout:
            self.add("Transpose", [], perm=list(TO_NCHW if layout == "NCHW" else TO_NHWC))
            self.layout = layout


def _activation(graph: _Graph, activation) -> None:
    name = activation.name
    if name == "linear":
        return
    ops = {"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh"}
    if name in ops:
        graph.add(ops[name], [])
    elif name == "leaky_relu":
        graph.add("LeakyRelu", [], alpha=float(activation.alpha))
    elif name == "softmax":
        graph.add("Softmax", [], axis=-1)
    else:
        raise InputError(f"ONNX export has no converter for the activation {name!r}.")


# ----- one converter per layer: (graph, layer, rank of its input) ---------------------------------------
def _dense(graph, layer, rank):
    graph.add("MatMul", [graph.weight("W", layer.params["W"])])
    if layer.use_bias:
        graph.add("Add", [graph.weight("b", layer.params["b"])])
    _activation(graph, layer.activation)


def _conv(graph, layer, rank):
    graph.to_layout("NCHW")
    (top, bottom, left, right), _ = layer._geometry(layer.input_shape)
    inputs = [graph.weight("W", layer.params["W"].transpose(3, 2, 0, 1))]  # (kh, kw, C, F) -> (F, C, kh, kw)
    if layer.use_bias:
        inputs.append(graph.weight("b", layer.params["b"]))
    graph.add("Conv", inputs, kernel_shape=list(layer.kernel_size), strides=list(layer.strides),
              pads=[top, left, bottom, right])
    _activation(graph, layer.activation)


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
    elif rank != 2:
        raise InputError(f"ONNX export of {layer.describe()} supports (N, features) and image inputs only.")
    inputs = [graph.weight(stem, array) for stem, array in (
        ("gamma", layer.params["gamma"]), ("beta", layer.params["beta"]),
        ("mean", layer.state["running_mean"]), ("var", layer.state["running_var"]))]
    graph.add("BatchNormalization", inputs, epsilon=float(layer.epsilon))


def _flatten(graph, layer, rank):
    graph.to_layout("NHWC")  # the element order the Dense weights after it were trained on
    graph.add("Flatten", [], axis=1)


def _activation_layer(graph, layer, rank):
    _activation(graph, layer.activation)


def _dropout(graph, layer, rank):
    """Inference is the identity: nothing to export."""


CONVERTERS = {"Dense": _dense, "Conv2D": _conv, "MaxPooling2D": _pool("MaxPool"),
              "AveragePooling2D": _pool("AveragePool"), "GlobalAveragePooling2D": _global_average,
              "BatchNormalization": _batch_norm, "Flatten": _flatten, "Activation": _activation_layer,
              "Dropout": _dropout}


def _preprocess(graph: _Graph, preprocess: dict | None) -> None:
    """Pixel scaling or standardisation in front of the model: x / pixel_scale, (x - mean) / scale."""
    if not preprocess:
        return
    if preprocess.get("pixel_scale"):
        graph.add("Div", [graph.weight("pixel_scale", np.array(preprocess["pixel_scale"]))])
    if preprocess.get("mean") is not None:
        graph.add("Sub", [graph.weight("mean", np.asarray(preprocess["mean"]))])
        graph.add("Div", [graph.weight("scale", np.asarray(preprocess["scale"]))])


def to_onnx(model: Sequential, path: str | os.PathLike | None = None, preprocess: dict | None = None,
            postprocess: dict | None = None, opset: int = OPSET) -> bytes:
    """The model as an ONNX file (returned as bytes, and written atomically to ``path`` if given).

    Input "input": float32 (batch, *model.input_shape); output "output": what ``model.predict`` returns
    (probabilities after softmax or sigmoid). ``preprocess``: {"pixel_scale": 255.0} or {"mean": [...],
    "scale": [...]} to put that arithmetic in front, so the graph takes raw values; ``postprocess``:
    {"scale": s, "mean": m} maps a regression output back to the target's units (output * s + m).
    """
    onnx, helper, _ = _onnx()
    if not model.built:
        raise InputError("the model is not built yet: fit it or call model.build(input_shape) before exporting.")
    graph = _Graph()
    _preprocess(graph, preprocess)
    rank = 1 + len(model.input_shape)
    for layer in model.layers:
        converter = CONVERTERS.get(type(layer).__name__)
        if converter is None:
            raise InputError(f"ONNX export has no converter for {layer.describe()} ({type(layer).__name__}); "
                             f"exportable layers: {', '.join(sorted(CONVERTERS))}.")
        converter(graph, layer, rank)
        rank = 1 + len(layer.output_shape)
    if rank == 4:
        graph.to_layout("NHWC")
    if postprocess:
        graph.add("Mul", [graph.weight("target_scale", np.array(postprocess["scale"]))])
        graph.add("Add", [graph.weight("target_mean", np.array(postprocess["mean"]))])
    graph.add("Identity", [], stem="output")
    graph.nodes[-1].output[0] = "output"
    float_type = onnx.TensorProto.FLOAT
    onnx_graph = helper.make_graph(
        graph.nodes, model.name, [helper.make_tensor_value_info("input", float_type, ["batch", *model.input_shape])],
        [helper.make_tensor_value_info("output", float_type, ["batch", *model.output_shape])], graph.initializers)
    onnx_model = helper.make_model(onnx_graph, producer_name="numpynn", opset_imports=[helper.make_opsetid("", opset)])
    onnx_model.ir_version = IR_VERSION
    onnx.checker.check_model(onnx_model, full_check=True)
    data = onnx_model.SerializeToString()
    if path is not None:
        with atomic_write(path, "wb") as handle:
            handle.write(data)
    return data


def export_run(run_dir: str | os.PathLike, path: str | os.PathLike) -> list[str]:
    """Export a run folder's model with its arithmetic preprocessing in front (and a regression's mapping
    back to the target's units behind); what ONNX cannot do (a CSV's text columns) is written beside the
    .onnx file as JSON. Returns what the graph expects, one line per point, for the command line to print."""
    import json

    from .files import write_text
    from .runs import load_run
    config, preprocessing, model = load_run(run_dir)
    notes = [f"input: float32 {['batch', *model.input_shape]}"]
    preprocess = None
    if config["kind"] == "images":
        preprocess = {"pixel_scale": preprocessing["pixel_scale"]}
        scale = preprocessing["pixel_scale"]
        notes.append(f"raw pixels 0-{scale:g}; the graph divides by {scale:g}")
    elif "encoder" in preprocessing:
        beside = f"{os.fspath(path)}.encoder.json"
        write_text(beside, json.dumps(preprocessing["encoder"], indent=2) + "\n")
        notes.append(f"features encoded by numpynn's TableEncoder (text columns cannot go into ONNX); its state: "
                     f"{beside}")
    else:
        preprocess = {"mean": preprocessing["scaler_mean"], "scale": preprocessing["scaler_scale"]}
        notes.append("raw numeric columns in the training order (config.json feature_names); the graph standardises")
    postprocess = preprocessing.get("target") if config.get("task") == "regression" else None
    to_onnx(model, path, preprocess=preprocess, postprocess=postprocess)
    notes.append("output: " + ("the predicted target, in its units" if postprocess else
                               f"probabilities of {config['class_names']}" if len(config["class_names"]) > 2 else
                               f"the probability of {config['class_names'][-1]}"))
    return notes
