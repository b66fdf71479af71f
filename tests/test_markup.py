"""No size or shape of markup around the text loses the article; mixed encodings are
repaired per block (newsbot.extraction.nesting, newsbot.spiders.base.repair_blocks)."""

from __future__ import annotations

import pytest

from newsbot.extraction import extract_article
from newsbot.extraction.nesting import flatten_nesting
from newsbot.spiders.base import repair_blocks
from tests.faultserver import ACCENTED_TEXT, sentences

HEAD = ('<html lang="en"><head><meta charset="utf-8"><title>Story</title><meta property="og:type" content="article">'
        '<meta property="article:published_time" content="2025-06-01T09:00:00+00:00"></head><body>')
TEXT = "".join(f"<p>{s}</p>" for s in sentences("markup"))


def _article(before: str, after: str = "") -> str:
    return f"{HEAD}{before}<article><h1>A story in odd markup</h1>{TEXT}</article>{after}</body></html>"


@pytest.mark.parametrize(("name", "html"), [
    ("300 nested divs", _article("<div>" * 300, "</div>" * 300)),
    ("5,000 nested divs", _article("<div>" * 5000, "</div>" * 5000)),
    ("5,000 unclosed spans", _article("<span>" * 5000)),
    ("20,000 empty divs", _article("<div></div>" * 20_000)),
    ("a 1 MB attribute", _article(f'<div data-blob="{"x" * 1_000_000}"></div>')),
    ("nested tables", _article("<table><tr><td>" * 400, "</td></tr></table>" * 400)),
])
def test_markup_around_the_text_does_not_lose_the_article(name: str, html: str) -> None:
    article = extract_article(html, "https://news.example/story/")
    assert article.drop_reason is None, name
    assert sentences("markup")[0] in article.body
    assert sentences("markup")[-1] in article.body


def test_flatten_leaves_ordinary_pages_alone() -> None:
    page = _article("<div>" * 20, "</div>" * 20)
    assert flatten_nesting(page) is page


def test_one_legacy_paragraph_is_repaired_alone() -> None:
    utf8 = "".join(f"<p>{p}</p>" for p in ACCENTED_TEXT).encode("utf-8")
    pasted = "<p>Pasted: Zoë’s café, crème brûlée — 10 €.</p>".encode("cp1252")
    text, encoding = repair_blocks(b"<html><body>" + utf8 + pasted + b"</body></html>") or ("", "")
    assert encoding == "cp1252"
    assert "Pasted: Zoë’s café, crème brûlée — 10 €." in text
    assert all(p in text for p in ACCENTED_TEXT)
    assert "\ufffd" not in text


def test_pages_in_one_encoding_are_not_block_repaired() -> None:
    assert repair_blocks("<p>Zoë’s café</p>".encode("utf-8")) is None
    assert repair_blocks("<p>Zoë’s café</p>".encode("cp1252")) is None
