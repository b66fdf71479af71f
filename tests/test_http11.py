"""Response header bounds (newsbot.http11) through real crawls of loopback servers."""

from __future__ import annotations

from pathlib import Path

from tests.crawling import crawl
from tests.faultserver import Scenario, article_html, send

FAST = {"DOWNLOAD_TIMEOUT": 5, "AUTOTHROTTLE_ENABLED": False, "NEWSBOT_EXTRACT_WORKERS": 1, "RETRY_TIMES": 0}


def _endless(h) -> None:  # type: ignore[no-untyped-def]
    h.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n")
    block = b"".join(b"X-Filler-%d: %s\r\n" % (i, b"v" * 100) for i in range(500))
    try:
        for _ in range(100_000):  # ~5 GB if read to the end
            h.wfile.write(block)
    except OSError:
        pass
    h.close_connection = True


def _long_line(h) -> None:  # type: ignore[no-untyped-def]
    h.wfile.write(b"HTTP/1.1 200 OK\r\nX-Long: " + b"x" * 200_000 + b"\r\nContent-Length: 0\r\n\r\n")
    h.close_connection = True


def test_header_bounds(tmp_path: Path) -> None:
    scenario = Scenario()
    srv = scenario.server()
    csp = "default-src 'self'; " + " ".join(f"https://cdn{i}.static.example" for i in range(900))
    assert len(csp) > 22_000
    page = article_html("csp", "A page with a long security policy").encode()
    srv.routes["/csp/"] = lambda h: send(h, 200, page, headers={"Content-Security-Policy": csp})
    srv.routes["/endless/"] = _endless
    srv.routes["/long-line/"] = _long_line
    many = {f"X-H{i}": "v" for i in range(600)}
    srv.routes["/many/"] = lambda h: send(h, 200, page, headers=many)
    urls = tmp_path / "urls.txt"
    urls.write_text("".join(f"{srv.origin}/{p}/\n" for p in ("csp", "endless", "long-line", "many")))
    with scenario:
        result = crawl("urls", FAST, file=str(urls))
    assert [i["source_url"] for i in result.items] == [f"{srv.origin}/csp/"]
    assert result.stat("newsbot/errors/headers_too_large") == 3
    lines = [line for line in result.log if "fetch failed" in line]
    assert any("/endless/" in line and "NEWSBOT_MAX_HEADER" in line for line in lines), lines
    assert any("/long-line/" in line and "NEWSBOT_MAX_HEADER_LINE" in line for line in lines), lines
    assert any("/many/" in line and "NEWSBOT_MAX_HEADERS" in line for line in lines), lines
    assert not [line for line in result.log if "Traceback" in line]
