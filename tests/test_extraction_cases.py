"""extract_article on the small failure-kind pages of ``fixtures/cases/``.

Each ``<kind>.html`` is a page written for the project (invented text) that shows one
kind of extraction failure met on real news pages; ``<kind>.json`` holds what the record
must say. Keys that the JSON leaves out are not checked; ``body`` is compared paragraph
by paragraph, exactly (the page's characters, whitespace runs collapsed);
``must_not_contain`` strings may appear in no field of the record; ``body_contains`` lists
paragraphs the body must hold (where the rest of the body is not the point of the case).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from newsbot.extraction import extract_article

CASES = Path(__file__).resolve().parent.parent / "fixtures" / "cases"
CASE_NAMES = sorted(p.stem for p in CASES.glob("*.html"))


def load_case(name: str) -> tuple[str, dict[str, Any]]:
    html = (CASES / f"{name}.html").read_text(encoding="utf-8")
    expected = json.loads((CASES / f"{name}.json").read_text(encoding="utf-8"))
    return html, expected


def paragraphs(text: str | None) -> list[str]:
    return [re.sub(r"\s+", " ", p).strip() for p in re.split(r"\n\s*\n", text or "") if p.strip()]


def test_every_case_has_its_expected_record() -> None:
    assert CASE_NAMES, "no cases found"
    for name in CASE_NAMES:
        assert (CASES / f"{name}.json").exists(), name


@pytest.mark.parametrize("name", CASE_NAMES)
def test_case_record(name: str) -> None:
    html, expected = load_case(name)
    article = extract_article(html, expected.get("url", f"https://news.example/{name}/"))
    assert article.drop_reason is None
    for key in ("title", "description", "published", "authors", "page_type", "paywalled"):
        if key in expected:
            assert getattr(article, key) == expected[key], key
    if "body" in expected:
        assert paragraphs(article.body) == paragraphs(expected["body"])
    for paragraph in expected.get("body_contains", []):  # paragraphs the body must hold, in any case
        assert paragraph in paragraphs(article.body)


@pytest.mark.parametrize("name", CASE_NAMES)
def test_case_leaks_no_clutter(name: str) -> None:
    html, expected = load_case(name)
    article = extract_article(html, expected.get("url", f"https://news.example/{name}/"))
    dumped = json.dumps(article.record(), ensure_ascii=False)
    assert [s for s in expected.get("must_not_contain", []) if s in dumped] == []


def test_subheadings_left_out_by_the_extractor_are_put_back_in_place() -> None:
    from lxml import html as lxml_html

    from newsbot.extraction.body import _add_missing_subheadings

    container = lxml_html.fromstring(
        "<div><h2>Kicker above the text</h2><p>First paragraph of the story.</p>"
        "<h2>A subheading</h2><p>Second paragraph of the story.</p></div>"
    )
    paragraphs = ["First paragraph of the story.", "Second paragraph of the story."]
    known = {"first paragraph of the story", "second paragraph of the story"}
    assert _add_missing_subheadings(container, paragraphs, known) == [
        "First paragraph of the story.", "A subheading", "Second paragraph of the story."]


@pytest.mark.parametrize("attributes", ["", ' class="pb-text"'])
def test_subheadings_come_back_when_the_article_is_the_pages_only_block(attributes: str) -> None:
    """One container of paragraphs (with a class or none): the subheadings are put back as
    on a page with several (the split-parts search is what needs more than one)."""
    from lxml import html as lxml_html

    from newsbot.extraction.body import add_split_body_parts, paragraph_parents

    story = [f"Paragraph {i} of the story about the valley orchards and the growers there." for i in range(3)]
    tree = lxml_html.document_fromstring(
        f"<html><body><div{attributes}><p>{story[0]}</p><h2>Old trees</h2><p>{story[1]}</p>"
        f"<h3>Dry springs</h3><p>{story[2]}</p></div></body></html>")
    scores = paragraph_parents(tree)
    assert len(scores) == 1
    assert add_split_body_parts(tree, list(story), scores) == [
        story[0], "Old trees", story[1], "Dry springs", story[2]]


def test_headings_and_lists_put_back_before_one_paragraph_keep_their_order() -> None:
    from lxml import html as lxml_html

    from newsbot.extraction.body import _add_missing_subheadings

    container = lxml_html.fromstring(
        "<div><p>First paragraph of the story.</p><h2>Part two</h2><h3>Three jobs</h3>"
        "<ol><li>Lend the cart</li><li>Spread straw</li></ol><ul><li><a href='/x'>A linked teaser</a></li></ul>"
        "<p>Second paragraph of the story.</p></div>"
    )
    paragraphs = ["First paragraph of the story.", "Second paragraph of the story."]
    known = {"first paragraph of the story", "second paragraph of the story"}
    assert _add_missing_subheadings(container, paragraphs, known) == [
        "First paragraph of the story.", "Part two", "Three jobs", "Lend the cart", "Spread straw",
        "Second paragraph of the story."]


GOLDEN = CASES.parent / "expected"
SITE = CASES.parent / "site"


@pytest.mark.parametrize("name", sorted(p.stem for p in GOLDEN.glob("*.json") if not p.stem.startswith("_")))
def test_golden_record_page_type_and_paywalled(name: str) -> None:
    """The fixture site's golden records carry page_type and paywalled, and extraction agrees."""
    expected = json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))
    html = (SITE / expected["path"].strip("/") / "index.html").read_bytes()
    article = extract_article(html, "http://127.0.0.1:8000" + expected["path"])
    assert (article.page_type, article.paywalled) == (expected["page_type"], expected["paywalled"])
