"""Folders of .txt files, one sub-folder per class (numpynn.datasets.load_text_folder)."""

import numpy as np
import pytest

import numpynn as nn
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
