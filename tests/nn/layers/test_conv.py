import importlib.util

import numpy as np
import pytest

import numpynn as nn


def naive_conv(x, w, b, stride, pads):
    """Direct loops, the textbook definition (test reference only)."""
    top, bottom, left, right = pads
    x = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    kh, kw, _, filters = w.shape
    out_h = (x.shape[1] - kh) // stride[0] + 1
    out_w = (x.shape[2] - kw) // stride[1] + 1
    out = np.zeros((x.shape[0], out_h, out_w, filters))
    for n in range(x.shape[0]):
        for y in range(out_h):
            for z in range(out_w):
                patch = x[n, y * stride[0] : y * stride[0] + kh, z * stride[1] : z * stride[1] + kw, :]
                out[n, y, z] = np.tensordot(patch, w, axes=3) + b
    return out


CONV_CASES = [
    dict(kernel_size=3),
    dict(kernel_size=3, padding="same"),
    dict(kernel_size=3, strides=2),
    dict(kernel_size=3, strides=2, padding="same"),
    dict(kernel_size=(2, 3), strides=(1, 2), padding=1),
    dict(kernel_size=1),
    dict(kernel_size=5, padding="same"),
]


@pytest.mark.parametrize("kwargs", CONV_CASES)
def test_conv2d_matches_direct_loops_and_keras_shapes(kwargs, rng):
    x = rng.normal(size=(2, 7, 8, 3))
    layer = nn.Conv2D(4, dtype="float64", **kwargs)
    out = layer(x)
    pads = nn.layers.conv.conv_padding
    kh, kw = layer.kernel_size
    sh, sw = layer.strides
    top, bottom, out_h = pads(layer.padding, 7, kh, sh)
    left, right, out_w = pads(layer.padding, 8, kw, sw)
    expected = naive_conv(x, layer.params["W"], layer.params["b"], (sh, sw), (top, bottom, left, right))
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-12)
    if layer.padding == "same":
        assert out.shape[1:3] == (-(-7 // sh), -(-8 // sw))


@pytest.mark.parametrize("kwargs", CONV_CASES)
def test_conv2d_gradients(kwargs, rng):
    result = nn.gradcheck(nn.Conv2D(3, activation="tanh", **kwargs), rng.normal(size=(2, 7, 6, 2)))
    assert result.ok, str(result)


def test_conv2d_gradients_with_wide_columns(rng):
    """9 x 8 = 72 im2col columns: the bias is added and summed on its own, not as a column of ones."""
    layer = nn.Conv2D(3, 3, padding="same", activation="tanh")
    layer.build((5, 6, 8))
    assert not layer._bias_in_columns
    result = nn.gradcheck(layer, rng.normal(size=(2, 5, 6, 8)))
    assert result.ok, str(result)


@pytest.mark.parametrize("channels", [1, 8])
def test_bias_as_a_column_of_ones_changes_nothing(monkeypatch, channels, rng):
    x, grad = rng.normal(size=(3, 6, 5, channels)), rng.normal(size=(3, 6, 5, 4))
    results = []
    for narrow in (1, 10**6):  # never, then always a column of ones
        monkeypatch.setattr(nn.layers.conv, "NARROW_COLUMNS", narrow)
        layer = nn.Conv2D(4, 3, padding="same", algorithm="im2col", dtype="float64", seed=0)
        out = layer(x, training=True)
        results.append((out, layer.backward(grad), layer.grads["W"].copy(), layer.grads["b"].copy()))
    for without, with_ones in zip(*results):
        np.testing.assert_allclose(with_ones, without, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "layer,shape",
    [
        (lambda: nn.MaxPooling2D(2), (2, 6, 4, 3)),
        (lambda: nn.MaxPooling2D(3, strides=2), (2, 7, 6, 3)),
        (lambda: nn.MaxPooling2D(2), (2, 5, 5, 2)),  # odd size: the last row/column is dropped
        (lambda: nn.AveragePooling2D(2), (2, 6, 4, 3)),
        (lambda: nn.AveragePooling2D((3, 2), strides=(2, 1)), (2, 7, 5, 2)),
        (lambda: nn.GlobalAveragePooling2D(), (2, 5, 4, 3)),
    ],
)
def test_pooling_gradients(layer, shape, rng):
    # Distinct values keep every max unique, so finite differences never cross a tie.
    x = rng.permutation(np.prod(shape)).reshape(shape) / np.prod(shape)
    result = nn.gradcheck(layer(), x, eps=1e-7)
    assert result.ok, str(result)


def test_pooling_values():
    x = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
    np.testing.assert_array_equal(nn.MaxPooling2D(2)(x)[0, :, :, 0], [[5, 7], [13, 15]])
    np.testing.assert_array_equal(nn.AveragePooling2D(2)(x)[0, :, :, 0], [[2.5, 4.5], [10.5, 12.5]])
    np.testing.assert_array_equal(nn.MaxPooling2D(3, strides=1)(x)[0, :, :, 0], [[10, 11], [14, 15]])
    np.testing.assert_array_equal(nn.GlobalAveragePooling2D()(x), [[7.5]])
    tie = np.ones((1, 2, 2, 1), dtype=np.float32)
    pool = nn.MaxPooling2D(2)
    pool(tie)
    assert pool.backward(np.ones((1, 1, 1, 1), dtype=np.float32)).sum() == 1  # a tie sends the gradient once


@pytest.mark.parametrize("shape", [(8, 5), (4, 3, 3, 2)])
@pytest.mark.parametrize("training", [True, False])
def test_batchnorm_gradients(shape, training, rng):
    layer = nn.BatchNormalization()
    layer.build(shape[1:], dtype="float64")
    layer.params["gamma"][:] = rng.uniform(0.5, 2, shape[-1])
    layer.params["beta"][:] = rng.normal(size=shape[-1])
    layer.state["running_mean"][:] = rng.normal(size=shape[-1])
    assert nn.gradcheck(layer, rng.normal(size=shape), training=training).ok


def test_batchnorm_train_and_inference_behaviour(rng):
    layer = nn.BatchNormalization(momentum=0.9)
    x = rng.normal(3.0, 2.0, size=(500, 4)).astype(np.float32)
    out = layer(x, training=True)
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(out.std(axis=0), 1, atol=1e-3)
    np.testing.assert_allclose(layer.state["running_mean"], 0.1 * x.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(layer.state["running_var"], 0.9 + 0.1 * x.var(axis=0), rtol=1e-5)
    for _ in range(200):
        layer(x, training=True)
    np.testing.assert_allclose(layer.state["running_mean"], x.mean(axis=0), rtol=1e-3)
    inference = layer(x[:3], training=False)  # uses running statistics, not the 3 samples'
    expected = (x[:3] - layer.state["running_mean"]) / np.sqrt(layer.state["running_var"] + 1e-3)
    np.testing.assert_allclose(inference, expected, rtol=1e-4, atol=1e-5)
    assert set(layer.params) == {"gamma", "beta"} and set(layer.state) == {"running_mean", "running_var"}


def test_dropout_statistics_and_inference_identity(rng):
    layer = nn.Dropout(0.3, seed=0)
    x = np.ones((200, 500), dtype=np.float32)
    out = layer(x, training=True)
    kept = out != 0
    assert abs(kept.mean() - 0.7) < 0.01
    np.testing.assert_allclose(out[kept], 1 / 0.7, rtol=1e-6)
    assert abs(out.mean() - 1) < 0.01  # inverted dropout keeps the expectation
    grad = layer.backward(np.ones_like(x))
    np.testing.assert_array_equal(grad, out)  # same mask on the way back
    np.testing.assert_array_equal(layer(x, training=False), x)
    assert nn.gradcheck(nn.Dropout(0.5, seed=3), rng.normal(size=(4, 6))).ok


def test_dropout_is_seeded():
    x = np.ones((4, 50), dtype=np.float32)
    a = nn.Dropout(0.5, seed=7)(x, training=True)
    np.testing.assert_array_equal(a, nn.Dropout(0.5, seed=7)(x, training=True))


def test_cnn_with_batchnorm_save_load_round_trip(tmp_path, rng):
    model = nn.Sequential(
        [
            nn.Conv2D(4, 3, padding="same", activation="relu", input_shape=(8, 8, 1)),
            nn.BatchNormalization(),
            nn.MaxPooling2D(2),
            nn.Conv2D(6, 3, strides=2, padding="same", activation="relu"),
            nn.Dropout(0.25),
            nn.GlobalAveragePooling2D(),
            nn.Dense(3, activation="softmax"),
        ],
        seed=0,
    )
    model.compile("adam", "sparse_categorical_crossentropy", ["accuracy"])
    x = rng.random((40, 8, 8, 1)).astype(np.float32)
    y = np.arange(40) % 3
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert np.any(model.layers[1].state["running_mean"] != 0)
    model.save(tmp_path / "cnn.npz")
    loaded = nn.load_model(tmp_path / "cnn.npz")
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    np.testing.assert_array_equal(loaded.layers[1].state["running_var"], model.layers[1].state["running_var"])
    assert [type(layer).__name__ for layer in loaded.layers] == [type(layer).__name__ for layer in model.layers]
    assert nn.gradcheck(model, x[:4], y[:4]).ok


def test_cnn_learns_a_simple_image_task(rng):
    x = rng.random((300, 8, 8, 1)).astype(np.float32) * 0.2
    y = np.arange(300) % 2
    x[y == 1, 2:6, 3:5, 0] += 0.8  # a bright bar marks class 1
    model = nn.Sequential(
        [nn.Conv2D(4, 3, activation="relu", input_shape=(8, 8, 1)), nn.MaxPooling2D(2), nn.Flatten(), nn.Dense(2)],
        seed=0,
    )
    model.compile(nn.optimizers.Adam(0.01), nn.losses.SparseCategoricalCrossentropy(from_logits=True), ["accuracy"])
    model.fit(x, y, epochs=10, batch_size=32, verbose=0)
    assert model.evaluate(x, y)["accuracy"] > 0.95


def test_conv_bad_input():
    expected = r"expects images of shape \(batch, height, width, channels\).*x\[\.\.\., None\]"
    with pytest.raises(ValueError, match=expected):
        nn.Conv2D(4, 3)(np.ones((5, 10)))
    with pytest.raises(ValueError, match="kernel 5x5 is larger than the padded input 4x4"):
        nn.Conv2D(4, 5)(np.ones((1, 4, 4, 1)))
    nn.Conv2D(4, 5, padding="same")(np.ones((1, 4, 4, 1)))  # padding makes room
    for rate in (-0.1, 1.0, 1.5):
        with pytest.raises(ValueError, match=r"Dropout rate must be in \[0, 1\)"):
            nn.Dropout(rate)
    with pytest.raises(ValueError, match="padding must be"):
        nn.Conv2D(4, 3, padding="full")
    with pytest.raises(ValueError, match="pool 3x3 is larger than the input 2x2"):
        nn.MaxPooling2D(3)(np.ones((1, 2, 2, 1)))


requires_torch = pytest.mark.skipif(
    importlib.util.find_spec("torch") is None, reason="optional cross-check: PyTorch is not installed"
)


@requires_torch
def test_conv_and_pool_match_torch(rng):
    import torch

    x = rng.normal(size=(2, 9, 9, 3))
    layer = nn.Conv2D(5, 3, strides=2, padding=1, dtype="float64")
    out = layer(x)
    weight = torch.tensor(layer.params["W"]).permute(3, 2, 0, 1)  # (F, C, kh, kw)
    expected = (
        torch.nn.functional.conv2d(
            torch.tensor(x).permute(0, 3, 1, 2), weight, torch.tensor(layer.params["b"]), stride=2, padding=1
        )
        .permute(0, 2, 3, 1)
        .numpy()
    )
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-12)
    pooled = nn.MaxPooling2D(3, strides=2)(x)
    expected = torch.nn.functional.max_pool2d(torch.tensor(x).permute(0, 3, 1, 2), 3, 2).permute(0, 2, 3, 1).numpy()
    np.testing.assert_allclose(pooled, expected)
