"""The clutter rules of "What clean means" (docs/architecture.md) for text: what survives
the block step as lines.

``strip_clutter_paragraphs`` removes reading-time badges, "ALSO READ:"/"Read more:"/
"Related:" teaser lines, "Go to Top", "Previous Story", "Updated at ..." lines, photo
credits and figure captions, tag and category lines, contents labels, embed placeholders,
subscription, membership, log-in and follow prompts, bylines and repeats of the headline or
standfirst, each in the languages of the pages newsbot meets; and it cuts the body at a
heading that opens a teaser block or the comments ("Latest from", "Don't Miss", "Keine
Kommentare"). A pure function; no Scrapy.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from newsbot.extraction.text import lowercase_twin

# "Read more" / "See also" labels of inline teasers, in the languages news is written in.
_TEASER_LABELS = (
    r"also\s+read|read\s+(?:more|also|next)|related|recommended|see\s+(?:also|more)|more\s+on\s+this|watch|listen|must\s+read"
    r"|lesen\s+sie\s+(?:auch|mehr|hier)|auch\s+interessant|mehr\s+zum\s+thema|siehe\s+auch|passend\s+(?:dazu|zum\s+thema)"
    r"|das\s+(?:thema\s+)?könnte\s+(?:sie|dich)\s+auch\s+interessieren|weiterlesen|auch\s+lesen"
    r"|(?:weitere|empfohlene)\s+(?:artikel|beiträge|meldungen|nachrichten)(?:\s+zum\s+thema)?"
    r"|les\s+også|les\s+mer|læs\s+også|læs\s+mere|se\s+også|läs\s+(?:också|även|mer)|lees\s+(?:ook|meer)"
    r"|lue\s+myös|lue\s+lisää|(?:à\s+)?lire\s+aussi|(?:à\s+)?voir\s+aussi|lire\s+la\s+suite"
    r"|lee\s+también|lea\s+también|leer\s+más|(?:te|le)\s+puede\s+interesar|ver\s+también"
    r"|leia\s+(?:mais|também)|veja\s+também|saiba\s+mais|leggi\s+anche|potrebbe\s+interessarti"
    r"|czytaj\s+(?:więcej|też|także)|zobacz\s+(?:też|także)|čtěte\s+také|přečtěte\s+si\s+také"
    r"|noticias?\s+relacionadas?|artículos?\s+relacionados?|articoli\s+correlati|articles?\s+liés"
    r"|ilgili\s+haber(?:ler)?|devamını\s+oku|читайте\s+также|funda\s+(?:olunye\s+udaba(?:\s+lapha)?|futhi)"
)
# A label alone, or a label with a few words more that introduces what follows with a colon
# ("Lesen Sie auch die folgenden Beiträge:", "Related from our archive:"); a clause ("Related
# to this, the mayor said:") has a comma and is prose.
_TEASER_LABEL_ONLY = re.compile(r"^(?:" + _TEASER_LABELS + r")(?:\s*[:.…]?|\b[^.!?:,;]{1,40}:)$", re.IGNORECASE)
# Whole paragraphs that are clutter wherever they stand.
_LINE_RULES = re.compile(
    r"""^(?:
        (?:"""
    + _TEASER_LABELS
    + r""")\b\s*[:|\-–—»>].*      # teaser lines
      | link\s+(?:zum|to(?:\s+the)?)\s+\S+(?:\s+\S+)?[-\s](?:inhalt|content)   # embed placeholders
      | \d+\s*(?:min|mins|minutes?|minuten)\.?\s*(?:read|reading|lesezeit|lesedauer|de\s+lecture|lesetid|läsning|leestijd|di\s+lettura)  # reading-time badge
      | (?:lesezeit|lesedauer|reading\s+time|temps\s+de\s+lecture|tiempo\s+de\s+lectura|lesetid)\s*:?\s*\d+\s*\w{0,8}
      | (?:stand|aktualisiert(?:\s+am)?|veröffentlicht(?:\s+am)?|erstveröffentlichung|publié(?:\s+le)?|mis\s+à\s+jour(?:\s+le)?
         |publicado(?:\s+el)?|actualizado(?:\s+el)?|pubblicato(?:\s+il)?|aggiornato(?:\s+il)?|oppdatert|publisert|opdateret
         |udgivet|uppdaterad|publicerad|bijgewerkt|gepubliceerd|zaktualizowano|opublikowano|published(?:\s+on)?
         |letzte\s+(?:änderung|aktualisierung)(?:\s+am)?|zuletzt\s+(?:aktualisiert|geändert)(?:\s+am)?|last\s+modified(?:\s+on)?
         |dernière\s+mise\s+à\s+jour(?:\s+le)?|última\s+actualización)
        \s*:?\s*(?:(?:am|um|on|at|le|el|il|den|kl\.?)\s+)?(?=\d|[^\W\d]+\.?\s+\d)[\w\s.,:/|–-]{0,70}  # "Stand: 22.04.2024, 06:00 Uhr"
      | (?:additional\s+)?(?:reporting|writing|editing|compiled|produced)\s+by\b.{0,300}  # agency credit lines
      | .{0,160}\bcontributed\s+to\s+this\s+(?:report|story|article)\.?
      | most\s+(?:read|popular|viewed)\s+in\s+.{1,40}             # a mid-article widget's heading
      | (?:\d{1,2}:\d{2}\s*min\.*\s*)?(?:verfügbar\s+bis|available\s+until)\b.{0,40}  # media player lines
      | like\s+this\s+(?:story|article)\??.{0,60}                   # share prompts
      | (?:tags?|schlagwörter|schlagworte|etiquetas|palavras-chave|mots-clés|topics|themen
         |categor(?:y|ies)|kategorien?|catégories?|categorías?|categori[ae]|rubriken?)\s*:.{0,300}  # tag and category lines
      | (?:inhaltsverzeichnis|table\s+of\s+contents|sommaire|índice\s+de\s+contenidos?|tabla\s+de\s+contenidos?)\s*:?  # a contents label
      | (?:klicken\s+sie\s+auf|click(?:\s+on)?)\s.{0,60}\b(?:button|schaltfläche)\b.{0,120}\b(?:laden|load|anzuzeigen|display)\b.{0,40}  # embed placeholders
      | (?:abbildung|abb\.|figure|fig\.)\s*\d+\s*:.{0,200}          # figure captions
      | (?:fehler\s+gefunden\??\s*(?:jetzt\s+melden\.?)?|our\s+standards\s*:?.{0,80}|found\s+an?\s+(?:error|typo)\??.{0,60})
      | (?:go\s*to\s*top|back\s*to\s*top|top)                    # jump links
      | (?:previous|next|prev)\s+(?:story|post|article)|(?:vorschau\s+auf\s+den\s+)?(?:nächste[nr]?|vorherige[nr]?)\s+(?:artikel|beitrag)
        |(?:article|artículo|articolo)\s+(?:suivant|précédent|siguiente|anterior|successivo|precedente)|(?:siguiente|anterior)\s+artículo          # story navigation
      | (?:share|share\s+this(?:\s+\w+)?|share\s+on\s+\w+|tweet|e-?mail|print|whatsapp|facebook|twitter|linkedin|copy\s+link)  # share buttons
      | (?:updated|last\s+updated)(?:\s+at|\s+on|:)?\s*(?=[^\n]*\d)[\w\s.,:/-]{0,40}  # "Updated at 1:23 p.m."
      | (?:photo|photos|image|picture|credit|source|foto|fotos|titelbild|beitragsbild|aufmacherbild|bildnachweis|bildquelle
         |crédits?(?:\s+photos?)?|image\s+illustrative|illustration)\s*:.{0,160}  # photo credits
      | [^©]{10,160}[.!?]\s*©\s*[\w&.\-]+(?:(?:\s+|\s*/\s*)[\w&.\-]+){0,4}  # a caption ending in its photo credit
      | (?:©|\(c\)|copyright\b).{0,300}                         # rights notices
    )\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
