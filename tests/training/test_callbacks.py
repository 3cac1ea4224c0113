import numpy as np
import pytest

import numpynn as nn
from numpynn.training import callbacks


class Scripted(callbacks.Callback):
    """Feeds a fixed sequence of val_loss values into the logs, so callbacks see a known curve."""

    def __init__(self, values):
        super().__init__()
        self.values = values

    def on_epoch_end(self, epoch, logs=None):
        logs["val_loss"] = self.values[epoch]


def tiny_model(lr=0.01):
    model = nn.Sequential([nn.Dense(3, input_dim=2)], seed=0)
    model.compile(nn.optimizers.SGD(lr), nn.losses.SparseCategoricalCrossentropy(from_logits=True), ["accuracy"])
    return model


DATA = (np.random.default_rng(0).normal(size=(20, 2)).astype(np.float32), np.arange(20) % 3)


def test_early_stopping_stops_after_patience_and_restores_best():
    model = tiny_model()
    weights_seen = []

    class Recorder(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            weights_seen.append(self.model.get_weights())

    stopper = callbacks.EarlyStopping(patience=2, restore_best_weights=True)
    history = model.fit(*DATA, epochs=20, verbose=0, callbacks=[Scripted([5, 3, 4, 4, 4, 1, 0]), Recorder(), stopper])
    assert len(history.epoch) == 4 and stopper.stopped_epoch == 3 and stopper.best_epoch == 1
    for a, b in zip(model.get_weights(), weights_seen[1]):
        np.testing.assert_array_equal(a, b)


def test_early_stopping_restores_best_even_when_epochs_run_out():
    model = tiny_model()
    snapshots = []

    class Recorder(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            snapshots.append(self.model.get_weights())

    model.fit(
        *DATA,
        epochs=3,
        verbose=0,
        callbacks=[Scripted([2, 1, 3]), Recorder(), callbacks.EarlyStopping(patience=5, restore_best_weights=True)],
    )
    np.testing.assert_array_equal(model.get_weights()[0], snapshots[1][0])


def test_early_stopping_min_delta_and_missing_monitor():
    model = tiny_model()
    stopper = callbacks.EarlyStopping(patience=0, min_delta=0.5)
    model.fit(*DATA, epochs=10, verbose=0, callbacks=[Scripted([1.0, 0.8, 0.1, 0.0]), stopper])
    assert stopper.stopped_epoch == 1
    with pytest.raises(ValueError, match="monitors 'val_loss'.*validation_data"):
        tiny_model().fit(*DATA, epochs=2, verbose=0, callbacks=[callbacks.EarlyStopping()])


def test_reduce_lr_on_plateau_and_scheduler():
    model = tiny_model(lr=1.0)
    reducer = callbacks.ReduceLROnPlateau(factor=0.5, patience=2, min_lr=0.2)
    history = model.fit(*DATA, epochs=8, verbose=0, callbacks=[Scripted([1, 1, 1, 1, 1, 1, 1, 1]), reducer])
    assert history.history["lr"] == pytest.approx([1, 1, 1, 0.5, 0.5, 0.25, 0.25, 0.2])
    model = tiny_model(lr=1.0)
    history = model.fit(
        *DATA, epochs=3, verbose=0, callbacks=[callbacks.LearningRateScheduler(lambda epoch, lr: 0.1 * (epoch + 1))]
    )
    assert history.history["lr"] == pytest.approx([0.1, 0.2, 0.3])


def test_model_checkpoint_saves_best_only(tmp_path):
    model = tiny_model()
    path = tmp_path / "best.npz"
    saved_at = []

    class Spy(callbacks.ModelCheckpoint):
        def on_epoch_end(self, epoch, logs=None):
            before = path.stat().st_mtime_ns if path.exists() else None
            super().on_epoch_end(epoch, logs)
            if path.exists() and path.stat().st_mtime_ns != before:
                saved_at.append(epoch)

    model.fit(*DATA, epochs=4, verbose=0, callbacks=[Scripted([3, 1, 2, 0.5]), Spy(path)])
    assert saved_at == [0, 1, 3]
    np.testing.assert_array_equal(nn.load_model(path).get_weights()[0], model.get_weights()[0])


def test_terminate_on_nan():
    model = tiny_model(lr=1e30)
    with pytest.warns(RuntimeWarning):
        model.fit(DATA[0] * 1e10, DATA[1], epochs=3, batch_size=5, verbose=0, callbacks=[callbacks.TerminateOnNaN()])
    assert model.stop_training
