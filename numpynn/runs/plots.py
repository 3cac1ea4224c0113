"""Figures for a training run (matplotlib, headless). Each function returns a matplotlib Figure.

fig = plot_history(history.history); fig.savefig("loss.png")
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from numpynn.errors import missing_dependency
from numpynn.nn.metrics import regression_scores, roc_auc, roc_curve

if TYPE_CHECKING:  # for annotations only
    from matplotlib.figure import Figure


def new_figure(*args, **kwargs):
    """A Figure not tied to pyplot: nothing opens a window, and it is freed like any object."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise missing_dependency("numpynn.runs.plots", "matplotlib", "plots") from None
    return Figure(*args, **kwargs, layout="constrained")


TITLES = {"mae": "Mean absolute error (standardised target)", "loss": "Loss", "accuracy": "Accuracy"}


def plot_history(history: dict, title: str = "Training history", best_epoch: int | None = None) -> Figure:
    """Loss and (when logged) accuracy per epoch, train against validation.

    ``best_epoch`` (1-based), when given, marks the epoch whose weights were kept (early stopping).
    """
    metrics = ["loss"] + [k for k in ("accuracy", "acc", "mae") if k in history]
    fig = new_figure(figsize=(5.5 * len(metrics), 4))
    axes = fig.subplots(1, len(metrics), squeeze=False)[0]
    epochs = np.arange(1, len(history["loss"]) + 1)
    for ax, name in zip(axes, metrics, strict=False):
        ax.plot(epochs, history[name], marker="o", markersize=3, label="train")
        if f"val_{name}" in history:
            values = history[f"val_{name}"]
            ax.plot(epochs, values, marker="o", markersize=3, label="validation")
            if best_epoch is None:
                best = int(np.argmin(values) if name in ("loss", "mae") else np.argmax(values)) + 1
                label = f"best validation {name} (epoch {best})"
            else:
                best, label = best_epoch, f"weights kept (epoch {best_epoch})"
            ax.axvline(best, color="grey", linestyle=":", linewidth=1, label=label)
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.set_title(f"{TITLES.get(name, name.capitalize())} per epoch")
        ax.grid(alpha=0.3)
        ax.legend()
        if name == "loss" and np.all(np.asarray(history[name]) > 0):
            ax.set_yscale("log")
        ax.xaxis.get_major_locator().set_params(integer=True)
    fig.suptitle(title)
    return fig


def plot_learning_rate(
    learning_rates: ArrayLike, steps_per_epoch: int | None = None, title: str = "Learning-rate schedule"
) -> Figure:
    """Learning rate per optimizer step (``learning_rates`` indexed by step); epochs marked on top."""
    rates = np.asarray(learning_rates, dtype=np.float64)
    fig = new_figure(figsize=(6, 3.8))
    ax = fig.subplots()
    ax.plot(np.arange(len(rates)), rates)
    ax.set_xlabel("optimizer step (batch)")
    ax.set_ylabel("learning rate")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.set_ylim(bottom=0)
    if steps_per_epoch:
        top = ax.secondary_xaxis("top", functions=(lambda s: s / steps_per_epoch, lambda e: e * steps_per_epoch))
        top.set_xlabel("epoch")
    return fig


def plot_confusion_matrix(
    matrix: np.ndarray, class_names: list[str] | None = None, normalize: bool = False, title: str | None = None
) -> Figure:
    """Confusion matrix heat map; rows true class, columns predicted. ``normalize`` divides each row by its total."""
    matrix = np.asarray(matrix)
    shown = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1) if normalize else matrix
    k = len(matrix)
    names = [str(n) for n in class_names] if class_names is not None else [str(i) for i in range(k)]
    size = max(4.5, 0.55 * k + 2.5)
    fig = new_figure(figsize=(size + 1, size))
    ax = fig.subplots()
    image = ax.imshow(shown, cmap="Blues", vmin=0, vmax=1 if normalize else None)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="fraction of true class" if normalize else "count")
    threshold = shown.max() / 2 if shown.size else 0
    for i in range(k):
        for j in range(k):
            if normalize and matrix[i, j] == 0:
                continue  # an empty cell says "never" more clearly than 0.00
            text = f"{shown[i, j]:.2f}" if normalize else f"{int(shown[i, j])}"
            ax.text(
                j,
                i,
                text,
                ha="center",
                va="center",
                fontsize=8 if k > 5 else 11,
                color="white" if shown[i, j] > threshold else "black",
            )
    long_names = max(map(len, names)) > 3
    ax.set_xticks(range(k), names, rotation=45 if long_names else 0, ha="right" if long_names else "center")
    ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title or ("Confusion matrix (normalized by true class)" if normalize else "Confusion matrix (counts)"))
    return fig