# A short paragraph that opens a teaser block or the comments: it and everything after it go.
_TAIL_RULES = re.compile(
    r"""^(?:latest\s+from\b.*|(?:previous|next|prev)\s+(?:story|post|article)|don['’]?t\s+miss|more\s+from\b.*|more\s+stories|related\s+(?:articles|stories|posts|news|coverage|content)
      |you\s+(?:may|might)\s+also\s+(?:like|enjoy)|most\s+(?:read|popular|viewed)|leave\s+a\s+(?:reply|comment)
      |\d+\s+(?:comments?|responses?|replies)|comments?|recommended(?:\s+for\s+you)?|trending(?:\s+now)?|also\s+read
      |(?:\d+\s+)?kommentare(?:\s+insgesamt)?(?:\s*:\s*\d+)?|keine\s+kommentare\b.*|(?:\d+\s+)?commentaires|(?:\d+\s+)?comentarios
      |(?:\d+\s+)?commenti|(?:\d+\s+)?reacties
      |about\s+the\s+author|sign\s+up\s+for\s+(?:our|the)\b.*|subscribe\s+to\s+(?:our|the)\s+newsletter.*
      |quellen|sources|references|sourcen|fuentes|fonti
      |wie\s+hat\s+ihnen\s+(?:dieser|der)\s+artikel\s+gefallen|was\s+this\s+article\s+(?:helpful|useful)
      |did\s+you\s+(?:like|enjoy|find)\s+this\s+article.*|rate\s+this\s+article)\s*[:.?]?$""",
    re.IGNORECASE | re.VERBOSE,
)
_PROMPT_RULES = re.compile(
    r"^(?:subscribe|sign\s+up|get\s+(?:our|the)\b|join\s+(?:our|the)\b|already\s+a\s+subscriber|log\s*in|register|support\s+(?:our|us))"
    r"|\b(?:subscribe\s+(?:now|today|to)|sign\s+up\s+(?:now|for|to)|in\s+your\s+inbox|keep\s+reading)\b",
    re.IGNORECASE,
)
# Subscription, account and app prompts that run longer than a line; matched up to 320 characters.
_LONG_PROMPT_RULES = re.compile(
    r"\b(?:create\s+an\s+account|log\s*in\s+or\s+(?:register|create)|sign\s+up\s+for\s+our\s+newsletters?"
    r"|bookmark\s+\S+\s+and\s+sign\s+up|for\s+(?:only|just)\s+\S+\s+(?:a|per)\s+(?:month|week|year)"
    r"|invest\s+in\s+journalism|support\s+(?:independent|quality|our)\s+journalism|enjoying\s+our\s+(?:latest\s+)?content"
    r"|jetzt\s+(?:abonnieren|abschließen|registrieren|kostenlos\s+testen)|\d+\s+wochen\s+kostenlos\s+testen"
    r"|mehr\s+lesekomfort|e-paper\s+und\s+news|unabhängiger\s+journalismus\s+braucht"
    r"|delivered\s+(?:to\s+your\s+(?:door|inbox)|through\s+your\s+letterbox)|\d+\s+issues\s+for"
    r"|consider\s+supporting\s+(?:our|us)|already\s+a\s+subscriber|become\s+a\s+member|hazte\s+(?:miembro|socio)"
    r"|you\s+(?:are\s+not|must\s+be)\s+logged\s+in|(?:sie\s+sind|du\s+bist)\s+(?:\w+\s+)?nicht\s+(?:eingeloggt|angemeldet)"
    r"|(?:du\s+musst|sie\s+müssen)\s+(?:\w+\s+)?(?:eingeloggt|angemeldet)\s+sein"
    r"|werde\s+mitglied|devenez\s+membre|in\s+(?:deinen|ihren)\s+posteingang|dans\s+votre\s+boîte"
    r"|(?:síguenos|siguenos|folgen\s+sie\s+uns|folg[et]\s+uns|suivez[-\s]nous|seguici|volg\s+ons"
    r"|follow\s+(?:us|me|him|her|them)\s+on|^follow\s+\S+(?:\s+\S+){0,2}\s+on)\b.{0,120}"
    r"\b(?:twitter|facebook|instagram|telegram|tiktok|youtube|linkedin|whatsapp|threads|mastodon))\b",
    re.IGNORECASE,
)
# "By Alice Smith and Bob Jones, Staff Reporters": capitalised names only, so a sentence
# such as "By Friday, the ministry had ..." is kept.
_BYLINE_RULE = re.compile(
    r"^(?:[Bb][Yy]|[Vv]on|[Pp]ar|[Pp]or|[Dd]oor|[Aa]v|[Aa]f):?\s+[A-Z][\w.'’\-]*(?:\s+[A-Z][\w.'’\-]*){0,3}"
    r"(?:\s*(?:,|and|und|et|y|og|och|en|e|&)\s*[A-Z][\w.'’\-]*(?:\s+[A-Z][\w.'’\-]*){0,3})*\.?$"
)


