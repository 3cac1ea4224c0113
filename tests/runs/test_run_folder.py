"""RunFolder: the only code that knows a run folder's file names; every read names the file it found damaged."""

import json

import pytest

from numpynn.errors import UsageError
from numpynn.runs.run_folder import LOCK_NAME, RunFolder


def test_create_claims_an_empty_folder_and_refuses_a_full_one(tmp_path):
    folder = RunFolder.create("csv:data/houses.csv", out=tmp_path / "run")
    assert folder.lock_path.is_file() and folder.figures_path.is_dir()
    folder.write_config({"dataset": "csv:data/houses.csv"})
    folder.unlock()
    with pytest.raises(UsageError, match="not empty"):
        RunFolder.create("csv:data/houses.csv", out=tmp_path / "run")
    assert not (tmp_path / "run" / LOCK_NAME).exists()  # the refused run released its claim


def test_a_second_process_cannot_claim_a_folder_in_use(tmp_path):
    RunFolder.create("mnist", out=tmp_path / "run")
    (tmp_path / "run" / LOCK_NAME).write_text("1")  # pid 1 is alive on every Unix machine
    with pytest.raises(UsageError, match="another numpynn process"):
        RunFolder(tmp_path / "run").lock(take_over=True)


def test_reads_name_the_missing_or_damaged_file(tmp_path):
    folder = RunFolder(tmp_path)
    with pytest.raises(UsageError, match="not a run folder"):
        folder.read_config()
    assert folder.read_metrics() is None and folder.read_environment() == {}
    folder.metrics_path.write_text('{"test": ')
    with pytest.raises(UsageError, match=r"metrics\.json is unreadable .* damaged"):
        folder.read_metrics()
    folder.environment_path.write_text(json.dumps([1]))
    with pytest.raises(UsageError, match=r"environment\.json does not hold a JSON object"):
        folder.read_environment()


def test_a_cut_short_write_is_removed_before_a_resume(tmp_path):
    folder = RunFolder(tmp_path)
    (tmp_path / ".model.npz.tmp").write_bytes(b"half")
    (tmp_path / "model.npz").write_bytes(b"whole")
    folder.remove_unfinished_writes()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["model.npz"]
