"""``numpynn serve RUN``: a local web page to draw a digit or fill in a row, and a JSON API beside it.

    GET  /              the page (numpynn/apps/web/index.html, app.js, style.css: only these files are served)
    GET  /api/info      what the model takes: kind, task, classes, image size, the form's columns
    POST /predict       {"images": ["data:image/png;base64,...", ...]} or {"rows": [{"column": value, ...}]}
                        -> {"predictions": [...], "images": [the image the model saw, 0-255 rows]}

Requests go through the same conversion as ``numpynn predict`` (a drawn digit is cropped, scaled and
centred as MNIST's were). A bad request (not JSON, a wrong shape, NaN, a body over MAX_BODY_BYTES) gets
a 400 with {"error": "..."}, never a 500 or a traceback. The standard library's ThreadingHTTPServer
serves it: one thread per request, no extra dependency, enough for a page on one's own machine.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import math
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np

from numpynn.data.preprocessing import TargetScaler
from numpynn.data.raw_inputs import column_inputs, image_inputs
from numpynn.errors import InputError
from numpynn.runs.run_folder import load_run

WEB = Path(__file__).parent / "web"
STATIC = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/style.css": ("style.css", "text/css; charset=utf-8"),
}
MAX_BODY_BYTES = 4 << 20  # a few drawn digits or a few thousand rows; anything larger is refused
MAX_ITEMS = 1000


class BadRequest(InputError):
    """A request the API cannot answer: a 400 with this message."""


class Predictor:
    """A run's model and how to turn JSON requests into its inputs and its outputs into JSON answers."""

    def __init__(self, run_dir: str | Path):
        self.config, self.preprocessing, self.model = load_run(run_dir)
        self.lock = threading.Lock()  # layers keep per-call caches: one prediction at a time

    def info(self) -> dict:
        config = self.config
        info = {
            "kind": config["kind"],
            "task": config.get("task", "classification"),
            "dataset": config["dataset"],
            "class_names": config["class_names"],
            "input_shape": config["input_shape"],
            "target": config.get("target"),
        }
        if config["kind"] == "tabular":
            info["columns"] = self._form_columns()
        return info

    def _form_columns(self) -> list[dict]:
        """One form field per training column: numeric (blank allowed where training saw gaps) or a choice."""
        encoder = self.preprocessing.get("encoder")
        if encoder is None:
            return [{"name": name, "kind": "numeric", "blank": False} for name in self.config["feature_names"]]
        fields = []
        for spec in encoder["columns"]:
            if spec["kind"] == "numeric":
                fields.append(
                    {
                        "name": spec["name"],
                        "kind": "numeric",
                        "blank": bool(spec["indicator"]),
                        "default": spec["median"],
                    }
                )
            elif spec["kind"] == "text":
                fields.append({"name": spec["name"], "kind": "text", "blank": True})
            elif spec["kind"] == "categorical":
                fields.append(
                    {
                        "name": spec["name"],
                        "kind": "categorical",
                        "choices": [c for c in spec["categories"] if c != "(missing)"],
                        "blank": "(missing)" in spec["categories"],
                    }
                )
        return fields

    def predict(self, request: dict) -> dict:
        if not isinstance(request, dict) or sum(key in request for key in ("images", "rows")) != 1:
            raise BadRequest(
                'send a JSON object with "images" (a list of PNG data URLs) or "rows" (a list of objects, one per row)'
            )
        items = request.get("images", request.get("rows"))
        if not isinstance(items, list) or not items or len(items) > MAX_ITEMS:
            raise BadRequest(f"give a list of 1 to {MAX_ITEMS} items")
        if "images" in request:
            if self.config["kind"] != "images":
                raise BadRequest("this model takes table rows, not images")
            x = image_inputs(
                [self._decode_image(i, item) for i, item in enumerate(items)], self.config, self.preprocessing
            )
        else:
            if self.config["kind"] != "tabular":
                raise BadRequest("this model takes images, not table rows")
            x = column_inputs(self._columns(items), self.config.get("feature_names") or [], self.preprocessing)
        with self.lock:
            outputs = self.model.predict(x)
        answer = {"predictions": [self._answer(row) for row in outputs]}
        if "images" in request:
            answer["images"] = [np.round(image.reshape(image.shape[:2]) * 255).astype(int).tolist() for image in x]
        return answer

    @staticmethod
    def _decode_image(index: int, item) -> io.BytesIO:
        if not isinstance(item, str):
            raise BadRequest(f"image {index + 1} must be a data URL or base64 text of an image file")
        try:
            return io.BytesIO(base64.b64decode(item.split(",", 1)[-1], validate=True))
        except (binascii.Error, ValueError):
            raise BadRequest(f"image {index + 1} is not base64") from None

    def _columns(self, rows: list) -> dict[str, list]:
        if not all(isinstance(row, dict) for row in rows):
            raise BadRequest("each row must be an object {column: value}")
        names = {name for row in rows for name in row}
        for row in rows:
            for name, value in row.items():
                if isinstance(value, float) and not math.isfinite(value):
                    raise BadRequest(f"column {name!r} holds {value}; send a number, text or null")
                if value is not None and not isinstance(value, (str, int, float)):
                    raise BadRequest(f"column {name!r} holds {type(value).__name__}; send a number, text or null")
        return {name: [row.get(name) for row in rows] for name in names}

    def _answer(self, output: np.ndarray) -> dict:
        if self.config.get("task") == "regression":
            return {"value": float(TargetScaler.from_config(self.preprocessing["target"]).inverse_transform(output[0]))}
        names = self.config["class_names"]
        probabilities = [1 - float(output[0]), float(output[0])] if len(output) == 1 else [float(p) for p in output]
        best = int(np.argmax(probabilities))
        return {"label": names[best], "probabilities": dict(zip(names, probabilities, strict=True))}


