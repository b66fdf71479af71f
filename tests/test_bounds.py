"""Bounded work under hostile sites: max_pages caps requests of every kind before they are
queued, each site has its own budget, and sites refusing connections are given up on."""

from __future__ import annotations

from tests.crawling import crawl
from tests.faultserver import Scenario, closed_port, home_page, rss, urlset

FAST = {"DOWNLOAD_TIMEOUT": 2, "AUTOTHROTTLE_ENABLED": False, "NEWSBOT_EXTRACT_WORKERS": 1}


def test_max_pages_caps_links_sitemaps_and_feeds_before_queueing() -> None:
    scenario = Scenario()
    big = scenario.server()
    other = scenario.server()
    links = [f"{big.origin}/news/{n}/" for n in range(20_000)]
    Scenario.page(big, "/", home_page(links, f'<link rel="alternate" type="application/rss+xml" '
                                             f'href="{big.origin}/feed.xml">'))
    Scenario.page(big, "/robots.txt", f"User-agent: *\nSitemap: {big.origin}/sitemap.xml\n", "text/plain")
    Scenario.page(big, "/sitemap.xml", urlset([f"{big.origin}/map/{n}/" for n in range(50_000)]), "application/xml")
    Scenario.page(big, "/feed.xml", rss([f"{big.origin}/feed/{n}/" for n in range(20_000)]), "application/rss+xml")
    for n in range(5):
        Scenario.article(other, f"/news/other-{n}/")
    Scenario.page(other, "/", home_page([f"{other.origin}/news/other-{n}/" for n in range(5)]))
    with scenario:
        result = crawl("site", {**FAST, "NEWSBOT_MAX_PAGES": 30}, url=f"{big.origin}/,{other.origin}/")
        fetched = set(big.hits) - {"/robots.txt"}  # URLs, not attempts: a retry is the same request
    assert len(fetched) <= 30, sorted(fetched)
    assert result.stat("scheduler/enqueued") <= 2 * 30 + 4
    assert result.stat("newsbot/skipped/max_pages") > 0
    # the other site's budget is its own: every one of its articles is written
    assert sorted(i["source_url"] for i in result.items if other.origin in i["source_url"]) == sorted(
        f"{other.origin}/news/other-{n}/" for n in range(5))
    assert result.stats.get("finish_reason") == "finished"


def check_dead_sites(dead_count: int) -> None:
    """Crawl one live site (10 articles) beside ``dead_count`` sites refusing connections;
    assert every live article is written and every dead site given up on."""
    scenario = Scenario()
    live = scenario.server()
    urls = [Scenario.article(live, f"/news/live-{n}/") for n in range(10)]
    Scenario.page(live, "/", home_page(urls))
    port = closed_port()
    dead = [f"http://127.0.{1 + n // 250}.{1 + n % 250}:{port}/" for n in range(dead_count)]
    with scenario:
        result = crawl("site", {"AUTOTHROTTLE_ENABLED": True, "NEWSBOT_EXTRACT_WORKERS": 1},
                       urls=[*dead, f"{live.origin}/"], timeout=900)
    assert sorted(i["source_url"] for i in result.items) == sorted(urls)
    assert result.stat("newsbot/sites_unreachable") == len(dead)
    assert result.stat("newsbot/skipped/site_unreachable") > 0
    assert len([line for line in result.log if line.startswith("WARNING site unreachable")]) == len(dead)
    assert result.stats.get("finish_reason") == "finished"


def test_sites_refusing_connections_do_not_starve_the_live_one() -> None:
    check_dead_sites(150)