def plot_per_class_metrics(
    scores: dict, class_names: list[str] | None = None, title: str = "Per-class precision, recall and F1"
) -> Figure:
    """Grouped bars of precision, recall and F1 per class (``scores`` from metrics.precision_recall_f1)."""
    k = len(scores["precision"])
    names = [str(n) for n in class_names] if class_names is not None else [str(i) for i in range(k)]
    fig = new_figure(figsize=(max(6, 0.8 * k + 3), 4))
    ax = fig.subplots()
    width = 0.27
    positions = np.arange(k)
    for offset, key in zip((-width, 0, width), ("precision", "recall", "f1"), strict=True):
        ax.bar(positions + offset, scores[key], width, label=key)
    ax.set_xticks(positions, names)
    low = float(np.min([scores[key] for key in ("precision", "recall", "f1")]))
    ax.set_ylim(max(0.0, low - 0.02 if low > 0.9 else low - 0.05), 1.0)
    ax.set_xlabel("class")
    ax.set_ylabel("score")
    ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5))
    return fig


def plot_misclassified(
    images: np.ndarray,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    confidence: np.ndarray,
    class_names: list[str] | None = None,
    max_images: int = 25,
    title: str = "Misclassified test examples",
) -> Figure:
    """A grid of misclassified images with true label, predicted label and the model's confidence."""
    wrong = np.flatnonzero(np.asarray(y_true) != np.asarray(y_pred))
    # Most confident mistakes first: the most instructive ones.
    wrong = wrong[np.argsort(-np.asarray(confidence)[wrong])][:max_images]
    names = (lambda i: str(class_names[i])) if class_names is not None else str
    columns = min(5, max(1, len(wrong)))
    rows = max(1, int(np.ceil(len(wrong) / columns)))
    fig = new_figure(figsize=(2.1 * columns, 2.35 * rows + 0.4))
    axes = np.atleast_1d(fig.subplots(rows, columns)).ravel()
    for ax in axes:
        ax.axis("off")
    for ax, index in zip(axes, wrong, strict=False):
        image = np.asarray(images[index])
        ax.imshow(image.squeeze(), cmap="gray_r" if image.ndim == 2 or image.shape[-1] == 1 else None)
        ax.set_title(
            f"true {names(y_true[index])}, pred {names(y_pred[index])}\n{confidence[index]:.1%} sure", fontsize=9
        )
    if len(wrong) == 0:
        axes[0].text(0.5, 0.5, "no misclassified examples", ha="center", va="center")
    fig.suptitle(f"{title} ({len(np.flatnonzero(np.asarray(y_true) != np.asarray(y_pred)))} in all)")
    return fig


def plot_roc(y_true: np.ndarray, scores: ArrayLike, title: str = "ROC curve") -> Figure:
    """ROC curve of a binary classifier with its AUC; ``scores`` are P(class 1) or logits."""
    fpr, tpr, _ = roc_curve(y_true, scores)
    fig = new_figure(figsize=(4.8, 4.5))
    ax = fig.subplots()
    ax.plot(fpr, tpr, label=f"model (AUC = {roc_auc(y_true, scores):.4f})")
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="chance")
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.set_title(title)
    ax.set_xlim(-0.01, 1.01)
    ax.set_ylim(-0.01, 1.01)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    return fig


