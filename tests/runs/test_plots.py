"""Every figure function returns a Figure whose axes are labelled and titled, and draws the data given."""

import numpy as np
import pytest

pytest.importorskip("matplotlib")
from numpynn.runs import plots  # noqa: E402


def labelled(fig):
    """(title, xlabel, ylabel) of every axes that shows something (an image grid's axes are off)."""
    return [(ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) for ax in fig.axes if ax.axison]


def test_line_and_bar_figures_have_titles_and_axis_labels(rng):
    history = {
        "loss": [1.0, 0.5, 0.3],
        "val_loss": [1.1, 0.6, 0.4],
        "accuracy": [0.5, 0.8, 0.9],
        "val_accuracy": [0.5, 0.7, 0.85],
        "lr": [0.1, 0.1, 0.05],
    }
    scores = {"precision": np.array([0.9, 0.8]), "recall": np.array([0.7, 1.0]), "f1": np.array([0.79, 0.89])}
    y_true = rng.integers(0, 2, 200)
    probabilities = np.clip(y_true * 0.7 + rng.uniform(0, 0.3, 200), 0, 1)
    figures = [
        plots.plot_history(history, best_epoch=2),
        plots.plot_learning_rate(np.linspace(1, 0, 30), 10),
        plots.plot_confusion_matrix(np.array([[5, 1], [2, 7]]), ["a", "b"], normalize=True),
        plots.plot_per_class_metrics(scores, ["a", "b"]),
        plots.plot_roc(y_true, probabilities),
        plots.plot_score_distribution(y_true, probabilities, ["no", "yes"]),
    ]
    for fig in figures:
        axes = labelled(fig)
        title, xlabel, ylabel = axes[0]  # the plot itself; later axes are colour bars or twin axes
        assert (title or fig.get_suptitle()) and xlabel and ylabel, axes
        assert all(x or y for _, x, y in axes), axes


def test_score_distribution_counts_each_class():
    y_true = np.array([0, 0, 0, 1, 1])
    fig = plots.plot_score_distribution(y_true, np.array([0.1, 0.2, 0.9, 0.8, 0.95]), ["neg", "pos"])
    ax = fig.axes[0]
    heights = [sum(p.get_height() for p in container) for container in ax.containers]
    assert heights == [3, 2]
    assert [t.get_text() for t in ax.get_legend().get_texts()][:2] == ["true neg (3)", "true pos (2)"]


def test_misclassified_grid_shows_the_most_confident_mistakes_first(rng):
    images = rng.uniform(size=(6, 8, 8))
    y_true, y_pred = np.array([0, 1, 2, 3, 4, 5]), np.array([0, 2, 2, 1, 4, 0])
    confidence = np.array([0.9, 0.6, 0.8, 0.95, 0.7, 0.75])
    fig = plots.plot_misclassified(images, y_true, y_pred, confidence, max_images=2)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == ["true 3, pred 1\n95.0% sure", "true 5, pred 0\n75.0% sure"]
    assert "(3 in all)" in fig.get_suptitle()
