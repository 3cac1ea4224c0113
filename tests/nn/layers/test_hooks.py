"""Forward hooks (Layer.register_forward_hook) and the walk over a model's layers (nn/layers/walk.py)."""

import numpy as np
import pytest

import numpynn as nn
from numpynn.nn.layers import walk


def small_model():
    model = nn.Sequential(
        [
            nn.Conv2D(3, 3, activation="relu", input_shape=(6, 6, 1)),
            nn.Residual([nn.Conv2D(3, 3, padding="same"), nn.BatchNormalization()]),
            nn.Flatten(),
            nn.Dense(2, activation="softmax"),
        ],
        seed=0,
    )
    model.compile("adam", "sparse_categorical_crossentropy")
    return model


def test_a_hook_sees_each_call_with_its_input_and_output_until_removed():
    layer = nn.Dense(4, input_dim=3)
    seen = []
    handle = layer.register_forward_hook(lambda owner, inputs, output: seen.append((owner, inputs, output)))
    x = np.ones((2, 3), dtype=np.float32)
    output = layer(x)
    assert len(seen) == 1 and seen[0][0] is layer
    np.testing.assert_array_equal(seen[0][1], x)
    assert seen[0][2] is output
    handle.remove()
    layer(x)
    assert len(seen) == 1
    handle.remove()  # twice is harmless


def test_hooks_run_in_registration_order_and_a_with_block_removes_its_own():
    layer, order = nn.Dense(2, input_dim=2), []
    first = layer.register_forward_hook(lambda *args: order.append("first"))
    with layer.register_forward_hook(lambda *args: order.append("second")):
        layer(np.ones((1, 2), dtype=np.float32))
    layer(np.ones((1, 2), dtype=np.float32))
    assert order == ["first", "second", "first"]
    first.remove()
    assert not layer._forward_hooks


def test_hooks_on_a_blocks_layers_fire_when_the_model_predicts_and_change_nothing():
    model, x = small_model(), np.random.default_rng(0).random((5, 6, 6, 1), dtype=np.float32)
    expected = model.predict(x, verbose=0)
    inner = model.layers[1].layers[0]
    shapes = []
    with inner.register_forward_hook(lambda layer, inputs, output: shapes.append(output.shape)):
        np.testing.assert_array_equal(model.predict(x, verbose=0), expected)
    assert shapes == [(5, 4, 4, 3)]


def test_layer_outputs_names_every_leaf_and_block_and_leaves_no_hook_behind():
    model, x = small_model(), np.random.default_rng(1).random((4, 6, 6, 1), dtype=np.float32)
    outputs = walk.layer_outputs(model.layers, x)
    assert list(outputs) == [
        "conv2d",
        "residual/conv2d",
        "residual/batch_normalization",
        "residual",
        "flatten",
        "dense",
    ]
    np.testing.assert_allclose(outputs["dense"], model.predict(x, verbose=0), rtol=1e-6)
    assert all(not layer._forward_hooks for _, layer in walk.named_leaves(model.layers))
    assert not model.layers[1]._forward_hooks


def test_layer_outputs_removes_its_hooks_when_a_layer_fails():
    model = small_model()
    with pytest.raises(nn.errors.InputError):
        walk.layer_outputs(model.layers, np.ones((2, 5, 5, 1), dtype=np.float32))  # the wrong image size
    assert all(not layer._forward_hooks for _, layer in walk.named_leaves(model.layers))
