"""scikit-learn estimators: ``NeuralNetClassifier`` and ``NeuralNetRegressor`` (needs ``numpynn[data]``).

They compute in float64 by default (``dtype``), as scikit-learn's own MLP does for float64 data, so a
row's prediction never depends on which rows are predicted with it. They follow scikit-learn's rules,
so pipelines, cross-validation and searches work as with its own models: ``__init__`` stores its
arguments unchanged, ``fit`` learns attributes ending in ``_`` (``model_``, ``classes_``,
``n_features_in_``, ``history_``), and an estimator pickles (joblib sends it to worker processes that
way) with its network as numpynn's own ``.npz`` bytes, never pickled internals.

    from numpynn.interop.sklearn import NeuralNetClassifier
    clf = NeuralNetClassifier(hidden="dense:64,dropout:0.1", epochs=200, random_state=0).fit(X, y)
"""

from __future__ import annotations

import io

import numpy as np

from numpynn.data.preprocessing import split_indices
from numpynn.errors import missing_dependency
from numpynn.models.saving import load_model, save_model
from numpynn.models.specs import build_model
from numpynn.nn import optimizers, schedules
from numpynn.training import callbacks
from numpynn.training.trainer import steps_per_epoch

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
    from sklearn.utils.multiclass import check_classification_targets
    from sklearn.utils.validation import check_is_fitted, validate_data
except ImportError:  # pragma: no cover - the module is useless without scikit-learn
    raise missing_dependency("numpynn.interop.sklearn", "scikit-learn", "data") from None


class _NeuralNet(BaseEstimator):
    """What the classifier and the regressor share: the hyperparameters, training, pickling."""

    def __init__(
        self,
        hidden: str = "mlp:64",
        epochs: int = 200,
        batch_size: int = 32,
        optimizer: str = "adam",
        learning_rate: float = 1e-3,
        weight_decay: float = 0.0,
        schedule: str = "constant",
        early_stopping: int = 20,
        validation_fraction: float = 0.1,
        random_state: int | None = None,
        verbose: int = 0,
        warm_start: bool = False,
        dtype: str = "float64",
    ):
        # scikit-learn's rule: store every argument as given, validate nothing here (fit does).
        self.hidden, self.epochs, self.batch_size, self.optimizer = hidden, epochs, batch_size, optimizer
        self.learning_rate, self.weight_decay, self.schedule = learning_rate, weight_decay, schedule
        self.early_stopping, self.validation_fraction = early_stopping, validation_fraction
        self.random_state, self.verbose, self.warm_start, self.dtype = random_state, verbose, warm_start, dtype

    def _seed(self) -> int:
        """An int seed from random_state (an int, None, or a RandomState as scikit-learn passes around)."""
        if self.random_state is None:
            return int(np.random.default_rng().integers(2**31))
        if isinstance(self.random_state, (int, np.integer)):
            return int(self.random_state)
        return int(self.random_state.randint(2**31))

    def _train(self, x: np.ndarray, y: np.ndarray, num_classes: int, loss: str, metric: str):
        """Build (or, with warm_start, keep) the network and fit it; stratify the validation split by y
        when ``num_classes``."""
        seed = self._seed()
        fresh = not (self.warm_start and hasattr(self, "model_"))
        if fresh:
            self.model_ = build_model(self.hidden, x.shape[1:], num_classes, seed=seed, dtype=self.dtype)
        steps = steps_per_epoch(len(x), self.batch_size)
        rate = schedules.from_name(self.schedule, self.learning_rate, 0.0, steps, self.epochs)
        if fresh or self.model_.optimizer is None:
            self.model_.compile(
                optimizers.get(self.optimizer, learning_rate=rate, weight_decay=self.weight_decay),
                loss,
                metrics=[metric],
            )
        fit_callbacks, validation = [], None
        if self.early_stopping and self.validation_fraction and len(x) >= 10:
            labels = y if num_classes and np.bincount(y).min() >= 2 else None
            train, held_out = split_indices(len(x), self.validation_fraction, labels, np.random.default_rng(seed))
            x, y, validation = x[train], y[train], (x[held_out], y[held_out])
            fit_callbacks.append(callbacks.EarlyStopping(patience=self.early_stopping, restore_best_weights=True))
        history = self.model_.fit(
            x,
            y,
            batch_size=self.batch_size,
            epochs=self.epochs,
            verbose=self.verbose,
            validation_data=validation,
            callbacks=fit_callbacks,
        )
        self.history_ = history.history
        return self

    def _inputs(self, x) -> np.ndarray:
        return np.asarray(validate_data(self, x, reset=False, dtype=self.dtype, allow_nd=True))

    # Pickling: the network travels as the bytes of numpynn's own model file, not as pickled objects.
    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        if "model_" in state:
            buffer = io.BytesIO()
            save_model(state.pop("model_"), buffer)
            state["_model_npz"] = buffer.getvalue()
        return state

    def __setstate__(self, state: dict) -> None:
        state = dict(state)
        if "_model_npz" in state:
            state["model_"] = load_model(io.BytesIO(state.pop("_model_npz")))
        self.__dict__.update(state)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None
        return tags


class NeuralNetClassifier(ClassifierMixin, _NeuralNet):
    """A numpynn network as a scikit-learn classifier: softmax (or sigmoid for two classes) on top of
    ``hidden`` (a ``--model`` spec such as "mlp:64" or "dense:128,dropout:0.2", or "cnn" for images)."""

    def fit(self, X, y) -> NeuralNetClassifier:
        x, y = validate_data(self, X, y, dtype=self.dtype, allow_nd=True, ensure_min_samples=2)
        check_classification_targets(y)
        classes, encoded = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(f"NeuralNetClassifier needs at least 2 classes in y; got 1 class ({classes[0]!r}).")
        if self.warm_start and hasattr(self, "classes_") and not np.array_equal(classes, self.classes_):
            raise ValueError("warm_start needs the same classes as the previous fit.")
        self.classes_ = classes
        loss = "binary_crossentropy" if len(classes) == 2 else "sparse_categorical_crossentropy"
        return self._train(np.asarray(x), encoded, len(classes), loss, "accuracy")

    def predict_proba(self, X) -> np.ndarray:
        check_is_fitted(self, "model_")
        outputs = self.model_.predict(self._inputs(X)).astype(np.float64)
        return np.c_[1 - outputs[:, 0], outputs[:, 0]] if outputs.shape[1] == 1 else outputs

    def predict(self, X) -> np.ndarray:
        probabilities = self.predict_proba(X)
        return self.classes_[np.argmax(probabilities, axis=1)]


class NeuralNetRegressor(RegressorMixin, _NeuralNet):
    """A numpynn network as a scikit-learn regressor: one linear output on top of ``hidden``, trained on
    targets standardised with the training data's mean and standard deviation."""

    def fit(self, X, y) -> NeuralNetRegressor:
        x, y = validate_data(self, X, y, dtype=self.dtype, allow_nd=True, y_numeric=True, ensure_min_samples=2)
        y = np.asarray(y, dtype=np.float64)
        if not (self.warm_start and hasattr(self, "target_mean_")):
            self.target_mean_, self.target_scale_ = float(y.mean()), float(y.std()) or 1.0
        scaled = ((y - self.target_mean_) / self.target_scale_).astype(self.dtype)
        return self._train(np.asarray(x), scaled, 0, "mse", "mae")

    def predict(self, X) -> np.ndarray:
        check_is_fitted(self, "model_")
        outputs = self.model_.predict(self._inputs(X))[:, 0].astype(np.float64)
        return outputs * self.target_scale_ + self.target_mean_