_NON_WORD = re.compile(r"\W+")


def _norm(text: str) -> str:
    return _NON_WORD.sub(" ", unicodedata.normalize("NFC", text)).strip().casefold()


# A short line that asks readers to write in: "Got a story? Email news@paper.example".
_CONTACT_PROMPT = re.compile(r"\S+@\S+\.\w{2,}\s*\.?$")


_LINE_RULES_LOW = lowercase_twin(_LINE_RULES)
_LONG_PROMPT_RULES_LOW = lowercase_twin(_LONG_PROMPT_RULES)


def is_clutter_paragraph(text: str) -> bool:
    """Return True for a paragraph that is clutter wherever it stands (a teaser line, a
    badge, a share button, a photo credit, a byline, a short subscription prompt)."""
    stripped = text.strip()
    if not stripped:
        return True
    ascii_low = stripped.lower() if stripped.isascii() else None
    if len(stripped) < 240 and (
        _LINE_RULES_LOW.match(ascii_low) if ascii_low is not None else _LINE_RULES.match(stripped)
    ):
        return True
    if len(stripped) < 120 and _BYLINE_RULE.match(stripped):
        return True
    if len(stripped) < 160 and _CONTACT_PROMPT.search(stripped):
        return True
    if len(stripped) < 320 and (
        _LONG_PROMPT_RULES_LOW.search(ascii_low) if ascii_low is not None else _LONG_PROMPT_RULES.search(stripped)
    ):
        return True
    return len(stripped) < 160 and bool(_PROMPT_RULES.search(stripped))