class Handler(BaseHTTPRequestHandler):
    predictor: Predictor  # set on the subclass that make_server creates
    server_version = "numpynn"

    def log_message(self, format, *args) -> None:  # noqa: A002 - the standard library's name
        pass  # quiet: the command line says where the page is; requests are not logged

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/api/info":
            return self._json(HTTPStatus.OK, self.predictor.info())
        if path not in STATIC:
            return self._json(HTTPStatus.NOT_FOUND, {"error": f"no page {path}"})
        name, content_type = STATIC[path]
        self._send(HTTPStatus.OK, (WEB / name).read_bytes(), content_type)

    def do_POST(self) -> None:
        if self.path.split("?", 1)[0] != "/predict":
            return self._json(HTTPStatus.NOT_FOUND, {"error": f"no API {self.path}; POST to /predict"})
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 < length <= MAX_BODY_BYTES:
            self.close_connection = True  # the body, if any, is not read
            return self._json(
                HTTPStatus.BAD_REQUEST,
                {"error": f"send a JSON body of 1 to {MAX_BODY_BYTES} bytes with its Content-Length"},
            )
        try:
            request = json.loads(self.rfile.read(length), parse_constant=_no_constant)
            answer = self.predictor.predict(request)
        except (InputError, ValueError) as exc:  # a bad request (JSON, shape, NaN, an unreadable image)
            return self._json(HTTPStatus.BAD_REQUEST, {"error": str(exc)})
        self._json(HTTPStatus.OK, answer)

    def _json(self, status: HTTPStatus, content: dict) -> None:
        self._send(status, json.dumps(content).encode(), "application/json")

    def _send(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        self.wfile.write(body)


def _no_constant(name: str):
    raise BadRequest(f"{name} is not a number JSON allows; send a number, text or null")


def make_server(run_dir: str | Path, host: str = "127.0.0.1", port: int = 8000) -> ThreadingHTTPServer:
    """A server for a run's model (not started: call serve_forever). Port 0 picks a free port."""
    handler = type("RunHandler", (Handler,), {"predictor": Predictor(run_dir)})
    server = Server((host, port), handler)
    return server


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the listen backlog: a burst of requests waits instead of being refused
