"""Every reader of outside bytes, fed damaged input (Hypothesis): it loads, or raises numpynn's own error
naming the file; never another exception, a hang or a giant allocation.

A bounded number of examples runs in `make test`; NUMPYNN_FUZZ_EXAMPLES=2000 runs more.
"""

import gzip
import io
import json
import os
import struct

import numpy as np
import pytest
from helpers import idx_bytes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import numpynn as nn
from numpynn.data.datasets import load_npz, read_csv_columns, read_idx, read_image
from numpynn.data.preprocessing import TableEncoder
from numpynn.errors import InputError
from numpynn.runs.run_folder import load_run
from numpynn.training.checkpoints import load_checkpoint

EXAMPLES = int(os.environ.get("NUMPYNN_FUZZ_EXAMPLES", "40"))
fuzz = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# A damage to a byte string: cut it short, flip bits, overwrite a stretch, or both.
damage = st.tuples(
    st.one_of(st.none(), st.floats(0, 1)),
    st.lists(st.tuples(st.floats(0, 1), st.integers(0, 7)), max_size=8),
    st.one_of(st.none(), st.tuples(st.floats(0, 1), st.binary(min_size=1, max_size=16))),
)


def damaged(data: bytes, how) -> bytes:
    cut, flips, patch = how
    data = bytearray(data)
    for where, bit in flips:
        if data:
            data[int(where * (len(data) - 1))] ^= 1 << bit
    if patch is not None and data:
        start = int(patch[0] * (len(data) - 1))
        data[start : start + len(patch[1])] = patch[1]
    if cut is not None:
        data = data[: int(cut * len(data))]
    return bytes(data)


def loads_or_names_the_problem(read, path):
    try:
        read(path)
    except InputError as error:
        assert str(path) in str(error) or os.path.basename(str(path)) in str(error), error


@pytest.fixture(scope="module")
def model_bytes(tmp_path_factory):
    folder = tmp_path_factory.mktemp("model")
    model = nn.Sequential([nn.Dense(4, activation="relu", input_dim=3), nn.BatchNormalization(), nn.Dense(2)], seed=0)
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(
        np.ones((8, 3), np.float32),
        np.zeros(8, int),
        epochs=2,
        verbose=0,
        callbacks=[nn.callbacks.BackupAndRestore(folder, delete_on_finish=False)],
    )
    model.save(folder / "model.npz")
    return (folder / "model.npz").read_bytes(), (folder / "checkpoint.npz").read_bytes()


@fuzz
@given(how=damage)
def test_model_files(how, model_bytes, tmp_path):
    path = tmp_path / "model.npz"
    path.write_bytes(damaged(model_bytes[0], how))
    loads_or_names_the_problem(nn.load_model, path)


@fuzz
@given(how=damage)
def test_checkpoints(how, model_bytes, tmp_path):
    path = tmp_path / "checkpoint.npz"
    path.write_bytes(damaged(model_bytes[1], how))
    loads_or_names_the_problem(load_checkpoint, path)


@fuzz
@given(how=damage, gz=st.booleans(), shape=st.lists(st.integers(1, 6), min_size=1, max_size=3))
def test_idx_files(how, gz, shape, tmp_path):
    data = damaged(idx_bytes(np.arange(int(np.prod(shape)), dtype=np.uint8).reshape(shape)), how)
    path = tmp_path / ("data.idx.gz" if gz else "data.idx")
    path.write_bytes(gzip.compress(data) if gz and how[0] is None else data)  # cut gz files are cut after gzip
    loads_or_names_the_problem(read_idx, path)


def test_an_idx_header_claiming_a_terabyte_is_refused_before_reading(tmp_path):
    path = tmp_path / "huge.idx.gz"
    path.write_bytes(gzip.compress(bytes([0, 0, 0x08, 3]) + struct.pack(">III", 10**4, 10**4, 10**4) + b"\0" * 64))
    with pytest.raises(InputError, match="claims"):
        read_idx(path)


def test_an_npy_header_claiming_a_terabyte_is_refused(tmp_path):
    buffer = io.BytesIO()
    np.savez(buffer, x=np.zeros((2, 2)), y=np.zeros(2))
    data = buffer.getvalue().replace(b"(2, 2)", b"(10**12,)".replace(b"10**12", b"999999999999"))
    (tmp_path / "big.npz").write_bytes(data)
    with pytest.raises(InputError, match="big.npz"):
        load_npz(tmp_path / "big.npz")


@fuzz
@given(how=damage)
def test_npz_arrays(how, tmp_path):
    buffer = io.BytesIO()
    np.savez(buffer, x=np.arange(12, dtype=np.float32).reshape(4, 3), y=np.array([0, 1, 0, 1]))
    path = tmp_path / "arrays.npz"
    path.write_bytes(damaged(buffer.getvalue(), how))
    loads_or_names_the_problem(load_npz, path)


@fuzz
@given(text=st.text(alphabet=st.sampled_from(list('ab1.,;\t"\n\r ?NA-é\x00')), max_size=200))
def test_csv_files_and_the_table_encoder(text, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(text, encoding="utf-8")
    try:
        columns = read_csv_columns(path)
    except InputError:
        return
    try:
        encoder = TableEncoder().fit(columns)
        features = encoder.transform(columns)
    except InputError:
        return
    assert features.dtype == np.float32 and len(features) == len(next(iter(columns.values())))


@fuzz
@given(how=damage)
def test_image_files(how, tmp_path):
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.arange(64, dtype=np.uint8).reshape(8, 8)).save(buffer, format="PNG")
    path = tmp_path / "image.png"
    path.write_bytes(damaged(buffer.getvalue(), how))
    loads_or_names_the_problem(read_image, path)


