"""Embedding, LayerNormalization and the 1-D global poolings: gradients, errors, and a token model."""

import numpy as np
import pytest

import numpynn as nn


@pytest.mark.parametrize(
    "make,shape",
    [
        (nn.LayerNormalization, (3, 4, 5)),
        (nn.LayerNormalization, (1, 2)),
        (nn.GlobalAveragePooling1D, (2, 5, 3)),
        (nn.GlobalMaxPooling1D, (2, 5, 3)),
        (nn.GlobalMaxPooling1D, (1, 1, 2)),
    ],
)
def test_gradients(make, shape, rng):
    layer = make()
    if isinstance(layer, nn.LayerNormalization):
        layer.build(shape[1:], dtype="float64")
        layer.params["gamma"][...] = rng.normal(size=shape[-1])
        layer.params["beta"][...] = rng.normal(size=shape[-1])
    assert nn.gradcheck(layer, rng.normal(size=shape)).ok


def test_embedding_gradient_adds_up_repeated_tokens(rng):
    ids = np.array([[1, 1, 3], [0, 1, 6]])
    assert nn.gradcheck(nn.Embedding(7, 3), ids).ok
    layer = nn.Embedding(7, 2, seed=0)
    out = layer(ids)
    assert out.shape == (2, 3, 2) and np.array_equal(out[0, 0], layer.params["E"][1])
    assert layer.backward(np.ones_like(out)) is None
    assert layer.grads["E"][1].tolist() == [3, 3] and layer.grads["E"][2].tolist() == [0, 0]


def test_embedding_errors_name_the_problem():
    with pytest.raises(ValueError, match="takes integer token ids, got float64"):
        nn.Embedding(5, 2)(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"token ids must lie in \[0, 4\], got 0 to 5"):
        nn.Embedding(5, 2)(np.array([[0, 5]]))


def test_layer_normalization_normalises_each_sample(rng):
    x = rng.normal(3, 5, size=(4, 6)).astype(np.float32)
    out = nn.LayerNormalization(epsilon=1e-6)(x)
    np.testing.assert_allclose(out.mean(axis=-1), 0, atol=1e-5)
    np.testing.assert_allclose(out.std(axis=-1), 1, atol=1e-3)


def test_a_token_model_learns_saves_and_loads(tmp_path, rng):
    ids = rng.integers(0, 20, (300, 6))
    labels = (ids.max(axis=1) >= 18).astype(int)  # does a "large" token occur anywhere?
    model = nn.Sequential(
        [
            nn.Embedding(20, 8, input_shape=(6,)),
            nn.LSTM(8, return_sequences=True),
            nn.LayerNormalization(),
            nn.GlobalMaxPooling1D(),
            nn.Dense(2),
        ],
        seed=0,
    )
    model.compile(
        nn.optimizers.Adam(0.02), nn.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"]
    )
    model.fit(ids, labels, epochs=30, batch_size=32, verbose=0)
    assert model.evaluate(ids, labels)["accuracy"] > 0.9
    model.save(tmp_path / "tokens.npz")
    np.testing.assert_array_equal(nn.load_model(tmp_path / "tokens.npz").predict(ids), model.predict(ids))
