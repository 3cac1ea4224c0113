"""The figures of a run and one self-contained HTML page (figures embedded) that gathers them."""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from numpynn.data.preprocessing import TargetScaler
from numpynn.files import atomic_write
from numpynn.nn import schedules
from numpynn.nn.metrics import labels_from_outputs, prediction_confidence
from numpynn.runs import plots
from numpynn.training.trainer import steps_per_epoch

if TYPE_CHECKING:  # for annotations only: importing these at run time would be circular
    from matplotlib.figure import Figure

    from numpynn.data.sources import PreparedData
    from numpynn.models.sequential import Sequential
    from numpynn.nn.optimizers import Optimizer


def save_figure(fig: Figure, path: Path) -> None:
    """A figure as a PNG, written atomically."""
    with atomic_write(path, "wb") as handle:
        fig.savefig(handle, format="png", dpi=110)


def learning_rates_per_step(optimizer: Optimizer, history: dict, steps_per_epoch: int) -> np.ndarray:
    """The rate of every optimizer step taken: the schedule's values, or the per-epoch rate repeated."""
    epochs = len(history["loss"])
    if isinstance(optimizer.learning_rate, schedules.LearningRateSchedule):
        return optimizer.learning_rate(np.arange(epochs * steps_per_epoch))
    return np.repeat(np.asarray(history["lr"], dtype=np.float64), steps_per_epoch)


def save_history_figure(
    folder: Path, config: dict, history: dict, best_epoch: int | None = None
) -> list[tuple[str, str]]:
    """history.png: loss and accuracy (or MAE) per epoch; returns [(file name, caption)]."""
    folder.mkdir(parents=True, exist_ok=True)
    save_figure(
        plots.plot_history(history, title=f"{config['dataset']}: training history", best_epoch=best_epoch),
        folder / "history.png",
    )
    return [
        (
            "history.png",
            "Loss (log scale) and accuracy (or mean absolute error) per epoch on the training and validation splits.",
        )
    ]


def save_figures(
    folder: Path, config: dict, metrics: dict, history: dict, model: Sequential, data: PreparedData, outputs: np.ndarray
) -> list[tuple[str, str]]:
    """Write every figure of a run into ``folder``; ``outputs``: the model's outputs for the test split.
    Returns [(file name, caption)]."""
    folder.mkdir(parents=True, exist_ok=True)
    names = data.class_names
    test = metrics["test"]
    figures = []

    def add(fig: Figure, filename: str, caption: str):
        save_figure(fig, folder / filename)
        figures.append((filename, caption))

    figures += save_history_figure(folder, config, history, metrics.get("best_epoch"))
    steps = steps_per_epoch(len(data.x_train), config["batch_size"])
    add(
        plots.plot_learning_rate(
            learning_rates_per_step(model.optimizer, history, steps),
            steps_per_epoch=steps,
            title=f"Learning rate ({config['optimizer']}, {config['schedule']})",
        ),
        "learning_rate.png",
        "Learning rate at every optimizer step.",
    )
    if data.task == "regression":
        target = TargetScaler.from_config(data.preprocessing["target"])
        predicted = target.inverse_transform(outputs[:, 0])
        add(
            plots.plot_regression(
                target.inverse_transform(data.y_test), predicted, config.get("target") or "target", title="Test split"
            ),
            "regression.png",
            "Predicted against true values on the test split, and the residuals.",
        )
        return figures
    matrix = np.asarray(test["confusion_matrix"])
    add(plots.plot_confusion_matrix(matrix, names), "confusion_matrix.png", "Test confusion matrix (counts).")
    add(
        plots.plot_confusion_matrix(matrix, names, normalize=True),
        "confusion_matrix_normalized.png",
        "Test confusion matrix, each row divided by the number of samples of that class (recall on the diagonal).",
    )
    scores = {key: np.array([test["per_class"][n][key] for n in names]) for key in ("precision", "recall", "f1")}
    add(
        plots.plot_per_class_metrics(scores, names, title="Test precision, recall and F1 per class"),
        "per_class.png",
        "Precision, recall and F1 per class on the test split.",
    )
    predicted = labels_from_outputs(outputs)
    if data.kind == "images":
        confidence = prediction_confidence(outputs, predicted)
        add(
            plots.plot_misclassified(data.x_test, data.y_test, predicted, confidence, names),
            "misclassified.png",
            "The test images the model got wrong with the most confidence.",
        )
    if len(names) == 2:
        add(
            plots.plot_roc(data.y_test, outputs[:, 0], title="Test ROC curve"),
            "roc.png",
            f"ROC curve on the test split (positive class: {names[1]}).",
        )
        add(
            plots.plot_score_distribution(
                data.y_test, outputs[:, 0], names, title="Test: predicted probability per true class"
            ),
            "score_distribution.png",
            f"How sure the model is: the predicted probability of {names[1]} for the "
            "test samples of each true class (log-scaled counts), with the 0.5 decision threshold.",
        )
    return figures


