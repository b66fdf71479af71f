"""Page classification on the project-written pages of ``fixtures/cases/classify/``.

Each page is one kind a news crawl meets (home page, section front, tag page claiming
``og:type=article``, author page, search results, video, gallery, podcast, imprint,
privacy policy, newsletter sign-up, events, 404 with teasers, consent and paywall
interstitials, date archive, topic hub, weather and market tables) or an article with no
metadata in one CMS style or language; ``expected.json`` gives its ``page_type``. A crawl
(articles only) writes none of the non-articles; ``scrape`` writes every page with main
text, its ``page_type`` set, and ``--articles-only`` drops the rest with a reason.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from newsbot.extraction import extract_article
from newsbot.fixture_server import FixtureServer
from tests.crawling import crawl

CASES = Path(__file__).resolve().parent.parent / "fixtures" / "cases" / "classify"
EXPECTED: dict[str, str] = json.loads((CASES / "expected.json").read_text(encoding="utf-8"))


def test_every_page_kind_is_covered() -> None:
    assert {p.stem for p in CASES.glob("*.html")} - {"index"} == set(EXPECTED)
    kinds = set(EXPECTED.values())
    assert kinds == {"article", "listing", "other"}
    assert sum(1 for k in EXPECTED.values() if k != "article") >= 18


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_page_type(name: str) -> None:
    article = extract_article((CASES / f"{name}.html").read_bytes(), f"http://127.0.0.1/{name}.html")
    assert article.page_type == EXPECTED[name], (name, article.drop_reason, article.body[:300])
    if EXPECTED[name] == "article":
        assert article.drop_reason is None
    else:
        assert article.drop_reason in ("listing", "not_article", "no_text", "no_title")


@pytest.fixture(scope="module")
def kinds_site() -> Iterator[FixtureServer]:
    with FixtureServer(CASES) as server:
        yield server


def _url_list(tmp_path: Path, origin: str) -> Path:
    path = tmp_path / "urls.txt"
    path.write_text("".join(f"{origin}/{name}.html\n" for name in sorted(EXPECTED)), encoding="utf-8")
    return path


def test_articles_only_writes_no_non_article(kinds_site: FixtureServer, tmp_path: Path) -> None:
    result = crawl("urls", {"NEWSBOT_ARTICLES_ONLY": True}, file=str(_url_list(tmp_path, kinds_site.origin)))
    written = {item["source_url"].rsplit("/", 1)[1][: -len(".html")] for item in result.items}
    articles = {n for n, k in EXPECTED.items() if k == "article"}
    # some article pages tell the same invented story: the later ones are duplicates
    assert written <= articles
    assert len(written) + result.stat("newsbot/dropped/duplicate") == len(articles)
    assert all(item["page_type"] == "article" for item in result.items)
    dropped = result.stat("newsbot/dropped/listing") + result.stat("newsbot/dropped/not_article")
    assert dropped == sum(1 for k in EXPECTED.values() if k != "article")


def test_scrape_writes_every_page_with_main_text(kinds_site: FixtureServer, tmp_path: Path) -> None:
    result = crawl("urls", {"NEWSBOT_ARTICLES_ONLY": False}, file=str(_url_list(tmp_path, kinds_site.origin)))
    types = {item["source_url"].rsplit("/", 1)[1][: -len(".html")]: item["page_type"] for item in result.items}
    for name, page_type in types.items():
        assert page_type == EXPECTED[name], name
    assert len(types) + result.stat("newsbot/dropped/duplicate") >= len(EXPECTED) - 2
    assert {"privacy-policy", "weather-table"} <= set(types)
    assert {"article", "listing", "other"} == set(types.values())
