"""ONNX export: ``export.to_onnx`` builds a ``graph.Graph`` with one converter per layer (``layers``,
``sequences``)."""
