import numpy as np
import pytest
from conftest import two_spirals

import numpynn as nn


def spiral_model(seed=0, dtype="float32"):
    model = nn.Sequential(
        [
            nn.Dense(64, activation="relu", input_dim=2, kernel_initializer="he_normal"),
            nn.Dense(64, activation="relu", kernel_initializer="he_normal"),
            nn.Dense(2),
        ],
        seed=seed,
        dtype=dtype,
    )
    model.compile(
        optimizer=nn.optimizers.Adam(0.01),
        loss=nn.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


def test_two_spirals_reach_95_percent():
    x, y = two_spirals(300, seed=0)
    x_test, y_test = two_spirals(200, seed=1)
    model = spiral_model()
    history = model.fit(x, y, epochs=150, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0] / 5
    assert model.evaluate(x_test, y_test)["accuracy"] >= 0.95


def test_binary_sigmoid_model_with_probabilities_learns_xor():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (400, 2)).astype(np.float32)
    y = ((x[:, 0] > 0) ^ (x[:, 1] > 0)).astype(int)
    model = nn.Sequential([nn.Dense(16, activation="tanh", input_dim=2), nn.Dense(1, activation="sigmoid")], seed=1)
    model.compile(nn.optimizers.Adam(0.03), "binary_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=100, batch_size=32, verbose=0)
    result = model.evaluate(x, y)
    assert result["accuracy"] >= 0.95
    probs = model.predict(x)
    assert probs.shape == (400, 1) and probs.min() >= 0 and probs.max() <= 1
    np.testing.assert_array_equal(model.predict_labels(x), (probs[:, 0] > 0.5).astype(int))


def test_training_is_deterministic_for_a_seed():
    x, y = two_spirals(100)
    runs = []
    for _ in range(2):
        model = spiral_model(seed=7)
        history = model.fit(x, y, epochs=3, batch_size=16, verbose=0, validation_split=0.25)
        runs.append((model.get_weights(), history.history["loss"]))
    for a, b in zip(runs[0][0], runs[1][0]):
        np.testing.assert_array_equal(a, b)
    assert runs[0][1] == runs[1][1]


def test_float32_end_to_end_and_float64_on_request():
    x, y = two_spirals(50)
    for dtype in ("float32", "float64"):
        model = spiral_model(dtype=dtype)
        seen = []
        original = model.layers[1].forward

        def spy(inputs, training=False):
            out = original(inputs, training)
            seen.append((inputs.dtype, out.dtype))
            return out

        model.layers[1].forward = spy
        model.fit(x.astype(np.float64), y, epochs=1, batch_size=20, verbose=0)
        assert all(a == np.dtype(dtype) and b == np.dtype(dtype) for a, b in seen)
        for layer in model.layers:
            assert all(p.dtype == np.dtype(dtype) for p in layer.params.values())
            assert all(g.dtype == np.dtype(dtype) for g in layer.grads.values())
        assert all(a.dtype == np.dtype(dtype) for slot in model.optimizer.slots.values() for a in slot.values())
        assert model.predict(x).dtype == np.dtype(dtype)


def test_model_gradients_pass_gradcheck():
    x, y = two_spirals(10)
    model = spiral_model()
    model.layers[0].params["b"][:] = 0.1
    assert nn.gradcheck(model, x, y).ok
    binary = nn.Sequential([nn.Dense(4, activation="tanh", input_dim=2), nn.Dense(1, activation="sigmoid")], seed=0)
    binary.compile("sgd", "binary_crossentropy")
    assert nn.gradcheck(binary, x, y).ok


def test_history_records_metrics_lr_and_seconds():
    x, y = two_spirals(60)
    model = spiral_model()
    model.optimizer = nn.optimizers.SGD(nn.schedules.ExponentialDecay(0.1, decay_steps=4, decay_rate=0.5))
    history = model.fit(x, y, epochs=3, batch_size=30, validation_data=(x, y), verbose=0)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr", "seconds"}
    assert history.history["lr"] == pytest.approx([0.1, 0.1 * 0.5**1, 0.1 * 0.5**2])
    assert all(s >= 0 for s in history.history["seconds"]) and history.epoch == [0, 1, 2]
    assert history.history["val_loss"][-1] == pytest.approx(model.evaluate(x, y)["loss"], rel=1e-5)


def test_validation_split_is_stratified():
    x = np.arange(200, dtype=np.float32).reshape(100, 2)
    y = np.r_[np.zeros(80, int), np.ones(20, int)]
    from numpynn.data.preprocessing import split_indices

    keep, held = split_indices(100, 0.25, y, np.random.default_rng(0))
    assert len(held) == 25 and np.sum(y[held] == 1) == 5 and len(np.intersect1d(keep, held)) == 0
    model = spiral_model()
    model.fit(x, y, epochs=1, validation_split=0.25, verbose=0)


def test_evaluate_and_predict_batching_agree():
    x, y = two_spirals(100)
    model = spiral_model()
    np.testing.assert_allclose(model.predict(x, batch_size=7), model.predict(x), rtol=1e-5, atol=1e-6)
    assert model.evaluate(x, y, batch_size=13)["loss"] == pytest.approx(model.evaluate(x, y)["loss"], rel=1e-5)


def test_summary_lists_layers_shapes_and_counts(capsys):
    model = spiral_model()
    model.summary()
    text = capsys.readouterr().out
    assert "dense (Dense)" in text and "dense_2 (Dense)" in text and "(None, 64)" in text
    assert f"Total params: {2 * 64 + 64 + 64 * 64 + 64 + 64 * 2 + 2:,}" in text


def test_save_load_round_trip_with_optimizer_state(tmp_path):
    x, y = two_spirals(80)
    model = spiral_model()
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    path = tmp_path / "model.npz"
    model.save(path)
    loaded = nn.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert loaded.optimizer.iterations == model.optimizer.iterations
    assert isinstance(loaded.loss, nn.losses.SparseCategoricalCrossentropy) and loaded.loss.from_logits
    # Training continues identically: same optimizer state, same data order.
    model._rng = np.random.default_rng(5)
    loaded._rng = np.random.default_rng(5)
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    loaded.fit(x, y, epochs=1, batch_size=16, verbose=0)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert not list(tmp_path.glob(".*tmp")), "temporary files left behind"


def test_load_rejects_corrupt_and_foreign_files(tmp_path):
    model = spiral_model()
    model.build((2,))
    path = tmp_path / "m.npz"
    model.save(path)
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ValueError, match="not a readable numpynn model"):
        nn.load_model(truncated)
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, a=np.zeros(3))
    with pytest.raises(ValueError, match="not a numpynn model"):
        nn.load_model(foreign)
    text = tmp_path / "text.npz"
    text.write_text("hello")
    with pytest.raises(ValueError, match="not a readable numpynn model"):
        nn.load_model(text)
    with pytest.raises(FileNotFoundError):
        nn.load_model(tmp_path / "missing.npz")


