"""Parse-level: each project-written feed and sitemap shape yields exactly its links."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from typing import Any

import pytest

from newsbot.discovery.feeds import feed_entries, looks_like_feed
from newsbot.discovery.freshness import TOO_OLD, UNCHANGED, parse_date, skip_reason
from newsbot.discovery.robots import COMMON_SITEMAP_PATHS, common_sitemap_urls, robots_sitemaps
from newsbot.discovery.sitemaps import read_sitemap
from newsbot.identity import url_key
from newsbot.urls import canonical_request_url
from tests.discovery_site import case_body, load_cases

ORIGIN = "http://127.0.0.1:8123"
CASES = load_cases()


def listed(case: dict[str, Any]) -> list[str]:
    """Return the page paths the parser finds in a case's file (as the spider reads it)."""
    body = case_body(case, ORIGIN)
    url = ORIGIN + case["path"]
    if case.get("gzip"):
        body = gzip.decompress(body)
    if case["via"] in ("feed", "probe-feed"):
        entries = feed_entries(body, url) or []
    else:
        doc = read_sitemap(body)
        entries = doc.entries if doc is not None else (feed_entries(body, url) or [])
    return [e.url.removeprefix(ORIGIN) for e in entries]


@pytest.mark.parametrize("case", CASES, ids=[f"{c['shape']}:{c['file']}" for c in CASES])
def test_shape_yields_its_links(case: dict[str, Any]) -> None:
    found = listed(case)
    expected = case["expect"] + case.get("too_old", [])
    if "session" in case["file"]:  # every session variant is one page once cleaned
        found = sorted({canonical_request_url(ORIGIN + p).removeprefix(ORIGIN) for p in found})
    elif case["via"] == "probe" and case["file"] == "wp-sitemap.xml":
        expected = ["/wp-sitemap-posts-post-1.xml"]
    assert sorted(found) == sorted(expected)


def test_unreadable_feed_is_none() -> None:
    assert feed_entries(b"\x00\x01 <rss this is not a feed", ORIGIN + "/feed.xml") is None


def test_rss_served_as_html_is_recognised() -> None:
    case = next(c for c in CASES if c["file"] == "rss-as-html.xml")
    assert looks_like_feed(case_body(case, ORIGIN))
    assert not looks_like_feed(b"<!DOCTYPE html><html><body>Not found</body></html>")


def test_robots_sitemap_lines() -> None:
    body = (b"User-agent: *\nDisallow: /x/\nSitemap: /a.xml\n  site-map: http://h.test/b.xml\n"
            b"SITEMAPS:http://h.test/c.xml\nSitemap: /a.xml\n# Sitemap: /commented.xml\n")
    assert robots_sitemaps(body, "http://h.test/robots.txt") == [
        "http://h.test/a.xml", "http://h.test/b.xml", "http://h.test/c.xml"]
    assert robots_sitemaps(b"User-agent: *\nDisallow:\n", "http://h.test/robots.txt") == []
    urls = common_sitemap_urls("http://h.test")
    assert "http://h.test/wp-sitemap.xml" in urls and "http://h.test/sitemap_index.xml" in urls
    assert len(urls) == len(COMMON_SITEMAP_PATHS)


def test_cut_and_entity_sitemaps_invent_nothing() -> None:
    doc = read_sitemap(b"<urlset><url><loc>http://h.test/a/</loc></url><url><loc>http://h.test/b/lo")
    assert doc is not None and doc.cut and [e.url for e in doc.entries] == ["http://h.test/a/"]
    doc = read_sitemap(b"<urlset><url><loc>http://h.test/a/</loc></url><url><loc>")
    assert doc is not None and [e.url for e in doc.entries] == ["http://h.test/a/"]
    doc = read_sitemap(b"<urlset><url><loc>http://h.test/a/</loc></url></urlset>")
    assert doc is not None and not doc.cut


def test_dates_decide_before_fetching() -> None:
    now = datetime(2030, 6, 1, tzinfo=UTC)
    old, new = parse_date("2030-01-01"), parse_date("Fri, 31 May 2030 10:00:00 GMT")
    assert old is not None and new is not None
    assert skip_reason([old], 30, None, now) == TOO_OLD
    assert skip_reason([old, new], 30, None, now) is None  # the newest date counts
    assert skip_reason([], 30, None, now) is None  # undated: always requested
    emitted = datetime(2030, 5, 31, 12, tzinfo=UTC)
    assert skip_reason([new], 0, emitted, now) == UNCHANGED
    assert skip_reason([new], 0, datetime(2030, 5, 1, tzinfo=UTC), now) is None
    assert parse_date("not a date") is None
    assert parse_date("2030-01-02T03:04:05+02:00") == datetime(2030, 1, 2, 1, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize(("url", "clean"), [
    ("http://h.test/a/;jsessionid=0A1B2C3D?x=1", "http://h.test/a/?x=1"),
    ("http://h.test/a/?PHPSESSID=9f8e7d6c&id=5", "http://h.test/a/?id=5"),
    ("http://h.test/a/?sid=0123456789abcdef0123", "http://h.test/a/"),
    ("http://h.test/a/?sid=12", "http://h.test/a/?sid=12"),  # a short sid is a story id
    ("http://h.test/p?a=1&b=2&c", "http://h.test/p?a=1&b=2&c"),
])
def test_session_ids_are_removed(url: str, clean: str) -> None:
    assert canonical_request_url(url) == clean
    assert url_key(url) == url_key(clean)
