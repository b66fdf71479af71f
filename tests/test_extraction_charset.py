"""extract_article on a page in a legacy charset (ISO-8859-1), given as bytes.

A page with many tags goes through the deep-nesting guard of ``parse_html`` as text: it
must be decoded in the page's own charset, not as UTF-8 with replacement characters.
The page (``fixtures/cases/charset/``) is project-written; its expected body is UTF-8 text.
"""

from __future__ import annotations

from pathlib import Path

from newsbot.extraction import extract_article
from newsbot.extraction.nesting import SAFE_DEPTH

CASE = Path(__file__).resolve().parent.parent / "fixtures" / "cases" / "charset"


def test_latin1_page_with_many_tags_keeps_its_letters() -> None:
    raw = (CASE / "latin1-article.html").read_bytes()
    assert raw.count(b"<") > SAFE_DEPTH  # the page takes the text path of the guard
    expected = (CASE / "latin1-article.txt").read_text(encoding="utf-8").strip()
    article = extract_article(raw, "https://seedorf.example/lokales/faehre/")
    assert article.drop_reason is None
    assert article.title == "Grünsee-Fähre fährt wieder nach Sommerfahrplan"
    assert article.body == expected
    assert "\ufffd" not in article.body
