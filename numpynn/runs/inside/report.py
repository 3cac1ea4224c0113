"""The report's "Inside the network" section: diagnoses in plain words first, then the figures that show
them (per-layer statistics with --inspect), a convolutional model's filters and feature maps, saliency
maps of the misclassified test images, and a table model's permutation importance."""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from numpynn.data.table_encoder import TableEncoder
from numpynn.models import inspection
from numpynn.nn.layers.walk import named_leaves
from numpynn.nn.metrics import labels_from_outputs, prediction_confidence
from numpynn.runs.inside import plots as inside_plots
from numpynn.runs.inside.diagnoses import ACTIVATIONS_FIGURE, DYNAMICS_FIGURE, diagnose
from numpynn.runs.report import figures_html, html_table, save_figure

if TYPE_CHECKING:  # for annotations only
    from numpynn.data.sources import PreparedData
    from numpynn.models.sequential import Sequential
    from numpynn.training.callbacks import LayerStats

SALIENCY_IMAGES = 12
IMPORTANCE_REPEATS = 10


def save_inside(
    folder: Path,
    model: Sequential,
    data: PreparedData,
    history: dict,
    layer_stats: LayerStats | None,
    outputs: np.ndarray,
    seed: int = 0,
) -> dict:
    """Write the section's figures into ``folder`` (``outputs``: the model's for the test split); returns
    {"figures": [(file, caption)], "diagnoses": [...], "importance": [(column, mean, std)] or None,
    "inspected": bool}."""
    figures = []

    def add(fig, filename: str, caption: str):
        save_figure(fig, folder / filename)
        figures.append((filename, caption))

    found = []
    if layer_stats is not None and layer_stats.rows:
        found = diagnose(layer_stats.rows, history, output_layer=model.layers[-1].name)
        add(
            inside_plots.plot_layer_dynamics(layer_stats.rows),
            DYNAMICS_FIGURE,
            "Each layer's gradient norm and update/weight ratio at the last step of every epoch (log scales).",
        )
        if layer_stats.histograms:
            add(
                inside_plots.plot_activation_histograms(layer_stats.histograms),
                ACTIVATIONS_FIGURE,
                "The outputs of every layer with an activation on a fixed validation batch, after the first and "
                "the last epoch.",
            )
    convolutions = [(name, layer) for name, layer in named_leaves(model.layers) if type(layer).__name__ == "Conv2D"]
    if convolutions:
        add(
            inside_plots.plot_filters(convolutions[0][1].params["W"], title=f"{convolutions[0][0]}: filters"),
            "inside_filters.png",
            "The first convolution's filters: the patterns its units respond to.",
        )
        add(
            inside_plots.plot_feature_maps(data.x_test[0], inspection.feature_maps(model, data.x_test[:1])),
            "inside_feature_maps.png",
            "What each convolutional layer makes of the first test image (the first 8 channels of each).",
        )
    importance = None
    if data.kind == "images" and data.task == "classification":
        _saliency_figure(model, data, outputs, add)
    elif data.kind != "images" and len(data.x_test) > 1:
        importance = _importance(model, data, seed)
        names, mean, std = zip(*importance, strict=True)
        metric = "R^2" if data.task == "regression" else "log-likelihood (minus the log loss)"
        add(
            inside_plots.plot_permutation_importance(list(names), np.array(mean), np.array(std), metric=metric),
            "inside_importance.png",
            f"How much the test {metric} drops when one column is shuffled (mean and "
            f"spread over {IMPORTANCE_REPEATS} shuffles): the columns the predictions rest on.",
        )
    return {"figures": figures, "diagnoses": found, "importance": importance, "inspected": layer_stats is not None}


def _saliency_figure(model, data, outputs, add) -> None:
    predicted = labels_from_outputs(outputs)
    wrong = np.flatnonzero(predicted != data.y_test)
    if len(wrong) == 0:
        return
    wrong = wrong[np.argsort(-prediction_confidence(outputs, predicted)[wrong])][:SALIENCY_IMAGES]
    names = data.class_names
    heat = inspection.saliency(model, data.x_test[wrong])
    titles = [f"true {names[data.y_test[i]]}, pred {names[predicted[i]]}" for i in wrong]
    add(
        inside_plots.plot_saliency(data.x_test[wrong], heat, titles),
        "inside_saliency.png",
        "The misclassified test images with the most confident mistakes, each beside the gradient of the predicted "
        "class's score with respect to its pixels (bright: the pixels the mistake rests on).",
    )


def _importance(model, data, seed: int) -> list[tuple[str, float, float]]:
    """Per column of the table: an encoded column's features (one-hot block, missing flag) are shuffled
    together, so the importance is the column's, not one category's."""
    metric = "r2" if data.task == "regression" else "log_loss"
    names = list(data.feature_names) or [f"x{i}" for i in range(data.x_test.shape[1])]
    groups = None
    if "encoder" in data.preprocessing:
        columns = TableEncoder.from_config(data.preprocessing["encoder"]).feature_columns
        names = list(dict.fromkeys(columns))
        groups = [[i for i, column in enumerate(columns) if column == name] for name in names]
    mean, std = inspection.permutation_importance(
        model, data.x_test, data.y_test, metric, IMPORTANCE_REPEATS, seed, groups
    )
    order = np.argsort(-mean)
    return [(str(names[i]), float(mean[i]), float(std[i])) for i in order]


def inside_html(run_dir: Path, inside: dict) -> str:
    """The section: the diagnoses as a list, then the figures, then the importance table."""
    if inside["inspected"]:
        items = "".join(
            f"<li><b>{html.escape(d.message)}</b>; {html.escape(d.suggestion)} "
            f"<span class='figure-ref'>(figure: {html.escape(d.figure)})</span></li>"
            for d in inside["diagnoses"]
        )
        words = (
            f"<ul class='diagnoses'>{items}</ul>"
            if items
            else "<p>The rules found nothing wrong: no dead or saturated layers, no vanishing gradients, healthy "
            "update sizes, no overfitting.</p>"
        )
    else:
        words = (
            "<p>Train with <code>--inspect</code> for per-layer statistics (layer_stats.csv) and diagnoses "
            "in plain words.</p>"
        )
    table = ""
    if inside["importance"]:
        table = "<h3>Permutation importance (test split)</h3>" + html_table(
            ["column", "score drop when shuffled", "spread"],
            [(n, f"{m:.4f}", f"{s:.4f}") for n, m, s in inside["importance"]],
        )
    return "<h2>Inside the network</h2>\n" + words + figures_html(run_dir, inside["figures"], heading=None) + table
