"""A fault-injecting news site on loopback, for ``tests/test_faults.py`` and ``bench/faults.py``.

:class:`FaultSite` starts three small HTTP servers in background threads:

* the **main site** on ``127.0.0.1`` (free port): a home page linking to one path per fault
  kind and to good articles, a robots.txt that disallows ``/members/`` and names a sitemap
  index (good, malformed, billion-laughs and self-listing sitemaps), and two declared feeds
  (one malformed but recoverable, one not XML at all);
* the **other site** on ``127.0.0.2``: a different host, the target of an off-site redirect;
* the **slow-robots site** on ``127.0.0.1`` (another port, so another robots.txt): its
  robots.txt stalls; its home page links to good articles.

A fourth address is a closed port (connection refused). Every fault kind is a
:class:`Fault` with the outcome a user should expect; ``FaultSite.faults`` lists them in
table order, and ``FaultSite.good_urls`` the article URLs that must each give one record.

Nothing here holds large bodies in memory: the 50 MB page is streamed in chunks, and the
gzip bomb (several GB inflated) is built from one repeated full-flush deflate block.
"""

from __future__ import annotations

import logging
import socket
import struct
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)

# Seconds a stalling path waits before closing (tests set DOWNLOAD_TIMEOUT far below).
STALL_SECONDS = 60.0
HUGE_PAGE_BYTES = 50 * 1024 * 1024
BOMB_INFLATED_BYTES = 3 * 1024 ** 3

_WORDS = ("harbour council ferry budget river storm school museum market festival engineers "
          "volunteers residents minister tunnel bridge library station weather port fishing "
          "shipyard theatre orchestra students scientists farmers drivers nurses teachers").split()


def sentences(seed: str, count: int = 12) -> list[str]:
    """Return ``count`` plain, varied English sentences derived from ``seed`` (deterministic)."""
    h = zlib.crc32(seed.encode("utf-8"))
    out = []
    for i in range(count):
        h = (h * 1103515245 + 12345) & 0x7FFFFFFF
        a, b, c, d = (_WORDS[(h >> s) % len(_WORDS)] for s in (0, 5, 10, 15))
        out.append(f"The {a} and the {b} met on day {i + 1} of the {seed} story to discuss how the "
                   f"{c} could help the {d} before the end of the season, officials said.")
    return out


def article_html(slug: str, title: str, paragraphs: list[str] | None = None, *, lang: str = "en",
                 meta_charset: str | None = "utf-8", head_extra: str = "") -> str:
    """Return a plain article page (headline, byline, date, paragraphs) as text."""
    paragraphs = paragraphs if paragraphs is not None else [" ".join(sentences(slug)[i:i + 3]) for i in range(0, 12, 3)]
    charset = f'<meta charset="{meta_charset}">' if meta_charset else ""
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return (f'<!DOCTYPE html>\n<html lang="{lang}"><head>{charset}{head_extra}<title>{title}</title>'
            f'<meta property="og:type" content="article">'
            f'<meta property="article:published_time" content="2025-06-01T09:00:00+00:00">'
            f'</head><body><header><a href="/">Fault Gazette</a></header><main><article>'
            f'<h1>{title}</h1><p class="byline">By Ada Example</p>\n{body}\n'
            f'</article></main><footer>Fault Gazette</footer></body></html>')


CP1251_TEXT = [
    "Городской совет Харборвью в понедельник утвердил новый бюджет на строительство "
    "морской стены, которая должна защитить старый порт от зимних штормов.",
    "По словам инженеров, работы начнутся весной и продлятся не менее трёх лет, а жители "
    "прибрежных улиц получат временное жильё на время самых шумных работ.",
    "Оппозиция заявила, что деньги лучше было бы потратить на ремонт школ и больниц, "
    "однако большинство депутатов поддержало проект после долгих споров.",
    "Рыбаки, которые каждое утро выходят в море из старой гавани, встретили решение с "
    "осторожным оптимизмом и попросили власти не закрывать причалы летом.",
    "Мэр города пообещала лично следить за ходом строительства и каждый месяц отчитываться "
    "перед жителями о расходах и сроках работ на набережной.",
]
SJIS_TEXT = [
    "港町の市議会は月曜日、冬の嵐から古い港を守るための新しい防潮堤の予算を、長い議論の末に承認した。",
    "技術者によると、工事は春に始まり、少なくとも三年間続く見込みで、海沿いの住民には、"
    "最も騒がしい期間、仮の住まいが用意される。",
    "野党は、その資金を学校や病院の修理に使うべきだと主張したが、多数の議員は、"
    "将来の被害を防ぐために、計画を支持した。",
    "毎朝、古い港から漁に出る漁師たちは、慎重ながらも、決定を歓迎し、夏の間、"
    "桟橋を閉鎖しないよう、市に求めた。",
    "市長は、工事の進み具合を自ら確認し、毎月、費用と日程について、住民に報告すると約束した。",
]
ACCENTED_TEXT = [
    "Zoë Müller opened the café on Malmö Street in 1998, and the crème brûlée is still "
    "the dish that regulars order first, she said with a smile.",
    "“We never changed the recipe,” Müller said, adding that the señora who taught her "
    "now lives in Córdoba and still sends a postcard every Christmas.",
    "The council’s plan to widen the street would close the café for eight months, "
    "a delay Zoë says the business cannot survive without help.",
    "A petition signed by 4 000 residents asks the mayor to phase the works so that the "
    "terrace can stay open through the summer season.",
]


