"""Losses: ``value(y_pred, y_true) -> mean loss``, ``value_and_grad`` -> (mean loss, dL/dy_pred).

All cross-entropies are stable for any finite input. With ``from_logits=True`` they work on raw scores
through log-sum-exp / log-sigmoid; logits of +-1000 give a finite loss and gradient.

The fused gradient: for softmax + cross-entropy, sigmoid + binary cross-entropy and identity + squared
error, dL/dz = (prediction - target) / batch. The model uses it when the last layer's activation
matches the loss (``fused_activation``), computing the loss from the logits, so probabilities that
round to 0 or 1 never reach a log or a division.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from numpynn.errors import InputError, InputTypeError
from numpynn.nn.activations import log_softmax, stable_sigmoid, stable_softmax
from numpynn.utils import lookup

# Probabilities are clipped to [EPSILON, 1 - EPSILON] before a log when from_logits=False (Keras's value).
EPSILON = 1e-7


class Loss:
    """A mean loss over the batch.

    ``value(y_pred, y_true)`` is the loss alone (evaluation, validation); ``value_and_grad`` adds
    dL/dy_pred (training). ``forward``/``backward`` are the low-level pair used by ``gradcheck``.
    Subclasses implement ``_compute(y_pred, y_true, with_grad) -> (loss, grad or None)``.
    """

    name = "loss"
    fused_activation: str | None = None  # the output activation whose gradient fuses with this loss
    classification = False  # targets are classes (a validation split is then stratified)

    def __init__(self, from_logits: bool = False):
        self.from_logits = bool(from_logits)
        self._grad = None

    def _compute(self, y_pred: np.ndarray, y_true: np.ndarray, with_grad: bool) -> tuple[float, np.ndarray | None]:
        raise NotImplementedError

    def value(self, y_pred: np.ndarray, y_true: np.ndarray) -> float:
        """The mean loss of a batch, without its gradient."""
        _check_batch(y_pred, y_true)
        return self._compute(y_pred, y_true, with_grad=False)[0]

    def value_and_grad(self, y_pred: np.ndarray, y_true: np.ndarray) -> tuple[float, np.ndarray]:
        """(mean loss, dL/dy_pred with y_pred's shape)."""
        _check_batch(y_pred, y_true)
        return self._compute(y_pred, y_true, with_grad=True)

    def forward(self, y_pred: np.ndarray, y_true: np.ndarray) -> float:
        """The mean loss; the gradient is kept for ``backward()``."""
        loss, self._grad = self.value_and_grad(y_pred, y_true)
        return loss

    def backward(self) -> np.ndarray:
        if self._grad is None:
            raise RuntimeError("Call forward(y_pred, y_true) before backward().")
        return self._grad

    def __call__(self, y_pred: np.ndarray, y_true: np.ndarray) -> float:
        return self.value(y_pred, y_true)

    @property
    def threshold(self) -> float:
        """Where a single output splits the two classes: 0 for logits, 0.5 for probabilities."""
        return 0.0 if self.from_logits else 0.5

    def prepare_targets(self, y_true: ArrayLike, output_shape: tuple) -> np.ndarray:
        """Validate a whole target array once (before training) and return it in the form forward expects."""
        return np.asarray(y_true)

    def as_from_logits(self) -> Loss:
        """The same loss taking logits, used by the model for the fused gradient."""
        return type(self)(from_logits=True)

    def get_config(self) -> dict:
        return {"name": self.name, "from_logits": self.from_logits}

    def __repr__(self):
        return f"{type(self).__name__}(from_logits={self.from_logits})"


def _check_batch(y_pred, y_true):
    if len(y_pred) != len(y_true):
        raise InputError(f"y_pred and y_true have different batch sizes ({len(y_pred)} vs {len(y_true)}).")


def _check_labels(y_true, num_classes: int) -> np.ndarray:
    """Integer class ids in [0, num_classes), shape (batch,)."""
    y = np.asarray(y_true)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise InputError(
            f"Sparse labels must be a 1-D array of class ids, got shape {y.shape}; "
            "for one-hot targets use CategoricalCrossentropy."
        )
    if not np.issubdtype(y.dtype, np.integer) and (
        not np.issubdtype(y.dtype, np.floating) or not np.all(np.isfinite(y)) or np.any(y != np.round(y))
    ):
        raise InputError(
            f"Sparse labels must be integer class ids, got dtype {y.dtype} with non-integer values; "
            "map the classes to 0..K-1 first."
        )
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        raise InputError(
            f"Class labels must lie in [0, {num_classes - 1}] for a model with {num_classes} outputs, "
            f"got values from {y.min()} to {y.max()}; relabel the classes or change the last layer's units."
        )
    return y.astype(np.intp, copy=False)


class _CrossEntropy(Loss):
    """A cross-entropy: targets are classes, and softmax (unless said otherwise) is the fused activation."""

    fused_activation = "softmax"
    classification = True


class SparseCategoricalCrossentropy(_CrossEntropy):
    """Cross-entropy with integer labels. y_pred: (batch, classes) logits or probabilities; y_true: (batch,)."""

    name = "sparse_categorical_crossentropy"

    def prepare_targets(self, y_true: ArrayLike, output_shape: tuple) -> np.ndarray:
        return _check_labels(y_true, output_shape[-1])

    def _compute(self, y_pred, y_true, with_grad):
        labels = _check_labels(y_true, y_pred.shape[-1])
        rows = np.arange(len(labels))
        if self.from_logits:
            log_probs = log_softmax(y_pred)
            loss = -log_probs[rows, labels].mean()
            if not with_grad:
                return float(loss), None
            grad = np.exp(log_probs)
            grad[rows, labels] -= 1
        else:
            picked = np.clip(y_pred[rows, labels], EPSILON, 1 - EPSILON)
            loss = -np.log(picked).mean()
            if not with_grad:
                return float(loss), None
            grad = np.zeros_like(y_pred)
            grad[rows, labels] = -1 / picked
        grad /= len(labels)
        return float(loss), grad


class CategoricalCrossentropy(_CrossEntropy):
    """Cross-entropy with one-hot (or probability) targets. y_pred, y_true: (batch, classes)."""

    name = "categorical_crossentropy"

    def prepare_targets(self, y_true: ArrayLike, output_shape: tuple) -> np.ndarray:
        y = np.asarray(y_true)
        if y.ndim != 2 or y.shape[1] != output_shape[-1]:
            raise InputError(
                f"CategoricalCrossentropy expects one-hot targets of shape (batch, {output_shape[-1]}), "
                f"got {y.shape}; use SparseCategoricalCrossentropy for integer labels or one_hot(y)."
            )
        return y

    def _compute(self, y_pred, y_true, with_grad):
        y_true = np.asarray(y_true, dtype=y_pred.dtype)
        if y_true.shape != y_pred.shape:
            raise InputError(f"y_true shape {y_true.shape} does not match y_pred shape {y_pred.shape}.")
        if self.from_logits:
            log_probs = log_softmax(y_pred)
            loss = -(y_true * log_probs).sum(axis=-1).mean()
            # d/dz of -sum_k y_k log p_k is p * sum_k y_k - y.
            grad = stable_softmax(y_pred) * y_true.sum(axis=-1, keepdims=True) - y_true if with_grad else None
        else:
            probs = np.clip(y_pred, EPSILON, 1 - EPSILON)
            loss = -(y_true * np.log(probs)).sum(axis=-1).mean()
            grad = -y_true / probs if with_grad else None
        if grad is not None:
            grad /= len(y_pred)
        return float(loss), grad


class BinaryCrossentropy(_CrossEntropy):
    """Binary cross-entropy. y_pred: (batch, 1) or (batch,) logits or probabilities; y_true in [0, 1]."""

    name = "binary_crossentropy"
    fused_activation = "sigmoid"

    def prepare_targets(self, y_true: ArrayLike, output_shape: tuple) -> np.ndarray:
        if output_shape[-1] != 1:
            raise InputError(
                f"BinaryCrossentropy needs a model with 1 output, this one has {output_shape[-1]}; "
                "use Dense(1) as the last layer."
            )
        y = np.asarray(y_true)
        if y.size and (np.min(y) < 0 or np.max(y) > 1):
            raise InputError(
                f"BinaryCrossentropy targets must lie in [0, 1], got values from {np.min(y)} to "
                f"{np.max(y)}; for more than two classes use SparseCategoricalCrossentropy."
            )
        return y.reshape(len(y), 1) if y.ndim == 1 else y

    def _compute(self, y_pred, y_true, with_grad):
        y_true = np.asarray(y_true, dtype=y_pred.dtype).reshape(y_pred.shape)
        if self.from_logits:
            # log(1 + exp(-|z|)) + max(z, 0) - z * y: the stable form of -[y log s(z) + (1-y) log(1-s(z))].
            z = y_pred
            loss = (np.maximum(z, 0) - z * y_true + np.log1p(np.exp(-np.abs(z)))).mean()
            grad = stable_sigmoid(z) - y_true if with_grad else None
        else:
            p = np.clip(y_pred, EPSILON, 1 - EPSILON)
            loss = -(y_true * np.log(p) + (1 - y_true) * np.log1p(-p)).mean()
            grad = (p - y_true) / (p * (1 - p)) if with_grad else None
        if grad is not None:
            grad /= y_pred.size
        return float(loss), grad


class MeanSquaredError(Loss):
    """mean((y_pred - y_true)**2) over every element."""

    name = "mean_squared_error"

    def __init__(self, from_logits: bool = False):
        super().__init__(from_logits=False)

    def prepare_targets(self, y_true: ArrayLike, output_shape: tuple) -> np.ndarray:
        y = np.asarray(y_true)
        return y.reshape(len(y), 1) if y.ndim == 1 and output_shape == (1,) else y

    def _compute(self, y_pred, y_true, with_grad):
        y_true = np.asarray(y_true, dtype=y_pred.dtype)
        if y_true.shape != y_pred.shape:
            if y_true.size != y_pred.size:
                raise InputError(f"y_true shape {y_true.shape} does not match y_pred shape {y_pred.shape}.")
            y_true = y_true.reshape(y_pred.shape)
        diff = y_pred - y_true
        loss = np.mean(diff * diff)
        if with_grad:
            diff *= 2 / y_pred.size
        return float(loss), diff if with_grad else None

    def get_config(self) -> dict:
        return {"name": self.name}


class Huber(MeanSquaredError):
    """Huber loss, mean over every element: d^2 / 2 where |d| <= delta, delta * (|d| - delta / 2) beyond,
    for d = y_pred - y_true. Squared error near the target, absolute error far from it (robust to outliers).
    """

    name = "huber"

    def __init__(self, delta: float = 1.0, from_logits: bool = False):
        super().__init__()
        if not delta > 0:
            raise InputError(f"Huber delta must be positive, got {delta!r}.")
        self.delta = float(delta)

    def _compute(self, y_pred, y_true, with_grad):
        y_true = np.asarray(y_true, dtype=y_pred.dtype).reshape(y_pred.shape)
        diff = y_pred - y_true
        small = np.abs(diff) <= self.delta
        loss = np.mean(np.where(small, 0.5 * diff * diff, self.delta * (np.abs(diff) - 0.5 * self.delta)))
        if not with_grad:
            return float(loss), None
        grad = np.where(small, diff, self.delta * np.sign(diff)).astype(y_pred.dtype)
        grad /= y_pred.size
        return float(loss), grad

    def get_config(self) -> dict:
        return {"name": self.name, "delta": self.delta}


LOSSES = {
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "binary_crossentropy": BinaryCrossentropy,
    "mean_squared_error": MeanSquaredError,
    "mse": MeanSquaredError,
    "huber": Huber,
}


def get(identifier: str | dict | None) -> Loss:
    """Accept a Loss instance, a name ('binary_crossentropy', 'mse', ...) or a config dict."""
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, dict):
        config = dict(identifier)
        return lookup(config.pop("name"), LOSSES, "loss")(**config)
    if isinstance(identifier, str):
        return lookup(identifier, LOSSES, "loss")()
    raise InputTypeError(f"loss must be a Loss or a name such as 'binary_crossentropy', got {identifier!r}.")
