"""Residual, Bidirectional and Conv1D: gradients, PyTorch cross-checks, saving, summaries and model specs."""

import io

import numpy as np
import pytest

import numpynn as nn
from numpynn.errors import InputError
from numpynn.models.specs import build_model, parse_layers

BLOCKS = {
    "identity-dense": (lambda: nn.Residual([nn.Dense(5, activation="tanh"), nn.Dense(5)]), (3, 5)),
    "dense-projection": (lambda: nn.Residual([nn.Dense(3, activation="tanh")], activation="relu"), (2, 5)),
    "given-projection": (lambda: nn.Residual([nn.Dense(4)], projection=nn.Dense(4, activation="tanh")), (1, 4)),
    "conv-stride-projection": (
        lambda: nn.Residual(
            [
                nn.Conv2D(4, 3, padding="same", activation="relu"),
                nn.BatchNormalization(),
                nn.Conv2D(6, 3, strides=2, padding="same"),
            ],
            activation="relu",
        ),
        (2, 5, 5, 2),
    ),
    "nested": (lambda: nn.Residual([nn.Residual([nn.Dense(4, activation="tanh")]), nn.LayerNormalization()]), (3, 4)),
    "bidirectional-lstm": (lambda: nn.Bidirectional(nn.LSTM(3)), (2, 4, 2)),
    "bidirectional-gru-steps-sum": (lambda: nn.Bidirectional(nn.GRU(3, return_sequences=True), "sum"), (2, 3, 2)),
    "bidirectional-rnn-one-step-mul": (lambda: nn.Bidirectional(nn.SimpleRNN(2), "mul"), (1, 1, 3)),
    "bidirectional-lstm-steps-ave": (lambda: nn.Bidirectional(nn.LSTM(2, return_sequences=True), "ave"), (3, 5, 1)),
    "conv1d-same": (lambda: nn.Conv1D(3, 3, padding="same", activation="tanh"), (2, 6, 2)),
    "conv1d-causal-stride": (lambda: nn.Conv1D(2, 3, strides=2, padding="causal"), (2, 7, 3)),
    "conv1d-valid-one-channel": (lambda: nn.Conv1D(4, 2), (1, 5, 1)),
    "conv1d-int-padding": (lambda: nn.Conv1D(2, 5, padding=1, activation="relu"), (2, 4, 2)),
}


@pytest.mark.parametrize("name", list(BLOCKS))
def test_blocks_pass_the_gradient_check(name, rng):
    make, shape = BLOCKS[name]
    result = nn.gradcheck(make(), rng.normal(size=shape))
    assert result.ok, str(result)
    assert any("/" in key or name.startswith("conv1d") for key in result.errors)  # the inner layers were checked


def test_a_residual_adds_its_input_and_projects_when_the_shape_changes(rng):
    x = rng.normal(size=(4, 6)).astype(np.float32)
    inner = nn.Dense(6, seed=1)
    block = nn.Residual([inner])
    np.testing.assert_allclose(block(x), nn.Dense(6, seed=1)(x) + x, rtol=1e-6)
    assert block.projection is None and sorted(block.params) == ["dense/W", "dense/b"]
    wider = nn.Residual([nn.Dense(8)])
    assert wider(x).shape == (4, 8) and isinstance(wider.projection, nn.Dense)
    images = nn.Residual([nn.Conv2D(5, 3, strides=2, padding="same")])
    assert images(rng.normal(size=(2, 7, 7, 3))).shape == (2, 4, 4, 5)
    assert images.projection.strides == (2, 2) and images.projection.kernel_size == (1, 1)
    with pytest.raises(InputError, match="no projection fits"):
        nn.Residual([nn.Flatten()])(rng.normal(size=(2, 3, 4)))
    with pytest.raises(InputError, match="must match"):
        nn.Residual([nn.Dense(3)], projection=nn.Dense(4))(x)
    with pytest.raises(TypeError, match="takes a list of layers"):
        nn.Residual(nn.Dense(3))


def test_block_parameters_live_in_the_models_packed_vector_and_train(rng):
    model = nn.Sequential(
        [
            nn.Bidirectional(nn.GRU(4, return_sequences=True)),
            nn.Conv1D(6, 3, padding="causal"),
            nn.Flatten(),
            nn.Residual([nn.Dense(8, activation="relu"), nn.Dense(8)]),
            nn.Dense(3, activation="softmax"),
        ],
        seed=0,
    )
    model.build((5, 3))
    assert model.count_params() == model.parameters.size
    inner = model.layers[0].params["forward_gru/W"]
    assert np.shares_memory(inner, model.parameters) and inner is model.layers[0].forward_layer.params["W"]
    x = rng.normal(size=(64, 5, 3)).astype(np.float32)
    y = (x[:, :, 0].sum(axis=1) > 0).astype(int) + (x[:, -1, 1] > 1)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    before = model.evaluate(x, y, verbose=0)["loss"]
    model.fit(x, y, epochs=30, batch_size=16, verbose=0)
    assert model.evaluate(x, y, verbose=0)["loss"] < 0.5 * before


def test_models_with_blocks_save_and_load_identically(rng, tmp_path):
    model = build_model("conv:4,bn,res(conv:4,bn,conv:8,bn),pool,gap", (6, 6, 1), 3, seed=0)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x = rng.normal(size=(8, 6, 6, 1)).astype(np.float32)
    model.fit(x, rng.integers(0, 3, 8), epochs=2, verbose=0)  # moves the batch statistics inside the block
    sequences = build_model("conv1d:4x2,bi(lstm:3),gru:2", (5, 2), 2, seed=1)
    for net, data in ((model, x), (sequences, rng.normal(size=(3, 5, 2)).astype(np.float32))):
        net.save(tmp_path / "model.npz")
        loaded = nn.load_model(tmp_path / "model.npz")
        np.testing.assert_array_equal(loaded.predict(data, verbose=0), net.predict(data, verbose=0))
        assert loaded.get_config() == net.get_config()


