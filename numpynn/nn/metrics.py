"""Classification metrics on label arrays (vectorised; cross-checked against scikit-learn in the tests).

Conventions follow scikit-learn: confusion_matrix rows are true classes, columns predicted classes;
a precision or recall with a zero denominator is reported as 0.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from numpynn.errors import InputError, InputTypeError
from numpynn.utils import lookup


def labels_from_outputs(outputs: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """Class ids from model outputs: argmax for (N, K>1); ``output > threshold`` for (N, 1) or (N,).

    Use threshold 0.5 for probabilities and 0.0 for logits.
    """
    outputs = np.asarray(outputs)
    if outputs.ndim == 2 and outputs.shape[1] > 1:
        return outputs.argmax(axis=1)
    return (outputs.reshape(len(outputs)) > threshold).astype(np.intp)


def prediction_confidence(outputs: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """The probability the model gave its predicted class, (N,), from sigmoid outputs (N, 1) or
    class probabilities (N, K) and the predicted labels (N,)."""
    if outputs.shape[1] == 1:
        return np.where(predicted == 1, outputs[:, 0], 1 - outputs[:, 0])
    return outputs[np.arange(len(outputs)), predicted]


def labels_from_targets(y: np.ndarray) -> np.ndarray:
    """Class ids from targets that are ids (N,), (N, 1) or one-hot (N, K)."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        return y.argmax(axis=1)
    return np.rint(y.reshape(len(y))).astype(np.intp)


def _check_labels(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true).ravel(), np.asarray(y_pred).ravel()
    if y_true.shape != y_pred.shape:
        raise InputError(f"y_true and y_pred have different lengths ({len(y_true)} vs {len(y_pred)}).")
    return y_true.astype(np.intp), y_pred.astype(np.intp)


def accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Fraction of labels predicted exactly."""
    y_true, y_pred = _check_labels(y_true, y_pred)
    return float(np.mean(y_true == y_pred))


def confusion_matrix(y_true: ArrayLike, y_pred: ArrayLike, num_classes: int | None = None) -> np.ndarray:
    """(K, K) int64 counts: entry [i, j] is the number of samples of class i predicted as j."""
    y_true, y_pred = _check_labels(y_true, y_pred)
    if num_classes is None:
        num_classes = int(max(y_true.max(initial=0), y_pred.max(initial=0))) + 1
    if y_true.size and (min(y_true.min(), y_pred.min()) < 0 or max(y_true.max(), y_pred.max()) >= num_classes):
        raise InputError(f"labels must lie in [0, {num_classes - 1}].")
    counts = np.bincount(y_true * num_classes + y_pred, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes).astype(np.int64)


def _safe_divide(numerator, denominator):
    numerator = np.asarray(numerator, dtype=np.float64)
    out = np.zeros_like(numerator)
    np.divide(numerator, denominator, out=out, where=np.asarray(denominator) > 0)
    return out


def precision_recall_f1(y_true: ArrayLike, y_pred: ArrayLike, num_classes: int | None = None) -> dict:
    """Per-class precision, recall, F1 and support, plus macro and weighted averages.

    Returns {"precision": (K,), "recall": (K,), "f1": (K,), "support": (K,),
             "macro": {"precision", "recall", "f1"}, "weighted": {...}}.
    """
    matrix = confusion_matrix(y_true, y_pred, num_classes)
    true_positive = np.diag(matrix).astype(np.float64)
    support = matrix.sum(axis=1)
    precision = _safe_divide(true_positive, matrix.sum(axis=0))
    recall = _safe_divide(true_positive, support)
    f1 = _safe_divide(2 * precision * recall, precision + recall)
    weights = support / max(support.sum(), 1)
    result = {"precision": precision, "recall": recall, "f1": f1, "support": support}
    result["macro"] = {name: float(result[name].mean()) for name in ("precision", "recall", "f1")}
    result["weighted"] = {name: float(np.sum(result[name] * weights)) for name in ("precision", "recall", "f1")}
    return result


def classification_report(
    y_true: ArrayLike, y_pred: ArrayLike, class_names: list | None = None, digits: int = 3
) -> str:
    """A text table of per-class precision/recall/F1/support with accuracy and averages."""
    scores = precision_recall_f1(y_true, y_pred, None if class_names is None else len(class_names))
    num_classes = len(scores["support"])
    names = [str(n) for n in class_names] if class_names is not None else [str(i) for i in range(num_classes)]
    width = max(12, *(len(n) for n in names))
    header = f"{'':>{width}} {'precision':>10} {'recall':>10} {'f1-score':>10} {'support':>10}"
    lines = [header, ""]
    for i, name in enumerate(names):
        lines.append(
            f"{name:>{width}} {scores['precision'][i]:>10.{digits}f} {scores['recall'][i]:>10.{digits}f} "
            f"{scores['f1'][i]:>10.{digits}f} {scores['support'][i]:>10d}"
        )
    total = int(scores["support"].sum())
    lines.append("")
    lines.append(f"{'accuracy':>{width}} {'':>10} {'':>10} {accuracy(y_true, y_pred):>10.{digits}f} {total:>10d}")
    for avg in ("macro", "weighted"):
        s = scores[avg]
        lines.append(
            f"{avg + ' avg':>{width}} {s['precision']:>10.{digits}f} {s['recall']:>10.{digits}f} "
            f"{s['f1']:>10.{digits}f} {total:>10d}"
        )
    return "\n".join(lines)


def roc_curve(y_true: ArrayLike, scores: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """False and true positive rates at every distinct score threshold (highest first).

    Returns (fpr, tpr, thresholds), starting at (0, 0) with threshold +inf, as scikit-learn does.
    """
    y_true = np.asarray(y_true).ravel().astype(np.intp)
    scores = np.asarray(scores, dtype=np.float64).ravel()
    if y_true.shape != scores.shape:
        raise InputError(f"y_true and scores have different lengths ({len(y_true)} vs {len(scores)}).")
    positives, negatives = np.sum(y_true == 1), np.sum(y_true == 0)
    if positives == 0 or negatives == 0:
        raise InputError("roc_curve needs both classes (0 and 1) in y_true.")
    order = np.argsort(-scores, kind="mergesort")
    sorted_scores, sorted_true = scores[order], y_true[order]
    # Keep the last index of each run of equal scores: that is where a threshold takes effect.
    last_of_run = np.r_[np.nonzero(np.diff(sorted_scores))[0], len(sorted_scores) - 1]
    true_pos = np.cumsum(sorted_true)[last_of_run]
    false_pos = (last_of_run + 1) - true_pos
    fpr = np.r_[0.0, false_pos / negatives]
    tpr = np.r_[0.0, true_pos / positives]
    thresholds = np.r_[np.inf, sorted_scores[last_of_run]]
    return fpr, tpr, thresholds


def roc_auc(y_true: ArrayLike, scores: ArrayLike) -> float:
    """Area under the ROC curve (trapezoidal rule over roc_curve)."""
    fpr, tpr, _ = roc_curve(y_true, scores)
    return float(np.trapezoid(tpr, fpr) if hasattr(np, "trapezoid") else np.trapz(tpr, fpr))


# ----- regression ------------------------------------------------------------------------------
def regression_scores(y_true: ArrayLike, y_pred: ArrayLike) -> dict:
    """MAE, RMSE and R^2 (1 - residual sum of squares / total sum of squares, as scikit-learn's r2_score)."""
    y_true = np.asarray(y_true, dtype=np.float64).ravel()
    y_pred = np.asarray(y_pred, dtype=np.float64).ravel()
    if len(y_true) != len(y_pred):
        raise InputError(f"y_true and y_pred have different lengths ({len(y_true)} vs {len(y_pred)}).")
    residual = y_true - y_pred
    total = np.sum((y_true - y_true.mean()) ** 2)
    r2 = 1.0 - np.sum(residual**2) / total if total > 0 else (1.0 if np.allclose(residual, 0) else 0.0)
    return {"mae": float(np.mean(np.abs(residual))), "rmse": float(np.sqrt(np.mean(residual**2))), "r2": float(r2)}


# ----- metrics the model tracks during fit (name -> fn(y_true_labels_or_values, outputs, threshold)) ----
def _model_accuracy(y_true, outputs, threshold):
    return float(np.mean(labels_from_outputs(outputs, threshold) == labels_from_targets(y_true)))


def _model_mae(y_true, outputs, threshold):  # noqa: ARG001 - every model metric takes the threshold
    return float(np.mean(np.abs(outputs - np.asarray(y_true).reshape(outputs.shape))))


def _model_mse(y_true, outputs, threshold):  # noqa: ARG001 - every model metric takes the threshold
    diff = outputs - np.asarray(y_true).reshape(outputs.shape)
    return float(np.mean(diff * diff))


MODEL_METRICS = {"accuracy": _model_accuracy, "acc": _model_accuracy, "mae": _model_mae, "mse": _model_mse}


def get_model_metric(name: str) -> Callable[[np.ndarray, np.ndarray, float], float]:
    """The function behind a metric name given to ``model.compile(metrics=[...])``."""
    if not isinstance(name, str):
        raise InputTypeError(f"metrics are given by name, got {name!r}.")
    return lookup(name, MODEL_METRICS, "metric")


class RunningMeans:
    """Sample-weighted means of per-batch logs: the loss and metrics of an epoch (or an evaluation) so far."""

    def __init__(self):
        self.sums: dict[str, float] = {}
        self.count = 0

    def add(self, logs: dict, count: int) -> None:
        """Add one batch's logs (means over its ``count`` samples)."""
        for key, value in logs.items():
            self.sums[key] = self.sums.get(key, 0.0) + value * count
        self.count += count

    def result(self) -> dict:
        return {key: total / self.count for key, total in self.sums.items()}
