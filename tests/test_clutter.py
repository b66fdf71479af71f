"""The clutter step on its own: block removal and text rules, each clutter kind once."""

from __future__ import annotations

import pytest
from lxml import html

from newsbot.clutter import is_clutter_paragraph, strip_clutter_nodes, strip_clutter_paragraphs

PAGE = """<html><body>
<div class="site-header"><nav><a href="/">Home</a></nav></div>
<div class="post-wrap jeg_share_top_container"><a>Share on Facebook</a></div>
<div class="entry-content">
  <p>The river ferry resumed service on Monday after a three-week halt for repairs to its hull.</p>
  <figure class="wp-caption"><img src="/a.jpg"><figcaption class="wp-caption-text">Ferry at dawn by the old pier</figcaption></figure>
  <p>Passengers queued from six in the morning, many carrying bicycles and market baskets.</p>
  <div class="author-info"><p>Mara Quist writes about transport for the paper.</p></div>
</div>
<div class="jeg_postblock related-posts"><h3>Latest from Transport</h3><p>Bridge tolls to stay frozen</p></div>
<div id="comments" class="comments-area"><p>Great news for commuters!</p></div>
<div class="tagcloud"><a>ferries</a></div>
<footer><p>Copyright 2025</p></footer>
</body></html>"""


def test_clutter_blocks_are_removed_and_article_text_kept() -> None:
    tree = html.fromstring(PAGE)
    removed = strip_clutter_nodes(tree)
    text = tree.text_content()
    assert removed >= 6
    for gone in ("Share on Facebook", "Ferry at dawn", "Mara Quist writes", "Bridge tolls", "Great news", "ferries", "Copyright"):
        assert gone not in text
    assert "river ferry resumed" in text and "Passengers queued" in text


def test_a_wrapper_holding_the_article_survives_its_clutter_word() -> None:
    body = "".join(f"<p>Paragraph {i} of the story about the harbour and its many new cranes.</p>" for i in range(8))
    tree = html.fromstring(f"<html><body><div class='post has-share-buttons'>{body}</div><aside>x</aside></body></html>")
    strip_clutter_nodes(tree)
    assert tree.text_content().count("Paragraph") == 8


@pytest.mark.parametrize("line", [
    "3 mins read", "5 min read", "ALSO READ: Huge storm is starting, warns council", "Read more: Rates rise",
    "Related: The port at night", "Recommended: A new bridge", "Go to Top", "Go toTop", "Previous Story", "Next Story",
    "Share", "Share on Facebook", "Updated at 1:23 p.m.", "Photo: Lena Park / Harbor Wire",
    "By Alice Smith and Bob Jones, Staff Reporters", "Subscribe to keep reading",
])
def test_clutter_lines(line: str) -> None:
    assert is_clutter_paragraph(line)


@pytest.mark.parametrize("line", [
    "By Friday, the ministry had recalled all trucks.",
    "Updated rules take effect in May, the agency said.",
    "The newsletter was founded in 1990 by two teachers.",
    "Related parties must disclose their holdings, the regulator said.",
])
def test_article_sentences_are_not_clutter(line: str) -> None:
    assert not is_clutter_paragraph(line)


def test_paragraph_rules_cut_teaser_blocks_and_repeats() -> None:
    paragraphs = [
        "Harbour fees rise again", "Port users will pay more from April.", "3 mins read",
        "The board voted five to two.", "Putin seeks closer ties", "ALSO READ: Cranes arrive",
        "Previous Story", "Older headline", "Latest from - Top News", "A teaser headline", "A teaser excerpt.",
    ]
    kept = strip_clutter_paragraphs(paragraphs, title="Harbour fees rise again", description="Port users will pay more from April.")
    assert kept == ["The board voted five to two.", "Putin seeks closer ties"]
