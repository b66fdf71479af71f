"""A page's canonical URL is trusted only for the page itself: different bodies never merge
under one canonical, a canonical naming another page does not suppress that page, and a
CDN/staging host's pages naming the public domain are written and credited to the site
crawled (newsbot.pipelines.same_page, request meta newsbot_site)."""

from __future__ import annotations

from newsbot.cli.report import exit_code
from newsbot.pipelines import same_page
from tests.crawling import crawl
from tests.faultserver import Scenario, home_page

SETTINGS = {"AUTOTHROTTLE_ENABLED": False, "NEWSBOT_EXTRACT_WORKERS": 1}


def test_canonical_claims() -> None:
    scenario = Scenario()
    srv = scenario.server()
    shared = [Scenario.article(srv, f"/news/shared-{n}/", '<link rel="canonical" href="/index.html">')
              for n in range(3)]
    real = Scenario.article(srv, "/news/real/")
    claimer = Scenario.article(srv, "/news/claimer/", f'<link rel="canonical" href="{real}">')
    cdn = [Scenario.article(srv, f"/news/cdn-{n}/",
                            f'<link rel="canonical" href="https://public.example/news/cdn-{n}/">') for n in range(2)]
    Scenario.page(srv, "/", home_page([claimer, *shared, real, *cdn]))
    home = f"{srv.origin}/"
    with scenario:
        result = crawl("site", SETTINGS, url=home)
    by_source = {i["source_url"]: i for i in result.items}
    # three different stories claiming one canonical: three records, each under its own URL
    assert all(by_source[u]["url"] == u for u in shared)
    # a canonical naming a real article: both pages are written, each under its own URL
    assert by_source[claimer]["url"] == claimer
    assert by_source[real]["url"] == real
    # CDN / staging host whose canonical is the public domain: written as the public URL
    assert [by_source[u]["url"] for u in cdn] == [f"https://public.example/news/cdn-{n}/" for n in range(2)]
    assert len({i["id"] for i in result.items}) == len(result.items) == 7
    site = srv.origin.removeprefix("http://")
    assert result.stat(f"newsbot/site/{site}/articles") == 7
    assert not [k for k in result.stats if k.startswith("newsbot/site/public.example/")]
    assert exit_code(result.stats, "crawl", [home]) == 0


def test_same_page() -> None:
    assert same_page("https://public.example/a/b/", "http://staging.example:8080/a/b")
    assert same_page("https://news.example/a/b/", "https://news.example/a/b/amp/")
    assert not same_page("https://news.example/index.html", "https://news.example/a/b/")
    assert not same_page("https://news.example/c/", "https://news.example/b/")
