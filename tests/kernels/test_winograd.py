"""Winograd F(4x4, 3x3) convolution: the same numbers as im2col (float64), gradient checks, PyTorch
cross-checks, the measured float32 round-off, and which layers 'auto' gives it to."""

import numpy as np
import pytest

import numpynn as nn
from numpynn.kernels import winograd

SHAPES = [  # (H, W, C, F, padding): both paddings and an int, odd and even sizes, one channel and many
    (6, 6, 1, 2, "valid"),
    (7, 5, 3, 4, "same"),
    (9, 11, 16, 3, "same"),
    (8, 8, 2, 5, 1),
    (3, 3, 4, 1, "valid"),
    (5, 4, 1, 1, 2),
]


def twin_layers(shape, rng):
    height, width, channels, filters, padding = shape
    layers = [
        nn.Conv2D(filters, 3, padding=padding, activation="tanh", algorithm=algorithm, seed=0)
        for algorithm in ("winograd", "im2col")
    ]
    for layer in layers:
        layer.build((height, width, channels), dtype="float64")
        layer.params["b"][...] = np.linspace(-0.5, 0.5, filters)
    return layers


@pytest.mark.parametrize("shape", SHAPES)
def test_winograd_equals_im2col_forward_and_backward(shape, rng):
    fast, direct = twin_layers(shape, rng)
    assert fast.uses_winograd and not direct.uses_winograd
    x = rng.normal(size=(2,) + shape[:3])
    np.testing.assert_allclose(fast(x), direct(x), atol=1e-10)
    grad = rng.normal(size=(2,) + fast.output_shape)
    np.testing.assert_allclose(fast.backward(grad), direct.backward(grad), atol=1e-10)
    for key in ("W", "b"):
        np.testing.assert_allclose(fast.grads[key], direct.grads[key], atol=1e-10)


@pytest.mark.parametrize("shape", SHAPES[:4])
def test_winograd_passes_the_gradient_check(shape, rng):
    height, width, channels, filters, padding = shape
    layer = nn.Conv2D(filters, 3, padding=padding, activation="relu", algorithm="winograd")
    assert nn.gradcheck(layer, rng.normal(size=(2, height, width, channels))).ok


def test_the_transforms_are_each_others_adjoints(rng):
    """<T x, y> = <x, T* y>: what makes the backward pass the exact gradient of the forward one."""
    x = rng.normal(size=(2, 9, 7, 3))
    pads, out_size = (1, 1, 1, 1), (9, 7)
    tiles = winograd.transform_input(x, pads, out_size, block=4)
    other = rng.normal(size=tiles.shape)
    np.testing.assert_allclose(
        np.sum(tiles * other), np.sum(x * winograd.input_grad(other, x.shape, pads, out_size, block=4))
    )
    products = rng.normal(size=(36, tiles.shape[1], 5))
    y = rng.normal(size=(2, 9, 7, 5))
    np.testing.assert_allclose(
        np.sum(winograd.transform_output(products, 2, out_size, block=4) * y),
        np.sum(products * winograd.output_grad_transform(y, block=4)),
    )


def test_float32_round_off_stays_small(rng):
    """Measured on the reference network's second convolution (26x26x32 -> 24x24x64, He weights, pixels
    in [0, 1]): the largest error against float64, relative to the largest output, is 6.6e-07 for im2col
    and 2.7e-06 for Winograd; the bound leaves room for other BLAS kernels."""
    x = rng.random((16, 26, 26, 32), dtype=np.float32)
    layer = nn.Conv2D(64, 3, kernel_initializer="he_uniform", seed=0)
    out = layer(x)
    assert layer.uses_winograd
    exact = nn.Conv2D(64, 3, kernel_initializer="he_uniform", algorithm="im2col", seed=0, dtype="float64")(
        x.astype(np.float64)
    )
    error = np.abs(out - exact).max() / np.abs(exact).max()
    assert error < 2e-5, error


def test_auto_chooses_winograd_where_it_measured_faster():
    def chosen(shape, **options):
        layer = nn.Conv2D(8, options.pop("kernel", 3), **options)
        layer.build(shape)
        return layer.uses_winograd

    assert chosen((26, 26, 32))  # the reference CNN's second convolution
    assert not chosen((14, 14, 32), padding="same")  # 14 is no multiple of 4: a third of the tiles is padding
    assert not chosen((28, 28, 1), padding="same")  # one channel: the transforms cost more than they save
    assert not chosen((4, 4, 32), padding="same")  # one tile per image: measured 1.5x slower
    assert not chosen((26, 26, 32), strides=2)
    assert not chosen((26, 26, 32), kernel=5)
    layer = nn.Conv2D(4, 5, algorithm="winograd")
    with pytest.raises(ValueError, match="needs a 3x3 kernel and stride 1"):
        layer(np.ones((1, 8, 8, 2)))


def test_a_model_trains_the_same_with_either_algorithm(rng):
    x = rng.random((64, 10, 10, 16), dtype=np.float32)
    y = (x[:, :5].mean(axis=(1, 2, 3)) > x[:, 5:].mean(axis=(1, 2, 3))).astype(int)
    losses = {}
    for algorithm in ("winograd", "im2col"):
        model = nn.Sequential(
            [
                nn.Conv2D(8, 3, padding=1, activation="relu", algorithm=algorithm),
                nn.GlobalAveragePooling2D(),
                nn.Dense(1, activation="sigmoid"),
            ],
            seed=0,
        )
        model.compile(nn.optimizers.Adam(1e-2), "binary_crossentropy")
        losses[algorithm] = model.fit(x, y, epochs=5, batch_size=16, verbose=0).history["loss"]
    np.testing.assert_allclose(losses["winograd"], losses["im2col"], rtol=1e-3)


def test_winograd_equals_pytorchs_convolution(rng):
    torch = pytest.importorskip("torch", reason="optional cross-check: PyTorch is not installed")
    layer = nn.Conv2D(5, 3, padding="same", algorithm="winograd", seed=0)
    layer.build((9, 10, 4), dtype="float64")
    x = rng.normal(size=(2, 9, 10, 4))
    ours = layer(x)
    x_torch = torch.from_numpy(x.transpose(0, 3, 1, 2).copy()).requires_grad_(True)
    weight = torch.from_numpy(layer.params["W"].transpose(3, 2, 0, 1).copy()).requires_grad_(True)
    theirs = torch.nn.functional.conv2d(x_torch, weight, torch.from_numpy(layer.params["b"]), padding=1)
    np.testing.assert_allclose(ours, theirs.detach().numpy().transpose(0, 2, 3, 1), atol=1e-10)
    grad = rng.normal(size=ours.shape)
    grad_x = layer.backward(grad)
    (theirs * torch.from_numpy(grad.transpose(0, 3, 1, 2).copy())).sum().backward()
    np.testing.assert_allclose(grad_x, x_torch.grad.numpy().transpose(0, 2, 3, 1), atol=1e-10)
    np.testing.assert_allclose(layer.grads["W"], weight.grad.numpy().transpose(2, 3, 1, 0), atol=1e-10)