def strip_clutter_paragraphs(
    paragraphs: Iterable[str],
    *,
    title: str | None = None,
    description: str | None = None,
    headlines: Iterable[str] = (),
) -> list[str]:
    """Return the paragraphs that remain after the clutter text rules: clutter lines
    dropped, repeats of the headline (or of its other versions, ``headlines``) or standfirst
    dropped, and the body cut at the first
    heading that opens a teaser block or the comments, unless more text follows it than
    precedes it (then the heading is only dropped: a cut never removes most of the text)."""
    repeats = {_norm(t) for t in (title, description, *headlines) if t}
    paragraphs = list(paragraphs)
    remaining = sum(len(t) for t in paragraphs)
    seen = 0
    kept: list[str] = []
    after_label = False
    for text in paragraphs:
        stripped = text.strip()
        remaining -= len(text)
        seen += len(text)
        if len(stripped) < 80 and _TAIL_RULES.match(stripped):
            if remaining <= seen - len(text):
                break
            continue  # a label above most of the text (a "Comments" link): not where the article ends
        if after_label:
            after_label = False
            if len(stripped) < 200 and not stripped.endswith((".", "!", "?", '"', "”", "»", "“")):
                continue  # the linked headline after a "Read more" label
        if len(stripped) < 60 and _TEASER_LABEL_ONLY.match(stripped):
            after_label = True
            continue
        if is_clutter_paragraph(stripped):
            continue
        if _norm(stripped) in repeats:
            continue
        kept.append(stripped)
    return _drop_trailing_kicker_teasers(kept)


# "RISK REMAINS: An official said ..." - the kicker and blurb of a teaser for another story.
_KICKER_TEASER = re.compile(r"^([^\Wa-z\d][^\W\d]*(?:[\s'’\-][^\W\d]+){0,4})[:?]\s+\S")


def _drop_trailing_kicker_teasers(paragraphs: list[str]) -> list[str]:
    """Return ``paragraphs`` without a closing run of three or more teasers, each opened by
    a different upper-case kicker ("RISK REMAINS: ...", "FIVE-YEAR WINDOW? ...")."""
    start = len(paragraphs)
    kickers: set[str] = set()
    while start > 0:
        match = _KICKER_TEASER.match(paragraphs[start - 1])
        if not match or match[1] != match[1].upper() or match[1] in kickers:
            break
        kickers.add(match[1])
        start -= 1
    if len(paragraphs) - start >= 3 and start > 0:
        return paragraphs[:start]
    return paragraphs
