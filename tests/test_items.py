"""Field cleaning through ArticleLoader's processors."""

from __future__ import annotations

import pytest

from newsbot.extraction.title import strip_site_name
from newsbot.extraction.authors import split_authors
from newsbot.extraction.dates import to_iso8601
from newsbot.extraction.loader import ArticleLoader
from newsbot.extraction.text import clean_body


@pytest.mark.parametrize(("raw", "iso"), [
    ("2025-03-03T09:30:00+01:00", "2025-03-03T09:30:00+01:00"),
    ("2025-03-03T09:30:00Z", "2025-03-03T09:30:00+00:00"),
    ("2025-03-03T09:30:00.123+0530", "2025-03-03T09:30:00+05:30"),
    ("2025-03-03", "2025-03-03"),
    ("March 3, 2025", "2025-03-03"),
    ("Mon, 03 Mar 2025 14:05:00 GMT", "2025-03-03T14:05:00+00:00"),
    ("12 May 2025, 14:05 GMT", "2025-05-12T14:05:00+00:00"),
    ("not a date", None),
    ("", None),
])
def test_dates_become_iso8601(raw: str, iso: str | None) -> None:
    assert to_iso8601(raw) == iso


@pytest.mark.parametrize(("raw", "names"), [
    ("By Alice Smith and Bob Jones, Staff Reporters", ["Alice Smith", "Bob Jones"]),
    ("By Alice Smith, Science Correspondent", ["Alice Smith"]),
    ("Ann Lee, Omar Haddad and Mei Chen", ["Ann Lee", "Omar Haddad", "Mei Chen"]),
    ("by Jean-Luc van der Berg", ["Jean-Luc van der Berg"]),
    ("Staff", []),
    ("https://news.example/author/ann", []),
])
def test_author_strings_become_people(raw: str, names: list[str]) -> None:
    assert split_authors(raw) == names


def test_loader_cleans_and_orders_fields() -> None:
    loader = ArticleLoader(base_url="https://news.example/2025/03/03/story/")
    loader.add_value("title", "  A   headline\n")
    loader.add_value("title", "ignored second title")
    loader.add_value("authors", ["By Ann Lee and Omar Haddad", "ann lee"])
    loader.add_value("image", "/img/lead.jpg")
    loader.add_value("url", None)
    loader.add_value("url", "https://news.example/2025/03/03/story/")
    loader.add_value("language", "en-GB")
    loader.add_value("body", "First   line.\n\n\n  Second\nline. ")
    item = loader.load_item()
    assert item.title == "A headline"
    assert item.authors == ["Ann Lee", "Omar Haddad"]
    assert item.image == "https://news.example/img/lead.jpg"
    assert item.url == "https://news.example/2025/03/03/story/"
    assert item.language == "en"
    assert item.body == "First line.\n\nSecond line."


def test_clean_body_keeps_paragraphs() -> None:
    assert clean_body("a\n\nb\n \n c") == "a\n\nb\n\nc"


@pytest.mark.parametrize(("raw", "site", "h1", "title"), [
    ("Harbour fees rise again – The Daily Example", "The Daily Example", None, "Harbour fees rise again"),
    ("Harbour fees rise again | Example News", None, "Harbour fees rise again", "Harbour fees rise again"),
    ("Example: Harbour fees rise again", "Example", None, "Harbour fees rise again"),
    ("Russia - Ukraine talks resume", None, None, "Russia - Ukraine talks resume"),
])
def test_site_names_leave_titles(raw: str, site: str | None, h1: str | None, title: str) -> None:
    assert strip_site_name(raw, site, "https://example.com/x", h1) == title


@pytest.mark.parametrize(("raw", "names"), [
    ("Brazil, Rachel", ["Rachel Brazil"]),
    ("nda", ["nda"]),
    ("신현주 기자", ["신현주"]),
    ("Von Seb Dumitru", ["Seb Dumitru"]),
    ("De Gaulle", ["De Gaulle"]),
    ("by Ann Lee, Political Correspondent", ["Ann Lee"]),
])
def test_more_author_strings(raw: str, names: list[str]) -> None:
    assert split_authors(raw) == names


@pytest.mark.parametrize(("name", "person"), [
    ("Ann Lee", True), ("Jean-Luc van der Berg", True), ("松岡大地", True), ("in News", False),
    ("capital von Jemima Kelly", False),
])
def test_looks_like_person(name: str, person: bool) -> None:
    from newsbot.extraction.authors import looks_like_person

    assert looks_like_person(name) is person


def test_body_keeps_the_pages_characters() -> None:
    decomposed = "Su\u0308dtirol"
    assert clean_body(f"{decomposed}  rises") == f"{decomposed} rises"


@pytest.mark.parametrize(("text", "role_only"), [
    ("Staff Reporter", True), ("Redaktion", True), ("Courier staff reporter", False), ("Ann Lee", False),
])
def test_role_only_names(text: str, role_only: bool) -> None:
    from newsbot.extraction.authors import is_role_only

    assert is_role_only(text) is role_only
