"""Bounded work under hostile sites: max_pages caps requests of every kind before they are
queued, each site has its own budget, and sites refusing connections are given up on."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from newsbot.cli.report import exit_code
from newsbot.cookies import bounded_cookie_header
from newsbot.urls import site_of
from tests.crawling import crawl
from tests.faultserver import Scenario, article_html, closed_port, home_page, rss, send, urlset

# a generous timeout: nothing here waits on one, and a loaded machine must not fail a page
FAST = {"DOWNLOAD_TIMEOUT": 10, "AUTOTHROTTLE_ENABLED": False, "NEWSBOT_EXTRACT_WORKERS": 1}


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
    assert result.stat("scheduler/enqueued") <= 2 * 30 + 4, result.stats
    assert result.stat("newsbot/skipped/max_pages") > 0, result.stats
    # the other site's budget is its own: every one of its articles is written
    assert sorted(i["source_url"] for i in result.items if other.origin in i["source_url"]) == sorted(
        f"{other.origin}/news/other-{n}/" for n in range(5)), result.log[-20:]
    assert result.stats.get("finish_reason") == "finished", result.stats


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


def test_cookie_header_is_cut_at_whole_cookies_keeping_the_first_set() -> None:
    header = b"; ".join(f"c{n}={'x' * 90}".encode() for n in range(100))
    value, dropped = bounded_cookie_header(header, 4096)
    assert len(value) <= 4096 and dropped > 0
    assert value.startswith(b"c0=") and value.split(b"; ")[-1].startswith(f"c{99 - dropped}=".encode())
    assert bounded_cookie_header(b"a=1; b=2", 4096) == (b"a=1; b=2", 0)
    assert bounded_cookie_header(header, 0) == (header, 0)  # 0: no bound


def test_a_site_setting_a_cookie_per_page_keeps_answering() -> None:
    """Every page sets one more 300-byte cookie; like nginx or Apache, the server refuses a
    request whose Cookie header passes 8 KB. All its articles are still written."""
    scenario = Scenario()
    srv = scenario.server()
    urls = [f"{srv.origin}/news/{n}/" for n in range(40)]
    served = {u: article_html(f"cookie-{n}", f"Story cookie {n}").encode() for n, u in enumerate(urls)}
    refused: list[int] = []

    def handler(h: Any) -> None:
        cookie = h.headers.get("Cookie") or ""
        if len(cookie) > 8190:
            refused.append(len(cookie))
            send(h, 400, b"<html><body>Request Header Or Cookie Too Large</body></html>")
            return
        n = srv.hit("cookie-counter")
        body = served.get(srv.origin + urlsplit(h.path).path) or home_page(urls).encode()
        send(h, 200, body, headers={"Set-Cookie": f"track{n}={'v' * 300}; Path=/"})

    for path in ["/", *(urlsplit(u).path for u in urls)]:
        srv.routes[path] = handler
    with scenario:
        result = crawl("site", {**FAST, "CONCURRENT_REQUESTS": 1}, url=f"{srv.origin}/")
    assert not refused
    assert sorted(i["source_url"] for i in result.items) == sorted(urls)
    assert result.stat("newsbot/cookies_trimmed") > 0
    assert len([line for line in result.log if "are not sent (NEWSBOT_MAX_COOKIE_BYTES)" in line]) == 1


def test_pages_lost_to_http_errors_fail_the_run_and_broken_links_do_not() -> None:
    scenario = Scenario()
    srv = scenario.server()
    good = [Scenario.article(srv, f"/news/good-{n}/") for n in range(3)]
    refused = [Scenario.page(srv, f"/news/refused-{n}/", "<html><body>no</body></html>", status=403)
               for n in range(2)]
    Scenario.page(srv, "/", home_page([*good, *refused, f"{srv.origin}/news/gone/"]))
    with scenario:
        result = crawl("site", FAST, url=f"{srv.origin}/")
    assert sorted(i["source_url"] for i in result.items) == sorted(good)
    assert result.stat("newsbot/lost") == 2
    said: list[str] = []
    handler = logging.Handler(logging.ERROR)
    handler.emit = lambda record: said.append(record.getMessage())  # type: ignore[method-assign]
    logging.getLogger("newsbot").addHandler(handler)
    try:
        assert exit_code(result.stats, "crawl", [f"{srv.origin}/"]) == 1
    finally:
        logging.getLogger("newsbot").removeHandler(handler)
    assert f"site failed: {srv.origin}/: 2 pages lost to HTTP errors (http_403=2)" in said, said
    # only a broken link (404): the site did not fail
    site = site_of(srv.origin)
    stats = {k: v for k, v in result.stats.items() if "lost" not in k and "http_403" not in k}
    assert stats[f"newsbot/site/{site}/errors/http_404"] == 1
    assert exit_code(stats, "crawl", [f"{srv.origin}/"]) == 0
