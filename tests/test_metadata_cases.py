"""Metadata failure kinds: dates (candidates in order of trust, offsets, month names,
impossible values), hover cards in running text, paywall prompts and ``paywalled``.

The page cases live in ``fixtures/cases/`` (project-written, invented text) and are also
run by tests/test_extraction_cases.py; here the keys that file does not check
(``modified``, ``paywalled``) and the functions behind them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import html as lxml_html

from newsbot.extraction import extract_article
from newsbot.extraction.dates import first_date, refine, to_iso8601
from newsbot.extraction.paywall import declared_paywall, is_prompt, marked_paywall, strip_paywall_prompts
from newsbot.extraction.text import inline_hover_cards
from newsbot.items import RECORD_FIELDS
from newsbot.schema import record_errors

CASES = Path(__file__).resolve().parent.parent / "fixtures" / "cases"
METADATA_CASES = [
    "date-bad-meta-time",
    "date-gmt-offset",
    "date-month-name-de",
    "date-impossible",
    "hover-card-inline",
    "paywall-prompts",
]
FETCHED = datetime(2026, 5, 20, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("name", METADATA_CASES)
def test_metadata_case(name: str) -> None:
    html = (CASES / f"{name}.html").read_text(encoding="utf-8")
    expected = json.loads((CASES / f"{name}.json").read_text(encoding="utf-8"))
    article = extract_article(html, expected["url"])
    assert article.drop_reason is None
    for key in ("published", "modified", "paywalled"):
        if key in expected:
            assert getattr(article, key) == expected[key], key
    article.source_url = expected["url"]
    article.fetched_at = "2026-05-20T12:00:00+00:00"
    assert record_errors(article.record()) == []


def test_paywalled_is_a_record_field_after_fetched_at() -> None:
    assert RECORD_FIELDS.index("paywalled") > RECORD_FIELDS.index("fetched_at")


@pytest.mark.parametrize(
    ("raw", "language", "iso"),
    [
        ("2024-01-01 10:00 GMT+5:30", None, "2024-01-01T10:00:00+05:30"),
        ("2024-01-01 10:00 UTC-3", None, "2024-01-01T10:00:00-03:00"),
        ("2024-01-01 10:00 GMT\u22122", None, "2024-01-01T10:00:00-02:00"),
        ("2024-01-01 10:00 +0530", None, "2024-01-01T10:00:00+05:30"),
        ("2024-01-01 10:00 +05", None, "2024-01-01T10:00:00+05:00"),
        ("Tue, 3 Mar 2026 10:00:00 GMT", None, "2026-03-03T10:00:00+00:00"),
        ("05.06.2025 10:00", None, "2025-06-05T10:00:00"),
        ("13. Mai 2026", "de", "2026-05-13"),
        ("Veröffentlicht am 13. Mai 2026 um 15:44", "de", "2026-05-13T15:44:00"),
        ("5 juin 2025 à 14h30", "fr", "2025-06-05T14:30:00"),
        ("3 de marzo de 2024", "es", "2024-03-03"),
        ("12 maggio 2026, 10:30", "it", "2026-05-12T10:30:00"),
        ("13 mei 2026", "nl", "2026-05-13"),
        ("13 de maio de 2026", "pt", "2026-05-13"),
        ("13 maja 2026", "pl", "2026-05-13"),
        ("13 мая 2026 в 11:05", "ru", "2026-05-13T11:05:00"),
        ("13 mai 2026", None, "2026-05-13"),  # no language given: dateparser guesses
    ],
)
def test_dates_in_many_forms(raw: str, language: str | None, iso: str) -> None:
    assert to_iso8601(raw, language, FETCHED) == iso


@pytest.mark.parametrize(
    "raw",
    ["0000-00-00", "0000-00-00T00:00:00", "2026-02-30", "1970-01-01T00:00:00Z", "1989-12-31", "2026-05-23",
     "2099-01-01T00:00:00Z", "not a date", "12345", "", "   ", "x" * 500],
)
def test_impossible_dates_are_none(raw: str) -> None:
    assert to_iso8601(raw, None, FETCHED) is None


def test_a_date_two_days_after_the_fetch_is_still_plausible() -> None:
    assert to_iso8601("2026-05-22", None, FETCHED) == "2026-05-22"


def test_first_plausible_candidate_wins_and_is_refined() -> None:
    assert first_date(["0000-00-00", "garbage", "2025-11-04T09:30:00+01:00"], None, FETCHED) == (
        "2025-11-04T09:30:00+01:00"
    )
    # a bare date takes the time of a later candidate of the same day
    assert refine("2025-04-01", ["31.03.2025 09:00", "erstellt: 01. April 2025, 15:25"], "de") == "2025-04-01T15:25:00"
    # a UTC instant takes the page's own offset when a later candidate names the same instant
    assert refine("2024-04-25T08:21:02+00:00", ["2024-04-25 04:21:02-0400"]) == "2024-04-25T04:21:02-04:00"
    assert refine("2024-04-25T08:21:02+00:00", ["2024-04-25 05:21:02-0400"]) == "2024-04-25T08:21:02+00:00"


@pytest.mark.parametrize(
    ("markup", "text"),
    [
        ('<p>said <span class="wrap"><a href="/p">Jane Doe</a><span class="pc"><img src="x"><span>Jane Doe is chair'
         '</span> <a href="/f">Follow</a></span></span>, who chairs the Council.</p>',
         "said Jane Doe, who chairs the Council."),
        ('<p>said <span class="hovercard"><a>Jane Doe</a><span class="hovercard-body">bio <a>x</a></span></span>, who'
         " chairs.</p>", "said Jane Doe, who chairs."),
        ('<p>said <a class="tooltip">Jane Doe<span class="tooltiptext">bio of jane</span></a>, who chairs.</p>',
         "said Jane Doe, who chairs."),
        ('<p>said <a>Jane Doe</a><span role="tooltip">bio text</span>, who chairs.</p>', "said Jane Doe, who chairs."),
        # a name whose wrapper merely says "card", with no card in it, stays
        ('<p>said <span class="person-card"><a>Jane Doe</a></span>, who chairs.</p>', "said Jane Doe, who chairs."),
        ('<p>A plain <b>bold</b> sentence with <img src="x"> a picture.</p>', "A plain bold sentence with  a picture."),
    ],
)
def test_hover_cards_leave_the_name_in_the_sentence(markup: str, text: str) -> None:
    root = lxml_html.fromstring(f"<div>{markup}</div>")
    inline_hover_cards(root)
    assert root.text_content() == text


@pytest.mark.parametrize(
    "prompt",
    [
        "You have 2 free articles left this month.",
        "Subscribe to continue reading.",
        "Already a subscriber? Log in",
        "This article is only available for subscribers.",
        "Sie haben noch 3 kostenlose Artikel in diesem Monat.",
        "Jetzt abonnieren und weiterlesen",
        "Dieser Artikel ist nur für Abonnenten.",
        "Il vous reste 80% de cet article à lire.",
        "Cet article est réservé aux abonnés.",
        "Suscríbete para seguir leyendo",
        "Assine para continuar lendo",
        "Questo articolo è riservato agli abbonati.",
        "Dit artikel is alleen voor abonnees.",
        "Ten artykuł jest dostępny tylko dla subskrybentów.",
        "Материал доступен только подписчикам.",
    ],
)
def test_paywall_prompts_in_several_languages(prompt: str) -> None:
    assert is_prompt(prompt)
    assert strip_paywall_prompts(["Story text.", prompt]) == (["Story text."], True)


@pytest.mark.parametrize(
    "prose",
    [
        "The minister said she would subscribe to the plan if the unions did, and asked them to continue talks.",
        "Readers who subscribe to the print edition " + "receive a weekly supplement with puzzles and recipes. " * 6,
    ],
)
def test_prose_about_subscribing_is_kept(prose: str) -> None:
    assert not is_prompt(prose)


def test_paywalled_from_json_ld_and_markers() -> None:
    assert declared_paywall([{"@type": "NewsArticle", "isAccessibleForFree": "False"}], None) is True
    assert declared_paywall([{"@type": "NewsArticle", "isAccessibleForFree": True}], None) is False
    part = {"@type": "WebPageElement", "isAccessibleForFree": False, "cssSelector": ".paid"}
    assert declared_paywall([{"@type": "NewsArticle", "hasPart": [part]}], None) is True
    assert declared_paywall([{"@type": "NewsArticle"}], None) is None
    marked = lxml_html.fromstring(
        '<html><body><div class="article-paywall"><p>Subscribe to continue reading.</p></div></body></html>'
    )
    assert marked_paywall(marked)
    # a paywall class alone (no prompt in it) decides nothing
    unmarked = lxml_html.fromstring('<html><body><div class="paywall-ready"><p>Story text.</p></div></body></html>')
    assert not marked_paywall(unmarked)


def test_paywalled_is_none_when_the_page_says_nothing() -> None:
    html = (CASES / "date-bad-meta-time.html").read_text(encoding="utf-8")
    assert extract_article(html, "https://islandpost.example/news/late-ferries/").paywalled is None
