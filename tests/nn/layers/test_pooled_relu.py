"""ReLU after max pooling (numpynn/nn/layers/pooled_relu.py): which layers a model pairs, and that the pair gives
bit for bit what the two layers give one after the other, through training, saliency and inspection."""

import numpy as np
import pytest

import numpynn as nn
from numpynn.models import inspection
from numpynn.nn.layers.pooled_relu import ReLUAfterPooling, plan


def layer_by_layer(model):
    """The same model run without pairing: every hidden layer its own step."""
    model.pair_relu_and_pooling = False
    model.build(model.input_shape)
    assert not any(isinstance(step, ReLUAfterPooling) for step in model._steps)
    return model


def conv_net(seed=0, pool=2, strides=None, padding="same", bias=0.0, separate_activation=False):
    if separate_activation:  # Keras's other way of writing it
        head = [nn.Conv2D(6, 3, padding=padding, input_shape=(9, 9, 2)), nn.Activation("relu")]
    else:
        head = [nn.Conv2D(6, 3, padding=padding, activation="relu", input_shape=(9, 9, 2))]
    model = nn.Sequential(
        head
        + [
            nn.MaxPooling2D(pool, strides=strides),
            nn.Conv2D(4, 2, activation="relu"),
            nn.MaxPooling2D(2),
            nn.Flatten(),
            nn.Dense(3, activation="softmax"),
        ],
        seed=seed,
    )
    model.compile(nn.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
    model.build((9, 9, 2))
    model.layers[0].params["b"][:] = bias  # a negative bias leaves whole windows below zero
    return model


def test_plan_pairs_relu_layers_with_the_max_pooling_after_them():
    model = conv_net()
    kinds = [type(step).__name__ for step in model._steps]
    assert kinds == ["ReLUAfterPooling", "ReLUAfterPooling", "Flatten"]
    assert [step.name for step in model._steps[:2]] == ["conv2d+max_pooling2d", "conv2d_1+max_pooling2d_1"]
    assert kinds == [type(step).__name__ for step in model._backward_steps[::-1]]
    linear = nn.Conv2D(3, 3, input_shape=(6, 6, 1))
    average = nn.Conv2D(3, 3, activation="relu", input_shape=(6, 6, 1))
    tanh = nn.Conv2D(3, 3, activation="tanh", input_shape=(6, 6, 1))
    for head, tail in ((linear, nn.MaxPooling2D(2)), (average, nn.AveragePooling2D(2)), (tanh, nn.MaxPooling2D(2))):
        steps = plan([head, tail])
        assert steps == [head, tail]  # no ReLU, or no max: nothing to pair
    relu_then_pool = plan([nn.Activation("relu"), nn.MaxPooling2D(2), nn.Flatten()])
    assert isinstance(relu_then_pool[0], ReLUAfterPooling) and len(relu_then_pool) == 2


def test_a_pooling_that_ends_the_model_is_not_paired():
    model = nn.Sequential([nn.Conv2D(2, 3, activation="relu", input_shape=(6, 6, 1)), nn.MaxPooling2D(2)])
    model.build((6, 6, 1))
    assert model._steps == [model.layers[0]]


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"bias": -0.6},
        {"padding": "valid"},
        {"pool": 3, "strides": 2},
        {"pool": 2, "strides": 1},
        {"separate_activation": True},
    ],
)
def test_training_with_pairs_is_bit_identical_to_layer_by_layer(options):
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(16, 9, 9, 2)).astype(np.float32), rng.integers(0, 3, 16)
    paired, plain = conv_net(**options), layer_by_layer(conv_net(**options))
    assert isinstance(paired._steps[-3], ReLUAfterPooling) and isinstance(paired._steps[-2], ReLUAfterPooling)
    for model in (paired, plain):
        model.fit(x, y, epochs=3, batch_size=8, verbose=0, shuffle=False)
    for a, b in zip(paired.get_weights(), plain.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(paired.predict(x, verbose=0), plain.predict(x, verbose=0))
    if options.get("bias"):  # the case the pairing must get right: windows whose maximum is not positive
        z = paired.layers[0].pre_activation(x)
        assert (z[:, :8, :8].reshape(16, 4, 2, 4, 2, 6).max(axis=(2, 4)) <= 0).mean() > 0.2


def test_saliency_and_inspection_see_the_layers_own_outputs():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(4, 9, 9, 2)).astype(np.float32)
    paired, plain = conv_net(bias=-0.2), layer_by_layer(conv_net(bias=-0.2))
    np.testing.assert_array_equal(inspection.saliency(paired, x), inspection.saliency(plain, x))
    outputs = inspection.layer_outputs(paired, x)
    assert outputs["conv2d"].min() == 0  # after its ReLU, as the layer on its own gives
    np.testing.assert_array_equal(outputs["conv2d"], paired.layers[0](x))
    np.testing.assert_array_equal(outputs["max_pooling2d"], plain.layers[1](plain.layers[0](x)))


def test_paired_model_gradients_pass_gradcheck():
    rng = np.random.default_rng(3)
    model = nn.Sequential(
        [
            nn.Conv2D(3, 3, activation="relu", input_shape=(6, 6, 1)),
            nn.MaxPooling2D(2),
            nn.Flatten(),
            nn.Dense(2, activation="softmax"),
        ],
        dtype="float64",
        seed=0,
    )
    model.compile("sgd", "sparse_categorical_crossentropy")
    model.build((6, 6, 1))
    assert isinstance(model._steps[0], ReLUAfterPooling)
    assert nn.gradcheck(model, rng.normal(size=(5, 6, 6, 1)), rng.integers(0, 2, 5)).ok


def test_with_pairs_off_each_layer_runs_its_own_forward():
    """For code that wraps a layer's forward to watch it in training (as PyTorch's hooks do)."""
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(8, 9, 9, 2)).astype(np.float32), rng.integers(0, 3, 8)
    for pairs in (True, False):
        model = conv_net()
        if not pairs:
            layer_by_layer(model)
        seen, forward = [], model.layers[0].forward
        model.layers[0].forward = lambda inputs, training=False: seen.append(training) or forward(inputs, training)
        model.fit(x, y, epochs=1, batch_size=8, verbose=0)
        assert seen == ([] if pairs else [True])


def test_a_hook_on_a_paired_layer_sees_its_own_output_and_training_stays_bit_identical():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(16, 9, 9, 2)).astype(np.float32), rng.integers(0, 3, 16)
    hooked, plain = conv_net(bias=-0.2), layer_by_layer(conv_net(bias=-0.2))
    assert isinstance(hooked._steps[0], ReLUAfterPooling)
    minima = []
    with hooked.layers[0].register_forward_hook(lambda layer, inputs, output: minima.append(output.min())):
        for model in (hooked, plain):
            model.fit(x, y, epochs=2, batch_size=8, verbose=0, shuffle=False)
    assert len(minima) == 4 and min(minima) >= 0  # every batch, the conv's own (ReLU'd, unpooled) output
    for a, b in zip(hooked.get_weights(), plain.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(hooked.predict(x, verbose=0), plain.predict(x, verbose=0))  # paired again
