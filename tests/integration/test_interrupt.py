"""numpynn train stopped by Ctrl-C, SIGTERM or SIGKILL, then resumed: the same model.npz as a run never stopped."""

import json
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from helpers import write_fake_mnist_folder

from numpynn import load_model
from numpynn.apps.cli import main
from numpynn.training.checkpoints import load_checkpoint

# Slow enough (small batches, many epochs) that a signal lands mid-training; dropout and shifts on.
OPTIONS = [
    "--model",
    "dense:32,dropout:0.2",
    "--epochs",
    "25",
    "--batch-size",
    "8",
    "--val-size",
    "60",
    "--augment",
    "1",
    "--early-stopping",
    "8",
    "--quiet",
]


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    folder = tmp_path_factory.mktemp("digits")
    write_fake_mnist_folder(folder, n_train=600)
    return folder


@pytest.fixture(scope="module")
def reference(digits, tmp_path_factory):
    """The run that is never stopped."""
    out = tmp_path_factory.mktemp("reference") / "run"
    assert main(["train", f"idx:{digits}", *OPTIONS, "--out", str(out)]) == 0
    return out


def start(digits, out):
    """A run in its own process, checkpointing every 5 batches too (which changes nothing in its results)."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "numpynn",
            "train",
            f"idx:{digits}",
            *OPTIONS,
            "--out",
            str(out),
            "--checkpoint-every",
            "5",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(path, timeout=60):
    deadline = time.time() + timeout
    while not path.exists():
        assert time.time() < deadline, f"{path} never appeared"
        time.sleep(0.01)


def assert_same_model(a, b):
    for x, y in zip(load_model(a / "model.npz").get_weights(), load_model(b / "model.npz").get_weights()):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("signum,status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_keeps_the_checkpoint_and_resume_finishes_the_same_run(
    signum, status, digits, reference, tmp_path, capsys
):
    out = tmp_path / "run"
    process = start(digits, out)
    wait_for(out / "checkpoint.npz")
    while load_checkpoint(out / "checkpoint.npz").epoch_progress is None:  # stop it inside an epoch
        time.sleep(0.005)
    process.send_signal(signum)
    _, err = process.communicate(timeout=60)
    assert process.returncode == status, err
    assert f"resume with: numpynn train --resume {out}" in err and "interrupted after epoch" in err
    assert "Interrupted" in (out / "report.html").read_text()
    assert json.loads((out / "config.json").read_text())["status"] == "running"
    assert main(["train", "--resume", str(out), "--quiet"]) == 0
    assert_same_model(reference, out)
    assert not (out / "checkpoint.npz").exists() and json.loads((out / "config.json").read_text())["kind"] == "images"
    code = main(["train", "--resume", str(out)])
    assert code == 2 and "finished run" in capsys.readouterr().err


def test_sigkill_at_any_moment_then_resume_gives_the_same_model(digits, reference, tmp_path):
    rng = np.random.default_rng(7)
    for attempt, delay in enumerate(rng.uniform(0.0, 0.4, 3)):
        out = tmp_path / f"run{attempt}"
        process = start(digits, out)
        wait_for(out / "config.json")
        time.sleep(delay)
        process.kill()
        process.communicate(timeout=60)
        # A kill during a write leaves at most a hidden temporary file; every file under its real name is whole.
        assert all(path.name.startswith(".") for path in out.glob("*.tmp"))
        if (out / "checkpoint.npz").exists():
            load_checkpoint(out / "checkpoint.npz")
        if (out / "metrics.json").exists():
            continue  # it finished before the kill landed
        assert main(["train", "--resume", str(out), "--quiet"]) == 0  # takes over the dead process's lock
        assert_same_model(reference, out)
        assert not list(out.glob(".*.tmp"))  # the resumed run cleared what the killed one left


def test_two_runs_into_one_folder_at_once(digits, tmp_path):
    out = tmp_path / "same"
    first, second = start(digits, out), start(digits, out)
    results = [first.communicate(timeout=120), second.communicate(timeout=120)]
    codes = sorted([first.returncode, second.returncode])
    assert codes == [0, 2], results
    err = next(e for (o, e), p in zip(results, (first, second)) if p.returncode == 2)
    assert "being written by another numpynn process" in err or "already exists" in err


def test_resume_refuses_what_it_cannot_resume(reference, tmp_path, capsys):
    assert main(["train", "--resume", str(tmp_path)]) == 2
    assert "not a run folder" in capsys.readouterr().err
    assert main(["train", "--resume", str(reference), "--epochs", "3"]) == 2
    assert "leave out --epochs" in capsys.readouterr().err


def test_a_failed_checkpoint_write_keeps_the_previous_one(monkeypatch, tmp_path):
    import numpynn as nn
    from numpynn.training import checkpoints

    model = nn.Sequential([nn.Dense(2, input_dim=3)], seed=0)
    model.compile("sgd", "sparse_categorical_crossentropy")
    x, y = np.ones((8, 3), np.float32), np.zeros(8, int)
    model.fit(x, y, epochs=2, verbose=0, callbacks=[nn.callbacks.BackupAndRestore(tmp_path, delete_on_finish=False)])
    before = (tmp_path / "checkpoint.npz").read_bytes()

    def no_space(handle, **arrays):
        handle.write(b"partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(checkpoints.np, "savez", no_space)
    with pytest.raises(OSError, match="No space left"):
        model.fit(x, y, epochs=4, verbose=0, callbacks=[nn.callbacks.BackupAndRestore(tmp_path)])
    assert (tmp_path / "checkpoint.npz").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.npz"]