def test_failed_save_keeps_the_previous_file(tmp_path, monkeypatch):
    model = spiral_model()
    model.build((2,))
    path = tmp_path / "m.npz"
    model.save(path)
    before = path.read_bytes()

    def broken_savez(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(OSError):
        model.save(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz"]


def test_saved_files_get_the_usual_permissions(tmp_path):
    """Atomic writes go through a private temporary file; the result must still be readable as usual."""
    import os

    from numpynn.files import write_text

    old_mask = os.umask(0o022)
    try:
        write_text(tmp_path / "a.txt", "hello")
        model = spiral_model()
        model.build((2,))
        model.save(tmp_path / "m.npz")
    finally:
        os.umask(old_mask)
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "m.npz").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "a.txt").read_text() == "hello"


def test_nan_loss_stops_and_keeps_last_finite_weights():
    x, y = two_spirals(64)
    model = spiral_model()
    model.fit(x, y, epochs=1, batch_size=64, verbose=0)
    good = model.get_weights()
    model.optimizer.learning_rate = 1e30  # the next update overflows
    with pytest.warns(RuntimeWarning, match="loss became"):
        history = model.fit(x, y, epochs=5, batch_size=16, verbose=0)
    assert len(history.history.get("loss", [])) == 0
    for a, b in zip(good, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_progress_bar_shows_epoch_and_loss(capsys):
    x, y = two_spirals(40)
    spiral_model().fit(x, y, epochs=1, batch_size=10, verbose=1)
    err = capsys.readouterr().err
    assert "Epoch 1/1" in err and "loss=" in err and "8/8" in err


def test_random_shift_moves_each_image_and_fit_applies_augment():
    from numpynn.data.preprocessing import random_shift

    images = np.zeros((50, 6, 6), dtype=np.float32)
    images[:, 2, 3] = 1
    shifted = random_shift(images, 2, np.random.default_rng(0))
    assert shifted.shape == images.shape and np.all(shifted.sum(axis=(1, 2)) == 1)  # the dot stays inside
    positions = {tuple(np.argwhere(s)[0]) for s in shifted}
    assert len(positions) > 5 and all(abs(r - 2) <= 2 and abs(c - 3) <= 2 for r, c in positions)
    seen = []
    model = spiral_model()
    x, y = two_spirals(20)
    model.fit(x, y, epochs=1, batch_size=8, verbose=0, augment=lambda batch, rng: seen.append(len(batch)) or batch + 0)
    assert seen == [8, 8, 8, 8, 8]


def test_one_hot_targets_with_categorical_crossentropy():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (400, 2)).astype(np.float32)
    y = (x[:, 0] * x[:, 1] > 0).astype(int)  # XOR of the signs
    model = nn.Sequential([nn.Dense(32, activation="tanh", input_dim=2), nn.Dense(2, activation="softmax")], seed=0)
    model.compile(nn.optimizers.Adam(0.03), "categorical_crossentropy", metrics=["accuracy"])
    onehot = nn.preprocessing.one_hot(y, 2)
    model.fit(x, onehot, epochs=100, batch_size=32, verbose=0)
    assert model.evaluate(x, onehot)["accuracy"] > 0.9
    with pytest.raises(ValueError, match="one-hot targets of shape"):
        model.fit(x, y, epochs=1, verbose=0)


def test_regression_with_mse_and_mae():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (500, 3)).astype(np.float32)
    y = (x @ np.array([1.5, -2.0, 0.5]) + 0.3).astype(np.float32)
    model = nn.Sequential([nn.Dense(1, input_dim=3)], seed=0)
    model.compile(nn.optimizers.SGD(0.1), "mse", metrics=["mae"])
    history = model.fit(x, y, epochs=50, batch_size=50, verbose=0)
    result = model.evaluate(x, y)
    assert result["loss"] < 1e-4 and result["mae"] < 1e-2 and history.history["mae"][0] > result["mae"]
    np.testing.assert_allclose(model.layers[0].params["W"][:, 0], [1.5, -2.0, 0.5], atol=1e-2)
