"""Trafilatura is handed the region of the page where the article's paragraphs are
(``newsbot.extraction.region.main_region``) instead of the whole page: the record is the same
as from the whole page, and a page whose content also sits outside that region (a list of
steps, a question-and-answer block) keeps the whole page."""

from __future__ import annotations

import pytest
from lxml import html as lxml_html

from newsbot.extraction import region as region_module
from newsbot.extraction.article import extract_article
from newsbot.extraction.body import main_text, paragraph_parents
from newsbot.extraction.region import main_region

_SENTENCES = [
    "The council met on Tuesday evening to vote on the budget for the coming year.",
    "Members argued for three hours over the cost of repairing the old river bridge.",
    "A majority finally agreed to borrow the money rather than raise local taxes again.",
    "Residents who attended the meeting said they had waited years for a decision.",
    "The mayor promised that work on the bridge would start before the end of spring.",
    "Engineers warned last autumn that the structure could not carry heavy lorries.",
    "Traffic has since been diverted through the town centre, slowing buses by minutes.",
    "Shop owners on the main street welcomed the vote but asked for faster progress.",
]


def _story(n: int = 8) -> str:
    return "".join(f"<p>{_SENTENCES[i % len(_SENTENCES)]} {_SENTENCES[(i + 3) % len(_SENTENCES)]}</p>" for i in range(n))


def _news_page() -> str:
    nav = "<ul>" + "".join(f'<li><a href="/s{i}">Section {i}</a></li>' for i in range(12)) + "</ul>"
    teasers = "".join(
        f'<div class="teaser"><h3><a href="/t{i}">Other story number {i} about the town</a></h3></div>' for i in range(6)
    )
    return (
        "<html><head><title>Council votes to repair the bridge</title></head><body>"
        f"<header><nav>{nav}</nav></header>"
        '<div class="page"><main><div class="story">'
        "<h1>Council votes to repair the river bridge</h1>"
        "<div class=\"standfirst\"><p>Borrowing, not taxes, will pay for the work, members decided.</p></div>"
        f'<div class="story-body"><div class="text">{_story()}</div></div>'
        "</div></main>"
        f"<aside>{teasers}</aside></div>"
        "<footer><p>Copyright the Riverside Courier, all rights reserved, 2026.</p></footer>"
        "</body></html>"
    )


def _body(html: str, monkeypatch: pytest.MonkeyPatch, *, whole_page: bool) -> str:
    if whole_page:
        monkeypatch.setattr(region_module, "main_region", lambda tree, scores: None)
    result = extract_article(html, "http://127.0.0.1/news/bridge")
    monkeypatch.undo()
    return result.body or ""


def test_a_news_page_gives_its_article_region() -> None:
    tree = lxml_html.document_fromstring(_news_page())
    region = main_region(tree, paragraph_parents(tree))
    assert region is not None
    text = region.text_content()
    assert all(s in text for s in _SENTENCES)
    assert "Council votes to repair the river bridge" in text  # the headline around the paragraphs
    assert "Section 3" not in text and "Copyright" not in text  # the site's navigation and footer
    assert len(list(region.iter())) < len(list(tree.iter())) * 2 / 3


def test_the_region_gives_the_record_of_the_whole_page(monkeypatch: pytest.MonkeyPatch) -> None:
    page = _news_page()
    from_region = _body(page, monkeypatch, whole_page=False)
    assert from_region == _body(page, monkeypatch, whole_page=True)
    assert all(s in from_region for s in _SENTENCES)
    assert "Copyright" not in from_region


def _page_with_steps_elsewhere() -> str:
    steps = "".join(
        f"<li>Step {i}: check the tyre pressure, the brake fluid and the lights before every long drive you plan.</li>"
        for i in range(14)
    )
    return (
        "<html><body><div class=\"wrap\"><div class=\"col\"><div class=\"intro\"><div class=\"inner\">"
        f"<h1>How to get your car ready for winter</h1>{_story(7)}"
        "</div></div></div>"
        f"<div class=\"col\"><div class=\"box\"><div class=\"inner\"><ol>{steps}</ol></div></div></div></div>"
        "</body></html>"
    )


def test_content_outside_the_paragraphs_keeps_the_whole_page() -> None:
    page = _page_with_steps_elsewhere()
    tree = lxml_html.document_fromstring(page)
    assert main_region(tree, paragraph_parents(tree)) is None


@pytest.mark.parametrize("page", [
    f"<html><body><div><div><div><p>{_SENTENCES[0]}</p><p>{_SENTENCES[1]}</p></div></div></div></body></html>",
    f"<html><body>{_story()}</body></html>",
    f"<html><body><div>{_story()}</div></body></html>",
], ids=["little text", "paragraphs in body", "one wrapper below body"])
def test_no_region_when_it_would_be_the_whole_page(page: str) -> None:
    tree = lxml_html.document_fromstring(page)
    assert main_region(tree, paragraph_parents(tree)) is None


def test_the_region_keeps_the_declared_json_ld() -> None:
    """Trafilatura reads a page's JSON-LD (a forum thread's posts are content, not a comment
    section to drop): the region page carries the head's JSON-LD, and nothing else of it."""
    forum = '{"@context": "https://schema.org", "@type": "DiscussionForumPosting", "headline": "Bridge"}'
    page = (
        f"<html><head><title>Bridge thread</title><script>var x = 1;</script>"
        f"<script type='application/ld+json'>{forum}</script></head><body>"
        "<header><ul>" + "".join(f"<li><a href='/f{i}'>Forum {i}</a></li>" for i in range(5)) + "</ul></header>"
        f"<div class='page'><div class='wrap'><div class='thread'><div class='comments'>{_story(8)}</div></div></div>"
        "</div><div class='footer-links'><a href='/about'>About</a></div></body></html>"
    )
    tree = lxml_html.document_fromstring(page)
    region = main_region(tree, paragraph_parents(tree))
    assert region is not None
    assert [s.get("type") for s in region.find("head")] == ["application/ld+json"]
    assert main_text(region, "https://forum.example/t/2") == main_text(tree, "https://forum.example/t/2")
    assert main_text(region, "https://forum.example/t/2")[1] == 8
    region.find("head").clear()  # without it, the posts would be taken for a comment section
    assert main_text(region, "https://forum.example/t/2")[1] == 0
