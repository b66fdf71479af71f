"""Serves the discovery shapes of ``fixtures/cases/discovery`` as two small sites on
127.0.0.1, counting every request by its raw path (query and ``;params`` included).

Site A: robots.txt names the sitemap shapes (one as ``Site-map:``), the home page declares
the feed shapes with ``<link rel="alternate">``, ``/feed.xml`` (a probed feed path) is
unreadable. Site B: robots.txt names no sitemap; ``/wp-sitemap.xml`` is there to be probed.
Every other path is a small article page.
"""

from __future__ import annotations

import gzip
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

CASES_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "cases" / "discovery"


def load_cases() -> list[dict[str, Any]]:
    """Return the cases of ``fixtures/cases/discovery/cases.json``."""
    return json.loads((CASES_DIR / "cases.json").read_text(encoding="utf-8"))["cases"]


def case_body(case: dict[str, Any], origin: str) -> bytes:
    """Return the bytes a case's file is served as (``__ORIGIN__`` replaced, gzipped)."""
    body = (CASES_DIR / case["file"]).read_bytes().replace(b"__ORIGIN__", origin.encode())
    return gzip.compress(body) if case.get("gzip") else body


def article(path: str) -> bytes:
    """Return a small article page for ``path``."""
    text = " ".join(f"Sentence {i} of the story at {path} tells what happened there." for i in range(12))
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Story {path}</title></head>"
            f"<body><article><h1>Story {path}</h1><p>{text}</p><p>{text}</p></article></body></html>").encode()


class ShapeSite:
    """One site: routes (raw path -> (status, content type, body)) and the hits."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, str, bytes]] = {}
        self.hits: dict[str, int] = {}
        self.lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                with site.lock:
                    site.hits[self.path] = site.hits.get(self.path, 0) + 1
                status, ctype, body = site.routes.get(self.path, (200, "text/html; charset=utf-8", b""))
                if not body and status == 200:
                    if self.path in site.missing:
                        status, body = 404, b"<html><body>Not found</body></html>"
                    else:
                        body = article(self.path)
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self.missing: set[str] = set()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def origin(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def build_sites(probe_paths: list[str]) -> tuple[ShapeSite, ShapeSite]:
    """Return sites A and B serving every case; ``probe_paths`` (the feed and sitemap paths
    the spider probes) answer 404 unless a case is served there."""
    a, b = ShapeSite(), ShapeSite()
    robots = ["User-agent: *", "Disallow: /private/"]
    links = []
    for case in load_cases():
        site = b if case["via"] == "probe" else a
        site.routes[case["path"]] = (200, case["type"], case_body(case, site.origin))
        if case["via"] == "sitemap":
            robots.append(f"{case.get('robots', 'Sitemap')}: {site.origin}{case['path']}")
        elif case["via"] == "feed":
            declared = case.get("declared", case["type"].split(";")[0])
            links.append(f'<link rel="alternate" type="{declared}" href="{case["path"]}">')
    a.routes["/robots.txt"] = (200, "text/plain", "\n".join(robots).encode() + b"\n")
    b.routes["/robots.txt"] = (200, "text/plain", b"User-agent: *\nDisallow: /private/\n")
    home = "<!DOCTYPE html><html><head><title>Shapes</title>{}</head><body><h1>Shapes</h1></body></html>"
    a.routes["/"] = (200, "text/html; charset=utf-8", home.format("".join(links)).encode())
    b.routes["/"] = (200, "text/html; charset=utf-8", home.format("").encode())
    for site in (a, b):
        site.missing = {p for p in probe_paths if p not in site.routes}
    return a, b
