"""A real crawl of the fixture site with the ``site`` spider (in a child process)."""

from __future__ import annotations

from typing import Any

import pytest

from newsbot.fixture_server import FixtureServer
from newsbot.schema import record_errors
from tests.conftest import normalise_ws, site_manifest
from tests.crawling import CrawlResult, crawl


@pytest.fixture(scope="module")
def site_crawl(fixture_site: FixtureServer) -> CrawlResult:
    return crawl("site", url=fixture_site.url("/"))


def test_every_fixture_article_is_written_once(site_crawl: CrawlResult, fixture_site: FixtureServer,
                                               expected_records: list[dict[str, Any]]) -> None:
    urls = [item["url"] for item in site_crawl.items]
    assert len(urls) == len(set(urls))
    assert sorted(urls) == sorted(fixture_site.url(r["url"]) for r in expected_records)
    assert site_crawl.stat("newsbot/articles") == len(expected_records)


def test_feed_only_articles_are_found(site_crawl: CrawlResult, fixture_site: FixtureServer) -> None:
    urls = {item["url"] for item in site_crawl.items}
    feed_only = site_manifest()["feed_only"]
    assert len(feed_only) == 2
    assert {fixture_site.url(p) for p in feed_only} <= urls


def test_no_record_for_non_article_pages(site_crawl: CrawlResult, fixture_site: FixtureServer) -> None:
    manifest = site_manifest()
    urls = {item["url"] for item in site_crawl.items} | {item["source_url"] for item in site_crawl.items}
    assert not urls & {fixture_site.url(p) for p in manifest["non_articles"]}
    assert site_crawl.stat("newsbot/dropped/listing") >= 1  # the home page at least


def test_robots_txt_is_obeyed(site_crawl: CrawlResult, fixture_site: FixtureServer) -> None:
    for path in site_manifest()["forbidden"]:
        assert fixture_site.hits.get(path, 0) == 0


def test_records_valid_and_equal_expected(site_crawl: CrawlResult, fixture_site: FixtureServer,
                                          expected_records: list[dict[str, Any]]) -> None:
    by_url = {item["url"]: item for item in site_crawl.items}
    for expected in expected_records:
        record = by_url[fixture_site.url(expected["url"])]
        assert record_errors(record) == []
        assert record["title"] == expected["title"]
        assert record["published"] == expected["published"]
        assert record["authors"] == expected["authors"]
        assert record["description"] == expected["description"]
        assert normalise_ws(record["body"]) == normalise_ws(expected["body"])


def test_stats_count_pages_and_sites(site_crawl: CrawlResult, expected_records: list[dict[str, Any]]) -> None:
    pages = site_crawl.stat("newsbot/pages")
    dropped = sum(v for k, v in site_crawl.stats.items() if k.startswith("newsbot/dropped/"))
    assert pages == len(expected_records) + dropped
    assert any(k.startswith("newsbot/site/127.0.0.1:") for k in site_crawl.stats)  # host and port


def test_feeds_are_never_fetched_as_pages(site_crawl: CrawlResult) -> None:
    # the home page declares its feed (<link rel=alternate>) and links to it (<a href>): read
    # as a feed, the link is not fetched again as a page (error not_html)
    assert not {k: v for k, v in site_crawl.stats.items() if k.startswith("newsbot/errors/")}


def test_robots_txt_has_its_own_download_slot(fixture_site: FixtureServer) -> None:
    # the site's first page must not wait the site's download delay behind robots.txt;
    # the pages themselves keep sharing one slot (one delay, one concurrency limit per site)
    result = crawl("site", url=fixture_site.url("/"), settings={
        "EXTENSIONS": {"tests.extensions_for_tests.DownloadSlotRecorder": 0},
        "CLOSESPIDER_PAGECOUNT": 5,
    })
    slots = {k.removeprefix("test/slot/"): v for k, v in result.stats.items() if k.startswith("test/slot/")}
    robots = slots.pop("robots.txt")
    assert slots, "no page reached the downloader"
    assert robots not in set(slots.values())
    assert len(set(slots.values())) == 1