def test_summary_nests_a_blocks_layers_under_it():
    text = io.StringIO()
    build_model("conv:4,res(conv:4,bn,conv:8),gap", (6, 6, 1), 3, seed=0).summary(print_fn=text.write)
    lines = text.getvalue().splitlines()
    block = next(i for i, line in enumerate(lines) if line.startswith("residual (Residual)"))
    assert [line.split()[1] for line in lines[block + 1 : block + 5]] == [
        "conv2d",
        "batch_normalization",
        "conv2d_1",
        "projection",
    ]
    assert int(lines[block].split()[-1].replace(",", "")) == 148 + 8 + 296 + 40  # the block counts its layers


def test_model_specs_build_blocks_and_explain_mistakes():
    kinds = [type(layer).__name__ for layer in parse_layers("resnet")]
    assert kinds.count("Residual") == 2 and "BatchNormalization" in kinds
    stacked = parse_layers("bi(lstm:8),gru:4")
    assert stacked[0].forward_layer.return_sequences and not stacked[1].return_sequences
    assert type(parse_layers("conv1d:8x5")[0]).__name__ == "Conv1D"
    for spec, message in (
        ("res()", "no layers inside"),
        ("bi(dense:3)", "wraps one recurrent layer"),
        ("res(conv:3", "unclosed"),
        ("conv:3)", "unbalanced"),
        ("res(dense:x)", "bad number"),
    ):
        with pytest.raises(InputError, match=message):
            parse_layers(spec)


def test_bidirectional_and_conv1d_refuse_what_they_cannot_take():
    with pytest.raises(TypeError, match="wraps a recurrent layer"):
        nn.Bidirectional(nn.Dense(3))
    with pytest.raises(InputError, match="merge_mode"):
        nn.Bidirectional(nn.LSTM(3), merge_mode="max")
    with pytest.raises(InputError, match=r"sequences \(batch, time, channels\)"):
        nn.Conv1D(2, 3)(np.ones((2, 5, 5, 1)))
    with pytest.raises(InputError, match="longer than the padded sequence"):
        nn.Conv1D(2, 5)(np.ones((2, 3, 1)))


def _torch():
    return pytest.importorskip("torch", reason="optional cross-check: PyTorch is not installed")


@pytest.mark.parametrize("padding,stride", [("valid", 1), ("same", 1), ("causal", 2), (2, 3)])
def test_conv1d_equals_pytorchs_forward_and_gradients(padding, stride, rng):
    torch = _torch()
    layer = nn.Conv1D(4, 3, strides=stride, padding=padding, seed=0)
    x = rng.normal(size=(2, 9, 3))
    layer.build((9, 3), dtype="float64")
    ours = layer(x)
    x_torch = torch.from_numpy(x).requires_grad_(True)
    weight = torch.from_numpy(layer.params["W"].transpose(2, 1, 0).copy()).requires_grad_(True)  # (F, C, k)
    channels_first = x_torch.transpose(1, 2)
    if padding == "causal":
        channels_first, torch_padding = torch.nn.functional.pad(channels_first, (2, 0)), 0
    else:
        torch_padding = {"valid": 0, "same": "same"}.get(padding, padding)
    theirs = torch.nn.functional.conv1d(
        channels_first, weight, torch.from_numpy(layer.params["b"]), stride=stride, padding=torch_padding
    ).transpose(1, 2)
    np.testing.assert_allclose(ours, theirs.detach().numpy(), atol=1e-10)
    weights = rng.normal(size=ours.shape)
    grad_x = layer.backward(weights)
    (theirs * torch.from_numpy(weights)).sum().backward()
    np.testing.assert_allclose(grad_x, x_torch.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(layer.grads["W"], weight.grad.numpy().transpose(2, 1, 0), atol=1e-10)


def test_bidirectional_lstm_equals_pytorchs(rng):
    torch = _torch()
    block = nn.Bidirectional(nn.LSTM(4, return_sequences=True), seed=0)
    block.build((5, 2), dtype="float64")
    module = torch.nn.LSTM(2, 4, batch_first=True, bidirectional=True).double()
    with torch.no_grad():
        for suffix, layer in (("", block.forward_layer), ("_reverse", block.backward_layer)):
            getattr(module, f"weight_ih_l0{suffix}").copy_(torch.from_numpy(layer.params["W"].T.copy()))
            getattr(module, f"weight_hh_l0{suffix}").copy_(torch.from_numpy(layer.params["U"].T.copy()))
            getattr(module, f"bias_ih_l0{suffix}").copy_(torch.from_numpy(layer.params["b"]))
            getattr(module, f"bias_hh_l0{suffix}").zero_()
    x = rng.normal(size=(3, 5, 2))
    ours = block(x)
    x_torch = torch.from_numpy(x).requires_grad_(True)
    theirs = module(x_torch)[0]
    np.testing.assert_allclose(ours, theirs.detach().numpy(), atol=1e-10)
    weights = rng.normal(size=ours.shape)
    grad_x = block.backward(weights)
    (theirs * torch.from_numpy(weights)).sum().backward()
    np.testing.assert_allclose(grad_x, x_torch.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(block.grads["backward_lstm/U"], module.weight_hh_l0_reverse.grad.numpy().T, atol=1e-10)
