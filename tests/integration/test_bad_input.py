"""Every bad input gets a ValueError/TypeError that names the problem and the fix."""

import numpy as np
import pytest

import numpynn as nn


@pytest.fixture
def model():
    model = nn.Sequential([nn.Dense(8, activation="relu", input_dim=4), nn.Dense(3)], seed=0)
    model.compile("adam", nn.losses.SparseCategoricalCrossentropy(from_logits=True), ["accuracy"])
    return model


X = np.ones((10, 4), dtype=np.float32)
Y = np.arange(10) % 3


def test_wrong_feature_count_and_rank(model):
    with pytest.raises(ValueError, match=r"expects samples of shape \(4,\).*\(5,\)"):
        model.fit(np.ones((10, 5)), Y, verbose=0)
    with pytest.raises(ValueError, match="batch axis"):
        model.predict(np.ones(4))
    with pytest.raises(ValueError, match=r"built for inputs of shape \(batch, 4\)"):
        model.layers[0](np.ones((2, 6)))
    with pytest.raises(ValueError, match="Flatten"):
        nn.Dense(3)(np.ones((2, 4, 4)))


def test_x_and_y_of_different_lengths(model):
    with pytest.raises(ValueError, match="different numbers of samples \\(10 vs 9\\)"):
        model.fit(X, Y[:9], verbose=0)


@pytest.mark.parametrize(
    "labels,message",
    [
        (np.full(10, 3), r"must lie in \[0, 2\]"),
        (np.full(10, -1), r"must lie in \[0, 2\]"),
        (np.full(10, 0.5), "integer class ids"),
        (np.zeros((10, 3)), "1-D array of class ids"),
    ],
)
def test_bad_class_labels(model, labels, message):
    with pytest.raises(ValueError, match=message):
        model.fit(X, labels, verbose=0)


def test_nan_or_inf_in_x_or_y(model):
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="X contains 1 NaN"):
        model.fit(bad, Y, verbose=0)
    bad[3, 1] = np.inf
    with pytest.raises(ValueError, match="NaN or infinite"):
        model.predict(bad)
    with pytest.raises(ValueError, match="y contains"):
        model.fit(X, np.where(Y == 0, np.nan, Y), verbose=0)
    binary = nn.Sequential([nn.Dense(1, input_dim=4)])
    binary.compile("sgd", "binary_crossentropy")
    with pytest.raises(ValueError, match=r"targets must lie in \[0, 1\]"):
        binary.fit(X, np.arange(10), verbose=0)


@pytest.mark.parametrize("batch_size", [0, -5, 2.5])
def test_batch_size_must_be_positive_integer(model, batch_size):
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        model.fit(X, Y, batch_size=batch_size, verbose=0)


def test_unknown_names_fail_at_creation_listing_valid_names(model):
    with pytest.raises(ValueError, match="Unknown activation 'relu6'. Valid names: .*leaky_relu"):
        nn.Dense(3, activation="relu6")
    with pytest.raises(ValueError, match="Unknown loss 'l1'"):
        model.compile("adam", "l1")
    with pytest.raises(ValueError, match="Unknown optimizer 'sgdd'.*adamw"):
        model.compile("sgdd", "mse")
    with pytest.raises(ValueError, match="Unknown metric 'auc'.*accuracy"):
        model.compile("adam", "mse", metrics=["auc"])
    with pytest.raises(ValueError, match="Unknown initializer"):
        nn.Dense(3, kernel_initializer="orthogonal")


def test_fit_before_compile():
    model = nn.Sequential([nn.Dense(2, input_dim=4)])
    with pytest.raises(RuntimeError, match="compile"):
        model.fit(X, Y, verbose=0)
    with pytest.raises(RuntimeError, match="compile"):
        model.evaluate(X, Y)


def test_non_numeric_data(model):
    with pytest.raises(TypeError, match="must be numeric"):
        model.fit(np.array([["a"] * 4] * 10), Y, verbose=0)


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="units must be a positive integer"):
        nn.Dense(0)
    with pytest.raises(ValueError, match="momentum"):
        nn.optimizers.SGD(0.1, momentum=1.5)
    with pytest.raises(ValueError, match="dtype must be one of"):
        nn.Sequential(dtype="int32")


def test_adding_a_layer_after_training_asks_for_a_new_compile(model):
    model.fit(X, Y, epochs=1, verbose=0)
    model.add(nn.Dense(3))
    with pytest.raises(ValueError, match="compile again"):
        model.fit(X, Y, epochs=1, verbose=0)
    model.compile("adam", nn.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(X, Y, epochs=1, verbose=0)
