"""Folders of images, one sub-folder per class: reading, splitting, training and predicting."""

import json

import numpy as np
import pytest
from PIL import Image

from numpynn.apps.cli import main
from numpynn.data import datasets
from numpynn.data.datasets import DatasetError, load_image_folder


def bar_image(label, size=16, rng=None, rgb=False):
    """A bright bar in the top (class 0) or bottom (class 1) half on a dark noisy background."""
    rng = rng or np.random.default_rng(0)
    pixels = rng.integers(0, 50, (size, size)).astype(np.uint8)
    rows = slice(0, size // 2) if label == 0 else slice(size // 2, size)
    pixels[rows, size // 4 : 3 * size // 4] = 230
    if rgb:
        pixels = np.stack([pixels, pixels // 2, 255 - pixels], axis=-1)
    return Image.fromarray(pixels)


def make_folder(root, per_class=12, sizes=(16, 16, 24), rgb=False, seed=0):
    """root/top/*.png|jpg and root/bottom/*: mixed sizes and formats, plus a corrupt image, a text file
    and a hidden file."""
    rng = np.random.default_rng(seed)
    for label, name in enumerate(("top", "bottom")):
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            size = sizes[i % len(sizes)]
            suffix = ".jpg" if i % 4 == 3 else ".png"
            bar_image(label, size, rng, rgb).save(root / name / f"{name}{i}{suffix}")
    (root / "top" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    (root / "top" / "readme.txt").write_text("a stray file")
    (root / "bottom" / ".hidden.png").write_bytes(b"junk")
    return root


def test_mixed_sizes_and_formats_become_one_array(tmp_path):
    lines = []
    folder = load_image_folder(make_folder(tmp_path / "d"), progress=False, log=lines.append)
    x, y = folder.splits["all"]
    assert folder.class_names == ["bottom", "top"] and folder.image_size == (16, 16) and folder.color == "gray"
    assert x.shape == (24, 16, 16) and x.dtype == np.uint8 and np.bincount(y).tolist() == [12, 12]
    assert folder.skipped == [str(tmp_path / "d" / "top" / "broken.png")]
    assert any("broken.png" in line and "not a readable image" in line for line in lines)
    assert any("bottom 12, top 12" in line for line in lines)
    # The bar is where its class says, also in the images that were resized from 24x24.
    top = x[y == 1].astype(float)
    assert (top[:, :8].mean(axis=(1, 2)) > top[:, 8:].mean(axis=(1, 2)) + 50).all()


def test_size_and_colour_can_be_chosen_and_rgb_is_detected(tmp_path):
    rgb = load_image_folder(make_folder(tmp_path / "c", rgb=True), progress=False, log=lambda m: None)
    assert rgb.color == "rgb" and rgb.splits["all"][0].shape == (24, 16, 16, 3)
    gray = load_image_folder(tmp_path / "c", image_size="8x12", color="gray", progress=False, log=lambda m: None)
    assert gray.splits["all"][0].shape == (24, 8, 12) and gray.image_size == (8, 12)
    with pytest.raises(DatasetError, match="not HEIGHTxWIDTH"):
        load_image_folder(tmp_path / "c", image_size="big", progress=False)


def test_train_and_test_folders_are_used_as_given(tmp_path):
    make_folder(tmp_path / "s" / "train")
    make_folder(tmp_path / "s" / "test", per_class=4, seed=1)
    folder = load_image_folder(tmp_path / "s", progress=False, log=lambda m: None)
    assert set(folder.splits) == {"train", "test"} and len(folder.splits["test"][1]) == 8
    (tmp_path / "only" / "train" / "a").mkdir(parents=True)
    with pytest.raises(DatasetError, match="has a train folder but no test folder"):
        load_image_folder(tmp_path / "only", progress=False)


def test_a_class_without_a_readable_image_is_named(tmp_path):
    make_folder(tmp_path / "e")
    (tmp_path / "e" / "empty").mkdir()
    (tmp_path / "e" / "empty" / "x.png").write_bytes(b"not a png")
    with pytest.raises(DatasetError, match="empty'.* hold no readable image"):
        load_image_folder(tmp_path / "e", progress=False, log=lambda m: None)


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("model", ["mlp:32", "cnn"])
def test_train_an_image_folder_and_predict_its_files(model, tmp_path, capsys):
    make_folder(tmp_path / "d", per_class=30, rgb=model == "cnn")
    code, out, err = run(
        capsys,
        "train",
        f"images:{tmp_path / 'd'}",
        "--model",
        model,
        "--epochs",
        "15",
        "--out",
        tmp_path / "run",
        "--quiet",
    )
    assert code == 0, err
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert config["image_size"] == [16, 16] and config["color"] == ("rgb" if model == "cnn" else "gray")
    assert "--image-size 16x16" in config["command"] and config["class_names"] == ["bottom", "top"]
    assert metrics["test"]["samples"] == 12 and metrics["val"]["samples"] == 6  # a fifth and a tenth of 60
    assert metrics["test"]["accuracy"] >= 0.9
    bar_image(0, 40, rgb=True).save(tmp_path / "big.png")  # a "top" image of another size and colour mode
    code, out, err = run(capsys, "predict", tmp_path / "run", tmp_path / "big.png")
    assert code == 0 and out.startswith("top ("), out


def test_image_options_apply_to_image_folders_only(tmp_path, capsys):
    code, out, err = run(capsys, "train", "breast-cancer", "--image-size", "8x8", "--out", tmp_path / "r")
    assert code == 2 and "--image-size applies to folders of images" in err
    code, out, err = run(capsys, "train", "images:x", "--image-size", "8y8", "--out", tmp_path / "r")
    assert code == 2 and "invalid HxW value" in err
    code, out, err = run(capsys, "train", f"images:{tmp_path / 'nothing'}", "--out", tmp_path / "r")
    assert code == 2 and "is not a folder" in err


def test_reading_images_needs_pillow_and_says_so(monkeypatch, tmp_path):
    import builtins

    real_import = builtins.__import__

    def no_pillow(name, *args, **kwargs):
        if name == "PIL" or name.startswith("PIL."):
            raise ImportError("No module named 'PIL'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pillow)
    with pytest.raises(ImportError, match=r"Pillow: pip install 'numpynn\[images\]'"):
        datasets.read_image(tmp_path / "x.png")
