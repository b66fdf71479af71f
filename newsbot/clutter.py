"""The clutter rules of DESIGN.md ("What clean means"), as two named steps.

``strip_clutter_nodes`` removes whole blocks from the page before the main-text extractor
sees it: share bars, captions, teaser and "related" blocks, previous/next navigation,
newsletter and subscription boxes, comment sections, tag clouds, author bios, sidebars.
Blocks are recognised by element type and by the words in their class, id, role and
aria-label, never by a site's host.

``strip_clutter_paragraphs`` then removes what survives as text: reading-time badges,
"ALSO READ:"/"Read more:"/"Related:" teaser lines, "Go to Top", "Previous Story",
"Updated at ..." lines, photo credits, bylines and repeats of the headline or standfirst;
and it cuts the body at a heading that opens a teaser block ("Latest from", "Don't Miss").

Both are pure functions of their input; neither imports Scrapy.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from lxml import etree
from lxml import html as lxml_html

# Elements that never hold article text.
CLUTTER_TAGS = frozenset(
    "nav aside footer form figcaption button select input textarea label svg iframe noscript "
    "script style template dialog menu".split()
)

# Single words in a class/id/role/aria-label that mark a clutter block.
_CLUTTER_TOKENS = frozenset(
    """share shares sharing sharedaddy sharebar social socials addtoany a2a
    related relatedposts recommended recommendation recommendations
    newsletter newsletters subscribe subscription subscriptions paywall signup
    comment comments commentlist respond disqus
    caption captions credit credits figcaption
    sidebar widget widgets breadcrumb breadcrumbs pagination pager
    advert advertisement advertising ads ad sponsored sponsor promo promoted outbrain taboola
    tagcloud tagline tags keywords
    byline bylines readtime toolbar tools print copyright rights
    popular trending mostread teaser teasers""".split()
)
# Word pairs (or longer patterns) in a class/id that mark a clutter block.
_CLUTTER_PATTERNS = re.compile(
    r"author[-_ ]?(?:bio|info|box|card|about|description|profile|details)|about[-_ ]?(?:the[-_ ]?)?author"
    r"|post[-_ ]?(?:nav|navigation|tags|meta|share)|nav[-_ ]?links|(?:prev|next|previous)[-_ ]?(?:post|story|article|link)"
    r"|tag[-_ ]?(?:cloud|list|links)|go[-_ ]?to[-_ ]?top|back[-_ ]?to[-_ ]?top|scroll[-_ ]?(?:to[-_ ]?)?top"
    r"|read(?:ing)?[-_ ]?time|most[-_ ]?(?:read|popular|viewed|shared)|(?:latest|recent|more|popular)[-_ ]?(?:posts|news|stories|articles|from)"
    r"|also[-_ ]?read|read[-_ ]?(?:more|also|next)|you[-_ ]?may[-_ ]?(?:also[-_ ]?)?like|dont[-_ ]?miss"
    r"|entry[-_ ]?meta|post[-_ ]?meta|meta[-_ ]?(?:data|info)|jeg_post_meta|jeg_meta",
    re.IGNORECASE,
)
# Class/id patterns of the article's own text container: such an element, and every element
# around it, is never clutter ("entry-content no-share" is the article, not a share bar).
_CONTENT_PATTERNS = re.compile(
    r"entry[-_]?content|post[-_]?(?:content|body|text|entry)|article[-_]?(?:body|content|text)"
    r"|story[-_]?(?:body|content|text)|content[-_]?body|body[-_]?text|td[-_]post[-_]content|articlebody",
    re.IGNORECASE,
)
_KEEP_TAGS = frozenset(("html", "body", "main"))
_TOKEN_SPLIT = re.compile(r"[\s_\-]+")
# Substrings every match of _CLUTTER_PATTERNS has (a cheap test before the pattern).
_PATTERN_HINTS = ("author", "post", "nav", "prev", "next", "tag", "top", "read", "most", "latest", "recent",
                  "more", "popular", "may", "miss", "meta")
# Substrings every content-container marker has (a cheap test before the pattern).
_CONTENT_HINTS = ("content", "body", "text", "entry", "article", "post", "story")
# Marker strings repeat a lot within and across pages: their verdicts are cached.
_VERDICTS: dict[str, tuple[bool, bool]] = {}
_VERDICTS_MAX = 50_000


# Container words of page builders: they mark a clutter block only together with others.
_WEAK_TOKENS = frozenset(("widget", "widgets", "tools"))
_HEADING_TAGS = frozenset(("h2", "h3", "h4", "h5", "h6"))


def _strong_clutter(marker: str) -> bool:
    """Return True when the marker is clutter for more than a page-builder word."""
    tokens = {t.lower() for t in _TOKEN_SPLIT.split(marker) if t}
    return bool(tokens & (_CLUTTER_TOKENS - _WEAK_TOKENS)) or _CLUTTER_PATTERNS.search(marker) is not None


def _marker_verdict(marker: str) -> tuple[bool, bool]:
    """Return (is the article's text container, is a clutter block) for a marker string."""
    verdict = _VERDICTS.get(marker)
    if verdict is None:
        low = marker.lower()
        is_content = any(w in low for w in _CONTENT_HINTS) and _CONTENT_PATTERNS.search(marker) is not None
        is_clutter = not _CLUTTER_TOKENS.isdisjoint(_TOKEN_SPLIT.split(low)) or (
            any(h in low for h in _PATTERN_HINTS) and _CLUTTER_PATTERNS.search(marker) is not None
        )
        verdict = (is_content, is_clutter)
        if len(_VERDICTS) >= _VERDICTS_MAX:
            _VERDICTS.clear()
        _VERDICTS[marker] = verdict
    return verdict


_MARKER_ATTRS = ("class", "id", "role", "aria-label", "data-component")

def _marker_text(el: lxml_html.HtmlElement) -> str:
    get = el.get
    cls, ident, role, label, component = get("class"), get("id"), get("role"), get("aria-label"), get("data-component")
    if not (ident or role or label or component):
        return cls or ""
    return " ".join(v for v in (cls, ident, role, label, component) if v)


def is_clutter_element(el: lxml_html.HtmlElement) -> bool:
    """Return True when the element's tag, or the words of its class, id, role or
    aria-label, mark it as a clutter block."""
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag in CLUTTER_TAGS:
        return True
    if tag in _KEEP_TAGS:
        return False
    marker = _marker_text(el)
    return bool(marker) and _marker_verdict(marker)[1]


# Tags removed whatever they hold; other clutter blocks are kept when they hold most of the
# page's text (a Blogger "widget Blog" or an ASP.NET page-wide <form> wraps the article).
_GUARDED_TAGS = frozenset(("form",))

_ALL_TEXT = ".//text()[not(ancestor::script or ancestor::style)]"


def _text_len(el: lxml_html.HtmlElement, xpath: str = ".//p//text()") -> int:
    return sum(len(t.strip()) for t in el.xpath(xpath))


class _TextSizes:
    """Paragraph-text lengths of one page, computed once, so that "does this block hold
    most of the page's text" costs one walk over the block's ``<p>`` elements."""

    def __init__(self, root: lxml_html.HtmlElement) -> None:
        self.root = root
        self.p_len: dict[lxml_html.HtmlElement, int] = {}
        for p in root.iter("p"):
            if p not in self.p_len:
                self.p_len[p] = _text_len(p, ".//text()")
                for inner in p.iterdescendants("p"):  # nested <p> in broken markup: count once
                    self.p_len[inner] = 0
        self.p_total = sum(self.p_len.values())
        self._all_total: int | None = None

    def holds_most_text(self, el: lxml_html.HtmlElement) -> bool:
        """Return True when ``el`` holds most of the page's paragraph text (or, on a page
        without much ``<p>`` text, most of its text)."""
        if self.p_total > 200:
            p_len = self.p_len
            return sum(p_len.get(p, 0) for p in el.iter("p")) > 0.5 * self.p_total
        if self._all_total is None:
            self._all_total = _text_len(self.root, _ALL_TEXT) or 1
        return _text_len(el, _ALL_TEXT) > 0.4 * self._all_total


_PROSE_TAGS = frozenset(("p", "h2", "h3", "h4"))


def _article_part_families(
    candidates: list[tuple[lxml_html.HtmlElement, bool]], sizes: _TextSizes
) -> set[lxml_html.HtmlElement]:
    """Return the candidate blocks that are parts of the article: siblings of one kind
    (same parent, tag and first class name, such as a page builder's "article-widget"
    text blocks) that together hold most of the page's paragraph text."""
    families: dict[tuple[int, str, str], list[lxml_html.HtmlElement]] = {}
    for el, by_tag in candidates:
        parent = el.getparent()
        if by_tag or parent is None:
            continue
        first = (el.get("class") or "").split()[:1]
        if first:
            families.setdefault((id(parent), el.tag, first[0]), []).append(el)
    keep: set[lxml_html.HtmlElement] = set()
    if sizes.p_total <= 200:
        return keep
    p_len = sizes.p_len
    for members in families.values():
        if len(members) >= 2 and sum(p_len.get(p, 0) for el in members for p in el.iter("p")) > 0.5 * sizes.p_total:
            keep.update(members)
    return keep


def _prose_paragraph_markers(sizes: _TextSizes) -> set[str]:
    """Return the markers that three or more long ``<p>`` elements share: the page's
    paragraphs of prose, whatever their class says (a paywalled article marks every
    paragraph "paywall")."""
    counts: dict[str, int] = {}
    for p, length in sizes.p_len.items():
        if length > 150 and p.get("class"):
            marker = _marker_text(p)
            counts[marker] = counts.get(marker, 0) + 1
    return {m for m, n in counts.items() if n >= 3}


def strip_clutter_nodes(tree: lxml_html.HtmlElement) -> int:
    """Remove clutter blocks from ``tree`` in place and return how many were removed.

    A block that holds most of the page's paragraph text is never removed, so a content
    wrapper that happens to carry a clutter word ("post-share-enabled") survives; nor is
    the article's own text container (``entry-content``, ``itemprop=articleBody``) or any
    element around it.
    """
    body = tree.find(".//body")
    root = body if body is not None else tree
    candidates = []
    protected: set[lxml_html.HtmlElement] = set()
    for el in root.iter(etree.Element):
        if not el.attrib and el.tag not in CLUTTER_TAGS:
            continue
        tag = el.tag
        marker = _marker_text(el)
        is_content, is_clutter = _marker_verdict(marker) if marker else (False, False)
        if is_content or el.get("itemprop") == "articleBody":
            if el not in protected:
                protected.add(el)
                for anc in el.iterancestors():
                    if anc in protected:
                        break
                    protected.add(anc)
            continue
        if tag in CLUTTER_TAGS:
            candidates.append((el, True))
        elif is_clutter and tag not in _KEEP_TAGS:
            if tag in _HEADING_TAGS and not _strong_clutter(marker):
                continue  # a subheading styled "widget-title" is still a subheading
            candidates.append((el, False))
    removed_inline = _strip_inline_clutter(root)
    if not candidates:
        return removed_inline
    sizes = _TextSizes(root)
    prose_markers = _prose_paragraph_markers(sizes)
    protected |= _article_part_families(candidates, sizes)
    removed_set: set[lxml_html.HtmlElement] = set()
    removed = 0
    for el, by_tag in candidates:
        if el in protected:
            continue
        if removed_set and any(anc in removed_set for anc in el.iterancestors()):
            continue
        if not by_tag and el.tag in _PROSE_TAGS and _marker_text(el) in prose_markers:
            continue  # the article's own paragraphs (and subheadings), marked "paywall"
        guarded = not by_tag or el.tag in _GUARDED_TAGS
        if guarded and sizes.holds_most_text(el):
            continue
        _drop_keep_tail(el)
        removed_set.add(el)
        removed += 1
    return removed + removed_inline


def _strip_inline_clutter(root: lxml_html.HtmlElement) -> int:
    """Remove clutter that sits inside paragraphs: entity hover cards (an inline element
    holding a picture and links) and paragraphs that are nothing but a link (inline
    teasers such as "FULL COVERAGE OF THE VOTE")."""
    removed = 0
    cards = root.xpath(".//p//span[.//img][count(.//a) >= 2]")
    for card in cards:
        if any(inner is not card for inner in card.iter("span") if inner in cards):
            continue  # remove the innermost card only: its wrapper holds the linked name
        if card.getparent() is not None:
            _drop_keep_tail(card)
            removed += 1
    for p in root.xpath(".//p[.//a]"):
        text = p.text_content().strip()
        if len(text) < 15 or len(text) > 200:
            continue
        linked = sum(len(a.text_content().strip()) for a in p.iter("a"))
        if linked >= 0.95 * len(text) and text.upper() == text != text.lower() and p.getparent() is not None:
            _drop_keep_tail(p)
            removed += 1
    return removed


def _drop_keep_tail(el: lxml_html.HtmlElement) -> None:
    """Remove ``el`` but keep its tail text attached to the previous node."""
    parent = el.getparent()
    if parent is None:
        return
    if el.tail and el.tail.strip():
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


# "Read more" / "See also" labels of inline teasers, in the languages news is written in.
_TEASER_LABELS = (
    r"also\s+read|read\s+(?:more|also|next)|related|recommended|see\s+(?:also|more)|more\s+on\s+this|watch|listen|must\s+read"
    r"|lesen\s+sie\s+(?:auch|mehr)|auch\s+interessant|mehr\s+zum\s+thema|siehe\s+auch|passend\s+(?:dazu|zum\s+thema)"
    r"|das\s+könnte\s+sie\s+auch\s+interessieren|weiterlesen"
    r"|les\s+også|les\s+mer|læs\s+også|læs\s+mere|se\s+også|läs\s+(?:också|även|mer)|lees\s+(?:ook|meer)"
    r"|lue\s+myös|lue\s+lisää|(?:à\s+)?lire\s+aussi|(?:à\s+)?voir\s+aussi|lire\s+la\s+suite"
    r"|lee\s+también|lea\s+también|leer\s+más|te\s+puede\s+interesar|ver\s+también"
    r"|leia\s+(?:mais|também)|veja\s+também|saiba\s+mais|leggi\s+anche|potrebbe\s+interessarti"
    r"|czytaj\s+(?:więcej|też|także)|zobacz\s+(?:też|także)|čtěte\s+také|přečtěte\s+si\s+také"
    r"|noticias?\s+relacionadas?|artículos?\s+relacionados?|articoli\s+correlati|articles?\s+liés"
    r"|ilgili\s+haber(?:ler)?|devamını\s+oku|читайте\s+также|funda\s+(?:olunye\s+udaba(?:\s+lapha)?|futhi)"
)
_TEASER_LABEL_ONLY = re.compile(r"^(?:" + _TEASER_LABELS + r")\s*[:.…]?$", re.IGNORECASE)
# Whole paragraphs that are clutter wherever they stand.
_LINE_RULES = re.compile(
    r"""^(?:
        (?:""" + _TEASER_LABELS + r""")\b\s*[:|\-–—»>].*      # teaser lines
      | link\s+(?:zum|to(?:\s+the)?)\s+\S+(?:\s+\S+)?[-\s](?:inhalt|content)   # embed placeholders
      | \d+\s*(?:min|mins|minutes?|minuten)\.?\s*(?:read|reading|lesezeit|lesedauer|de\s+lecture|lesetid|läsning|leestijd|di\s+lettura)  # reading-time badge
      | (?:lesezeit|lesedauer|reading\s+time|temps\s+de\s+lecture|tiempo\s+de\s+lectura|lesetid)\s*:?\s*\d+\s*\w{0,8}
      | (?:stand|aktualisiert(?:\s+am)?|veröffentlicht(?:\s+am)?|erstveröffentlichung|publié(?:\s+le)?|mis\s+à\s+jour(?:\s+le)?
         |publicado(?:\s+el)?|actualizado(?:\s+el)?|pubblicato(?:\s+il)?|aggiornato(?:\s+il)?|oppdatert|publisert|opdateret
         |udgivet|uppdaterad|publicerad|bijgewerkt|gepubliceerd|zaktualizowano|opublikowano|published(?:\s+on)?)
        \s*:?\s*(?:(?:am|um|on|at|le|el|il|den|kl\.?)\s+)?(?=\d|[^\W\d]+\.?\s+\d)[\w\s.,:/|–-]{0,70}  # "Stand: 22.04.2024, 06:00 Uhr"
      | (?:additional\s+)?(?:reporting|writing|editing|compiled|produced)\s+by\b.{0,300}  # agency credit lines
      | .{0,160}\bcontributed\s+to\s+this\s+(?:report|story|article)\.?
      | most\s+(?:read|popular|viewed)\s+in\s+.{1,40}             # a mid-article widget's heading
      | (?:\d{1,2}:\d{2}\s*min\.*\s*)?(?:verfügbar\s+bis|available\s+until)\b.{0,40}  # media player lines
      | like\s+this\s+(?:story|article)\??.{0,60}                   # share prompts
      | (?:tags?|schlagwörter|schlagworte|etiquetas|palavras-chave|mots-clés|topics|themen)\s*:.{0,300}  # tag lines
      | (?:fehler\s+gefunden\??\s*(?:jetzt\s+melden\.?)?|our\s+standards\s*:?.{0,80}|found\s+an?\s+(?:error|typo)\??.{0,60})
      | (?:go\s*to\s*top|back\s*to\s*top|top)                    # jump links
      | (?:previous|next|prev)\s+(?:story|post|article)          # story navigation
      | (?:share|share\s+this(?:\s+\w+)?|share\s+on\s+\w+|tweet|e-?mail|print|whatsapp|facebook|twitter|linkedin|copy\s+link)  # share buttons
      | (?:updated|last\s+updated)(?:\s+at|\s+on|:)?\s*(?=[^\n]*\d)[\w\s.,:/-]{0,40}  # "Updated at 1:23 p.m."
      | (?:photo|photos|image|picture|credit|source|foto)\s*:.{0,160}  # photo credits
      | (?:©|\(c\)|copyright\b).{0,300}                         # rights notices
    )\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
# A short paragraph that opens a teaser block or the comments: it and everything after it go.
_TAIL_RULES = re.compile(
    r"""^(?:latest\s+from\b.*|(?:previous|next|prev)\s+(?:story|post|article)|don['’]?t\s+miss|more\s+from\b.*|more\s+stories|related\s+(?:articles|stories|posts|news|coverage|content)
      |you\s+(?:may|might)\s+also\s+(?:like|enjoy)|most\s+(?:read|popular|viewed)|leave\s+a\s+(?:reply|comment)
      |\d+\s+(?:comments?|responses?|replies)|comments?|recommended(?:\s+for\s+you)?|trending(?:\s+now)?|also\s+read
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
    r"|delivered\s+(?:to\s+your\s+(?:door|inbox)|through\s+your\s+letterbox)|\d+\s+issues\s+for)\b",
    re.IGNORECASE,
)
# "By Alice Smith and Bob Jones, Staff Reporters": capitalised names only, so a sentence
# such as "By Friday, the ministry had ..." is kept.
_BYLINE_RULE = re.compile(
    r"^(?:[Bb][Yy]|[Vv]on|[Pp]ar|[Pp]or|[Dd]oor|[Aa]v|[Aa]f):?\s+[A-Z][\w.'’\-]*(?:\s+[A-Z][\w.'’\-]*){0,3}"
    r"(?:\s*(?:,|and|und|et|y|og|och|en|e|&)\s*[A-Z][\w.'’\-]*(?:\s+[A-Z][\w.'’\-]*){0,3})*\.?$"
)


def _norm(text: str) -> str:
    return re.sub(r"\W+", " ", unicodedata.normalize("NFC", text)).strip().casefold()


# A short line that asks readers to write in: "Got a story? Email news@paper.example".
_CONTACT_PROMPT = re.compile(r"\S+@\S+\.\w{2,}\s*\.?$")


def is_clutter_paragraph(text: str) -> bool:
    """Return True for a paragraph that is clutter wherever it stands (a teaser line, a
    badge, a share button, a photo credit, a byline, a short subscription prompt)."""
    stripped = text.strip()
    if not stripped:
        return True
    if len(stripped) < 240 and _LINE_RULES.match(stripped):
        return True
    if len(stripped) < 120 and _BYLINE_RULE.match(stripped):
        return True
    if len(stripped) < 160 and _CONTACT_PROMPT.search(stripped):
        return True
    if len(stripped) < 320 and _LONG_PROMPT_RULES.search(stripped):
        return True
    return len(stripped) < 160 and bool(_PROMPT_RULES.search(stripped))


def strip_clutter_paragraphs(
    paragraphs: Iterable[str], *, title: str | None = None, description: str | None = None,
    headlines: Iterable[str] = (),
) -> list[str]:
    """Return the paragraphs that remain after the clutter text rules: clutter lines
    dropped, repeats of the headline (or of its other versions, ``headlines``) or standfirst
    dropped, and the body cut at the first
    heading that opens a teaser block or the comments."""
    repeats = {_norm(t) for t in (title, description, *headlines) if t}
    kept: list[str] = []
    after_label = False
    for text in paragraphs:
        stripped = text.strip()
        if len(stripped) < 80 and _TAIL_RULES.match(stripped):
            break
        if after_label:
            after_label = False
            if len(stripped) < 200 and not stripped.endswith((".", "!", "?", "\"", "”", "»", "“")):
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
