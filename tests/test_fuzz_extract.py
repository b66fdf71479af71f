"""``extract_article`` never raises, whatever the bytes: hypothesis-generated input plus
truncated and shuffled versions of the fixture pages. Every result is either a record valid
against the shipped schema or a page with a ``drop_reason``.

The public ``extract_article`` is wrapped in a guard that turns any exception into a page
dropped as ``"unparsable"``, so a fuzz test calling it could never fail. The fuzz tests
call the extraction without that guard (``extract_unguarded``, the function
``functools.wraps`` keeps as ``extract_article.__wrapped__``): an exception on any input
fails them. One test checks the guard itself."""

from __future__ import annotations

import logging
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsbot.extraction import extract_article
from newsbot.identity import article_id
from newsbot.items import Article
from newsbot.schema import record_errors
from tests.conftest import SITE

URL = "http://127.0.0.1:9/2025/01/01/fuzzed/"
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# The extraction without the guard that turns exceptions into "unparsable" pages.
extract_unguarded = extract_article.__wrapped__


def check(html: str | bytes) -> Article:
    """Extract ``html`` without the guard and assert the result is a valid record or a
    dropped page (an exception fails the calling test)."""
    article = extract_unguarded(html, URL, min_words=5)
    assert isinstance(article, Article)
    if article.drop_reason is None:
        article.source_url = URL
        article.fetched_at = "2025-01-01T00:00:00Z"
        assert record_errors(article.record()) == [], article.record()
    else:
        assert isinstance(article.drop_reason, str) and article.drop_reason
    return article


def fixture_pages() -> list[Path]:
    """Return a few fixture article pages, one per template."""
    pages = sorted(SITE.glob("2025/*/*/*/index.html"))
    return pages[::11][:4]


def test_fixture_pages_are_found() -> None:
    assert len(fixture_pages()) == 4  # an empty parameter list would only skip the page tests


def test_the_guard_drops_a_page_the_extraction_raises_on_as_unparsable(caplog: pytest.LogCaptureFixture) -> None:
    page = 12345  # neither str nor bytes: the extraction rejects it
    with pytest.raises(TypeError):
        extract_unguarded(page, URL, min_words=5)
    with caplog.at_level(logging.WARNING):
        article = extract_article(page, URL, min_words=5)
    assert isinstance(article, Article)
    assert article.drop_reason == "unparsable"
    assert article.url == URL and article.id == article_id(URL)
    assert any(r.levelno == logging.WARNING and URL in r.getMessage() and "TypeError" in r.getMessage()
               for r in caplog.records)


TAGS = st.sampled_from(["<html>", "</html>", "<body>", "<p>", "</p>", "<div>", "</div>", "<article>", "<h1>",
                        "</h1>", "<script>", "</script>", "<!--", "-->", "<meta charset='utf-16'>", "<![CDATA[",
                        "<title>", "</title>", "<br>", "<table><tr><td>", "&amp;", "&#0;", "&#xD800;", "\x00",
                        '<script type="application/ld+json">{"@type":"NewsArticle","headline":', "<time datetime='x'>",
                        '<meta property="article:published_time" content="99999-99-99">', "<?xml version='1.0'?>",
                        "<svg><foreignObject>", "\ufeff", "<link rel='canonical' href='javascript:alert(1)'>"])
WORDS = st.text(min_size=0, max_size=40)


@FUZZ
@given(st.binary(max_size=4000))
def test_any_bytes(data: bytes) -> None:
    check(data)


@FUZZ
@given(st.lists(st.one_of(TAGS, WORDS), max_size=80).map("".join))
def test_tag_soup(text: str) -> None:
    check(text)
    check(text.encode("utf-8", "surrogatepass"))


@pytest.mark.parametrize("page", fixture_pages(), ids=lambda p: p.parent.name[:30])
def test_truncated_fixture_pages(page: Path) -> None:
    data = page.read_bytes()
    assert check(data).drop_reason is None  # the whole page is an article: a record, checked against the schema
    for cut in range(0, len(data), max(1, len(data) // 25)):
        check(data[:cut])
    check(data[: len(data) // 2] + b"\xff\xfe\x00" + data[len(data) // 2:])


@pytest.mark.parametrize("page", fixture_pages(), ids=lambda p: p.parent.name[:30])
def test_shuffled_fixture_pages(page: Path) -> None:
    lines = page.read_bytes().splitlines(keepends=True)
    rng = random.Random(page.name + str(len(lines)))
    for _ in range(6):
        rng.shuffle(lines)
        check(b"".join(lines))
    chunks = [page.read_bytes()[i:i + 97] for i in range(0, len(page.read_bytes()), 97)]
    rng.shuffle(chunks)
    check(b"".join(chunks))


@pytest.mark.parametrize("html", [
    "<div>" * 100_000 + "<p>deep</p>" + "</div>" * 100_000,
    "<p>" + "word " * 200_000 + "</p>",
    "\x00" * 10_000,
    "<html><body>" + "<b>" * 5000 + "x" + "</b>" * 5000,
    b"\xef\xbb\xbf<html><meta charset='shift_jis'><body><p>\x82\xa0\x82\xa2</p></body></html>",
    "<html><head><title>" + "T" * 100_000 + "</title></head><body><p>text</p></body></html>",
    '<script type="application/ld+json">' + "[" * 5000 + "]" * 5000 + "</script><p>x</p>",
])
def test_hostile_shapes(html: str | bytes) -> None:
    check(html)
