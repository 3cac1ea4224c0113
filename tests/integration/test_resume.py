"""Interrupted and resumed runs end with the weights of runs that were never interrupted, bit for bit."""

import numpy as np
import pytest

import numpynn as nn
from numpynn.training import callbacks
from numpynn.training.checkpoints import load_checkpoint

rng = np.random.default_rng(0)
IMAGES = rng.random((96, 8, 8, 1), dtype=np.float32)
LABELS = (IMAGES[:, :4].mean(axis=(1, 2, 3)) > IMAGES[:, 4:].mean(axis=(1, 2, 3))).astype(int)


class Interrupt(callbacks.Callback):
    """Raises KeyboardInterrupt after a given batch of a given epoch, as Ctrl-C would mid-epoch."""

    def __init__(self, epoch, batch):
        super().__init__()
        self.at, self.epoch = (epoch, batch), None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_batch_end(self, batch, logs=None):
        if (self.epoch, batch) == self.at:
            raise KeyboardInterrupt


def mlp():
    return nn.Sequential(
        [
            nn.Flatten(input_shape=(8, 8, 1)),
            nn.Dense(16, activation="relu"),
            nn.Dropout(0.3),
            nn.Dense(2, activation="softmax"),
        ],
        seed=3,
    )


def cnn():
    return nn.Sequential(
        [
            nn.Conv2D(4, 3, padding="same", activation="relu", input_shape=(8, 8, 1)),
            nn.BatchNormalization(),
            nn.MaxPooling2D(2),
            nn.Flatten(),
            nn.Dropout(0.2),
            nn.Dense(2, activation="softmax"),
        ],
        seed=3,
    )


def train(make_model, folder, extra=(), epochs=6, lr_schedule=False, save_every=None):
    """One fit with the callbacks that carry state; returns (model, history)."""
    model = make_model()
    learning_rate = nn.schedules.CosineDecay(0.01, decay_steps=40) if lr_schedule else 0.01
    model.compile(nn.optimizers.Adam(learning_rate), "sparse_categorical_crossentropy", metrics=["accuracy"])
    stateful = [callbacks.EarlyStopping(patience=2, restore_best_weights=True)]
    if not lr_schedule:
        stateful.append(callbacks.ReduceLROnPlateau(factor=0.5, patience=1))
    history = model.fit(
        IMAGES,
        LABELS,
        batch_size=16,
        epochs=epochs,
        validation_split=0.25,
        verbose=0,
        augment=lambda batch, generator: nn.preprocessing.random_shift(batch, 1, generator),
        callbacks=[callbacks.BackupAndRestore(folder, save_every=save_every), *stateful, *extra],
    )
    return model, history.history


@pytest.mark.parametrize("make_model", [mlp, cnn], ids=["mlp-dropout-shifts", "cnn-batchnorm"])
@pytest.mark.parametrize("stop_at", [(0, 1), (2, 0), (3, 2)])
def test_a_resumed_run_ends_with_the_weights_of_an_uninterrupted_one(make_model, stop_at, tmp_path):
    reference, reference_history = train(make_model, tmp_path / "a")
    assert not (tmp_path / "a" / "checkpoint.npz").exists()  # removed once training ended
    with pytest.raises(KeyboardInterrupt):
        train(make_model, tmp_path / "b", extra=[Interrupt(*stop_at)])
    if stop_at[0] > 0:
        assert load_checkpoint(tmp_path / "b" / "checkpoint.npz").epochs_done == stop_at[0]
    resumed, resumed_history = train(make_model, tmp_path / "b")  # a new model, as a new process would build
    for a, b in zip(reference.get_weights(), resumed.get_weights()):
        np.testing.assert_array_equal(a, b)
    for key in reference_history:  # every logged value but the seconds an epoch took
        if key != "seconds":
            assert resumed_history[key] == reference_history[key], key
    np.testing.assert_array_equal(
        reference.optimizer.get_state()["iterations"], resumed.optimizer.get_state()["iterations"]
    )


def test_resume_with_a_schedule_and_a_second_interruption(tmp_path):
    reference, _ = train(mlp, tmp_path / "a", lr_schedule=True)
    for stop_at in ((1, 3), (4, 1)):
        with pytest.raises(KeyboardInterrupt):
            train(mlp, tmp_path / "b", extra=[Interrupt(*stop_at)], lr_schedule=True)
    resumed, _ = train(mlp, tmp_path / "b", lr_schedule=True)
    for a, b in zip(reference.get_weights(), resumed.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_run_that_had_stopped_early_does_not_train_again(tmp_path):
    model, history = train(mlp, tmp_path / "a", epochs=40)
    assert len(history["loss"]) < 40  # early stopping ended it
    keep = callbacks.BackupAndRestore(tmp_path / "c", delete_on_finish=False)
    again = mlp()
    again.compile(nn.optimizers.Adam(0.01), "sparse_categorical_crossentropy")
    again.fit(IMAGES, LABELS, epochs=3, verbose=0, callbacks=[keep])
    before = [w.copy() for w in again.get_weights()]
    third = mlp()
    third.compile(nn.optimizers.Adam(0.01), "sparse_categorical_crossentropy")
    third.fit(IMAGES, LABELS, epochs=3, verbose=0, callbacks=[callbacks.BackupAndRestore(tmp_path / "c")])
    for a, b in zip(before, third.get_weights()):  # every epoch was done: nothing trained, weights restored
        np.testing.assert_array_equal(a, b)


def test_a_checkpoint_of_another_model_is_refused(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        train(mlp, tmp_path / "b", extra=[Interrupt(2, 0)])
    with pytest.raises(ValueError, match="other layers"):
        train(cnn, tmp_path / "b")
    (tmp_path / "b" / "checkpoint.npz").write_bytes(b"cut short")
    with pytest.raises(ValueError, match="not a readable checkpoint"):
        train(mlp, tmp_path / "b")


@pytest.mark.parametrize("make_model", [mlp, cnn], ids=["mlp-dropout-shifts", "cnn-batchnorm"])
def test_checkpoints_inside_an_epoch_resume_from_that_batch(make_model, tmp_path):
    reference, reference_history = train(make_model, tmp_path / "a", save_every=2)
    with pytest.raises(KeyboardInterrupt):
        train(make_model, tmp_path / "b", extra=[Interrupt(2, 2)], save_every=2)
    checkpoint = load_checkpoint(tmp_path / "b" / "checkpoint.npz")
    assert checkpoint.epochs_done == 2 and checkpoint.epoch_progress.next_batch == 2  # after batches 0-1 of epoch 2
    resumed, resumed_history = train(make_model, tmp_path / "b", save_every=2)
    for a, b in zip(reference.get_weights(), resumed.get_weights()):
        np.testing.assert_array_equal(a, b)
    for key in reference_history:
        if key != "seconds":
            assert resumed_history[key] == reference_history[key], key


def test_save_every_must_be_a_number_of_batches(tmp_path):
    with pytest.raises(ValueError, match="save_every must be a positive number of batches"):
        callbacks.BackupAndRestore(tmp_path, save_every=0)