@fuzz
@given(
    which=st.sampled_from(["config.json", "preprocessing.json"]),
    value=st.one_of(st.none(), st.integers(), st.text(max_size=5), st.lists(st.integers(), max_size=3)),
    drop=st.booleans(),
    key_index=st.integers(0, 30),
)
def test_run_folder_json(which, value, drop, key_index, tmp_path_factory, run_folder):
    folder = tmp_path_factory.mktemp("run")
    for name in ("config.json", "preprocessing.json", "model.npz"):
        (folder / name).write_bytes((run_folder / name).read_bytes())
    content = json.loads((folder / which).read_text())
    key = sorted(content)[key_index % len(content)]
    if drop:
        del content[key]
    else:
        content[key] = value
    (folder / which).write_text(json.dumps(content))
    try:
        load_run(folder)
    except InputError as error:
        assert str(folder) in str(error)
    from numpynn.apps.cli import main

    assert main(["predict", str(folder), str(run_folder / "rows.csv")]) in (0, 2)  # never a traceback


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    from numpynn.apps.cli import main

    out = tmp_path_factory.mktemp("runs") / "bc"
    assert main(["train", "breast-cancer", "--epochs", "2", "--out", str(out), "--quiet"]) == 0
    data = nn.datasets.load_breast_cancer()
    (out / "rows.csv").write_text(",".join(data.feature_names) + "\n" + ",".join(map(str, data.x[0])) + "\n")
    return out


# ----- damage found by hand or by the fuzzer, kept as plain tests ---------------------------------------
def rewrite_npz(source, target, change):
    """Copy an .npz, letting ``change(name, data) -> (name, data) or None`` alter or drop each entry."""
    import zipfile

    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            result = change(info.filename, old.read(info))
            if result is not None:
                new.writestr(result[0], result[1])


def test_a_model_file_without_its_optimizer_state_is_refused(model_bytes, tmp_path):
    (tmp_path / "m.npz").write_bytes(model_bytes[0])
    rewrite_npz(
        tmp_path / "m.npz",
        tmp_path / "cut.npz",
        lambda name, data: None if name.startswith("optimizer/m") else (name, data),
    )
    with pytest.raises(InputError, match="optimizer state"):
        nn.load_model(tmp_path / "cut.npz")


def test_a_model_config_too_large_to_build_is_refused(model_bytes, tmp_path):
    (tmp_path / "m.npz").write_bytes(model_bytes[0])

    def huge(name, data):
        if name == "__numpynn__.npy":
            meta = str(np.load(io.BytesIO(data))).replace('"units": 4', '"units": 1000000000')
            buffer = io.BytesIO()
            np.save(buffer, np.array(meta))
            data = buffer.getvalue()
        return name, data

    rewrite_npz(tmp_path / "m.npz", tmp_path / "huge.npz", huge)
    with pytest.raises(InputError, match="huge.npz"):
        nn.load_model(tmp_path / "huge.npz")


def test_zeroed_zip_size_fields_are_named(model_bytes, tmp_path):
    data = bytearray(model_bytes[0])
    central = data.rfind(b"PK\x01\x02")  # the last central directory entry: zero its sizes
    data[central + 20 : central + 28] = bytes(8)
    (tmp_path / "zeroed.npz").write_bytes(bytes(data))
    loads_or_names_the_problem(nn.load_model, tmp_path / "zeroed.npz")


def test_a_mangled_run_folder_gives_one_line_not_a_traceback(run_folder, tmp_path, capsys):
    from numpynn.apps.cli import main

    for name in ("config.json", "preprocessing.json", "model.npz"):
        (tmp_path / name).write_bytes((run_folder / name).read_bytes())
    preprocessing = json.loads((tmp_path / "preprocessing.json").read_text())
    preprocessing["scaler_meen"] = preprocessing.pop("scaler_mean")
    (tmp_path / "preprocessing.json").write_text(json.dumps(preprocessing))
    assert main(["predict", str(tmp_path), str(run_folder / "rows.csv")]) == 2
    assert "is damaged" in capsys.readouterr().err
    config = json.loads((run_folder / "config.json").read_text())
    config["kind"] = []
    (tmp_path / "config.json").write_text(json.dumps(config))
    assert main(["predict", str(tmp_path), str(run_folder / "rows.csv")]) == 2


@pytest.mark.parametrize("damage", ["truncated", "flipped bit", "not an object", "no test scores"])
def test_a_damaged_metrics_json_gives_evaluate_one_line_naming_the_file(damage, run_folder, tmp_path, capsys):
    from numpynn.apps.cli import main

    for name in ("config.json", "preprocessing.json", "model.npz", "metrics.json"):
        (tmp_path / name).write_bytes((run_folder / name).read_bytes())
    text = (tmp_path / "metrics.json").read_bytes()
    damaged_text = {
        "truncated": text[: len(text) // 2],
        "flipped bit": text.replace(b"{", b"}", 1),
        "not an object": b"[1, 2]",
        "no test scores": b'{"train": {}}',
    }[damage]
    (tmp_path / "metrics.json").write_bytes(damaged_text)
    assert main(["evaluate", str(tmp_path)]) == 2
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and "metrics.json" in error and "damaged" in error