def plot_score_distribution(
    y_true: np.ndarray,
    probabilities: np.ndarray,
    class_names: list[str] | None = None,
    threshold: float = 0.5,
    title: str = "Predicted probability per true class",
) -> Figure:
    """Histograms of P(class 1) for the samples of each true class (binary), with the decision threshold.

    Well-separated humps near 0 and 1 mean confident, correct predictions; mass on the wrong side of
    the threshold is the errors, and mass near it the borderline cases.
    """
    y_true, probabilities = np.asarray(y_true), np.asarray(probabilities, dtype=np.float64)
    names = [str(n) for n in class_names] if class_names is not None else ["0", "1"]
    fig = new_figure(figsize=(6.4, 4.0))
    ax = fig.subplots()
    bins = np.linspace(0, 1, 26)
    for label, colour in ((0, "tab:red"), (1, "tab:blue")):
        ax.hist(
            probabilities[y_true == label],
            bins=bins,
            alpha=0.6,
            color=colour,
            label=f"true {names[label]} ({int(np.sum(y_true == label))})",
        )
    ax.axvline(threshold, color="black", linestyle="--", linewidth=1, label=f"threshold {threshold:g}")
    ax.set_xlabel(f"predicted probability of {names[1]}")
    ax.set_ylabel("samples")
    ax.set_yscale("symlog", linthresh=1)  # errors are a handful of samples beside hundreds of correct ones
    from matplotlib.ticker import NullLocator

    top = max(
        [1] + [int(np.histogram(probabilities[y_true == label], bins=bins)[0].max(initial=0)) for label in (0, 1)]
    )
    ticks = [
        t for t in (0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000) if t <= top * 1.5
    ]
    ax.set_yticks(ticks, [str(t) for t in ticks])
    ax.yaxis.set_minor_locator(NullLocator())
    ax.set_ylim(0, top * 3)  # room above the tallest bar for the legend
    ax.set_title(title)
    ax.legend(loc="upper center")
    ax.grid(alpha=0.3)
    return fig


def plot_regression(
    y_true: ArrayLike, y_pred: ArrayLike, target_name: str = "target", title: str = "Predicted against true"
) -> Figure:
    """Two panels: predicted against true values (the diagonal is a perfect model), and the residuals
    (true - predicted) against the prediction (a good model leaves a structureless band around 0)."""
    y_true, y_pred = np.asarray(y_true, dtype=np.float64).ravel(), np.asarray(y_pred, dtype=np.float64).ravel()
    scores = regression_scores(y_true, y_pred)
    fig = new_figure(figsize=(11, 4.5))
    left, right = fig.subplots(1, 2)
    low, high = float(min(y_true.min(), y_pred.min())), float(max(y_true.max(), y_pred.max()))
    left.scatter(y_true, y_pred, s=12, alpha=0.6)
    left.plot([low, high], [low, high], color="grey", linestyle="--", label="predicted = true")
    left.set_xlabel(f"true {target_name}")
    left.set_ylabel(f"predicted {target_name}")
    left.set_title(f"R^2 {scores['r2']:.3f}, MAE {scores['mae']:.3g}, RMSE {scores['rmse']:.3g}")
    left.legend(loc="upper left")
    residuals = y_true - y_pred
    right.scatter(y_pred, residuals, s=12, alpha=0.6)
    right.axhline(0, color="grey", linestyle="--")
    right.set_xlabel(f"predicted {target_name}")
    right.set_ylabel("residual (true - predicted)")
    right.set_title("Residuals")
    for ax in (left, right):
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    return fig


def plot_sweep(grid: dict, scored: list[tuple[dict, float]], title: str = "Score against each swept option") -> Figure:
    """One panel per swept option: every configuration's mean score against that option's value."""
    fig = new_figure(figsize=(4.2 * len(grid), 3.6))
    axes = np.atleast_1d(fig.subplots(1, len(grid), squeeze=False)[0])
    for ax, key in zip(axes, grid, strict=False):
        values = [str(v) for v in grid[key]]
        for config, score in scored:
            ax.scatter(values.index(str(config[key])), score, color="tab:blue", alpha=0.7)
        ax.set_xticks(range(len(values)), values, rotation=30, ha="right")
        ax.set_xlabel(key)
        ax.set_ylabel("mean validation score")
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    return fig
