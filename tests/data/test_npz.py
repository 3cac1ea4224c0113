"""Arrays in an .npz file: npz:FILE with x_train/y_train/x_test/y_test, or x/y for numpynn to split."""

import json

import numpy as np
import pytest
from helpers import fake_digits

from numpynn.apps.cli import main
from numpynn.data.datasets import DatasetError, load_npz


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_image_arrays_with_their_own_test_split(tmp_path, capsys):
    x, y = fake_digits(240)
    x_test, y_test = fake_digits(60, seed=1)
    np.savez(tmp_path / "digits.npz", x_train=x, y_train=y, x_test=x_test, y_test=y_test)
    code, out, err = run(
        capsys, "train", f"npz:{tmp_path / 'digits.npz'}", "--epochs", "10", "--out", tmp_path / "run", "--quiet"
    )
    assert code == 0, err
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["test"]["samples"] == 60 and metrics["val"]["samples"] == 24 and metrics["test"]["accuracy"] > 0.9


def test_a_table_of_x_and_y_is_split_like_a_csv(tmp_path, capsys):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 4)).astype(np.float32)
    labels = np.where(x[:, 0] + x[:, 1] > 0, "yes", "no")
    np.savez(tmp_path / "t.npz", x=x, y=labels)
    code, out, err = run(capsys, "train", f"npz:{tmp_path / 't.npz'}", "--out", tmp_path / "run", "--quiet")
    assert code == 0, err
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert config["class_names"] == ["no", "yes"] and config["kind"] == "tabular"
    assert metrics["test"]["samples"] == 40 and metrics["test"]["accuracy"] > 0.9
    np.savez(tmp_path / "r.npz", x=x, y=x[:, 0] * 3 + x[:, 1])  # a numeric target: regression
    code, out, err = run(capsys, "train", f"npz:{tmp_path / 'r.npz'}", "--out", tmp_path / "r", "--quiet")
    assert code == 0 and out.startswith("test R^2 0.9"), out + err


def test_bad_archives_are_named(tmp_path):
    np.savez(tmp_path / "keys.npz", a=np.zeros(3))
    with pytest.raises(DatasetError, match="needs x_train, y_train, x_test and y_test, or x and y"):
        load_npz(tmp_path / "keys.npz")
    np.savez(tmp_path / "lengths.npz", x=np.zeros((5, 2)), y=np.zeros(4))
    with pytest.raises(DatasetError, match="x has 5 rows but y has 4"):
        load_npz(tmp_path / "lengths.npz")
    np.savez(tmp_path / "objects.npz", x=np.array([{"a": 1}], dtype=object), y=np.zeros(1))
    with pytest.raises(DatasetError, match="holds objects"):
        load_npz(tmp_path / "objects.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(DatasetError, match="not a readable .npz"):
        load_npz(tmp_path / "junk.npz")
