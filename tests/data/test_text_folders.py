"""Folders of .txt files, one sub-folder per class (numpynn.datasets.load_text_folder)."""

import json

import numpy as np
import pytest
from helpers import FILLER, TOPIC_WORDS

import numpynn as nn
from numpynn.apps.cli import main
from numpynn.data.datasets import DatasetError, load_text_folder


def write(path, content):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)


def test_one_pool_reads_every_class_in_order_and_skips_what_is_not_utf8(tmp_path):
    write(tmp_path / "sports" / "a.txt", "The match went to penalties.")
    write(tmp_path / "sports" / "b.txt", "\ufeffGoal in the last minute.")  # a byte-order mark is dropped
    write(tmp_path / "politics" / "c.txt", "Le vote a eu lieu à Paris.")
    write(tmp_path / "politics" / "broken.txt", b"caf\xe9 latin-1")
    write(tmp_path / "politics" / "notes.md", "not a .txt file")
    write(tmp_path / "politics" / ".hidden.txt", "hidden")
    lines = []
    folder = load_text_folder(tmp_path, log=lines.append)
    assert folder.class_names == ["politics", "sports"]
    texts, y = folder.splits["all"]
    assert texts == ["Le vote a eu lieu à Paris.", "The match went to penalties.", "Goal in the last minute."]
    np.testing.assert_array_equal(y, [0, 1, 1])
    assert folder.skipped == [str(tmp_path / "politics" / "broken.txt")]
    assert any("broken.txt: not UTF-8" in line for line in lines)
    assert lines[-1].endswith("3 documents: politics 1, sports 2")


def test_train_and_test_folders_are_used_as_given(tmp_path):
    for split, count in (("train", 3), ("test", 1)):
        for name in ("neg", "pos"):
            for i in range(count):
                write(tmp_path / split / name / f"{i}.txt", f"{name} review {i}")
    folder = nn.datasets.load_text_folder(tmp_path, log=lambda message: None)
    assert sorted(folder.splits) == ["test", "train"]
    assert len(folder.splits["train"][0]) == 6 and len(folder.splits["test"][0]) == 2
    assert folder.files["test"][0].endswith("test/neg/0.txt")


@pytest.mark.parametrize(
    "layout, match",
    [
        ({}, "no class sub-folders"),
        ({"a/x.txt": b"\xff\xfe"}, "holds no readable .txt file"),
        ({"train/a/x.txt": "text"}, "has a train folder but no test folder"),
    ],
)
def test_a_folder_that_cannot_be_read_says_why(tmp_path, layout, match):
    for name, content in layout.items():
        write(tmp_path / name, content)
    with pytest.raises(DatasetError, match=match):
        load_text_folder(tmp_path, log=lambda message: None)
    with pytest.raises(DatasetError, match="is not a folder"):
        load_text_folder(tmp_path / "missing")


def topic_folder(root, split_names=("train", "test"), per_class=(40, 10), seed=0):
    """A text folder of three topics (helpers.TOPIC_WORDS), with train/test sub-folders or one pool."""
    rng = np.random.default_rng(seed)
    for split, count in zip(split_names, per_class):
        for topic, words in TOPIC_WORDS.items():
            for i in range(count):
                chosen = list(rng.choice(FILLER, 6)) + list(rng.choice(words.split(), 3))
                rng.shuffle(chosen)
                write(root / split / topic / f"{i}.txt", " ".join(chosen).capitalize() + ".")
    return root


@pytest.mark.parametrize("layout", ["train and test folders", "one pool"])
def test_train_on_a_text_folder_and_predict_text_files(layout, tmp_path, capsys):
    if layout == "one pool":
        folder = topic_folder(tmp_path / "docs", split_names=("",), per_class=(50,))
    else:
        folder = topic_folder(tmp_path / "docs")
    out = tmp_path / "run"
    assert main(["train", f"text:{folder}", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "text folder: column 'text' is free text" in err
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["test"]["accuracy"] >= 0.9 > metrics["test"]["baseline_accuracy"] + 0.4
    if layout == "train and test folders":
        assert metrics["test"]["samples"] == 30
    write(tmp_path / "new" / "a.txt", "The keeper saved the penalty in the league match.")
    write(tmp_path / "new" / "b.txt", "Simmer the garlic in butter, then bake.")
    assert main(["predict", str(out), str(tmp_path / "new")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split(": ")[1].startswith("football") and lines[1].split(": ")[1].startswith("cooking")
    assert main(["predict", str(out), "--text", "A rocket in orbit", "--text", "Garlic and butter in the oven"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("text 1: space") and lines[1].startswith("text 2: cooking")
    assert main(["predict", str(out), str(tmp_path / "new"), "--text", "both"]) == 2
    assert main(["evaluate", str(out)]) == 0
    write(tmp_path / "rows.csv", "text\nnot a text file\n")
    assert main(["predict", str(out), str(tmp_path / "rows.csv")]) == 2
    assert "classifies text files (.txt), not rows.csv" in capsys.readouterr().err
