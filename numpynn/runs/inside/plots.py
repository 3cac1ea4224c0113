"""Figures of what happens inside a network (matplotlib, headless); each function returns a Figure.

plot_layer_dynamics(layer_stats.rows)           gradient norm and update/weight ratio per layer per epoch
plot_activation_histograms(layer_stats.histograms)
plot_filters(conv.params["W"]), plot_feature_maps(image, inspect.feature_maps(model, image[None]))
plot_saliency(images, inspect.saliency(model, images), titles)
plot_permutation_importance(names, mean, std)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from numpynn.runs.plots import new_figure

if TYPE_CHECKING:  # for annotations only
    from matplotlib.figure import Figure

HEALTHY_RATIO = 1e-3  # CS231n's rule of thumb for the update/weight ratio


def _series(rows: list[dict], key: str) -> dict[str, tuple[list, list]]:
    series: dict[str, tuple[list, list]] = {}
    for row in rows:
        value = row.get(key, "")
        if value not in ("", None) and float(value) > 0:
            epochs, values = series.setdefault(row["layer"], ([], []))
            epochs.append(int(row["epoch"]))
            values.append(float(value))
    return series


def plot_layer_dynamics(rows: list[dict], title: str = "Inside: gradients and updates per layer") -> Figure:
    """Left: each layer's gradient norm per epoch; right: its update/weight ratio, with the healthy 1e-3
    marked. Both on log scales: the layers differ by orders of magnitude when something is wrong."""
    fig = new_figure(figsize=(11, 4.2))
    axes = fig.subplots(1, 2)
    for ax, key, label in (
        (axes[0], "grad_norm", "gradient norm (last step)"),
        (axes[1], "update_ratio", "update / weight (last step)"),
    ):
        for layer, (epochs, values) in _series(rows, key).items():
            ax.plot(epochs, values, marker="o", markersize=3, label=layer)
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3, which="both")
        ax.xaxis.get_major_locator().set_params(integer=True)
    axes[1].axhline(HEALTHY_RATIO, color="grey", linestyle=":", label="healthy (about 1e-3)")
    axes[0].set_title("Gradient norm per layer")
    axes[1].set_title("Update/weight ratio per layer")
    axes[1].legend(fontsize=8, loc="best")
    fig.suptitle(title)
    return fig


def plot_activation_histograms(
    histograms: dict[str, dict[str, np.ndarray]],
    title: str = "Inside: activations on a fixed batch, first and last epoch",
) -> Figure:
    """One panel per layer with an activation: the distribution of its outputs after the first epoch and
    after the last (values sampled from a fixed batch)."""
    first, last = histograms.get("first", {}), histograms.get("last", {})
    names = list(last) or list(first)
    columns = min(4, max(1, len(names)))
    rows = max(1, -(-len(names) // columns))
    fig = new_figure(figsize=(3.4 * columns, 2.8 * rows + 0.5))
    axes = np.atleast_1d(fig.subplots(rows, columns)).ravel()
    for ax in axes[len(names) :]:
        ax.axis("off")
    for ax, name in zip(axes, names, strict=False):
        values = [np.asarray(v, dtype=np.float64) for v in (first.get(name), last.get(name)) if v is not None]
        edges = np.histogram_bin_edges(np.concatenate(values), bins=40)
        if name in first:
            ax.hist(first[name], bins=edges, alpha=0.5, density=True, label="first epoch")
        ax.hist(last[name], bins=edges, alpha=0.5, density=True, label="last epoch")
        ax.set_title(name, fontsize=9)
        ax.set_yticks([])
    if names:
        axes[0].legend(fontsize=8)
    else:
        axes[0].text(0.5, 0.5, "no activations recorded", ha="center", va="center")
    fig.suptitle(title)
    return fig


def _grid(count: int, columns: int) -> tuple[int, int]:
    columns = min(columns, max(1, count))
    return max(1, -(-count // columns)), columns


def plot_filters(kernel: np.ndarray, title: str = "First convolution's filters") -> Figure:
    """Each filter of a Conv2D kernel (kh, kw, C, filters) as a small image: grey for one channel, colour
    for three, the channel mean otherwise; each scaled to its own range (dark: negative, light: positive)."""
    kernel = np.asarray(kernel, dtype=np.float64)
    count = kernel.shape[-1]
    rows, columns = _grid(count, 8)
    fig = new_figure(figsize=(1.2 * columns, 1.25 * rows + 0.5))
    axes = np.atleast_1d(fig.subplots(rows, columns)).ravel()
    for ax in axes:
        ax.axis("off")
    for index, ax in zip(range(count), axes, strict=False):
        image = kernel[..., index]
        image = image if image.shape[-1] == 3 else image.mean(axis=-1)
        span = image.max() - image.min()
        ax.imshow((image - image.min()) / (span if span > 0 else 1), cmap="gray", interpolation="nearest")
    fig.suptitle(f"{title} ({count}, {kernel.shape[0]}x{kernel.shape[1]})")
    return fig


def plot_feature_maps(
    image: np.ndarray, maps: dict[str, np.ndarray], per_layer: int = 8, title: str = "Feature maps of one test image"
) -> Figure:
    """The input image, then for each convolutional layer its first ``per_layer`` channels (after the
    activation) for that image. ``maps``: {layer: (1, H, W, filters)} as ``inspect.feature_maps`` returns."""
    fig = new_figure(figsize=(1.35 * (per_layer + 1), 1.45 * len(maps) + 0.6))
    axes = np.atleast_2d(fig.subplots(len(maps), per_layer + 1))
    for ax in axes.ravel():
        ax.axis("off")
    image = np.asarray(image)
    axes[0, 0].imshow(image.squeeze(), cmap="gray_r" if image.ndim == 2 or image.shape[-1] == 1 else None)
    axes[0, 0].set_title("input", fontsize=8)
    for row, (name, values) in enumerate(maps.items()):
        axes[row, 1].set_title(name, fontsize=8, loc="left")
        for channel in range(min(per_layer, values.shape[-1])):
            axes[row, channel + 1].imshow(values[0, ..., channel], cmap="viridis", interpolation="nearest")
    fig.suptitle(title)
    return fig


def plot_saliency(
    images: np.ndarray,
    saliency: np.ndarray,
    titles: list[str],
    title: str = "Saliency: the pixels the predicted class rests on",
) -> Figure:
    """Each image beside its saliency map (|d score / d pixel|, brighter: more influence) laid over it."""
    count = len(images)
    rows, columns = _grid(count, 4)
    fig = new_figure(figsize=(3.6 * columns, 2.0 * rows + 0.5))
    axes = np.atleast_2d(fig.subplots(rows, 2 * columns))
    for ax in axes.ravel():
        ax.axis("off")
    for index in range(count):
        row, column = divmod(index, columns)
        image, heat = np.asarray(images[index]).squeeze(), np.asarray(saliency[index])
        heat = heat.max(axis=-1) if heat.ndim == 3 else heat
        grey = image.ndim == 2
        axes[row, 2 * column].imshow(image, cmap="gray_r" if grey else None)
        axes[row, 2 * column].set_title(titles[index], fontsize=8)
        axes[row, 2 * column + 1].imshow(image, cmap="gray_r" if grey else None, alpha=0.35)
        axes[row, 2 * column + 1].imshow(heat / (heat.max() or 1), cmap="inferno", alpha=0.7)
    fig.suptitle(title)
    return fig


def plot_permutation_importance(
    names: list[str],
    mean: np.ndarray,
    std: np.ndarray,
    top: int = 15,
    metric: str = "accuracy",
    title: str = "Permutation importance on the test split",
) -> Figure:
    """The ``top`` columns by the drop in the score when shuffled, with the spread over repeats."""
    order = np.argsort(-np.asarray(mean))[:top][::-1]
    fig = new_figure(figsize=(7, 0.32 * len(order) + 1.4))
    ax = fig.subplots()
    ax.barh(
        np.arange(len(order)),
        np.asarray(mean)[order],
        xerr=np.asarray(std)[order],
        color="tab:blue",
        alpha=0.8,
        capsize=2,
    )
    ax.set_yticks(np.arange(len(order)), [str(names[i]) for i in order], fontsize=8)
    ax.axvline(0, color="grey", linewidth=1)
    ax.set_xlabel(f"drop in {metric} when the column is shuffled (mean and std over repeats)")
    ax.set_title(title)
    return fig
