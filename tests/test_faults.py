"""Faults and hostile input through real crawls of the fault site (``tests/faultserver.py``).

One ``site`` crawl (in a child process, short ``DOWNLOAD_TIMEOUT``) covers every fault
kind; each kind's outcome is a test. Smaller tests pin the pieces: XML parsed without
entity expansion or network access, ``Retry-After`` parsing, charset recovery, failure
names, the gzip bomb builder.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Iterator

import pytest
from scrapy.http import HtmlResponse

from newsbot.middlewares import host_in_domains, retry_after_seconds
from newsbot.spiders.base import decode_page, page_text
from newsbot.discovery.feeds import feed_links
from newsbot.discovery.sitemaps import declares_entities, read_sitemap
from tests.crawling import CrawlResult, crawl
from tests.faultserver import ACCENTED_TEXT, CP1251_TEXT, FaultSite, Outcome, article_html, gzip_bomb, observe

CRAWL_SETTINGS = {"DOWNLOAD_TIMEOUT": 1, "AUTOTHROTTLE_ENABLED": False}


@pytest.fixture(scope="module")
def fault_site() -> Iterator[FaultSite]:
    with FaultSite() as site:
        yield site


@pytest.fixture(scope="module")
def fault_crawl(fault_site: FaultSite) -> CrawlResult:
    return crawl("site", CRAWL_SETTINGS, url=fault_site.home)


@pytest.fixture(scope="module")
def outcomes(fault_site: FaultSite, fault_crawl: CrawlResult) -> dict[str, Outcome]:
    return {o.kind: o for o in observe(fault_site, fault_crawl.items, fault_crawl.stats, fault_crawl.log)}


KINDS = [f.kind for f in FaultSite().faults] + ["good articles beside the faults"]


@pytest.mark.parametrize("kind", KINDS)
def test_fault_outcome(kind: str, outcomes: dict[str, Outcome]) -> None:
    outcome = outcomes[kind]
    assert outcome.ok, f"{kind}: expected {outcome.expected}; observed {outcome.observed}; {outcome.problems}"


def test_every_good_record_is_valid_and_written_once(fault_crawl: CrawlResult, fault_site: FaultSite) -> None:
    from newsbot.schema import record_errors

    sources = [item["source_url"] for item in fault_crawl.items]
    assert sorted(sources) == sorted(fault_site.good_urls)
    assert all(record_errors(item) == [] for item in fault_crawl.items)


def test_no_traceback_in_the_log(fault_crawl: CrawlResult) -> None:
    assert not [line for line in fault_crawl.log if "Traceback" in line]
    assert fault_crawl.stats.get("finish_reason") == "finished"


# --------------------------------------------------------------------------- XML


LAUGHS = (b'<?xml version="1.0"?>\n<!DOCTYPE urlset [<!ENTITY a "aaaaaaaaaa">'
          + b"".join(b'<!ENTITY a%d "%s">' % (i, (b"&a%d;" % (i - 1) if i > 1 else b"&a;") * 10) for i in range(1, 10))
          + b']>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
          b"<url><loc>http://127.0.0.1/ok/</loc></url><url><loc>&a9;</loc></url></urlset>")
XXE = (b'<?xml version="1.0"?>\n<!DOCTYPE urlset [<!ENTITY x SYSTEM "file:///etc/hostname">'
       b'<!ENTITY y SYSTEM "http://127.0.0.1:9/ext">]>\n'
       b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>&x;&y;</loc></url></urlset>')


def test_sitemap_parser_does_not_expand_entities() -> None:
    started = time.monotonic()
    doc = read_sitemap(LAUGHS)
    assert doc is not None
    locs = [entry.url for entry in doc.entries]
    assert "http://127.0.0.1/ok/" in locs
    assert all(len(loc) < 100 for loc in locs)
    assert time.monotonic() - started < 5  # a generous bound: expansion would be 10**9 bytes
    assert declares_entities(LAUGHS)


def test_sitemap_parser_loads_no_external_entity() -> None:
    doc = read_sitemap(XXE)
    locs = [entry.url for entry in doc.entries] if doc else []
    assert all(not loc.strip() or "&" in loc for loc in locs), locs
    assert declares_entities(XXE)


def test_feed_parser_does_not_expand_entities() -> None:
    feed = LAUGHS.replace(b"urlset", b"rss").replace(b"<url><loc>", b"<item><link>").replace(
        b"</loc></url>", b"</link></item>")
    links = feed_links(feed)
    assert "http://127.0.0.1/ok/" in links
    assert all(len(link) < 100 for link in links)


def test_plain_documents_declare_no_entities() -> None:
    assert not declares_entities(b'<?xml version="1.0"?><urlset><url><loc>x</loc></url></urlset>')


# --------------------------------------------------------------------------- pieces


def test_retry_after_parsing() -> None:
    assert retry_after_seconds(b"120") == 120
    assert retry_after_seconds(None) is None
    assert retry_after_seconds(b"soon") is None
    now = 1_700_000_000.0
    assert retry_after_seconds("Tue, 14 Nov 2023 22:13:20 GMT", now=now) == pytest.approx(0, abs=1)
    assert retry_after_seconds("Tue, 14 Nov 2023 22:14:20 GMT", now=now) == pytest.approx(60, abs=1)


def test_host_in_domains_ignores_ports_and_www() -> None:
    assert host_in_domains("http://127.0.0.1:8080/x", ["127.0.0.1"])
    assert host_in_domains("https://www.news.example/x", ["news.example"])
    assert host_in_domains("https://live.news.example/x", ["news.example"])
    assert not host_in_domains("http://127.0.0.2:8080/x", ["127.0.0.1"])
    assert not host_in_domains("https://evilnews.example/x", ["news.example"])


def _response(body: bytes, content_type: str) -> HtmlResponse:
    return HtmlResponse("http://127.0.0.1/p/", body=body, headers={"Content-Type": content_type})


@pytest.mark.parametrize(("body", "content_type", "text"), [
    (article_html("a", "t", ACCENTED_TEXT, meta_charset=None).encode(), "text/html; charset=iso-8859-1", "Zoë Müller"),
    (article_html("b", "t", ACCENTED_TEXT, meta_charset=None).encode("cp1252"), "text/html; charset=utf-8",
     "crème brûlée"),
    (article_html("c", "t", CP1251_TEXT, meta_charset=None).encode("cp1251"), "text/html", "Городской совет"),
    (b"\xef\xbb\xbf" + article_html("d", "t", ACCENTED_TEXT, meta_charset="windows-1252").encode(), "text/html",
     "Zoë Müller"),
    (article_html("e", "t", ["Plain ASCII text only."]).encode(), "text/html; charset=iso-8859-1",
     "Plain ASCII text only."),
    (article_html("f", "t", ["Zoë in latin-1, declared right."]).encode("latin-1"), "text/html; charset=iso-8859-1",
     "Zoë in latin-1"),
])
def test_page_text_recovers_lying_charsets(body: bytes, content_type: str, text: str) -> None:
    assert text in page_text(_response(body, content_type))


@pytest.mark.parametrize(("body", "content_type", "is_utf8"), [
    ("<p>Zoë</p>".encode(), "text/html; charset=utf-8", True),
    (b"\xef\xbb\xbf" + "<p>Zoë</p>".encode(), "text/html", True),
    ("<p>Zoë</p>".encode(), "text/html; charset=iso-8859-1", True),  # a lying legacy charset
    ("<p>Zoë \ufffd</p>".encode(), "text/html; charset=utf-8", True),  # a real U+FFFD
    ("<p>Zoë</p>".encode("latin-1"), "text/html; charset=iso-8859-1", False),
    ("<p>crème brûlée</p>".encode("cp1252"), "text/html; charset=utf-8", False),  # detected
    ("<p>Zoë</p>".encode("utf-16"), "text/html; charset=utf-16", False),
    (b"<p>ASCII only</p>", "text/html; charset=utf-8", False),
])
def test_decode_page_says_when_the_text_is_the_utf8_body(body: bytes, content_type: str, is_utf8: bool) -> None:
    # the extraction pool sends the body instead of the text when the flag is set: it must
    # then decode to exactly the text
    text, flag = decode_page(_response(body, content_type))
    assert flag is is_utf8
    assert text == page_text(_response(body, content_type))
    if flag:
        assert body.decode("utf-8-sig") == text


def test_gzip_bomb_is_small_and_inflates_past_any_limit() -> None:
    bomb = gzip_bomb(inflated=256 * 1024 * 1024)
    assert len(bomb) < 1024 * 1024
    inflater = zlib.decompressobj(31)
    assert len(inflater.decompress(bomb, 64 * 1024 * 1024)) == 64 * 1024 * 1024


def test_failure_kinds_for_scrapy_exceptions() -> None:
    from scrapy import exceptions as exc
    from scrapy.exceptions import IgnoreRequest
    from twisted.python.failure import Failure

    from newsbot.errors import RedirectLoop, failure_kind

    def kind(e: BaseException) -> str:
        return failure_kind(Failure(e))

    assert kind(exc.DownloadTimeoutError("x")) == "timeout"
    assert kind(exc.DownloadConnectionRefusedError("x")) == "connection_refused"
    assert kind(exc.CannotResolveHostError("x")) == "dns"
    assert kind(exc.ResponseDataLossError()) == "truncated"
    assert kind(exc.DownloadCancelledError("x")) == "too_large"
    assert kind(IgnoreRequest("max redirections reached")) == "too_many_redirects"
    assert kind(IgnoreRequest("Forbidden by robots.txt")) == "robots"
    assert kind(RedirectLoop("a -> b -> a")) == "redirect_loop"
