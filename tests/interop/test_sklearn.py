"""numpynn's scikit-learn estimators: scikit-learn's own checks, pickling, pipelines and searches."""

import pickle

import numpy as np
import pytest

pytest.importorskip("sklearn")
from sklearn.base import clone  # noqa: E402
from sklearn.compose import ColumnTransformer  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_diabetes  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.experimental import enable_halving_search_cv  # noqa: E402, F401
from sklearn.model_selection import (  # noqa: E402
    GridSearchCV,
    HalvingGridSearchCV,
    RandomizedSearchCV,
    cross_validate,
)
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import OneHotEncoder, StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from numpynn.interop.sklearn import NeuralNetClassifier, NeuralNetRegressor  # noqa: E402


@parametrize_with_checks(
    [NeuralNetClassifier(random_state=0, epochs=60), NeuralNetRegressor(random_state=0, epochs=60)]
)
def test_scikit_learns_estimator_checks(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def cancer():
    x, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(x), y


def test_fitted_attributes_pickling_and_clone(cancer):
    x, y = cancer
    classifier = NeuralNetClassifier(hidden="dense:16,dropout:0.1", epochs=50, random_state=0)
    with pytest.raises(NotFittedError):
        classifier.predict(x)
    classifier.fit(x, y)
    assert classifier.n_features_in_ == 30 and list(classifier.classes_) == [0, 1] and "val_loss" in classifier.history_
    assert classifier.score(x, y) > 0.95
    state = classifier.__getstate__()
    assert "model_" not in state and state["_model_npz"][:2] == b"PK"  # numpynn's own .npz bytes
    restored = pickle.loads(pickle.dumps(classifier))
    np.testing.assert_array_equal(restored.predict_proba(x), classifier.predict_proba(x))
    fresh = clone(classifier)
    assert not hasattr(fresh, "model_") and fresh.get_params() == classifier.get_params()


def test_the_same_random_state_gives_the_same_scores_serial_or_parallel(cancer):
    x, y = cancer
    estimator = NeuralNetClassifier(epochs=30, random_state=3)
    serial = cross_validate(estimator, x, y, cv=3, n_jobs=1)["test_score"]
    parallel = cross_validate(estimator, x, y, cv=3, n_jobs=2)["test_score"]
    np.testing.assert_array_equal(serial, parallel)


def test_searches_and_pipelines(cancer):
    x, y = cancer
    grid = GridSearchCV(
        NeuralNetClassifier(epochs=30, random_state=0),
        {"hidden": ["mlp:8", "mlp:32"], "learning_rate": [1e-3, 1e-2]},
        cv=3,
    ).fit(x, y)
    assert grid.best_score_ > 0.9 and len(grid.cv_results_["params"]) == 4
    random = RandomizedSearchCV(
        NeuralNetClassifier(epochs=20, random_state=0),
        {"weight_decay": [0.0, 1e-3, 1e-2]},
        n_iter=2,
        cv=2,
        random_state=0,
    ).fit(x, y)
    assert random.best_estimator_.weight_decay in (0.0, 1e-3, 1e-2)
    halving = HalvingGridSearchCV(
        NeuralNetClassifier(random_state=0, early_stopping=0),
        {"hidden": ["mlp:4", "mlp:16", "logistic"]},
        resource="epochs",
        min_resources=5,
        max_resources=40,
        cv=2,
        random_state=0,
    ).fit(x, y)
    assert halving.n_iterations_ >= 2 and halving.best_estimator_.epochs > 5  # the survivor got more epochs


def test_column_transformer_pipeline_and_a_regressor():
    rng = np.random.default_rng(0)
    colour = rng.choice(["red", "green", "blue"], 200)
    size = rng.normal(size=200)
    table = np.c_[colour, size].astype(object)
    target = size * 3 + (colour == "red") * 5
    pipeline = make_pipeline(
        ColumnTransformer([("colour", OneHotEncoder(), [0]), ("size", StandardScaler(), [1])]),
        NeuralNetRegressor(hidden="mlp:16", epochs=200, random_state=0),
    )
    assert cross_validate(pipeline, table, target, cv=3)["test_score"].mean() > 0.95
    x, y = load_diabetes(return_X_y=True)
    assert NeuralNetRegressor(random_state=0).fit(x, y).score(x, y) > 0.4
