import numpy as np
import pytest

import numpynn as nn
from numpynn.nn import activations

ACTIVATION_NAMES = ["linear", "relu", "leaky_relu", "sigmoid", "tanh", "softmax"]


def away_from_zero(rng, shape):
    """Inputs at least 0.1 away from ReLU's kink, so finite differences never straddle it."""
    x = rng.normal(size=shape)
    return np.where(np.abs(x) < 0.1, x + np.sign(x + 1e-12) * 0.2, x)


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_activation_layer_gradients(name, rng):
    result = nn.gradcheck(nn.Activation(name), away_from_zero(rng, (5, 4)))
    assert result.ok, str(result)


@pytest.mark.parametrize("name", ACTIVATION_NAMES)
def test_dense_gradients_with_each_activation(name, rng):
    layer = nn.Dense(3, activation=name, seed=1)
    layer.build((4,), dtype="float64")
    x = rng.normal(size=(6, 4))
    # Keep pre-activations away from ReLU's kink.
    layer.params["b"][:] = 0.05
    result = nn.gradcheck(layer, x)
    assert result.ok, str(result)
    assert set(result.errors) == {"input", "W", "b"}


def test_dense_without_bias_and_flatten_gradients(rng):
    assert nn.gradcheck(nn.Dense(2, use_bias=False), rng.normal(size=(3, 5))).ok
    assert nn.gradcheck(nn.Flatten(), rng.normal(size=(3, 2, 4))).ok


def test_gradcheck_catches_a_wrong_gradient(rng):
    class WrongTanh(activations.Tanh):
        def backward(self, grad_output, output):
            return grad_output * (1 - output)  # missing the square

    result = nn.gradcheck(nn.Activation(WrongTanh()), rng.normal(size=(4, 3)))
    assert not result.ok
    with pytest.raises(AssertionError):
        nn.gradcheck(nn.Activation(WrongTanh()), rng.normal(size=(4, 3)), raise_on_failure=True)


def test_activation_ranges_and_stability():
    x = np.array([[-1000.0, -1.0, 0.0, 1.0, 1000.0]], dtype=np.float32)
    sig = activations.Sigmoid().forward(x)
    assert np.all(np.isfinite(sig)) and sig.dtype == np.float32
    np.testing.assert_allclose(sig, [[0, 1 / (1 + np.e), 0.5, 1 / (1 + np.exp(-1)), 1]], rtol=1e-6)
    soft = activations.Softmax().forward(x)
    assert np.all(np.isfinite(soft)) and abs(soft.sum() - 1) < 1e-6 and soft[0, -1] == pytest.approx(1)
    np.testing.assert_array_equal(activations.ReLU().forward(x), [[0, 0, 0, 1, 1000]])
    np.testing.assert_allclose(activations.LeakyReLU(0.1).forward(x), [[-100, -0.1, 0, 1, 1000]])
    tanh = activations.Tanh().forward(x)
    assert tanh.min() >= -1 and tanh.max() <= 1


def test_softmax_backward_uses_the_full_jacobian(rng):
    x = rng.normal(size=(1, 4))
    out = activations.Softmax().forward(x)
    g = rng.normal(size=(1, 4))
    jacobian = np.diag(out[0]) - np.outer(out[0], out[0])
    np.testing.assert_allclose(activations.Softmax().backward(g, out)[0], jacobian.T @ g[0], rtol=1e-12)


def test_dense_shapes_lazy_build_and_params():
    layer = nn.Dense(7)
    out = layer(np.ones((5, 3), dtype=np.float32))
    assert out.shape == (5, 7) and out.dtype == np.float32
    assert layer.params["W"].shape == (3, 7) and layer.params["b"].shape == (7,)
    assert set(layer.grads) == set(layer.params)
    grad_in = layer.backward(np.ones((5, 7), dtype=np.float32))
    assert grad_in.shape == (5, 3)
    np.testing.assert_allclose(layer.grads["b"], np.full(7, 5.0))
    np.testing.assert_allclose(layer.grads["W"], np.full((3, 7), 5.0))


def test_dense_forward_is_x_at_w_plus_b(rng):
    layer = nn.Dense(4, activation="relu", dtype="float64")
    x = rng.normal(size=(3, 2))
    out = layer(x)
    np.testing.assert_allclose(out, np.maximum(x @ layer.params["W"] + layer.params["b"], 0))


@pytest.mark.parametrize(
    "name,expected_std",
    [
        ("he_normal", np.sqrt(2 / 400)),
        ("glorot_uniform", np.sqrt(2 / 600)),
        ("lecun_normal", np.sqrt(1 / 400)),
        ("he_uniform", np.sqrt(2 / 400)),
    ],
)
def test_initializer_scales(name, expected_std):
    layer = nn.Dense(200, kernel_initializer=name, seed=0)
    layer.build((400,))
    assert layer.params["W"].std() == pytest.approx(expected_std, rel=0.02)
    assert layer.params["W"].dtype == np.float32


def test_same_seed_same_weights_bit_for_bit():
    def weights(seed):
        model = nn.Sequential([nn.Dense(8, activation="relu", input_dim=4), nn.Dense(3)], seed=seed)
        return model.get_weights()

    for a, b in zip(weights(3), weights(3)):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(weights(3)[0], weights(4)[0])
    nn.set_seed(11)
    first = nn.Dense(5)(np.ones((1, 2)))
    nn.set_seed(11)
    np.testing.assert_array_equal(first, nn.Dense(5)(np.ones((1, 2))))
