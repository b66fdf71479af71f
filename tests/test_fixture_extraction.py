"""extract_article on every fixture page, without Scrapy: each field equals the hand-checked
expected record, and no clutter string survives anywhere in the record."""

from __future__ import annotations

import json
from typing import Any

import pytest

from newsbot.extraction import extract_article
from newsbot.schema import record_errors
from tests.conftest import SITE, load_expected, normalise_ws, site_manifest

ORIGIN = "http://127.0.0.1:8123"
EXPECTED = load_expected()


def page_html(path: str) -> str:
    """Return the fixture page served at ``path``, as the server would fill it."""
    file = SITE / path.strip("/") / "index.html" if path.endswith("/") else SITE / path.strip("/")
    return file.read_text(encoding="utf-8").replace("__ORIGIN__", ORIGIN)


def extract(record: dict[str, Any]):
    article = extract_article(page_html(record["path"]), ORIGIN + record["path"])
    article.source_url = ORIGIN + record["path"]
    article.fetched_at = "2025-06-01T00:00:00+00:00"
    return article


@pytest.mark.parametrize("expected", EXPECTED, ids=[r["path"] for r in EXPECTED])
def test_fixture_article_matches_expected_record(expected: dict[str, Any]) -> None:
    article = extract(expected)
    assert article.drop_reason is None
    assert article.url == ORIGIN + expected["url"]
    assert article.title == expected["title"]
    assert article.published == expected["published"]
    assert article.authors == expected["authors"]
    assert article.description == expected["description"]
    assert normalise_ws(article.body) == normalise_ws(expected["body"])
    assert record_errors(article.record()) == []


@pytest.mark.parametrize("expected", EXPECTED, ids=[r["path"] for r in EXPECTED])
def test_fixture_article_has_no_clutter(expected: dict[str, Any]) -> None:
    dumped = json.dumps(extract(expected).record(), ensure_ascii=False)
    leaked = [s for s in expected["must_not_contain"] if s in dumped]
    assert leaked == []


def test_seed_like_template_keeps_subheading_as_its_own_paragraph() -> None:
    wp = [r for r in EXPECTED if r["template"] == "wp"]
    assert wp
    for expected in wp:
        article = extract(expected)
        expected_paragraphs = expected["body"].split("\n\n")
        got = article.body.split("\n\n")
        assert got == [normalise_ws(p) for p in expected_paragraphs]
        assert any(len(p.split()) <= 12 and not p.endswith(".") for p in got), "a subheading paragraph"


@pytest.mark.parametrize("path", site_manifest()["non_articles"])
def test_non_article_pages_are_dropped_with_a_reason(path: str) -> None:
    article = extract_article(page_html(path), ORIGIN + path)
    assert article.drop_reason in {"listing", "not_article", "too_short", "no_text"}
