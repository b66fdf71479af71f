"""A small HTTP server for the bundled fixture site, on 127.0.0.1.

``newsbot demo`` crawls it, and the tests run real crawls against it. ``/a/b/`` is served
from ``ROOT/a/b/index.html``, a missing path gets ``ROOT/404.html`` with status 404, and
``__ORIGIN__`` in any text file is replaced with the server's own ``http://127.0.0.1:PORT``
(sitemaps and canonical links need absolute URLs, and the port is only known at start).
Pages can be added while it runs (``add_page``), as a site publishes new stories. Every 200
carries an ``ETag`` (a hash of the body) and a matching ``If-None-Match`` gets a 304.
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from posixpath import normpath
from urllib.parse import unquote, urlsplit

logger = logging.getLogger(__name__)

ORIGIN_PLACEHOLDER = b"__ORIGIN__"
_TEXT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json",
}


def default_fixture_root() -> Path:
    """Return the folder of the bundled fixture site: ``newsbot/demo_site``, package data of
    the installed package (in a checkout, a symlink to ``fixtures/site``)."""
    return Path(__file__).resolve().parent / "demo_site"


class _QuietServer(ThreadingHTTPServer):
    """A client that hangs up (a crawl killed mid-request) is logged, not printed."""

    def handle_error(self, request: object, client_address: object) -> None:
        logger.debug("fixture server: client %s went away: %s", client_address, sys.exc_info()[1])


def site_file(root: Path, raw_path: str) -> tuple[int, Path]:
    """Return ``(status, file)`` serving a request path from the site folder ``root``:
    ``/a/b/`` is ``a/b/index.html``; a missing file (or a path out of ``root``) is
    ``404.html`` with status 404."""
    path = unquote(urlsplit(raw_path).path) or "/"
    clean = normpath("/" + path.lstrip("/")).lstrip("/")
    target = root / clean
    if path.endswith("/") or target.is_dir():
        target = target / "index.html"
    if clean.startswith("..") or not target.is_file():
        return HTTPStatus.NOT_FOUND, root / "404.html"
    return HTTPStatus.OK, target


def content_type_of(file: Path) -> str:
    """Return the Content-Type a site file is served with."""
    return _TEXT_TYPES.get(file.suffix.lower()) or mimetypes.guess_type(file.name)[0] or "application/octet-stream"


def fill_origin(body: bytes, content_type: str, origin: str) -> bytes:
    """Return ``body`` with ``__ORIGIN__`` replaced by ``origin`` when it is a text type."""
    if content_type.startswith(("text/", "application/xml", "application/json")):
        return body.replace(ORIGIN_PLACEHOLDER, origin.encode("ascii"))
    return body


class FixtureServer:
    """Serves a static site folder on ``127.0.0.1`` in a background thread.

    Use as a context manager, or call ``start()`` and ``stop()``.
    """

    def __init__(self, root: Path | str | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.root = Path(root) if root else default_fixture_root()
        if not (self.root / "index.html").is_file():
            raise FileNotFoundError(f"no fixture site at {self.root} (expected {self.root / 'index.html'})")
        self.extra: dict[str, tuple[bytes, str]] = {}
        self.hits: dict[str, int] = {}
        self.not_modified = 0  # 304 answers to conditional requests
        self._lock = threading.Lock()
        self._httpd = _QuietServer((host, port), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def origin(self) -> str:
        """Return ``http://127.0.0.1:PORT``."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str = "/") -> str:
        """Return the absolute URL of a site path."""
        return self.origin + (path if path.startswith("/") else "/" + path)

    def add_page(self, path: str, body: str | bytes, content_type: str = "text/html; charset=utf-8") -> None:
        """Serve ``body`` at ``path`` from now on (``__ORIGIN__`` is replaced as for files)."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        with self._lock:
            self.extra[path] = (data, content_type)

    def start(self) -> FixtureServer:
        """Start serving in a daemon thread and return self."""
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="fixture-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> FixtureServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def resolve(self, raw_path: str) -> tuple[int, bytes, str]:
        """Return ``(status, body, content type)`` for a request path."""
        path = unquote(urlsplit(raw_path).path) or "/"
        with self._lock:
            self.hits[path] = self.hits.get(path, 0) + 1
            extra = self.extra.get(path)
        if extra is not None:
            return HTTPStatus.OK, fill_origin(extra[0], extra[1], self.origin), extra[1]
        status, target = site_file(self.root, raw_path)
        content_type = content_type_of(target)
        return status, fill_origin(target.read_bytes(), content_type, self.origin), content_type

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                self._respond(send_body=True)

            def do_HEAD(self) -> None:
                self._respond(send_body=False)

            def _respond(self, send_body: bool) -> None:
                status, body, content_type = server.resolve(self.path)
                etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
                if status == HTTPStatus.OK and etag in self.headers.get("If-None-Match", ""):
                    with server._lock:
                        server.not_modified += 1
                    self.send_response(HTTPStatus.NOT_MODIFIED)
                    self.send_header("ETag", etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                if status == HTTPStatus.OK:
                    self.send_header("ETag", etag)
                self.end_headers()
                if send_body:
                    self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - http.server names it
                logger.debug("fixture server: %s", format % args)

        return Handler
