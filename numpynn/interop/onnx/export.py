"""Export a Sequential model to ONNX (opset 21, IR version 10), so it runs in onnxruntime, a browser or an app.

Each layer has a converter (``onnx_layers`` for dense, image and residual layers, ``onnx_sequences`` for
recurrent and other sequence layers). numpynn's images are channels-last (N, H, W, C); ONNX's Conv and
pooling operators are channels-first (N, C, H, W). The exported graph takes (N, H, W, C) like numpynn and
keeps track of the layout of the tensor it has: it transposes to NCHW only in front of an operator that
needs it, and back to NHWC only in front of one that needs that (Flatten, whose element order the
following Dense weights were trained on). ``preprocess`` puts arithmetic preprocessing in front (pixel
scaling, standardisation), so the exported model can take raw pixels or raw numeric columns. A model that
starts with an Embedding takes int64 token ids.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np

from numpynn.errors import InputError
from numpynn.files import atomic_write
from numpynn.interop.onnx.graph import IR_VERSION, OPSET, Graph, import_onnx
from numpynn.interop.onnx.layers import convert

if TYPE_CHECKING:  # for annotations only
    from numpynn.models.sequential import Sequential


def _preprocess(graph: Graph, preprocess: dict | None) -> None:
    """Pixel scaling or standardisation in front of the model: x / pixel_scale, (x - mean) / scale."""
    if not preprocess:
        return
    if preprocess.get("pixel_scale"):
        graph.add("Div", [graph.weight("pixel_scale", np.array(preprocess["pixel_scale"]))])
    if preprocess.get("mean") is not None:
        graph.add("Sub", [graph.weight("mean", np.asarray(preprocess["mean"]))])
        graph.add("Div", [graph.weight("scale", np.asarray(preprocess["scale"]))])


def to_onnx(
    model: Sequential,
    path: str | os.PathLike | None = None,
    preprocess: dict | None = None,
    postprocess: dict | None = None,
    opset: int = OPSET,
) -> bytes:
    """The model as an ONNX file (returned as bytes, and written atomically to ``path`` if given).

    Input "input": float32 (batch, *model.input_shape); output "output": what ``model.predict`` returns
    (probabilities after softmax or sigmoid). ``preprocess``: {"pixel_scale": 255.0} or {"mean": [...],
    "scale": [...]} to put that arithmetic in front, so the graph takes raw values; ``postprocess``:
    {"scale": s, "mean": m} maps a regression output back to the target's units (output * s + m).
    """
    onnx, helper, _ = import_onnx()
    if not model.built:
        raise InputError("the model is not built yet: fit it or call model.build(input_shape) before exporting.")
    graph = Graph()
    _preprocess(graph, preprocess)
    for layer in model.layers:
        convert(graph, layer)
    if len(model.output_shape) == 3:
        graph.to_layout("NHWC")
    if postprocess:
        graph.add("Mul", [graph.weight("target_scale", np.array(postprocess["scale"]))])
        graph.add("Add", [graph.weight("target_mean", np.array(postprocess["mean"]))])
    graph.add("Identity", [], stem="output")
    graph.nodes[-1].output[0] = "output"
    float_type = onnx.TensorProto.FLOAT
    input_type = onnx.TensorProto.INT64 if model.layers[0].integer_input else float_type
    onnx_graph = helper.make_graph(
        graph.nodes,
        model.name,
        [helper.make_tensor_value_info("input", input_type, ["batch", *model.input_shape])],
        [helper.make_tensor_value_info("output", float_type, ["batch", *model.output_shape])],
        graph.initializers,
    )
    onnx_model = helper.make_model(onnx_graph, producer_name="numpynn", opset_imports=[helper.make_opsetid("", opset)])
    onnx_model.ir_version = IR_VERSION
    onnx.checker.check_model(onnx_model, full_check=True)
    data = onnx_model.SerializeToString()
    if path is not None:
        with atomic_write(path, "wb") as handle:
            handle.write(data)
    return data
