"""The ONNX graph under construction, shared by the layer converters (``onnx_layers``, ``onnx_sequences``).

numpynn's images are channels-last (N, H, W, C); ONNX's Conv and pooling operators are channels-first
(N, C, H, W). The graph keeps track of the layout of the 4-D tensor it has, and transposes only in front
of an operator that needs the other one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from numpynn.errors import InputError, missing_dependency

OPSET = 21
IR_VERSION = 10
TO_NCHW, TO_NHWC = (0, 3, 1, 2), (0, 2, 3, 1)


def import_onnx():
    try:
        import onnx
        from onnx import helper, numpy_helper
    except ImportError:
        raise missing_dependency("ONNX export", "onnx", "onnx") from None
    return onnx, helper, numpy_helper


@dataclass
class Graph:
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
        """A node taking the current tensor and ``inputs``; its output becomes the current tensor."""
        return self.add_node(op, [self.tensor] + inputs, stem, **attributes)

    def add_node(self, op: str, inputs: list[str], stem: str | None = None, output_index: int = 0, **attributes) -> str:
        """A node with exactly ``inputs``, whose output number ``output_index`` becomes the current tensor
        (the outputs before it are left unnamed, which ONNX reads as "not wanted")."""
        from onnx import helper

        output = self.name(stem or op.lower())
        self.nodes.append(helper.make_node(op, inputs, [""] * output_index + [output], name=output, **attributes))
        self.tensor = output
        return output

    def constant(self, stem: str, values: list[int]) -> str:
        """An int64 initializer (axes, shapes and slice bounds are int64 inputs in opset 21)."""
        from onnx import numpy_helper

        name = self.name(stem)
        self.initializers.append(numpy_helper.from_array(np.asarray(values, dtype=np.int64), name))
        return name

    def to_layout(self, layout: str) -> None:
        if self.layout != layout:
            self.add("Transpose", [], perm=list(TO_NCHW if layout == "NCHW" else TO_NHWC))
            self.layout = layout


def add_activation(graph: Graph, activation) -> None:
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