def html_table(header: list, rows: list) -> str:
    """An HTML table, every cell escaped."""
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.7em; text-align: right; }
th { background: #f0f0f0; } td:first-child { text-align: left; }
figure { margin: 1.5em 0; } img { max-width: 100%; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.9em; } .headline { font-size: 1.3em; }
"""


def _score_tables(names, metrics) -> str:
    """Accuracy and loss per split, per-class scores on the test split, and its confusion matrix."""
    summary_rows = [
        (
            split,
            f"{metrics[split]['accuracy']:.4f}",
            f"{metrics[split]['loss']:.4f}",
            f"{metrics[split]['macro']['f1']:.4f}",
            metrics[split]["samples"],
        )
        for split in ("train", "val", "test")
    ]
    test = metrics["test"]
    per_class_rows = [
        (
            n,
            f"{test['per_class'][n]['precision']:.4f}",
            f"{test['per_class'][n]['recall']:.4f}",
            f"{test['per_class'][n]['f1']:.4f}",
            test["per_class"][n]["support"],
        )
        for n in names
    ]
    per_class_rows += [
        (
            f"{avg} avg",
            f"{test[avg]['precision']:.4f}",
            f"{test[avg]['recall']:.4f}",
            f"{test[avg]['f1']:.4f}",
            test["samples"],
        )
        for avg in ("macro", "weighted")
    ]
    matrix_rows = [[f"true {n}"] + row for n, row in zip(names, test["confusion_matrix"], strict=True)]
    return f"""<h2>Accuracy and loss per split</h2>
{html_table(["split", "accuracy", "loss", "macro F1", "samples"], summary_rows)}
<h2>Test: per-class precision, recall, F1</h2>
{html_table(["class", "precision", "recall", "F1", "support"], per_class_rows)}
<h2>Test confusion matrix (rows: true class, columns: predicted)</h2>
{html_table([""] + [f"pred {n}" for n in names], matrix_rows)}"""


def _regression_tables(metrics: dict) -> str:
    """MAE, RMSE and R^2 per split, each beside the baseline that predicts the training targets' mean."""
    rows = []
    for split in ("train", "val", "test"):
        m = metrics[split]
        rows.append(
            (
                split,
                f"{m['r2']:.4f}",
                f"{m['mae']:.4g}",
                f"{m['rmse']:.4g}",
                f"{m['baseline']['r2']:.4f}",
                f"{m['baseline']['mae']:.4g}",
                m["samples"],
            )
        )
    return (
        "<h2>Scores per split (in the target's own units)</h2>\n"
        + html_table(["split", "R^2", "MAE", "RMSE", "baseline R^2", "baseline MAE", "samples"], rows)
        + "<p>Baseline: always predicting the mean of the training targets.</p>"
    )


def figures_html(run_dir: Path, figures, heading: str | None = "Figures") -> str:
    """Every figure inline (base64 PNG), so the page is one self-contained file."""
    images = []
    for filename, caption in figures:
        data = base64.b64encode((run_dir / "figures" / filename).read_bytes()).decode("ascii")
        images.append(
            f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        )
    return (f"<h2>{heading}</h2>\n" if heading else "") + "".join(images)


def _misclassified_html(config, test) -> str:
    if "misclassified" not in test:
        return ""
    where = "row of the data (0-based)" if config.get("kind") == "tabular" else "index in the test set"
    wrong_count = test["samples"] - int(np.trace(np.asarray(test["confusion_matrix"])))
    shown = test["misclassified"]
    if shown and "file" in shown[0]:
        where = "file"
    return (
        f"<h2>Test samples the model got wrong ({wrong_count}; most confident first"
        f"{f', the first {len(shown)}' if len(shown) < wrong_count else ''})</h2>"
        + (
            html_table(
                [where, "true", "predicted", "confidence"],
                [(m.get("file", m["row"]), m["true"], m["predicted"], f"{m['confidence']:.1%}") for m in shown],
            )
            if shown
            else "<p>None.</p>"
        )
    )


def _columns_html(encoder: dict | None) -> str:
    """How the columns of a CSV were understood (``encoder``: the TableEncoder's config): kind, missing cells
    in training, what was done with them."""
    if not encoder:
        return ""

    def treatment(spec):
        if spec["kind"] == "numeric":
            return f"standardised; missing cells take the median {spec['median']:.4g}" + (
                " and a missing indicator" if spec["indicator"] else ""
            )
        if spec["kind"] == "text":
            words = len(spec["vectorizer"]["vocabulary"]) - 1
            return f"free text: TF-IDF over its {words} most frequent words, each row scaled to unit length"
        if spec["kind"] == "categorical":
            shown = ", ".join(repr(c) if "," in c else c for c in spec["categories"][:12])
            shown += " ..." if len(spec["categories"]) > 12 else ""
            return f"one-hot, {len(spec['categories'])} categories: {shown}"
        return f"dropped ({spec['why']})"

    rows = [(spec["name"], spec["kind"], spec["missing"], treatment(spec)) for spec in encoder["columns"]]
    return "<h2>Columns as understood (fitted on the training split)</h2>\n" + html_table(
        ["column", "kind", "missing in training", "encoding"], rows
    )


def _settings_html(config: dict, environment: dict) -> str:
    """The reproduce command, every setting, and the environment the run ran in."""
    shown_config = {
        k: v for k, v in config.items() if k not in ("class_names", "feature_names", "command") and v is not None
    }
    environment_rows = [
        (key, json.dumps(value) if isinstance(value, dict) else value) for key, value in environment.items()
    ]
    command = config.get("command")
    return (
        "<h2>Configuration</h2>\n"
        + (f"<p>Reproduce with <code>{html.escape(command)}</code></p>\n" if command else "")
        + html_table(["option", "value"], sorted(shown_config.items()))
        + ("\n<h2>Environment</h2>" + html_table(["", ""], environment_rows) if environment_rows else "")
    )


def interrupted_page(run_dir: Path, config: dict, message: str, figures: list, environment: dict) -> str:
    """The report.html of a run that was stopped: where it stopped, how to go on, and its history so far
    (``figures`` in ``run_dir``'s figures folder)."""
    title = html.escape(config["dataset"])
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>numpynn run: {title} (interrupted)</title>
<style>{STYLE}</style></head><body>
<h1>numpynn run: {title}</h1>
<p class="headline"><b>Interrupted</b>: {html.escape(message)}.</p>
<p>The checkpoint of the last finished epoch is in this folder; the resumed run ends with the same weights as a
run that was never stopped.</p>
{figures_html(run_dir, figures) if figures else ""}
{_settings_html(config, environment)}
</body></html>
"""
    return page


def report_page(
    run_dir: Path,
    config: dict,
    metrics: dict,
    figures: list,
    inside: str = "",
    encoder: dict | None = None,
    environment: dict | None = None,
) -> str:
    """The report.html page: summary, configuration, per-class table, confusion matrix and every figure,
    inline; ``inside``: the "Inside the network" section (``runs.inside.report.inside_html``); ``encoder``:
    a CSV's TableEncoder config (its columns as understood); ``environment``: environment.json."""
    test = metrics["test"]
    title = html.escape(config["dataset"])
    if "r2" in test:
        headline = (
            f"Test R^2 <b>{test['r2']:.4f}</b> (MAE {test['mae']:.4g}, RMSE {test['rmse']:.4g}; predicting "
            f"the training mean gives R^2 {test['baseline']['r2']:.4f})"
        )
        scores = _regression_tables(metrics)
    else:
        extra = f"; ROC AUC {test['roc_auc']:.4f}" if "roc_auc" in test else ""
        headline = (
            f"Test accuracy <b>{test['accuracy']:.4f}</b> (loss {test['loss']:.4f}{extra}; always "
            f"predicting the most frequent class gives {test.get('baseline_accuracy', float('nan')):.4f})"
        )
        scores = _score_tables(config["class_names"], metrics)
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>numpynn run: {title}</title>
<style>{STYLE}</style></head><body>
<h1>numpynn run: {title}</h1>
<p class="headline">{headline} after {metrics["epochs_run"]} epochs, {metrics["train_seconds"]:.1f} s of
training.</p>
{scores}
{figures_html(run_dir, figures)}
{_misclassified_html(config, test)}
{inside}
{_columns_html(encoder)}
{_settings_html(config, environment or {})}
</body></html>
"""
    return page
