"""Recurrent layers: gradients, shapes, options, saving, model specs, and learning a sequence task."""

import numpy as np
import pytest

import numpynn as nn
from numpynn.models.specs import build_model

LAYERS = [
    lambda: nn.SimpleRNN(4),
    lambda: nn.SimpleRNN(3, activation="relu", return_sequences=True, go_backwards=True),
    lambda: nn.LSTM(3),
    lambda: nn.LSTM(2, return_sequences=True, go_backwards=True),
    lambda: nn.GRU(3),
    lambda: nn.GRU(2, return_sequences=True),
]


@pytest.mark.parametrize("make", LAYERS, ids=["rnn", "rnn-seq-back-relu", "lstm", "lstm-seq-back", "gru", "gru-seq"])
@pytest.mark.parametrize("shape", [(2, 5, 3), (1, 1, 2), (3, 2, 1)])
def test_backpropagation_through_time_passes_the_gradient_check(make, shape, rng):
    layer = make()
    result = nn.gradcheck(layer, rng.normal(size=shape))
    assert result.ok, str(result)


def test_shapes_and_the_last_state_of_a_sequence(rng):
    x = rng.normal(size=(4, 6, 3)).astype(np.float32)
    for layer_class in (nn.SimpleRNN, nn.LSTM, nn.GRU):
        every = layer_class(5, return_sequences=True, seed=0)
        last = layer_class(5, seed=0)
        sequence, final = every(x), last(x)
        assert sequence.shape == (4, 6, 5) and final.shape == (4, 5) and sequence.dtype == np.float32
        np.testing.assert_allclose(sequence[:, -1], final, rtol=1e-6)
        backwards = layer_class(5, go_backwards=True, seed=0)
        np.testing.assert_allclose(backwards(x), final_of(layer_class, x[:, ::-1]), rtol=1e-6)


def final_of(layer_class, x):
    return layer_class(5, seed=0)(x)


def test_lstm_and_gru_follow_kerass_equations(rng):
    """One step by hand with Keras's gate order: LSTM (i, f, c, o), GRU (z, r, h) with reset_after."""
    x = rng.normal(size=(2, 1, 3))
    lstm = nn.LSTM(2, seed=0)
    lstm.build((1, 3), dtype="float64")
    W, b = lstm.params["W"], lstm.params["b"]
    z = x[:, 0] @ W + b
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    i, g, o = sig(z[:, :2]), np.tanh(z[:, 4:6]), sig(z[:, 6:])  # the forget gate meets c_0 = 0
    np.testing.assert_allclose(lstm(x), o * np.tanh(i * g), rtol=1e-10)
    assert np.all(b[2:4] == 1) and np.all(b[:2] == 0)  # the forget gate's bias starts at 1
    gru = nn.GRU(2, seed=0)
    gru.build((1, 3), dtype="float64")
    W, b = gru.params["W"], gru.params["b"]
    xz = x[:, 0] @ W + b[0]
    hz = b[1]  # h_0 = 0
    update, reset = sig(xz[:, :2] + hz[:2]), sig(xz[:, 2:4] + hz[2:4])
    candidate = np.tanh(xz[:, 4:] + reset * hz[4:])
    np.testing.assert_allclose(gru(x), (1 - update) * candidate, rtol=1e-10)


