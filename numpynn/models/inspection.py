"""Look inside a trained model: every layer's output, saliency maps and permutation importance.

outputs = inspection.layer_outputs(model, x)            # {"conv2d": (N, 28, 28, 32), "residual/conv2d": ...}
maps = inspection.feature_maps(model, x[:1])            # the convolutional layers' outputs only
heat = inspection.saliency(model, images)               # |d score / d pixel|, shaped like the images
drop = inspection.permutation_importance(model, x, y, "accuracy", repeats=10, seed=0)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from numpynn.errors import InputError
from numpynn.nn.layers import walk
from numpynn.nn.layers.walk import named_leaves
from numpynn.nn.metrics import regression_scores

if TYPE_CHECKING:  # for annotations only
    from numpynn.models.sequential import Sequential

CONVOLUTIONS = ("Conv2D", "Conv1D")


def layer_outputs(model: Sequential, x: np.ndarray) -> dict[str, np.ndarray]:
    """The output of every layer (a block's layers as "block/layer") for a batch x, in inference mode:
    {name: array (batch, *that layer's output shape)}, recorded by forward hooks (``nn.layers.walk``)."""
    return walk.layer_outputs(model.layers, model.check_inputs(x))


def feature_maps(model: Sequential, x: np.ndarray) -> dict[str, np.ndarray]:
    """The outputs of the convolutional layers for a batch x: {name: (batch, H, W, filters)} (or
    (batch, time, filters) for Conv1D), after the layer's activation."""
    names = {name for name, layer in named_leaves(model.layers) if type(layer).__name__ in CONVOLUTIONS}
    if not names:
        raise InputError("the model has no convolutional layers, so it has no feature maps.")
    return {name: value for name, value in layer_outputs(model, x).items() if name in names}


def saliency(model: Sequential, x: np.ndarray, class_index: int | np.ndarray | None = None) -> np.ndarray:
    """|d score / d input| for each sample of x: which inputs the score rests on (Simonyan et al. 2014).

    The score is the logit (before softmax or sigmoid) of ``class_index`` (an int, one per sample, or
    None for the predicted class); for a regression, the output. Returns an array shaped like x.
    Computed in inference mode; the model's parameter gradients are overwritten.
    """
    x = model.check_inputs(x)
    last = model.layers[-1]
    fused = last.fused_activation is not None
    outputs, scores = model.forward(x, training=False, with_logits=True) if fused else (model.forward(x), None)
    scores = outputs if scores is None else scores
    classes = scores.shape[-1]
    if class_index is None:
        chosen = outputs.argmax(axis=-1) if classes > 1 else np.zeros(len(x), dtype=int)
    else:
        chosen = np.broadcast_to(np.asarray(class_index, dtype=int), (len(x),))
        if chosen.min() < 0 or chosen.max() >= classes:
            raise InputError(f"class_index must lie in [0, {classes - 1}], got {class_index!r}.")
    seed = np.zeros_like(scores)
    seed[np.arange(len(x)), chosen] = 1
    flags = [layer.needs_input_grad for layer in model.layers]
    try:
        for layer in model.layers:  # this time the data's own gradient is the point
            layer.needs_input_grad = True
        grad = model.backward(seed, from_logits=fused, to_input=True)
    finally:
        for layer, flag in zip(model.layers, flags, strict=True):
            layer.needs_input_grad = flag
    return np.abs(grad)


def permutation_importance(
    model: Sequential,
    x: np.ndarray,
    y: np.ndarray,
    metric: str | Callable[[np.ndarray, np.ndarray], float] = "accuracy",
    repeats: int = 10,
    seed: int | None = 0,
    groups: list[list[int]] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """How much the score drops when one input column is shuffled (Breiman 2001; scikit-learn's
    ``permutation_importance``): (mean drop, standard deviation over repeats), each (features,), or
    (groups,) with ``groups``: lists of feature indices shuffled together (the one-hot block of one column).

    x: (samples, features); metric: "accuracy", "log_loss" (scored as minus the mean cross-entropy, so a
    drop is the rise in the loss; smoother than accuracy on a small test split), "r2" (y in the units the
    model outputs), or f(y_true, model outputs) -> score, higher better.
    """
    x = model.check_inputs(x)
    if x.ndim != 2:
        raise InputError(
            f"permutation importance shuffles the columns of a table (samples, features), got shape {x.shape}."
        )
    if repeats < 1:
        raise InputError(f"repeats must be at least 1, got {repeats!r}.")
    score = _scorer(metric, np.asarray(y))
    rng = np.random.default_rng(seed)
    baseline = score(model.predict(x, verbose=0))
    groups = [[column] for column in range(x.shape[1])] if groups is None else [list(group) for group in groups]
    drops = np.empty((len(groups), repeats))
    shuffled = x.copy()
    for index, columns in enumerate(groups):
        for repeat in range(repeats):
            shuffled[:, columns] = x[np.ix_(rng.permutation(len(x)), columns)]
            drops[index, repeat] = baseline - score(model.predict(shuffled, verbose=0))
        shuffled[:, columns] = x[:, columns]
    return drops.mean(axis=1), drops.std(axis=1)


def _scorer(metric: str | Callable, y: np.ndarray) -> Callable[[np.ndarray], float]:
    """model outputs -> score (higher is better) against the targets y, for permutation_importance."""
    if metric == "accuracy":

        def score(outputs):
            predicted = outputs.argmax(axis=1) if outputs.shape[1] > 1 else (outputs[:, 0] > 0.5).astype(int)
            return float(np.mean(predicted == y))
    elif metric == "log_loss":

        def score(outputs):
            probabilities = np.clip(outputs.astype(np.float64), 1e-12, 1.0)
            labels = y.astype(int)
            if probabilities.shape[1] == 1:
                picked = np.where(labels == 1, probabilities[:, 0], 1 - probabilities[:, 0])
            else:
                picked = probabilities[np.arange(len(labels)), labels]
            return float(np.mean(np.log(np.maximum(picked, 1e-12))))
    elif metric == "r2":

        def score(outputs):
            return regression_scores(y.astype(np.float64), outputs[:, 0])["r2"]
    elif callable(metric):

        def score(outputs):
            return float(metric(y, outputs))
    else:
        raise InputError(f"metric must be 'accuracy', 'log_loss', 'r2' or a function, got {metric!r}.")
    return score
