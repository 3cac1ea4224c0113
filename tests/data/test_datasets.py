import gzip
import hashlib
import http.server
import threading

import numpy as np
import pytest
from conftest import requires_mnist
from helpers import fake_digits, idx_bytes, write_fake_mnist_folder, write_idx

from numpynn.data import datasets
from numpynn.data.datasets import DatasetError


def test_breast_cancer():
    data = datasets.load_breast_cancer()
    assert data.x.shape == (569, 30) and data.x.dtype == np.float32
    assert data.class_names == ["malignant", "benign"] and np.bincount(data.y).tolist() == [212, 357]
    assert len(data.feature_names) == 30


@requires_mnist
def test_real_mnist_from_numpynn_data():
    (x, y), (xt, yt) = datasets.load_mnist(download=False)
    assert x.shape == (60000, 28, 28) and x.dtype == np.uint8 and xt.shape == (10000, 28, 28)
    assert np.bincount(y).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert np.bincount(yt).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_idx_round_trip_gz_and_raw(tmp_path):
    x, y = fake_digits(10)
    np.testing.assert_array_equal(datasets.read_idx(write_idx(tmp_path / "a", x)), x)
    np.testing.assert_array_equal(datasets.read_idx(write_idx(tmp_path / "b", y, gz=False)), y)
    floats = np.linspace(0, 1, 6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_array_equal(datasets.read_idx(write_idx(tmp_path / "c", floats.astype(">f4"))), floats)


@pytest.mark.parametrize(
    "mutate,message",
    [
        (lambda b: b"\x01\x00" + b[2:], "bad IDX magic"),
        (lambda b: b[:2] + b"\x07" + b[3:], "bad IDX magic"),
        (lambda b: b[:-5], "truncated"),
        (lambda b: b + b"\x00", "longer than its header"),
        (lambda b: b[:6], "truncated"),
    ],
)
def test_bad_idx_files(tmp_path, mutate, message):
    path = tmp_path / "bad-idx"
    path.write_bytes(mutate(idx_bytes(fake_digits(4)[0])))
    with pytest.raises(DatasetError, match=message):
        datasets.read_idx(path)


def test_gz_that_is_not_gzip(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(b"this is not gzip")
    with pytest.raises(DatasetError, match="not a valid gzip"):
        datasets.read_idx(path)


def test_load_idx_folder_and_mismatched_counts(tmp_path):
    write_fake_mnist_folder(tmp_path / "ok")
    (x, y), (xt, yt) = datasets.load_idx(tmp_path / "ok")
    assert x.shape == (300, 8, 8) and yt.shape == (90,) and y.dtype == np.int64
    write_fake_mnist_folder(tmp_path / "bad")
    write_idx(tmp_path / "bad" / "train-labels-idx1-ubyte", np.zeros(5, np.uint8))
    with pytest.raises(DatasetError, match="300 images but 5 labels"):
        datasets.load_idx(tmp_path / "bad")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="expected one train images file"):
        datasets.load_idx(tmp_path / "empty")


def test_load_csv_maps_string_labels_and_reports_bad_cells(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("a,b,label\n1,2,cat\n3,4,dog\n5,6,cat\n")
    data = datasets.load_csv(path, target="label")
    np.testing.assert_array_equal(data.x, [[1, 2], [3, 4], [5, 6]])
    assert data.y.tolist() == [0, 1, 0] and data.class_names == ["cat", "dog"] and data.feature_names == ["a", "b"]
    path.write_text("a,b,label\n1,2,cat\n3,x,dog\n")
    with pytest.raises(DatasetError, match=r"row 3, column 'b': 'x' is not a number"):
        datasets.load_csv(path, target="label")
    with pytest.raises(DatasetError, match="no column 'y'; its columns are: a, b, label"):
        datasets.load_csv(path, target="y")
    path.write_text("a,label\n1,10\n2,9\n3,10\n")
    assert datasets.load_csv(path, target="label").class_names == ["9", "10"]  # numeric order


def test_load_csv_rejects_an_empty_label_and_a_table_without_features(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("a,label\n1,cat\n2, \n3,dog\n")
    with pytest.raises(DatasetError, match="row 3 has no value in the target column 'label'"):
        datasets.load_csv(path, target="label")
    path.write_text("label\ncat\ndog\n")
    with pytest.raises(DatasetError, match="no feature columns besides the target 'label'"):
        datasets.load_csv(path, target="label")


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_load_csv_with_semicolons_or_tabs(tmp_path, delimiter):
    path = tmp_path / "data.csv"
    path.write_text(
        delimiter.join(["a", "b", "label"])
        + "\n"
        + "\n".join(delimiter.join(row) for row in (["1.5", " 2", "cat"], ["-3e2", "4", "dog"]))
        + "\n"
    )
    data = datasets.load_csv(path, target="label")
    np.testing.assert_array_equal(data.x, np.array([[1.5, 2], [-300, 4]], dtype=np.float32))
    assert data.x.dtype == np.float32 and data.class_names == ["cat", "dog"]


def test_load_csv_names_the_first_bad_cell_among_many(tmp_path):
    rows = [f"{i},{i * 2},{i % 2}" for i in range(500)]
    rows[321] = "321,,1"
    path = tmp_path / "big.csv"
    path.write_text("a,b,label\n" + "\n".join(rows) + "\n")
    with pytest.raises(DatasetError, match=r"row 323, column 'b': '' is not a number"):
        datasets.load_csv(path, target="label")
    rows[321] = "321,642,1"
    path.write_text("a,b,label\n" + "\n".join(rows) + "\n")
    np.testing.assert_array_equal(datasets.load_csv(path, target="label").x[:, 1], np.arange(500) * 2)


# ----- MNIST search order, cache and download (a local HTTP server; nothing leaves this machine) -------
@pytest.fixture
def fake_mnist(tmp_path, monkeypatch):
    """Fake MNIST files whose checksums replace the real ones, served by a local HTTP server."""
    served = tmp_path / "served"
    paths = write_fake_mnist_folder(served)
    checksums = {stem: hashlib.sha256(gzip.decompress(p.read_bytes())).hexdigest() for stem, p in paths.items()}
    monkeypatch.setattr(datasets.mnist, "MNIST_FILES", checksums)
    monkeypatch.delenv("NUMPYNN_DATA", raising=False)
    monkeypatch.setenv("NUMPYNN_HOME", str(tmp_path / "home"))
    requests = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(served), **kwargs)

        def log_message(self, *args):
            requests.append(self.path)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {
        "url": f"http://127.0.0.1:{server.server_port}/",
        "served": served,
        "requests": requests,
        "cache": tmp_path / "home" / "mnist",
        "dead": "http://127.0.0.1:9/",
    }
    server.shutdown()


def test_download_tries_next_mirror_verifies_and_caches(fake_mnist):
    (x, y), (xt, yt) = datasets.load_mnist(mirrors=[fake_mnist["dead"], fake_mnist["url"]], progress=False)
    assert x.shape == (300, 8, 8) and xt.shape == (90, 8, 8)
    assert sorted(p.name for p in fake_mnist["cache"].iterdir()) == sorted(
        f"{stem}.gz" for stem in datasets.MNIST_FILES
    )
    count = len(fake_mnist["requests"])
    datasets.load_mnist(mirrors=[fake_mnist["url"]], progress=False)  # second time: from the cache
    assert len(fake_mnist["requests"]) == count


def test_checksum_mismatch_keeps_nothing(fake_mnist, monkeypatch):
    monkeypatch.setitem(datasets.mnist.MNIST_FILES, "train-images-idx3-ubyte", "0" * 64)
    with pytest.raises(DatasetError, match="(?s)could not be found or downloaded.*SHA-256.*NUMPYNN_DATA"):
        datasets.load_mnist(mirrors=[fake_mnist["url"]], progress=False)
    assert not fake_mnist["cache"].exists() or not any(fake_mnist["cache"].iterdir())


def test_truncated_download_leaves_nothing(fake_mnist, tmp_path):
    class Truncating(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"\x1f\x8b" + b"\x00" * 50)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Truncating)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(DatasetError, match="Tried"):
            datasets.load_mnist(mirrors=[f"http://127.0.0.1:{server.server_port}/"], progress=False)
    finally:
        server.shutdown()
    assert not fake_mnist["cache"].exists() or not any(fake_mnist["cache"].iterdir())


def test_search_order_path_then_data_env_then_cache(fake_mnist, tmp_path, monkeypatch):
    with pytest.raises(DatasetError) as error:
        datasets.load_mnist(download=False)
    assert "$NUMPYNN_DATA" not in str(error.value) and "cache" in str(error.value)
    data_root = tmp_path / "data"
    write_fake_mnist_folder(data_root / "mnist", gz=False)  # raw IDX works too
    monkeypatch.setenv("NUMPYNN_DATA", str(data_root))
    assert datasets.load_mnist(download=False)[0][0].shape == (300, 8, 8)
    # A corrupt file in an explicit location is an error, not silently skipped.
    (data_root / "mnist" / "t10k-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x01\x05")
    with pytest.raises(DatasetError, match="SHA-256"):
        datasets.load_mnist(download=False)
    assert datasets.load_mnist(path=fake_mnist["served"], download=False)[1][0].shape == (90, 8, 8)
