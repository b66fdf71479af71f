"""Real crawls: the ``site`` spider requests exactly the links each discovery shape must
yield (served by ``tests/discovery_site.py``), nothing else, robots.txt once per site; and
a second run of the fixture site requests no article page when the listings' dates say
there is nothing new."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from newsbot.discovery.robots import COMMON_SITEMAP_PATHS
from newsbot.fixture_server import FixtureServer
from newsbot.settings import NEWSBOT_FEED_PATHS
from tests.conftest import SITE
from tests.crawling import CrawlResult, crawl
from tests.discovery_site import ShapeSite, build_sites, load_cases

PROBES = list(NEWSBOT_FEED_PATHS) + list(COMMON_SITEMAP_PATHS)


@pytest.fixture(scope="module")
def shape_sites() -> Iterator[tuple[ShapeSite, ShapeSite]]:
    a, b = build_sites(PROBES)
    yield a, b
    a.close()
    b.close()


@pytest.fixture(scope="module")
def shape_crawl(shape_sites: tuple[ShapeSite, ShapeSite]) -> CrawlResult:
    a, b = shape_sites
    return crawl("site", {"NEWSBOT_MAX_AGE_DAYS": 30, "AUTOTHROTTLE_ENABLED": False},
                 url=f"{a.origin}/,{b.origin}/")


def shape_table(a: ShapeSite, b: ShapeSite) -> list[tuple[str, int, int, int]]:
    """Return, per shape: links expected, expected links requested, wrong requests (a
    too-old page, a session-id variant, a repeat, an invented URL)."""
    cases = load_cases()
    infra = {"/", "/robots.txt", *PROBES} | {c["path"] for c in cases}
    rows: dict[str, list[int]] = {}
    listed = {p for c in cases for p in c["expect"] + c.get("too_old", [])}
    claimed: set[tuple[int, str]] = set()
    for case in cases:
        site = b if case["via"] == "probe" else a
        row = rows.setdefault(case["shape"], [0, 0, 0])
        row[0] += len(case["expect"])
        row[1] += sum(1 for p in case["expect"] if site.hits.get(p, 0) >= 1)
        row[2] += sum(site.hits.get(p, 0) - 1 for p in case["expect"] if site.hits.get(p, 0) > 1)
        row[2] += sum(site.hits.get(p, 0) for p in case.get("too_old", []))
        prefix = "/" + (case["expect"] or case.get("too_old") or ["/-/"])[0].split("/")[1] + "/"
        for path, count in site.hits.items():
            if path.startswith(prefix) and path not in listed and (id(site), path) not in claimed:
                row[2] += count
                claimed.add((id(site), path))
    stray = sum(count for site in (a, b) for path, count in site.hits.items()
                if path not in infra and (id(site), path) not in claimed
                and path not in listed)
    table = [(shape, *row) for shape, row in rows.items()]
    table.append(("(requests no case explains)", 0, 0, stray))
    return table  # type: ignore[return-value]


def test_each_shape_requests_exactly_its_links(shape_sites: tuple[ShapeSite, ShapeSite],
                                                 shape_crawl: CrawlResult) -> None:
    table = shape_table(*shape_sites)
    print("\nshape | expected | requested | wrong")
    for shape, expected, requested, wrong in table:
        print(f"{shape} | {expected} | {requested} | {wrong}")
    print(f"total | {sum(r[1] for r in table)} | {sum(r[2] for r in table)} | {sum(r[3] for r in table)}")
    assert [(s, e, e, 0) for s, e, _, _ in table] == [(s, e, r, w) for s, e, r, w in table]


def test_robots_txt_fetched_once_per_site(shape_sites: tuple[ShapeSite, ShapeSite],
                                          shape_crawl: CrawlResult) -> None:
    a, b = shape_sites
    assert a.hits.get("/robots.txt") == 1
    assert b.hits.get("/robots.txt") == 1
    # site A's robots.txt names sitemaps: no common path is probed there
    assert not [p for p in COMMON_SITEMAP_PATHS if p in a.hits]


def test_dates_and_bad_feed_are_reported(shape_crawl: CrawlResult, shape_sites: tuple[ShapeSite, ShapeSite]) -> None:
    too_old = sum(len(c.get("too_old", [])) for c in load_cases())
    assert shape_crawl.stat("newsbot/skipped/too_old") == too_old
    a = shape_sites[0]
    lines = [line for line in shape_crawl.log if f"{a.origin}/feed.xml" in line]
    assert len(lines) == 1 and "bad feed" in lines[0], lines
    assert not [line for line in shape_crawl.log if "Traceback" in line]


# --------------------------------------------------------------------------- fixture site, second runs


def article_hits(server: FixtureServer, expected: list[dict[str, Any]]) -> int:
    """Return how many requests the fixture server got for article pages."""
    paths = {r["url"] for r in expected}
    return sum(count for path, count in server.hits.items() if path in paths)


@pytest.fixture
def fresh_site() -> Iterator[FixtureServer]:
    with FixtureServer(SITE) as server:
        yield server


def test_second_run_with_unchanged_lastmod_requests_no_article(
    fresh_site: FixtureServer, expected_records: list[dict[str, Any]], tmp_path: Path
) -> None:
    state = {"NEWSBOT_STATE": str(tmp_path / "state.sqlite")}
    first = crawl("site", state, url=fresh_site.url("/"))
    assert first.stat("newsbot/articles") == len(expected_records)
    assert article_hits(fresh_site, expected_records) == len(expected_records)
    fresh_site.hits.clear()
    plain = crawl("site", state, url=fresh_site.url("/"))  # emitted pages are never asked again
    assert article_hits(fresh_site, expected_records) == 0
    assert plain.stat("newsbot/skipped/seen") >= 1
    # --updates rechecks pages, but not those whose listing dates say they did not change;
    # without HTTP revalidation, so that the sitemaps and feeds are read again (a 304
    # sitemap lists nothing; its pages' links are then rechecked)
    fresh_site.hits.clear()
    updates = {**state, "NEWSBOT_UPDATES": True,
               "DOWNLOADER_MIDDLEWARES": {"newsbot.middlewares.ConditionalRequests": None}}
    second = crawl("site", updates, url=fresh_site.url("/"))
    print(f"\nupdates run: {article_hits(fresh_site, expected_records)} article requests, "
          f"skipped/unchanged {second.stat('newsbot/skipped/unchanged')}")
    assert article_hits(fresh_site, expected_records) == 0
    assert second.stat("newsbot/skipped/unchanged") >= len(expected_records)  # section pages too


def test_run_with_max_age_requests_no_article(
    fresh_site: FixtureServer, expected_records: list[dict[str, Any]]
) -> None:
    # every fixture article is listed (sitemaps, feeds) with 2025 dates
    result = crawl("site", {"NEWSBOT_MAX_AGE_DAYS": 30}, url=fresh_site.url("/"))
    print(f"\nmax_age_days run: {article_hits(fresh_site, expected_records)} article requests, "
          f"skipped/too_old {result.stat('newsbot/skipped/too_old')}")
    assert article_hits(fresh_site, expected_records) == 0
    assert result.stat("newsbot/skipped/too_old") >= len(expected_records)  # section pages too


def test_without_robots_middleware_the_spider_reads_robots_txt_itself() -> None:
    a, b = build_sites(PROBES)
    try:
        crawl("site", {"ROBOTSTXT_OBEY": False, "AUTOTHROTTLE_ENABLED": False}, url=f"{b.origin}/")
        assert b.hits.get("/robots.txt") == 1
        assert b.hits.get("/wp-sitemap.xml") == 1
        assert b.hits.get("/wp/1/") == 1
    finally:
        a.close()
        b.close()