@dataclass(frozen=True)
class Fault:
    """One fault kind on the site: where it is, what a user should expect, and the stats
    key (``newsbot/errors/<error>``) it must be counted under (None: not an error)."""

    kind: str
    url: str
    expected: str
    error: str | None = None
    good_urls: tuple[str, ...] = ()
    drop: str | None = None
    fetched: bool = True
    attempts: int | None = None
    contains: str | None = None
    skipped: str | None = None


def _closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def gzip_bomb(inflated: int = BOMB_INFLATED_BYTES, block: int = 4 * 1024 * 1024) -> bytes:
    """Return a gzip stream of ``inflated`` zero bytes built without inflating it: one
    full-flush deflate block of ``block`` zeros, repeated. The trailer CRC is not computed
    (a client that honours a size limit stops long before reading it)."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = comp.compress(b"\0" * block) + comp.flush(zlib.Z_FULL_FLUSH)
    tail = comp.flush(zlib.Z_FINISH)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    return header + piece * (inflated // block) + tail + struct.pack("<II", 0, inflated & 0xFFFFFFFF)


Handler = Callable[[BaseHTTPRequestHandler], None]


class _Server:
    """One threaded HTTP server whose paths map to handler functions."""

    def __init__(self, host: str, name: str, stop: threading.Event) -> None:
        self.routes: dict[str, Handler] = {}
        self.hits: dict[str, int] = {}
        self.lock = threading.Lock()
        self.stop_event = stop
        self.httpd = ThreadingHTTPServer((host, 0), self._handler_class())
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, name=name, daemon=True)

    @property
    def origin(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def hit(self, path: str) -> int:
        """Count a request for ``path`` and return how many there have been."""
        with self.lock:
            self.hits[path] = self.hits.get(path, 0) + 1
            return self.hits[path]

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                path = urlsplit(self.path).path
                server.hit(path)
                route = server.routes.get(path)
                try:
                    if route is None:
                        send(self, 404, b"<html><body><h1>Not found</h1></body></html>")
                    else:
                        route(self)
                except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
                    self.close_connection = True

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                logger.debug("fault server: " + format, *args)

        return RequestHandler


def send(h: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str = "text/html; charset=utf-8",
         headers: dict[str, str] | None = None) -> None:
    """Write a complete response."""
    h.send_response(status)
    if content_type:
        h.send_header("Content-Type", content_type)
    for name, value in (headers or {}).items():
        h.send_header(name, value)
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    h.wfile.write(body)


class FaultSite:
    """The fault-injecting site (see the module docstring). Use as a context manager."""

    def __init__(self, stall_seconds: float = STALL_SECONDS, retry_times: int = 2) -> None:
        self.stall_seconds = stall_seconds
        self.tries = retry_times + 1
        self._stop = threading.Event()
        self.main = _Server("127.0.0.1", "fault-main", self._stop)
        self.other = _Server("127.0.0.2", "fault-other", self._stop)
        self.slow = _Server("127.0.0.1", "fault-slow-robots", self._stop)
        self.refused_origin = f"http://127.0.0.1:{_closed_port()}"
        self._bomb = gzip_bomb()
        self.faults: list[Fault] = []
        self.plain_good: list[str] = []
        self._build()

    # -- life cycle

    def __enter__(self) -> FaultSite:
        for server in (self.main, self.other, self.slow):
            server.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for server in (self.main, self.other, self.slow):
            server.httpd.shutdown()
            server.httpd.server_close()

    @property
    def home(self) -> str:
        """Return the main site's home URL."""
        return self.main.origin + "/"

    def url(self, path: str) -> str:
        """Return the main site's URL for ``path``."""
        return self.main.origin + path

    @property
    def good_urls(self) -> list[str]:
        """Return every URL that must give exactly one record (as ``source_url``)."""
        urls = list(self.plain_good)
        for fault in self.faults:
            urls.extend(fault.good_urls)
        return urls

    def hits(self, url: str) -> int:
        """Return how often ``url`` was requested from its server."""
        parts = urlsplit(url)
        for server in (self.main, self.other, self.slow):
            if server.origin == f"{parts.scheme}://{parts.netloc}":
                return server.hits.get(parts.path or "/", 0)
        return 0

    # -- building the site

    def _page(self, server: _Server, path: str, body: bytes | str, content_type: str = "text/html; charset=utf-8",
              status: int = 200, headers: dict[str, str] | None = None) -> str:
        data = body.encode("utf-8") if isinstance(body, str) else body
        server.routes[path] = lambda h: send(h, status, data, content_type, headers)
        return server.origin + path

    def _fault(self, kind: str, path: str, expected: str, handler: Handler | None = None, *,
               error: str | None = None, good: bool | tuple[str, ...] = False, drop: str | None = None,
               url: str | None = None, fetched: bool = True, attempts: int | None = None,
               contains: str | None = None, skipped: str | None = None) -> Fault:
        target = url or self.url(path)
        if handler is not None:
            self.main.routes[path] = handler
        good_urls = (target,) if good is True else tuple(good or ())
        fault = Fault(kind, target, expected, error, good_urls, drop, fetched, attempts, contains, skipped)
        self.faults.append(fault)
        return fault

    def _good(self, server: _Server, path: str) -> str:
        slug = path.strip("/").replace("/", "-")
        return self._page(server, path, article_html(slug, f"Good story {slug.replace('-', ' ')}"))

    def _stall(self, h: BaseHTTPRequestHandler) -> None:
        self._stop.wait(self.stall_seconds)
        h.close_connection = True

    def _flaky(self, path: str, status: int, failures: int, headers: dict[str, str] | None = None) -> Handler:
        good = article_html(path.strip("/").replace("/", "-"), f"Story behind a {status}").encode()

        def handler(h: BaseHTTPRequestHandler) -> None:
            if self.main.hits[path] <= failures:
                send(h, status, b"<html><body>try again later</body></html>", headers=headers)
            else:
                send(h, 200, good)
        return handler

    @staticmethod
    def _reset(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        h.send_header("Content-Length", "200000")
        h.end_headers()
        h.wfile.write(b"<html><body><article><h1>Reset</h1><p>" + b"x " * 1000)
        h.wfile.flush()
        h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        h.connection.close()
        h.close_connection = True

    @staticmethod
    def _truncated(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        h.send_header("Content-Length", "200000")
        h.end_headers()
        h.wfile.write(b"<html><body><article><h1>Truncated</h1><p>" + b"word " * 1000)
        h.wfile.flush()
        h.connection.shutdown(socket.SHUT_RDWR)
        h.close_connection = True

    @staticmethod
    def _huge(chunked: bool) -> Handler:
        def handler(h: BaseHTTPRequestHandler) -> None:
            head = b"<html><head><title>Huge</title></head><body><article><h1>Huge page</h1>"
            line = b"<p>" + b"All work and no play makes a very long page. " * 20 + b"</p>\n"
            h.send_response(200)
            h.send_header("Content-Type", "text/html; charset=utf-8")
            if chunked:
                h.send_header("Connection", "close")
                h.close_connection = True
            else:
                h.send_header("Content-Length", str(HUGE_PAGE_BYTES))
            h.end_headers()
            h.wfile.write(head)
            sent = len(head)
            block = line * (65536 // len(line))
            while sent < HUGE_PAGE_BYTES:
                piece = block[:HUGE_PAGE_BYTES - sent]
                h.wfile.write(piece)
                sent += len(piece)
        return handler

    def _build(self) -> None:  # noqa: PLR0915 - one place lists every fault kind
        main, other, slow = self.main, self.other, self.slow
        links: list[str] = []

        for i in range(1, 5):
            self.plain_good.append(self._good(main, f"/news/good-{i}/"))
        home_good = list(self.plain_good)

        # connection level
        self._fault("connect refused", "", "retried, then error connection_refused",
                    error="connection_refused", url=self.refused_origin + "/news/refused/", fetched=False)
        self._fault("read timeout", "/faults/stall/", "retried, then error timeout", self._stall, error="timeout",
                    attempts=self.tries)
        self._fault("connection reset mid-body", "/faults/reset/", "retried, then error connection_lost",
                    self._reset, error="connection_lost", attempts=self.tries)
        self._fault("truncated body", "/faults/truncated/", "retried, then error truncated",
                    self._truncated, error="truncated", attempts=self.tries)
        # HTTP status
        for status in (500, 502, 503):
            path = f"/faults/http-{status}-once/"
            self._fault(f"{status} then success", path, "retried, record written",
                        self._flaky(path, status, 1), good=True, attempts=2)
        path = "/faults/http-429-once/"
        self._fault("429 Retry-After: 1", path, "waited, retried, record written",
                    self._flaky(path, 429, 1, {"Retry-After": "1"}), good=True, attempts=2)
        path = "/faults/http-429-long/"
        self._fault("429 Retry-After: 3600", path, "not retried (over the cap), error http_429",
                    self._flaky(path, 429, 10**9, {"Retry-After": "3600"}), error="http_429", attempts=1)
        for status in (404, 410):
            path = f"/faults/http-{status}/"
            self._fault(str(status), path, f"not retried, error http_{status}",
                        lambda h, s=status: send(h, s, b"<html><body>gone</body></html>"), error=f"http_{status}",
                        attempts=1)
        # redirects
        main.routes["/faults/loop-a/"] = lambda h: send(h, 302, b"", headers={"Location": "/faults/loop-b/"})
        main.routes["/faults/loop-b/"] = lambda h: send(h, 302, b"", headers={"Location": "/faults/loop-a/"})
        self._fault("redirect loop", "/faults/loop-a/", "error redirect_loop", error="redirect_loop",
                    attempts=1)
        for i in range(30):
            main.routes[f"/faults/chain/{i}/"] = (
                lambda h, n=i + 1: send(h, 301, b"", headers={"Location": f"/faults/chain/{n}/"}))
        self._fault("redirect chain > limit", "/faults/chain/0/", "error too_many_redirects",
                    error="too_many_redirects", attempts=1)
        elsewhere = self._good(other, "/elsewhere/story/")
        self._fault("redirect to another site", "/faults/offsite/", "not followed, error offsite_redirect",
                    lambda h: send(h, 301, b"", headers={"Location": elsewhere}), error="offsite_redirect")
        target = self._good(main, "/news/moved-here/")
        self._fault("redirect on site", "/faults/moved/", "followed, record written",
                    lambda h: send(h, 301, b"", headers={"Location": target}), good=True)
        # size
        self._fault("50 MB page (Content-Length)", "/faults/huge/", "cancelled at DOWNLOAD_MAXSIZE, error too_large",
                    self._huge(chunked=False), error="too_large")
        self._fault("50 MB page (no length)", "/faults/huge-stream/",
                    "cancelled at DOWNLOAD_MAXSIZE, error too_large", self._huge(chunked=True), error="too_large")
        bomb = self._bomb
        self._fault("gzip bomb (3 GB inflated)", "/faults/gzip-bomb/",
                    "inflation stopped at DOWNLOAD_MAXSIZE, error too_large",
                    lambda h: send(h, 200, bomb, headers={"Content-Encoding": "gzip"}), error="too_large")
        # content types and encodings
        self._fault("PDF", "/faults/document/", "error not_html",
                    lambda h: send(h, 200, b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
                                   "application/pdf"), error="not_html")
        png = b"\x89PNG\r\n\x1a\n" + b"\0\0\0\rIHDR" + b"\0" * 17
        self._fault("image", "/faults/picture/", "error not_html",
                    lambda h: send(h, 200, png, "image/png"), error="not_html")
        self._fault("empty 200", "/faults/empty/", "error empty_response",
                    lambda h: send(h, 200, b""), error="empty_response")
        page = article_html("latin1-lie", "Café owner fights street works",
                            ["Declared ISO-8859-1, sent as UTF-8: Zoë’s first café.", *ACCENTED_TEXT], meta_charset=None)
        self._fault("UTF-8 declared ISO-8859-1", "/faults/charset-says-latin1/", "decoded as UTF-8, record written",
                    lambda h: send(h, 200, page.encode("utf-8"), "text/html; charset=iso-8859-1"), good=True,
                    contains="Zoë Müller opened the café on Malmö Street")
        page_cp = article_html("utf8-lie", "Zoë’s café and the street works",
                               ["Declared UTF-8, sent as windows-1252: Zoë’s second café.", *ACCENTED_TEXT],
                               meta_charset=None)
        self._fault("cp1252 declared UTF-8", "/faults/charset-says-utf8/", "detected as cp1252, record written",
                    lambda h: send(h, 200, page_cp.encode("cp1252"), "text/html; charset=utf-8"), good=True,
                    contains="the crème brûlée is still")
        ru = article_html("cp1251", "Совет утвердил бюджет морской стены", CP1251_TEXT, lang="ru", meta_charset=None)
        self._fault("cp1251, no charset", "/faults/cp1251/", "detected as cp1251, record written",
                    lambda h: send(h, 200, ru.encode("cp1251"), "text/html"), good=True,
                    contains="Городской совет Харборвью")
        ja = article_html("sjis", "港町の市議会、防潮堤の予算を承認",
                          [f"第{n}報、{p}" for n in range(1, 5) for p in SJIS_TEXT], lang="ja", meta_charset=None)
        self._fault("Shift_JIS, no charset", "/faults/shift-jis/", "detected as Shift_JIS, record written",
                    lambda h: send(h, 200, ja.encode("shift_jis"), "text/html"), good=True,
                    contains="港町の市議会は月曜日")
        bom = article_html("bom", "Zoë Müller’s café keeps its terrace",
                           ["A UTF-8 BOM, and a meta tag that says windows-1252: Zoë’s third café.", *ACCENTED_TEXT],
                           meta_charset="windows-1252")
        self._fault("UTF-8 BOM, meta says cp1252", "/faults/bom/", "BOM wins (UTF-8), record written",
                    lambda h: send(h, 200, b"\xef\xbb\xbf" + bom.encode("utf-8"), "text/html"), good=True,
                    contains="Zoë’s third café")
        nested = ("<html><body>" + "<div>" * 100_000 + "<article><h1>Deep</h1>"
                  + "".join(f"<p>{s}</p>" for s in sentences("deep")) + "</article>"
                  + "</div>" * 100_000 + "</body></html>").encode()
        # flattened before parsing (newsbot.extraction.nesting); a headline and running
        # paragraphs are a story without any metadata (newsbot.extraction.classify)
        self._fault("100k-level nested HTML", "/faults/nested/", "no crash; flattened, record written",
                    lambda h: send(h, 200, nested), good=True, contains=sentences("deep")[5])
        # robots.txt
        forbidden = self._good(main, "/members/story/")
        self._fault("robots.txt disallows articles", "/members/story/",
                    "never fetched, counted as skipped/robots", skipped="robots", url=forbidden, fetched=False)
        slow_good = [self._good(slow, f"/news/slow-{i}/") for i in (1, 2)]
        slow.routes["/robots.txt"] = self._stall
        self._fault("robots.txt times out", "", "site crawled as if allowed, error robots_timeout",
                    error="robots_timeout", url=slow.origin + "/robots.txt", good=tuple(slow_good),
                    attempts=self.tries)
        slow.routes["/"] = lambda h: send(h, 200, _home(slow_good).encode())
        # sitemaps
        sm_good = self._good(main, "/news/from-sitemap/")
        self.plain_good.append(sm_good)
        self._page(main, "/sitemap-good.xml", _urlset([sm_good]), "application/xml")
        self._page(main, "/sitemap-malformed.xml",
                   b"<html><body><h1>Database error</h1><p>Sitemap unavailable", "application/xml")
        self._fault("malformed sitemap XML", "/sitemap-malformed.xml", "error bad_sitemap, crawl goes on",
                    error="bad_sitemap")
        laughs_good = self._good(main, "/news/beside-the-laughs/")
        self._page(main, "/sitemap-laughs.xml", _billion_laughs(laughs_good), "application/xml")
        self._fault("billion-laughs sitemap", "/sitemap-laughs.xml",
                    "entities not expanded, error xml_entities, plain URLs fetched", error="xml_entities",
                    good=(laughs_good,))
        self._page(main, "/sitemap-self.xml", _sitemapindex([self.url("/sitemap-self.xml")]), "application/xml")
        self._fault("sitemap index lists itself", "/sitemap-self.xml", "fetched once, error sitemap_loop",
                    error="sitemap_loop", attempts=1)
        self._page(main, "/sitemap_index.xml", _sitemapindex([
            self.url("/sitemap-good.xml"), self.url("/sitemap-malformed.xml"), self.url("/sitemap-laughs.xml"),
            self.url("/sitemap-self.xml")]), "application/xml")
        self._page(main, "/robots.txt",
                   f"User-agent: *\nDisallow: /members/\n\nSitemap: {self.url('/sitemap_index.xml')}\n",
                   "text/plain")
        # feeds
        feed_good = self._good(main, "/news/feed-only/")
        self._page(main, "/feed-broken.xml", _broken_rss(feed_good), "application/rss+xml")
        self._fault("malformed RSS (recoverable)", "/feed-broken.xml", "items recovered, feed-only record written",
                    good=(feed_good,))
        self._page(main, "/feed-garbage.xml", b"\x00\x01 this is <not xml at all", "application/rss+xml")
        self._fault("malformed RSS (garbage)", "/feed-garbage.xml", "error bad_feed", error="bad_feed")

        self._build_hostile(main, other)

        # the home page links to every page fault and good article (not to sitemap/feed-only ones)
        for fault in self.faults:
            if not fault.url.endswith((".xml", "/robots.txt")):
                links.append(fault.url)
        links += home_good + [slow.origin + "/"]
        feeds = (f'<link rel="alternate" type="application/rss+xml" href="{self.url("/feed-broken.xml")}">'
                 f'<link rel="alternate" type="application/rss+xml" href="{self.url("/feed-garbage.xml")}">')
        main.routes["/"] = lambda h: send(h, 200, _home(links, feeds).encode())


    # -- hostile servers and pages that trust too much (issue 16)

    def _endless_headers(self, h: BaseHTTPRequestHandler) -> None:
        h.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n")
        block = b"".join(b"X-Filler-%d: %s\r\n" % (i, b"v" * 100) for i in range(500))
        while not self._stop.is_set():
            h.wfile.write(block)
        h.close_connection = True

    def _build_hostile(self, main: _Server, other: _Server) -> None:
        csp = "default-src 'self'; " + " ".join(f"https://cdn{i}.static.example" for i in range(900))
        page = article_html("big-csp", "Council publishes a long security policy").encode()
        self._fault("22 KB header line (CSP)", "/faults/big-csp/", "header accepted, record written",
                    lambda h: send(h, 200, page, headers={"Content-Security-Policy": csp}), good=True)
        self._fault("endless header lines", "/faults/endless-headers/",
                    "fails fast at NEWSBOT_MAX_HEADER_BYTES, error headers_too_large", self._endless_headers,
                    error="headers_too_large")
        self._fault("400 (cookie header too large)", "/faults/http-400/", "error http_400 (a failure)",
                    lambda h: send(h, 400, b"<html><body>Request Header Or Cookie Too Large</body></html>"),
                    error="http_400")
        mixed = article_html("mixed-charset", "Café terrace saved after petition",
                             [*ACCENTED_TEXT, *sentences("mixed-charset")[:4]]).encode()
        pasted = "<p>Pasted from an old system: Zoë’s café reopened with crème brûlée.</p>".encode("cp1252")
        mixed = mixed.replace(b"</article>", pasted + b"</article>")
        self._fault("one cp1252 paragraph in UTF-8", "/faults/mixed-charset/", "repaired per block, record written",
                    lambda h: send(h, 200, mixed), good=True, contains="Zoë’s café reopened with crème brûlée")
        head = ('<html lang="en"><head><meta charset="utf-8"><title>{}</title><meta property="og:type" '
                'content="article"><meta property="article:published_time" content="2025-06-01T09:00:00+00:00">'
                "</head><body>")
        empties = (head.format("Empties") + "<div></div>" * 20_000
                   + f'<div data-x="{"a" * 300_000}"></div>'
                   + "<main><article><h1>Story after many empty blocks</h1>"
                   + "".join(f"<p>{s}</p>" for s in sentences("empties")) + "</article></main></body></html>")
        self._fault("20k empty divs, 300 KB attribute", "/faults/empty-divs/", "record written",
                    lambda h, b=empties.encode(): send(h, 200, b), good=True)
        deep = (head.format("Deep story") + "<div>" * 5_000
                + "<article><h1>Deeply nested story</h1>" + "".join(f"<p>{s}</p>" for s in sentences("deep5k"))
                + "</article>" + "</div>" * 5_000 + "</body></html>")
        self._fault("5k-level nesting around the text", "/faults/deep/", "record written",
                    lambda h, b=deep.encode(): send(h, 200, b), good=True)
        target = self._good(main, "/news/refreshed-here/")
        self._fault("meta refresh on site", "/faults/refresh/", "followed, record written",
                    lambda h: send(h, 200, f'<html><head><meta http-equiv="refresh" content="0; url={target}">'
                                            f"</head><body>Moved</body></html>".encode()), good=True)
        away = self._good(other, "/elsewhere/refreshed/")
        self._fault("meta refresh off site", "/faults/refresh-away/", "not followed, error offsite_redirect",
                    lambda h: send(h, 200, f'<html><head><meta http-equiv="refresh" content="0;URL=\'{away}\'">'
                                            f"</head><body>Moved</body></html>".encode()), error="offsite_redirect")
        for a, b in (("a", "b"), ("b", "a")):
            main.routes[f"/faults/refresh-loop-{a}/"] = (
                lambda h, n=b: send(h, 200, f'<html><head><meta http-equiv="refresh" content="1;url=/faults/'
                                            f'refresh-loop-{n}/"></head><body>Loop</body></html>'.encode()))
        self._fault("meta refresh loop", "/faults/refresh-loop-a/", "error redirect_loop", error="redirect_loop")


def _home(links: list[str], head: str = "") -> str:
    items = "".join(f'<li><a href="{u}">{u}</a></li>' for u in links)
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Fault Gazette</title>{head}"
            f"</head><body><h1>Fault Gazette</h1><ul>{items}</ul></body></html>")


def _urlset(urls: list[str]) -> str:
    body = "".join(f"<url><loc>{u}</loc></url>" for u in urls)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{body}</urlset>'


def _sitemapindex(urls: list[str]) -> str:
    body = "".join(f"<sitemap><loc>{u}</loc></sitemap>" for u in urls)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{body}</sitemapindex>')


def _billion_laughs(good: str) -> str:
    ents = ['<!ENTITY lol "lol">'] + [f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
                                      for i in range(1, 10)]
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE urlset [\n' + "\n".join(ents) + "\n]>\n"
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<url><loc>{good}</loc></url><url><loc>&lol9;</loc></url></urlset>")


def _broken_rss(good: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>Fault & Gazette</title>'
            f"<item><title>Feed only & unescaped</title><link>{good}</link></item>"
            "<item><title>Cut off<link>")


# --------------------------------------------------------------------------- checking a crawl


@dataclass
class Outcome:
    """What a crawl did with one fault kind, and whether that is what a user expects."""

    kind: str
    expected: str
    observed: str
    ok: bool
    good_written: int = 0
    good_expected: int = 0
    problems: list[str] = field(default_factory=list)


_NOISE = ("larger than download warn size",)


def _lines_naming(log: list[str], url: str) -> list[str]:
    """Return the WARNING/ERROR lines that name ``url`` (Scrapy's warn-size notice aside)."""
    return [line for line in log if line.startswith(("WARNING", "ERROR")) and url in line
            and not any(n in line for n in _NOISE)]


def observe(site: FaultSite, items: list[dict], stats: dict, log: list[str]) -> list[Outcome]:
    """Return one :class:`Outcome` per fault of ``site`` for a finished crawl (its records,
    stats and log lines as ``"LEVEL message"``), plus a last row that checks the error
    counts add up and every good article was written exactly once."""
    by_source: dict[str, list[dict]] = {}
    for item in items:
        by_source.setdefault(item.get("source_url", ""), []).append(item)
    outcomes = []
    for fault in site.faults:
        problems: list[str] = []
        seen: list[str] = []
        lines = _lines_naming(log, fault.url)
        if fault.error:
            count = int(stats.get(f"newsbot/errors/{fault.error}", 0) or 0)
            seen.append(f"errors/{fault.error}" if count else "not counted")
            if not count:
                problems.append(f"newsbot/errors/{fault.error} not counted")
            if len(lines) != 1:
                problems.append(f"{len(lines)} log lines name {fault.url}: {lines}")
            seen.append(f"{len(lines)} line")
        elif fault.drop:
            dropped = [line for line in log if "dropped" in line and fault.url in line]
            seen.append(dropped[0].split("dropped ", 1)[-1].split(":")[0].join(("dropped (", ")")) if dropped
                        else "not dropped")
            if not dropped or fault.url in by_source:
                problems.append("no drop line, or a record was written")
        elif lines:
            problems.append(f"unexpected warning/error lines: {lines}")
        if fault.skipped:
            count = int(stats.get(f"newsbot/skipped/{fault.skipped}", 0) or 0)
            seen.append(f"skipped/{fault.skipped}" if count else "not counted")
            if not count:
                problems.append(f"newsbot/skipped/{fault.skipped} not counted")
        if fault.error == "connection_refused":
            retried = int(stats.get("retry/reason_count/scrapy.exceptions.DownloadConnectionRefusedError", 0) or 0)
            seen.append("retried" if retried else "not retried")
            if not retried:
                problems.append("a refused connection was not retried")
        if fault.kind.startswith("429") and fault.good_urls:
            waited = int(stats.get("newsbot/retry_after/waits", 0) or 0)
            seen.append("waited Retry-After" if waited else "did not wait")
            if not waited:
                problems.append("Retry-After was not honoured")
        if fault.attempts is not None:
            # the server may see fewer requests than attempts (an attempt can fail on a
            # pooled connection the server already closed), never more
            hits = site.hits(fault.url)
            seen.append(f"{hits} request{'s' if hits != 1 else ''}")
            if fault.attempts == 1:
                if hits != 1:
                    problems.append(f"{hits} requests, expected exactly 1 (not retried)")
            elif not 2 <= hits <= fault.attempts:
                problems.append(f"{hits} requests, expected 2..{fault.attempts} (retried)")
            if (fault.error and fault.error != "robots_timeout" and fault.attempts > 1
                    and not any(f"after {fault.attempts} attempts" in x for x in lines)):
                problems.append(f"the line does not say it gave up after {fault.attempts} attempts")
        if not fault.fetched:
            hits = site.hits(fault.url)
            if hits:
                problems.append(f"fetched {hits} times; should never be")
            elif fault.error != "connection_refused":
                seen.append("never fetched")
        written = 0
        for url in fault.good_urls:
            records = by_source.get(url, [])
            if len(records) == 1:
                written += 1
                if fault.contains and fault.contains not in records[0].get("body", ""):
                    problems.append(f"text not decoded right: {records[0].get('body', '')[:80]!r}")
            else:
                problems.append(f"{len(records)} records for {url}")
        if fault.good_urls:
            seen.insert(0, "record written" if written == len(fault.good_urls) else "record MISSING")
            if fault.contains and not any(p.startswith("text") for p in problems):
                seen.append("text right")
        outcomes.append(Outcome(fault.kind, fault.expected, ", ".join(seen) or "-", not problems, written,
                                len(fault.good_urls), problems))
    # the rest of the crawl: counts add up, every good article once, nothing else written
    problems = []
    wanted: dict[str, int] = {}
    for fault in site.faults:
        if fault.error:
            wanted[fault.error] = wanted.get(fault.error, 0) + 1
    counted = {k.split("/")[-1]: int(v) for k, v in stats.items()
               if k.startswith("newsbot/errors/") and k.count("/") == 2}
    if counted != wanted:
        problems.append(f"error counts {counted} != expected {wanted}")
    plain = [u for u in site.plain_good]
    written = sum(1 for u in plain if len(by_source.get(u, [])) == 1)
    if written != len(plain):
        problems.append(f"plain good articles written {written}/{len(plain)}")
    extra = sorted(set(by_source) - set(site.good_urls))
    if extra:
        problems.append(f"unexpected records: {extra}")
    if any(len(v) > 1 for v in by_source.values()):
        problems.append("a URL gave more than one record")
    outcomes.append(Outcome("good articles beside the faults", "each written once; error counts exact",
                            f"{written}/{len(plain)} written, {sum(counted.values())} errors counted",
                            not problems, written, len(plain), problems))
    return outcomes


def table(outcomes: list[Outcome]) -> str:
    """Return the outcomes as a plain-text table (kind, expected, observed, good records)."""
    rows = [("fault kind", "expected outcome", "observed outcome", "good", "ok")]
    for o in outcomes:
        rows.append((o.kind, o.expected, o.observed,
                     f"{o.good_written}/{o.good_expected}" if o.good_expected else "-", "yes" if o.ok else "NO"))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    out = []
    for n, row in enumerate(rows):
        out.append(" | ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if n == 0:
            out.append("-+-".join("-" * w for w in widths))
    return "\n".join(out)


# --------------------------------------------------------------------------- scenario sites (issue 16)


class Scenario:
    """Small loopback sites built per test (``tests/test_bounds.py`` and friends): each
    :meth:`server` is one site whose routes the test fills; use as a context manager."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self.servers: list[_Server] = []

    def server(self, host: str = "127.0.0.1") -> _Server:
        """Return a new site on ``host`` (a free port), started on ``__enter__``."""
        srv = _Server(host, f"scenario-{len(self.servers)}", self._stop)
        self.servers.append(srv)
        return srv

    def __enter__(self) -> Scenario:
        for srv in self.servers:
            srv.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for srv in self.servers:
            srv.httpd.shutdown()
            srv.httpd.server_close()

    @staticmethod
    def page(srv: _Server, path: str, body: bytes | str, content_type: str = "text/html; charset=utf-8",
             status: int = 200, headers: dict[str, str] | None = None) -> str:
        """Serve ``body`` at ``path`` and return its URL."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        srv.routes[path] = lambda h: send(h, status, data, content_type, headers)
        return srv.origin + path

    @classmethod
    def article(cls, srv: _Server, path: str, head_extra: str = "", seed: str | None = None) -> str:
        """Serve a plain article at ``path`` (text from ``seed``, default the path) and return its URL."""
        slug = (seed or path).strip("/").replace("/", "-") or "home"
        return cls.page(srv, path, article_html(slug, f"Story {slug.replace('-', ' ')}", head_extra=head_extra))


def home_page(links: list[str], head: str = "") -> str:
    """Return a home page linking to ``links``."""
    return _home(links, head)


def urlset(urls: list[str]) -> str:
    """Return a sitemap listing ``urls``."""
    return _urlset(urls)


def rss(urls: list[str]) -> str:
    """Return an RSS feed with one item per URL."""
    items = "".join(f"<item><title>Item {n}</title><link>{u}</link></item>" for n, u in enumerate(urls))
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>F</title>{items}</channel></rss>'


def closed_port() -> int:
    """Return a loopback port nothing listens on (connections are refused)."""
    return _closed_port()