def test_saved_and_loaded_and_bad_input_named(tmp_path, rng):
    model = nn.Sequential([nn.LSTM(4, return_sequences=True, input_shape=(5, 3)), nn.GRU(3), nn.Dense(2)], seed=0)
    model.compile("adam", nn.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.save(tmp_path / "m.npz")
    x = rng.normal(size=(3, 5, 3)).astype(np.float32)
    np.testing.assert_array_equal(nn.load_model(tmp_path / "m.npz").predict(x), model.predict(x))
    with pytest.raises(ValueError, match=r"expects sequences \(batch, time, features\).*x\[\.\.\., None\]"):
        nn.LSTM(2)(np.ones((2, 5)))
    with pytest.raises(ValueError, match="reset_after=True"):
        nn.GRU(2, reset_after=False)


def test_model_specs_stack_recurrent_layers():
    model = build_model("lstm:8,gru:4", (28, 28), 10, seed=0)
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["LSTM", "GRU", "Dense"]
    assert model.layers[0].return_sequences and not model.layers[1].return_sequences
    assert build_model("rnn:8", (6, 2), 2, seed=0).output_shape == (1,)


@pytest.mark.parametrize("spec", ["rnn:16", "lstm:16", "gru:16"])
def test_a_recurrent_model_learns_the_sign_of_a_sequences_sum(spec):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(600, 10, 2)).astype(np.float32)
    y = (x[:, :, 0].sum(axis=1) > 0).astype(int)  # every step counts: the state must carry a running sum
    model = build_model(spec, (10, 2), 2, seed=0)
    model.compile(nn.optimizers.Adam(0.01), "binary_crossentropy", metrics=["accuracy"])
    model.fit(x[:500], y[:500], epochs=30, batch_size=32, verbose=0)
    assert model.evaluate(x[500:], y[500:])["accuracy"] >= 0.85  # chance is 0.5


# ----- optional cross-check against PyTorch (installed by `make bench`; skipped without it) -------------------
def _torch():
    return pytest.importorskip("torch", reason="optional cross-check: PyTorch is not installed")


def _reorder(matrix, units, order):
    """Our gates side by side in columns -> torch's gates stacked in rows, in torch's order."""
    return np.concatenate([matrix[:, g * units : (g + 1) * units].T for g in order])


def _copy_into_torch(layer, module, order):
    """numpynn's W, U, b into a torch recurrent module; ``order`` maps torch's gate blocks to ours."""
    import torch

    units = layer.units

    def reorder(matrix):
        return _reorder(matrix, units, order)

    with torch.no_grad():
        module.weight_ih_l0.copy_(torch.from_numpy(reorder(layer.params["W"])))
        module.weight_hh_l0.copy_(torch.from_numpy(reorder(layer.params["U"])))
        bias = layer.params["b"]
        input_bias, recurrent_bias = (bias[0], bias[1]) if bias.ndim == 2 else (bias, np.zeros_like(bias))
        module.bias_ih_l0.copy_(torch.from_numpy(reorder(input_bias[None])[:, 0]))
        module.bias_hh_l0.copy_(torch.from_numpy(reorder(recurrent_bias[None])[:, 0]))


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_forward_and_gradients_equal_pytorchs(kind, rng):
    torch = _torch()
    x = rng.normal(size=(3, 7, 4))
    layer = {"rnn": nn.SimpleRNN, "lstm": nn.LSTM, "gru": nn.GRU}[kind](5, return_sequences=True, seed=0)
    layer.build((7, 4), dtype="float64")
    layer.params["b"][...] = rng.normal(size=layer.params["b"].shape)
    module = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind](4, 5, batch_first=True).double()
    # torch's gate order: LSTM (i, f, g, o) as ours; GRU (r, z, n) against our (z, r, n); RNN one block.
    order = {"rnn": [0], "lstm": [0, 1, 2, 3], "gru": [1, 0, 2]}[kind]
    _copy_into_torch(layer, module, order)
    ours = layer(x, training=True)
    x_torch = torch.from_numpy(x).requires_grad_(True)
    theirs = module(x_torch)[0]
    np.testing.assert_allclose(ours, theirs.detach().numpy(), atol=1e-10)
    weights = rng.normal(size=ours.shape)
    grad_x = layer.backward(weights)
    (theirs * torch.from_numpy(weights)).sum().backward()
    np.testing.assert_allclose(grad_x, x_torch.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(_reorder(layer.grads["W"], 5, order), module.weight_ih_l0.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(_reorder(layer.grads["U"], 5, order), module.weight_hh_l0.grad.numpy(), atol=1e-10)
    bias_grad = layer.grads["b"] if kind == "gru" else layer.grads["b"][None]
    np.testing.assert_allclose(_reorder(bias_grad[:1], 5, order)[:, 0], module.bias_ih_l0.grad.numpy(), atol=1e-10)
    if kind == "gru":  # its recurrent bias is a parameter of its own
        np.testing.assert_allclose(_reorder(bias_grad[1:], 5, order)[:, 0], module.bias_hh_l0.grad.numpy(), atol=1e-10)
