"""numpynn serve: the JSON API (good and bad requests, many at once) and the page in a real browser.

The browser tests drive the system's Chromium through Playwright (`apt-get install chromium`; no browser is
ever downloaded) and skip, saying why, where Chromium or Playwright is missing.
"""

import base64
import io
import json
import shutil
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from conftest import requires_mnist
from helpers import quotes_csv, write_fake_mnist_folder
from PIL import Image

import numpynn as nn
from numpynn.apps.cli import main
from numpynn.apps.serve import MAX_BODY_BYTES, make_server

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def png_data_url(pixels: np.ndarray) -> str:
    buffer = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8)).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


class Served:
    """A run's server on a free port, in a thread, for one test module."""

    def __init__(self, run_dir):
        self.server = make_server(run_dir, port=0)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def request(self, path, body=None, raw=None, headers=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(self.url + path, data=data, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read()) if path != "/" else response.read()
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("digits")
    write_fake_mnist_folder(folder)
    out = tmp_path_factory.mktemp("runs") / "digits"
    assert main(["train", f"idx:{folder}", "--epochs", "8", "--val-size", "60", "--out", str(out), "--quiet"]) == 0
    served = Served(out)
    yield out, served
    served.close()


@pytest.fixture(scope="module")
def table_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("table")
    rng = np.random.default_rng(0)
    lines = ["colour,size,label"]
    for i in range(120):
        colour = ["red", "green", ""][i % 3]
        size = rng.normal() + (2 if colour == "red" else 0)
        lines.append(f"{colour},{'' if i % 10 == 3 else f'{size:.3f}'},{'big' if size > 1 else 'small'}")
    (folder / "t.csv").write_text("\n".join(lines) + "\n")
    out = folder / "run"
    assert main(["train", f"csv:{folder / 't.csv'}", "--target", "label", "--out", str(out), "--quiet"]) == 0
    served = Served(out)
    yield out, served
    served.close()


def test_info_and_a_prediction_equal_numpynn_predict(digits_run, tmp_path, capsys):
    run_dir, served = digits_run
    status, info = served.request("/api/info")
    assert status == 200 and info["kind"] == "images" and info["class_names"] == ["0", "1", "2"]
    from helpers import fake_digits

    images, labels = fake_digits(3, seed=4)
    status, answer = served.request("/predict", {"images": [png_data_url(image) for image in images]})
    assert status == 200 and [p["label"] for p in answer["predictions"]] == [str(label) for label in labels]
    assert np.array(answer["images"]).shape == (3, 8, 8)
    Image.fromarray(images[1]).save(tmp_path / "d.png")
    capsys.readouterr()
    assert main(["predict", str(run_dir), str(tmp_path / "d.png")]) == 0
    assert capsys.readouterr().out.startswith(answer["predictions"][1]["label"] + " (")


def test_rows_with_blanks_and_text(table_run):
    _, served = table_run
    status, info = served.request("/api/info")
    fields = {field["name"]: field for field in info["columns"]}
    assert fields["colour"]["kind"] == "categorical" and fields["colour"]["blank"] and fields["size"]["blank"]
    rows = [{"colour": "red", "size": 3.0}, {"colour": None, "size": None}]
    status, answer = served.request("/predict", {"rows": rows})
    assert status == 200 and answer["predictions"][0]["label"] == "big"
    assert abs(sum(answer["predictions"][1]["probabilities"].values()) - 1) < 1e-6


@pytest.mark.parametrize(
    "raw,message",
    [
        (b"not json", "Expecting value"),
        (b'{"rows": [{"size": NaN}]}', "NaN is not a number JSON allows"),
        (b'{"images": [[1, 2], [3, 4]]}', "must be a data URL"),
        (b'{"images": ["@@@"]}', "not base64"),
        (b'{"images": ["aGVsbG8="]}', "not a readable image"),
        (b'{"pictures": []}', 'send a JSON object with "images"'),
        (b'{"images": []}', "a list of 1 to"),
        (b"[1, 2, 3]", "send a JSON object"),
    ],
)
def test_bad_requests_get_a_400_with_a_json_error(raw, message, digits_run):
    _, served = digits_run
    status, answer = served.request("/predict", raw=raw, headers={"Content-Type": "application/json"})
    assert status == 400 and message in answer["error"], answer


def test_too_large_unknown_paths_and_no_traversal(digits_run, table_run):
    _, served = digits_run
    status, answer = served.request("/predict", raw=b"x", headers={"Content-Length": str(MAX_BODY_BYTES + 1)})
    assert status == 400 and "bytes" in answer["error"]
    for path in ("/../../etc/passwd", "/web/app.js", "/%2e%2e/numpynn/server.py", "/index.html/../server.py"):
        status, answer = served.request(path)
        assert status == 404, path
    status, answer = table_run[1].request("/predict", {"rows": [{"colour": "red", "size": "tall"}]})
    assert status == 400 and "'tall'" in answer["error"]
    status, answer = served.request("/predict", {"rows": [{"a": 1}]})
    assert status == 400 and "takes images" in answer["error"]


def test_a_hundred_requests_at_once_all_succeed(digits_run):
    _, served = digits_run
    from helpers import fake_digits

    images, labels = fake_digits(100, seed=9)

    def one(i):
        return served.request("/predict", {"images": [png_data_url(images[i])]})

    with ThreadPoolExecutor(max_workers=100) as pool:
        answers = list(pool.map(one, range(100)))
    assert all(status == 200 for status, _ in answers)
    assert sum(a["predictions"][0]["label"] == str(label) for (_, a), label in zip(answers, labels)) >= 95


# ----- in a real browser -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
    if CHROMIUM is None:
        pytest.skip("no system Chromium (apt-get install chromium); browser tests need it")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


def open_page(browser, url):
    page = browser.new_page(viewport={"width": 1000, "height": 800})
    page.goto(url)
    page.wait_for_selector("body[data-ready=true]")
    return page


def settle(page):
    page.wait_for_function("document.body.dataset.busy === 'false'")


@pytest.fixture(scope="module")
def mnist_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("mnist") / "run"
    assert main(["train", "mnist", "--model", "mlp:256", "--epochs", "3", "--out", str(out), "--quiet"]) == 0
    served = Served(out)
    yield out, served
    served.close()


def ink_runs(inked: np.ndarray) -> list[tuple[int, int, int]]:
    """(row, first column, last column) of every run of consecutive inked pixels."""
    runs = []
    for row, line in enumerate(inked):
        edges = np.flatnonzero(np.diff(np.r_[0, line.astype(int), 0]))
        runs += [(row, start, end - 1) for start, end in zip(edges[::2], edges[1::2])]
    return runs


@requires_mnist
def test_digits_drawn_with_the_mouse_are_recognised(browser, mnist_run, tmp_path):
    run_dir, served = mnist_run
    model = nn.load_model(run_dir / "model.npz")
    _, (x_test, y_test) = nn.datasets.load_mnist(download=False)
    page = open_page(browser, served.url)
    box = page.locator("#canvas").bounding_box()
    scale = box["width"] / 28
    right = 0
    for i in range(20):
        page.click("#clear")
        for row, first, last in ink_runs(x_test[i] > 100):  # one stroke along each run of inked pixels in a row
            y = box["y"] + (row + 0.5) * scale
            page.mouse.move(box["x"] + (first + 0.5) * scale, y)
            page.mouse.down()
            page.mouse.move(box["x"] + (last + 0.5) * scale + 1, y)
            page.mouse.up()
        settle(page)
        label = page.inner_text("#label")
        seen = np.array(json.loads(page.get_attribute("#seen", "data-pixels")), dtype=np.float32)
        assert str(model.predict_labels(seen[None] / 255)[0]) == label  # the page shows what the model says
        right += label == str(y_test[i])
        if i < 3:
            page.screenshot(path=str(tmp_path / f"digit{i}.png"))
    print(f"{right} of 20 digits drawn with the mouse recognised")
    assert right >= 18, right


def test_uploading_an_image_predicts_it(browser, digits_run, tmp_path):
    from helpers import fake_digits

    images, labels = fake_digits(3, seed=3)
    Image.fromarray(np.repeat(np.repeat(images[2], 10, axis=0), 10, axis=1)).convert("RGB").save(tmp_path / "u.png")
    page = open_page(browser, digits_run[1].url)
    page.set_input_files("#upload", str(tmp_path / "u.png"))
    page.wait_for_function("document.getElementById('label').textContent !== '-'")
    assert page.inner_text("#label") == str(labels[2])


def test_the_breast_cancer_form_gives_the_command_lines_answer(browser, tmp_path, capsys):
    out = tmp_path / "bc"
    assert main(["train", "breast-cancer", "--epochs", "40", "--out", str(out), "--quiet"]) == 0
    data = nn.datasets.load_breast_cancer()
    served = Served(out)
    try:
        page = open_page(browser, served.url)
        for i in (0, 19):
            for name, value in zip(data.feature_names, data.x[i]):
                page.fill(f"[name='{name}']", repr(float(value)))
            page.click("form button")
            settle(page)
            (tmp_path / "row.csv").write_text(
                ",".join(data.feature_names) + "\n" + ",".join(repr(float(v)) for v in data.x[i]) + "\n"
            )
            capsys.readouterr()
            assert main(["predict", str(out), str(tmp_path / "row.csv")]) == 0
            expected = capsys.readouterr().out.split(": ")[1].split(" ")[0]
            assert page.inner_text("#label") == expected
        page.screenshot(path=str(tmp_path / "form.png"), full_page=True)
    finally:
        served.close()


def test_a_form_with_categories_and_blanks(browser, table_run, tmp_path, capsys):
    run_dir, served = table_run
    page = open_page(browser, served.url)
    assert page.locator("select[name='colour'] option").all_inner_texts() == ["(blank)", "green", "red"]
    for colour, size in (("red", "2.5"), ("", ""), ("green", "-1")):
        page.select_option("select[name='colour']", colour)
        page.fill("[name='size']", size)
        page.click("form button")
        settle(page)
        (tmp_path / "row.csv").write_text(f"colour,size\n{colour},{size}\n")
        capsys.readouterr()
        assert main(["predict", str(run_dir), str(tmp_path / "row.csv")]) == 0
        assert page.inner_text("#label") == capsys.readouterr().out.split(": ")[1].split(" ")[0]


def test_the_command_serves_on_a_port_and_ctrl_c_stops_it(digits_run):
    import re
    import signal
    import subprocess
    import sys

    process = subprocess.Popen(
        [sys.executable, "-m", "numpynn", "serve", str(digits_run[0]), "--port", "0"], stderr=subprocess.PIPE, text=True
    )
    line = process.stderr.readline()
    url = re.search(r"http://\S+/", line).group(0)
    with urllib.request.urlopen(url + "api/info", timeout=30) as response:
        assert json.loads(response.read())["kind"] == "images"
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 0 and "stopped" in err


def test_a_text_column_gets_a_text_box_that_gives_the_command_lines_answer(browser, tmp_path, capsys):
    out = tmp_path / "quotes"
    path = quotes_csv(tmp_path / "quotes.csv")
    assert main(["train", f"csv:{path}", "--target", "topic", "--epochs", "60", "--out", str(out), "--quiet"]) == 0
    served = Served(out)
    try:
        _, info = served.request("/api/info")
        assert {"name": "text", "kind": "text", "blank": True} in info["columns"]
        page = open_page(browser, served.url)
        page.fill("textarea[name='text']", "The striker took a penalty in the league match")
        page.fill("[name='length']", "9")
        page.click("form button")
        settle(page)
        (tmp_path / "row.csv").write_text("text,length\nThe striker took a penalty in the league match,9\n")
        capsys.readouterr()
        assert main(["predict", str(out), str(tmp_path / "row.csv")]) == 0
        assert page.inner_text("#label") == capsys.readouterr().out.split(": ")[1].split(" ")[0] == "football"
    finally:
        served.close()
