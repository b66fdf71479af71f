"""Serve a site folder on 127.0.0.1 until standard input closes (a benchmark's server process).

    python bench/serve_site.py ROOT

Prints the origin (``http://127.0.0.1:PORT``) as its first line of standard output. Serves
the folder as :class:`newsbot.fixture_server.FixtureServer` does (``/a/`` from
``a/index.html``, ``404.html`` for a missing path, ``__ORIGIN__`` in text files replaced,
an ``ETag`` and 304 for a matching ``If-None-Match``), but on asyncio with the least HTTP
it takes: the benchmark's server shares the crawler's cores, and a real crawl's servers
are elsewhere, so it should cost the machine as little as it can. The ETag comes from the
file's size and modification time, as a static web server's does, not from a hash of the
body.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from newsbot.fixture_server import content_type_of, fill_origin, site_file  # noqa: E402

_REASONS = {200: "OK", 304: "Not Modified", 404: "Not Found"}


class StaticSite:
    """Resolves request paths to ``(status, body, content type, etag)`` for one folder,
    as :class:`newsbot.fixture_server.FixtureServer` does."""

    def __init__(self, root: Path, origin: str) -> None:
        self.root = root
        self.origin = origin

    def resolve(self, target: str) -> tuple[int, bytes, str, str]:
        """Return the response for a request target (a path with an optional query)."""
        status, file = site_file(self.root, target)
        stat = file.stat()
        content_type = content_type_of(file)
        body = fill_origin(file.read_bytes(), content_type, self.origin)
        return int(status), body, content_type, f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'


async def _serve_connection(site: StaticSite, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer the requests of one keep-alive connection until the client closes it."""
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                return
            request_line, *lines = head.decode("latin-1").split("\r\n")
            parts = request_line.split(" ")
            headers = {}
            for line in lines:
                name, sep, value = line.partition(":")
                if sep:
                    headers[name.strip().lower()] = value.strip()
            if len(parts) != 3 or parts[0] not in ("GET", "HEAD"):
                writer.write(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                await writer.drain()
                return
            status, body, content_type, etag = site.resolve(parts[1])
            if status == 200 and etag in headers.get("if-none-match", ""):
                status, body = 304, b""
            head_out = (f"HTTP/1.1 {status} {_REASONS[status]}\r\nContent-Type: {content_type}\r\n"
                        f"Content-Length: {len(body)}\r\nETag: {etag}\r\n\r\n").encode("latin-1")
            writer.write(head_out if parts[0] == "HEAD" else head_out + body)
            await writer.drain()
            if headers.get("connection", "").lower() == "close":
                return
    finally:
        writer.close()


async def serve(root: Path) -> None:
    """Serve ``root`` on a free loopback port until standard input reaches end of file."""
    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    # the port, and so the origin written into pages, is known once the server listens;
    # connections reach the handler only after that
    server = await asyncio.start_server(lambda r, w: _serve_connection(site, r, w), "127.0.0.1", 0, backlog=256)
    site = StaticSite(root, f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}")
    print(site.origin, flush=True)

    def wait_for_eof() -> None:
        sys.stdin.read()
        loop.call_soon_threadsafe(done.set)

    threading.Thread(target=wait_for_eof, daemon=True).start()
    async with server:
        await done.wait()


def main() -> int:
    """Serve ``sys.argv[1]`` until standard input reaches end of file; return 0."""
    root = Path(sys.argv[1])
    if not (root / "index.html").is_file():
        sys.exit(f"serve_site.py: no site at {root} (expected {root / 'index.html'})")
    asyncio.run(serve(root))
    return 0


if __name__ == "__main__":
    sys.exit(main())
