"""The clutter step on its own: block removal and text rules, each clutter kind once."""

from __future__ import annotations

import re

import pytest
from lxml import html

from newsbot.extraction.clutter import strip_clutter_nodes
from newsbot.extraction.clutter_text import is_clutter_paragraph, strip_clutter_paragraphs
from newsbot.extraction.text import lowercase_twin

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


@pytest.mark.parametrize("line", [
    "Les også: Fjellstua åpner igjen", "Czytaj więcej: Nowy szlak gotowy", "Lesen Sie auch: Neue Brücke eröffnet",
    "FUNDA OLUNYE UDABA LAPHA | Isigameko", "Stand: 22.04.2024, 06:00 Uhr", "Uppdaterad 15:59 Publicerad 14:14",
    "Veröffentlicht am 13. Mai 2026 um 15:44", "3 Minuten Lesezeit", "5 min de lecture",
    "Reporting by Ann Lee; Editing by Omar Haddad", "Associated Press writer Jo Park in Paris contributed to this report.",
    "Fehler gefunden? Jetzt melden.", "Got a story? Email news@paper.example", "Von Anna Beispiel",
    "Par Jeanne Exemple et Marc Modèle", "Link zum YouTube-Inhalt",
    "Mehr Lesekomfort auch für unterwegs: E-Paper und News in einer App.",
    "Like this story? Share it with a friend.", "SEE MORE: Harbour cranes arrive", "Tags: ferries, harbour, budget",
    "Get Harbour Monthly delivered through your letterbox every month - 12 issues for £11.99",
])
def test_clutter_lines_in_more_languages(line: str) -> None:
    assert is_clutter_paragraph(line)


@pytest.mark.parametrize("line", [
    "Published reports in 2019 showed the river had recovered.",
    "Von Montag an gilt der neue Fahrplan für alle Linien.",
    "Stand der Ermittlungen ist, dass zwei Täter beteiligt waren.",
    "The reporter wrote to the council by email before the meeting.",
])
def test_sentences_like_clutter_lines_are_kept(line: str) -> None:
    assert not is_clutter_paragraph(line)


def test_teaser_label_and_its_headline_go_but_the_next_sentence_stays() -> None:
    paragraphs = ["First paragraph of the story.", "Czytaj więcej", "Nowy szlak rowerowy gotowy przed sezonem",
                  "Second paragraph of the story.", "Auch interessant", "Third paragraph of the story."]
    assert strip_clutter_paragraphs(paragraphs) == [
        "First paragraph of the story.", "Second paragraph of the story.", "Third paragraph of the story."]


def test_closing_kicker_teasers_are_cut() -> None:
    body = ["The ferry gets a second boat.", "It carries two hundred passengers.",
            "FARES FROZEN: Prices stay the same.", "NEW TERMINAL? A lawmaker asks for money.", "DREDGING: Work starts soon."]
    assert strip_clutter_paragraphs(body) == body[:2]


def test_paragraphs_marked_paywall_are_the_article() -> None:
    body = "".join(f"<p class='paywall'>Paragraph {i} tells the long story of the harbour and its many cranes and ships.</p>"
                   for i in range(4))
    tree = html.fromstring(f"<html><body><div>{body}</div><div class='paywall-prompt'><p>Subscribe</p></div></body></html>")
    strip_clutter_nodes(tree)
    assert tree.text_content().count("Paragraph") == 4 and "Subscribe" not in tree.text_content()


def test_entity_hover_cards_leave_the_linked_name() -> None:
    tree = html.fromstring(
        "<html><body><p>Sen. <span class='person-ref'><a href='/p'>Mara Ellison</a><span class='card'><span>"
        "<img src='/i.jpg'><a href='/p'>Mara Ellison</a><a href='/x'>Other story</a></span></span></span> spoke.</p>"
        "</body></html>")
    strip_clutter_nodes(tree)
    assert " ".join(tree.text_content().split()) == "Sen. Mara Ellison spoke."


@pytest.mark.parametrize("text", [
    "Stand der Dinge " * 20, "Published " + "word " * 60, "Uppdaterad " + "ab " * 50, "By " + "Ann " * 40,
], ids=["stand", "published", "uppdaterad", "by"])
def test_long_paragraphs_opening_like_a_clutter_line_are_kept(text: str) -> None:
    # Their speed (the line rules must stay linear on them) is measured by bench/clutter_speed.py.
    assert not is_clutter_paragraph(text)
    assert strip_clutter_paragraphs(["The ferry runs again.", text]) == ["The ferry runs again.", text.strip()]


@pytest.mark.parametrize("label", [
    "Lesen Sie auch die folgenden Beiträge:", "Weitere Beiträge aus der Kolumne:", "Read more on this topic:",
    "Das Thema könnte dich auch interessieren:", "Auch lesen", "Empfohlene Beiträge", "Weitere Artikel zum Thema",
])
def test_a_teaser_label_with_a_few_words_more_goes_with_its_headline(label: str) -> None:
    paragraphs = ["First paragraph of the story.", label, "Ferry prices rise in autumn",
                  "Second paragraph of the story."]
    assert strip_clutter_paragraphs(paragraphs) == ["First paragraph of the story.", "Second paragraph of the story."]


