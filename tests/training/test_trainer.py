"""The training loop's shape: overridable steps, CallbackList dispatch, the progress bar as a callback."""

import numpy as np
import pytest

import numpynn as nn
from numpynn.training import callbacks

X = np.random.default_rng(0).normal(size=(40, 3)).astype(np.float32)
Y = (X[:, 0] > 0).astype(int)


def compiled(model_class=nn.Sequential, **kwargs):
    model = model_class(
        [nn.Dense(4, activation="relu", input_dim=3), nn.Dense(2, activation="softmax")], seed=0, **kwargs
    )
    model.compile(nn.optimizers.SGD(0.1), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


class Recorder(callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.events = []

    def on_train_begin(self, logs=None):
        self.events.append(("train_begin", dict(self.params)))

    def on_epoch_begin(self, epoch, logs=None):
        self.events.append(("epoch_begin", epoch))

    def on_batch_end(self, batch, logs=None):
        self.events.append(("batch_end", batch, sorted(logs)))

    def on_epoch_end(self, epoch, logs=None):
        self.events.append(("epoch_end", epoch, sorted(logs)))

    def on_train_end(self, logs=None):
        self.events.append(("train_end",))


def test_callbacks_see_every_hook_in_order_with_params_and_running_logs():
    recorder = Recorder()
    compiled().fit(X, Y, batch_size=16, epochs=2, verbose=0, validation_split=0.25, callbacks=[recorder])
    names = [event[0] for event in recorder.events]
    assert names == ["train_begin"] + ["epoch_begin", "batch_end", "batch_end", "epoch_end"] * 2 + ["train_end"]
    params = recorder.events[0][1]
    assert {k: params[k] for k in ("epochs", "steps", "verbose")} == {"epochs": 2, "steps": 2, "verbose": 0}
    assert [type(c).__name__ for c in params["callbacks"]] == ["History", "Recorder"]
    assert recorder.events[2][2] == ["accuracy", "loss"]
    assert recorder.events[4][2] == ["accuracy", "loss", "lr", "seconds", "val_accuracy", "val_loss"]


def test_running_logs_at_batch_end_are_the_means_so_far():
    seen = []

    class Spy(callbacks.Callback):
        def on_batch_end(self, batch, logs=None):
            seen.append(logs["loss"])

    model = compiled()
    history = model.fit(X, Y, batch_size=10, epochs=1, verbose=0, shuffle=False, callbacks=[Spy()])
    assert len(seen) == 4 and seen[-1] == pytest.approx(history.history["loss"][0])


def test_a_callback_that_is_not_one_is_refused():
    with pytest.raises(TypeError, match="Callback objects, got function"):
        compiled().fit(X, Y, verbose=0, callbacks=[lambda: None])


def test_verbose_1_draws_a_bar_per_epoch_and_verbose_2_prints_a_line(capsys):
    compiled().fit(X, Y, batch_size=8, epochs=2, verbose=1)
    err = capsys.readouterr().err
    assert "Epoch 1/2" in err and "Epoch 2/2" in err and "5/5" in err and "loss=" in err
    compiled().fit(X, Y, batch_size=8, epochs=2, verbose=2)
    lines = [line for line in capsys.readouterr().err.splitlines() if line]
    assert len(lines) == 2 and lines[1].startswith("Epoch 2/2 - loss: ") and "accuracy: " in lines[1]
    compiled().fit(X, Y, batch_size=8, epochs=2, verbose=0)
    assert capsys.readouterr().err == ""


class CountingSteps(nn.Sequential):
    """Counts its steps and logs an extra quantity: callbacks must carry it through like any other."""

    def train_step(self, x, y):
        self.train_steps = getattr(self, "train_steps", 0) + 1
        logs = super().train_step(x, y)
        return {**logs, "grad_norm": float(np.linalg.norm(self.gradients))}

    def test_step(self, x, y):
        self.test_steps = getattr(self, "test_steps", 0) + 1
        logs, outputs = super().test_step(x, y)
        return {**logs, "grad_norm": 0.0}, outputs


def test_overridden_steps_are_used_by_fit_evaluate_and_every_callback(tmp_path):
    model = compiled(CountingSteps)
    stopper = callbacks.EarlyStopping(monitor="val_loss", patience=1, restore_best_weights=True)
    history = model.fit(
        X,
        Y,
        batch_size=10,
        epochs=4,
        verbose=2,
        validation_split=0.25,
        callbacks=[
            stopper,
            callbacks.ModelCheckpoint(tmp_path / "m.npz", monitor="grad_norm", mode="min"),
            callbacks.LearningRateScheduler(lambda epoch, lr: 0.1 / (epoch + 1)),
            callbacks.TerminateOnNaN(),
            callbacks.EpochProgressBar(),
        ],
    )
    epochs = len(history.epoch)
    assert model.train_steps == 3 * epochs and model.test_steps == epochs  # 30 train / 10 validation samples
    assert len(history.history["grad_norm"]) == epochs and all(g > 0 for g in history.history["grad_norm"])
    assert history.history["val_grad_norm"] == [0.0] * epochs
    assert history.history["lr"] == pytest.approx([0.1 / (e + 1) for e in range(epochs)])
    assert (tmp_path / "m.npz").is_file()
    scores = model.evaluate(X, Y, batch_size=16)
    assert model.test_steps == epochs + 3 and set(scores) == {"loss", "accuracy", "grad_norm"}


def test_evaluate_averages_batches_by_size_and_returns_the_outputs():
    model = compiled()
    whole, outputs = model.evaluate(X, Y, batch_size=64, return_outputs=True)
    batched = model.evaluate(X, Y, batch_size=7)
    assert batched["loss"] == pytest.approx(whole["loss"], rel=1e-6)
    assert batched["accuracy"] == pytest.approx(whole["accuracy"])
    np.testing.assert_array_equal(outputs, model.predict(X))


def test_evaluation_computes_no_gradient(monkeypatch):
    model = compiled()
    model.fit(X, Y, epochs=1, verbose=0)

    def refuse(*args):
        raise AssertionError("evaluate asked for a gradient")

    monkeypatch.setattr(type(model.scoring_loss), "value_and_grad", refuse)
    model.evaluate(X, Y)
    model.predict(X)
