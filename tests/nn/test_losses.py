import numpy as np
import pytest
from sklearn.metrics import log_loss

import numpynn as nn
from numpynn.nn import losses


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("from_logits", [True, False])
def test_loss_gradients(from_logits, rng):
    logits = rng.normal(size=(6, 4))
    labels = rng.integers(0, 4, 6)
    preds = logits if from_logits else softmax(logits)
    onehot = np.eye(4)[labels]
    assert nn.gradcheck(losses.SparseCategoricalCrossentropy(from_logits), preds, labels).ok
    assert nn.gradcheck(losses.CategoricalCrossentropy(from_logits), preds, onehot).ok
    binary_logits = rng.normal(size=(6, 1))
    binary_preds = binary_logits if from_logits else 1 / (1 + np.exp(-binary_logits))
    assert nn.gradcheck(losses.BinaryCrossentropy(from_logits), binary_preds, rng.integers(0, 2, (6, 1))).ok


def test_mse_gradient_and_value(rng):
    pred, target = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    assert nn.gradcheck(losses.MeanSquaredError(), pred, target).ok
    assert losses.MeanSquaredError().forward(pred, target) == pytest.approx(np.mean((pred - target) ** 2))


def test_values_match_scikit_learn(rng):
    logits = rng.normal(size=(50, 3))
    labels = rng.integers(0, 3, 50)
    expected = log_loss(labels, softmax(logits), labels=[0, 1, 2])
    assert losses.SparseCategoricalCrossentropy(from_logits=True).forward(logits, labels) == pytest.approx(expected)
    assert losses.SparseCategoricalCrossentropy().forward(softmax(logits), labels) == pytest.approx(expected)
    assert losses.CategoricalCrossentropy(True).forward(logits, np.eye(3)[labels]) == pytest.approx(expected)
    z = rng.normal(size=(50, 1))
    y = rng.integers(0, 2, 50)
    expected = log_loss(y, 1 / (1 + np.exp(-z[:, 0])))
    assert losses.BinaryCrossentropy(from_logits=True).forward(z, y) == pytest.approx(expected)
    assert losses.BinaryCrossentropy().forward(1 / (1 + np.exp(-z)), y) == pytest.approx(expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_logits_give_finite_loss_and_gradient(dtype):
    logits = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 1000.0]], dtype=dtype)
    for loss, target in (
        (losses.SparseCategoricalCrossentropy(True), np.array([1, 0])),
        (losses.CategoricalCrossentropy(True), np.eye(3)[[1, 0]]),
    ):
        value = loss.forward(logits, target)
        grad = loss.backward()
        assert np.isfinite(value) and np.all(np.isfinite(grad)) and grad.dtype == dtype
        # row 1: logsumexp 1000, target -1000 -> 2000; row 2: logsumexp 1000 + log 2, target -1000.
        assert value == pytest.approx((4000 + np.log(2)) / 2, rel=1e-6)
    z = np.array([[1000.0], [-1000.0], [1000.0]], dtype=dtype)
    bce = losses.BinaryCrossentropy(from_logits=True)
    value = bce.forward(z, np.array([0, 1, 1]))
    assert value == pytest.approx(2000 / 3, rel=1e-6) and np.all(np.isfinite(bce.backward()))


def test_probabilities_of_zero_and_one_do_not_produce_inf():
    loss = losses.SparseCategoricalCrossentropy()
    assert np.isfinite(loss.forward(np.array([[1.0, 0.0]]), np.array([1])))
    assert np.all(np.isfinite(loss.backward()))
    bce = losses.BinaryCrossentropy()
    assert np.isfinite(bce.forward(np.array([[0.0], [1.0]]), np.array([1, 0])))
    assert np.all(np.isfinite(bce.backward()))


def test_multiclass_loss_is_not_the_binary_formula(rng):
    probs = softmax(rng.normal(size=(4, 3)))
    labels = np.array([0, 1, 2, 1])
    expected = -np.mean(np.log(probs[np.arange(4), labels]))
    assert losses.SparseCategoricalCrossentropy().forward(probs, labels) == pytest.approx(expected)


def test_fused_gradient_equals_the_two_step_gradient(rng):
    """softmax + cross-entropy through the model (fused) gives the same gradients as logits + from_logits."""
    x, y = rng.normal(size=(16, 5)), rng.integers(0, 3, 16)
    grads = []
    for activation, loss in (
        ("softmax", losses.SparseCategoricalCrossentropy()),
        (None, losses.SparseCategoricalCrossentropy(from_logits=True)),
    ):
        model = nn.Sequential([nn.Dense(3, activation=activation, input_dim=5)], dtype="float64", seed=0)
        model.compile(nn.optimizers.SGD(0.1), loss)
        assert model.scores_logits == (activation == "softmax")
        model.compute_gradients(x, y)
        grads.append(model.layers[0].grads["W"].copy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12)


def test_value_is_the_loss_of_value_and_grad_and_computes_no_gradient(rng):
    logits, labels = rng.normal(size=(8, 4)), rng.integers(0, 4, 8)
    for loss in (
        losses.SparseCategoricalCrossentropy(from_logits=True),
        losses.SparseCategoricalCrossentropy(),
        losses.CategoricalCrossentropy(from_logits=True),
        losses.BinaryCrossentropy(from_logits=True),
        losses.MeanSquaredError(),
    ):
        target = np.eye(4)[labels] if isinstance(loss, losses.CategoricalCrossentropy) else labels
        pred = np.abs(logits[:, :1]) / 4 if isinstance(loss, losses.BinaryCrossentropy) else logits
        if isinstance(loss, losses.BinaryCrossentropy):
            target = (labels % 2)[:, None]
        if isinstance(loss, losses.MeanSquaredError):
            target = rng.normal(size=logits.shape)
        if not loss.from_logits and not isinstance(loss, losses.MeanSquaredError):
            pred = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        value, grad = loss.value_and_grad(pred, target)
        assert loss.value(pred, target) == value and grad.shape == pred.shape
        assert loss._compute(pred, target, with_grad=False)[1] is None


def test_a_layer_without_logits_says_so_when_asked_for_them():
    with pytest.raises(NotImplementedError, match="Flatten layer.*no logits"):
        nn.Flatten().call_with_logits(np.ones((2, 3)))
    assert nn.Dense(2, activation="softmax").fused_activation == "softmax"
    assert nn.Dense(2, activation="relu").fused_activation is None
    assert nn.Activation("sigmoid").fused_activation == "sigmoid"


def test_unknown_loss_name_lists_valid_names():
    with pytest.raises(ValueError, match="Unknown loss 'hinge'.*binary_crossentropy"):
        losses.get("hinge")