@pytest.mark.parametrize("line", [
    "Related to this, the mayor said:",  # a clause: prose that introduces a quote
    "Weitere Artikel des Vertrags regeln die Preise für Pendler.",
    "Watch closely, the captain told the new crew:",
])
def test_prose_that_starts_like_a_teaser_label_stays(line: str) -> None:
    paragraphs = ["First paragraph of the story.", line, "A quoted line without a full stop"]
    assert strip_clutter_paragraphs(paragraphs) == paragraphs


@pytest.mark.parametrize("line", [
    "Crédits photos : Agence Exemple", "Image illustrative : Lego figures, licence Creative Commons",
    "Beitragsbild: Titelseite vom 2.4.2019", "The harbour at dawn. © John Smith/Getty Images",
    "Category: Press Releases", "Categorías: Política, Economía", "Table of contents", "Sommaire",
    "Figure 2: Rainfall by month", "Last modified: 03-10-2004 2:20pm", "Dernière mise à jour le 12 mars 2025",
    "Click the button below to load the content from video.example.",
    "Follow The Gazette on Twitter and Instagram @gazette.",
    "Have a tip? Ann Lee may be reached at ann@x.example. Follow her on Twitter @annlee or on Facebook.",
    "Síguenos en Telegram, Instagram, Facebook y Twitter para recibir todas nuestras actualizaciones",
    "If you enjoyed reading this post - would you consider supporting our work? Just click here.",
    "HAZTE MIEMBRO Y DISFRUTA DE BENEFICIOS EXCLUSIVOS", "Werde Mitglied und lies ohne Werbung.",
    "Lust auf mehr? Die besten Geschichten jede Woche in deinen Posteingang.",
    "If you're seeing this message but you're already a subscriber, you can log in.",
    "You are not logged in.", "Du musst eingeloggt sein um Kommentare zu schreiben!",
    "Article suivant", "Siguiente artículo", "Lesen Sie hier: Neue Brücke eröffnet",
])
def test_credit_category_status_and_prompt_lines_in_more_forms(line: str) -> None:
    assert is_clutter_paragraph(line)


@pytest.mark.parametrize("line", [
    "Figures from the ministry show a rise of 4 per cent.", "The category of the award was changed in 2019.",
    "She said she would follow the story on Twitter, as she had for years, and then went home.",
    "Fans follow Taylor Swift on Instagram in their millions, the study found, and more every year.",
    "The photo by Ann Lee won the prize. © is a sign that appears on many pages of the book.",
    "Click here to read the council's report on the new bridge.",
    "Sie sind nicht allein: Viele Eltern kennen das Problem.", "Letzte Änderungen am Gesetz traten im Mai in Kraft.",
])
def test_prose_like_those_lines_stays(line: str) -> None:
    assert not is_clutter_paragraph(line)


@pytest.mark.parametrize("label", ["Keine Kommentare", "3 Kommentare", "Kommentare insgesamt: 0", "12 commentaires",
                                   "Comentarios"])
def test_a_comments_label_in_more_languages_ends_the_article(label: str) -> None:
    paragraphs = ["First paragraph of the story, long enough.", "Second paragraph of the story.", label,
                  "Lina: a reader's comment"]
    assert strip_clutter_paragraphs(paragraphs) == paragraphs[:2]


@pytest.mark.parametrize(("line", "clutter"), [
    ("a" * 20 + ". © " + "x" * 200 + "!", False),  # an earlier credit pattern took minutes on this (nested repeats)
    ("© " + "x/" * 110 + "!", True),  # a rights notice
    ("Follow " + "x " * 110 + "!", False),
    ("Klicken Sie auf " + "den " * 50 + "Button" + " laden" * 10 + "!", False),
])
def test_long_lines_made_to_backtrack_get_a_verdict(line: str, clutter: bool) -> None:
    assert is_clutter_paragraph(line) is clutter
    kept = ["A paragraph of the story."] + ([] if clutter else [line])
    assert strip_clutter_paragraphs(["A paragraph of the story.", line]) == kept


def test_the_ascii_fast_path_gives_the_case_insensitive_patterns_verdict() -> None:
    import random

    from newsbot.extraction import clutter_text

    lines = ["Crédits photos : Agence", "FOLLOW THE GAZETTE ON TWITTER", "Last Modified: 03-10-2004", "Tags: a, b",
             "SHARE THIS STORY", "Reporting By Ann Lee", "Fans follow Taylor Swift on Instagram, the study found.",
             "Stand: 22.04.2024, 06:00 Uhr", "SUPPORT OUR JOURNALISM today", "A sentence of the story."]
    rng = random.Random(7)
    for line in lines:
        for variant in (line, line.upper(), line.title(), "".join(c.upper() if rng.random() < 0.5 else c for c in line)):
            expected = bool(clutter_text._LINE_RULES.match(variant) or clutter_text._LONG_PROMPT_RULES.search(variant)
                            or clutter_text._PROMPT_RULES.search(variant) or clutter_text._BYLINE_RULE.match(variant)
                            or clutter_text._CONTACT_PROMPT.search(variant))
            assert is_clutter_paragraph(variant) is expected, variant
    with pytest.raises(ValueError):
        lowercase_twin(re.compile("Read more", re.IGNORECASE))
