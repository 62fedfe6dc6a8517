"""Fixtures for the dataset sources: a local HTTP server on 127.0.0.1 that serves files the tests
generate in the genuine formats, and the real Kaggle client pointed at it."""

from __future__ import annotations

import base64
import io
import json
import os
import threading
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
from PIL import Image

KAGGLE_USER = "tester"
KAGGLE_KEY = "k3y-that-must-never-leak-0123456789"
KAGGLE_DOWNLOAD_ROUTE = "/v1/datasets.DatasetApiService/DownloadDataset"


@dataclass
class Route:
    """One response; ``length`` above ``len(body)`` declares more than is sent (a cut download),
    and ``drop`` closes the connection without answering."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    length: int | None = None
    drop: bool = False


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class Server:
    """Routes by path (query strings ignored); a route may be a function of the request."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.routes: dict[str, Route | Callable[[Request], Route]] = {}
        self.requests: list[Request] = []

    def add(self, path: str, body: bytes = b"", **route: object) -> None:
        self.routes[path] = Route(body, **route)

    def add_sequence(self, path: str, *answers: dict[str, object]) -> None:
        """Answer the requests for ``path`` with routes built from ``answers`` (Route's fields)
        in turn, repeating the last: ``{"status": 503}, {"drop": True}, {"body": data}``."""
        routes = [Route(**answer) for answer in answers]
        answered = 0

        def next_route(request: Request) -> Route:
            nonlocal answered
            answered += 1
            return routes[min(answered, len(routes)) - 1]

        self.routes[path] = next_route

    def paths(self, method: str) -> list[str]:
        return [r.path for r in self.requests if r.method == method]

    def count(self, path: str, method: str = "GET") -> int:
        """How many ``method`` requests for ``path`` reached the server."""
        return self.paths(method).count(path)


def _handler(server: Server) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self, method: str) -> None:
            size = int(self.headers.get("Content-Length") or 0)
            request = Request(
                method, self.path.split("?")[0], dict(self.headers), self.rfile.read(size)
            )
            server.requests.append(request)
            route = server.routes.get(request.path, Route(b"not found", status=404))
            if callable(route):
                route = route(request)
            if route.drop:
                self.close_connection = True
                return
            self.send_response(route.status)
            for name, value in route.headers.items():
                self.send_header(name, value)
            length = len(route.body) if route.length is None else route.length
            self.send_header("Content-Length", str(length))
            self.end_headers()
            if method != "HEAD":
                self.wfile.write(route.body)
            self.close_connection = length != len(route.body)

        def do_GET(self) -> None:
            self._serve("GET")

        def do_HEAD(self) -> None:
            self._serve("HEAD")

        def do_POST(self) -> None:
            self._serve("POST")

        def log_message(self, format: str, *args: object) -> None:
            """Keep the test output quiet."""

    return Handler


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch) -> None:
    """Retries of transient download failures wait milliseconds instead of seconds."""
    monkeypatch.setenv("ACTSTUDY_RETRY_BASE_DELAY", "0.001")
    monkeypatch.delenv("ACTSTUDY_RETRY_ATTEMPTS", raising=False)


@pytest.fixture
def http_server() -> Iterator[Server]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    server = Server(f"http://127.0.0.1:{httpd.server_address[1]}")
    httpd.RequestHandlerClass = _handler(server)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def no_kaggle_credentials(tmp_path, monkeypatch) -> None:
    """HOME in tmp and no KAGGLE_* variables: no credentials anywhere."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    for name in list(os.environ):
        if name.startswith("KAGGLE_"):
            monkeypatch.delenv(name)


@dataclass
class KaggleSite:
    server: Server
    datasets: dict[str, Route]
    key: str = KAGGLE_KEY

    def serve(self, slug: str, archive: bytes) -> None:
        """Serve ``archive`` as the zip of Kaggle dataset ``slug``."""
        self.datasets[slug] = Route(archive, headers={"Content-Type": "application/zip"})
        self.server.routes[f"/storage/{slug}.zip"] = self.datasets[slug]

    def download_requests(self) -> list[dict[str, object]]:
        return [
            json.loads(r.body)
            for r in self.server.requests
            if r.method == "POST" and r.path == KAGGLE_DOWNLOAD_ROUTE
        ]


@pytest.fixture
def kaggle(http_server, no_kaggle_credentials, monkeypatch) -> KaggleSite:
    """The kaggle package's client with credentials in the environment, talking to the local
    server: kagglesdk takes its production endpoint from ``kaggle_env._env_to_endpoint``."""
    from kagglesdk import kaggle_env

    monkeypatch.setenv("KAGGLE_USERNAME", KAGGLE_USER)
    monkeypatch.setenv("KAGGLE_KEY", KAGGLE_KEY)
    monkeypatch.setitem(kaggle_env._env_to_endpoint, kaggle_env.KaggleEnv.PROD, http_server.url)
    site = KaggleSite(http_server, {})
    expected_auth = "Basic " + base64.b64encode(f"{KAGGLE_USER}:{KAGGLE_KEY}".encode()).decode()

    def download(request: Request) -> Route:
        """The API answers a DownloadDataset call with a redirect to the archive, as Kaggle does."""
        query = json.loads(request.body)
        slug = f"{query['ownerSlug']}/{query['datasetSlug']}"
        if request.headers.get("Authorization") != expected_auth or slug not in site.datasets:
            status = 401 if slug in site.datasets else 404
            body = json.dumps({"code": status, "message": "refused"}).encode()
            return Route(body, status=status, headers={"Content-Type": "application/json"})
        return Route(status=302, headers={"Location": f"{http_server.url}/storage/{slug}.zip"})

    http_server.routes[KAGGLE_DOWNLOAD_ROUTE] = download
    return site


def _zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _jpeg_bytes(colour: tuple[int, int, int], size: tuple[int, int] = (100, 100)) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.full((size[1], size[0], 3), colour, dtype=np.uint8)).save(
        buffer, "JPEG", quality=95
    )
    return buffer.getvalue()


@pytest.fixture
def zip_bytes() -> Callable[[dict[str, bytes]], bytes]:
    """Builds a zip archive in memory from member name -> bytes."""
    return _zip_bytes


@pytest.fixture
def jpeg_bytes() -> Callable[..., bytes]:
    """Encodes a JPEG of one colour (width, height default 100 x 100)."""
    return _jpeg_bytes
