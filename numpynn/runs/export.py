"""``numpynn export RUN PATH``: a run folder's model as ONNX, with the run's preprocessing in the graph."""

from __future__ import annotations

import json
import os

from numpynn.files import write_text
from numpynn.interop.onnx.export import to_onnx
from numpynn.runs.run_folder import load_run


def export_run(run_dir: str | os.PathLike, path: str | os.PathLike) -> list[str]:
    """Export a run folder's model with its arithmetic preprocessing in front (and a regression's mapping
    back to the target's units behind); what ONNX cannot do (a CSV's text columns) is written beside the
    .onnx file as JSON. Returns what the graph expects, one line per point, for the command line to print."""
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
        notes.append(
            f"features encoded by numpynn's TableEncoder (text columns cannot go into ONNX); its state: {beside}"
        )
    else:
        preprocess = {"mean": preprocessing["scaler_mean"], "scale": preprocessing["scaler_scale"]}
        notes.append("raw numeric columns in the training order (config.json feature_names); the graph standardises")
    postprocess = preprocessing.get("target") if config.get("task") == "regression" else None
    to_onnx(model, path, preprocess=preprocess, postprocess=postprocess)
    notes.append(
        "output: "
        + (
            "the predicted target, in its units"
            if postprocess
            else f"probabilities of {config['class_names']}"
            if len(config["class_names"]) > 2
            else f"the probability of {config['class_names'][-1]}"
        )
    )
    return notes
