"""Interop: a trained model leaves the library (ONNX) or joins scikit-learn (estimators)."""
