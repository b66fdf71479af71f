"""The clutter rules of "What clean means" (docs/architecture.md) for blocks: the first of
two steps (the second, for lines of text, is :mod:`newsbot.extraction.clutter_text`).

``strip_clutter_nodes`` removes whole blocks from the page before the main-text extractor
sees it: share bars, captions, teaser and "related" blocks, previous/next navigation,
newsletter and subscription boxes, comment sections, tag clouds, author bios, sidebars.
Blocks are recognised by element type and by the words in their class, id, role and
aria-label, never by a site's host.

A pure function of its input; no Scrapy.
"""

from __future__ import annotations

import re

from lxml import etree
from lxml import html as lxml_html

from newsbot.extraction.text import lowercase_twin

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
    r"|post[-_ ]?(?:nav|navigation|tags|meta|share)|nav[-_ ]?links"
    r"|(?:prev|next|previous)[-_ ]?(?:post|story|article|link)"
    r"|tag[-_ ]?(?:cloud|list|links)|go[-_ ]?to[-_ ]?top|back[-_ ]?to[-_ ]?top|scroll[-_ ]?(?:to[-_ ]?)?top"
    r"|read(?:ing)?[-_ ]?time|most[-_ ]?(?:read|popular|viewed|shared)"
    r"|(?:latest|recent|more|popular)[-_ ]?(?:posts|news|stories|articles|from)"
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
_PATTERN_HINTS = (
    "author",
    "post",
    "nav",
    "prev",
    "next",
    "tag",
    "top",
    "read",
    "most",
    "latest",
    "recent",
    "more",
    "popular",
    "may",
    "miss",
    "meta",
)
# Substrings every content-container marker has (a cheap test before the pattern).
_CONTENT_HINTS = ("content", "body", "text", "entry", "article", "post", "story")
# The two lists of hints as one scan each (a generator of ``in`` tests costs five times more).
_PATTERN_HINT = re.compile("|".join(_PATTERN_HINTS))
_CONTENT_HINT = re.compile("|".join(_CONTENT_HINTS))
# Marker strings repeat a lot within and across pages: their verdicts are cached.
_VERDICTS: dict[str, tuple[bool, bool]] = {}
_VERDICTS_MAX = 50_000


# Container words of page builders: they mark a clutter block only together with others.
_WEAK_TOKENS = frozenset(("widget", "widgets", "tools"))
_HEADING_TAGS = frozenset(("h2", "h3", "h4", "h5", "h6"))


# Layout words: a wrapper named "has-sidebar" or "page-with-widgets" may hold the article, so
# a block matched by these alone is removed only when what it holds is not prose. "print"
# marks print buttons and also the print-friendly text ("desc-print", "tip-print-step").
_LAYOUT_TOKENS = frozenset(("sidebar", "widget", "widgets", "tools", "print", "paywall"))


def _layout_only(marker: str) -> bool:
    """Return True when the marker is clutter only for a layout word ("sidebar")."""
    tokens = {t.lower() for t in _TOKEN_SPLIT.split(marker) if t}
    hits = tokens & _CLUTTER_TOKENS
    return bool(hits) and hits <= _LAYOUT_TOKENS and _CLUTTER_PATTERNS.search(marker) is None


def _holds_prose(el: lxml_html.HtmlElement, sizes: _TextSizes) -> bool:
    """Return True when ``el`` holds prose: three or more long paragraphs that are not
    links, two holding 400 characters, or (a page without ``<p>`` text) 400 characters of
    text in sentences outside links."""
    long_paragraphs = chars = 0
    for p in el.iter("p"):
        length = sizes.p_len.get(p, 0)
        if length > 150 and sum(len(a.text_content()) for a in p.iter("a")) < 0.2 * length:
            long_paragraphs += 1
            chars += length
            if long_paragraphs >= 3 or (long_paragraphs >= 2 and chars >= 400):
                return True
    if long_paragraphs or sizes.p_total > 200:
        return False
    text = el.text_content()
    linked = sum(len(a.text_content()) for a in el.iter("a"))
    return len(text.strip()) - linked >= 400 and len(_SENTENCE_END.findall(text)) >= 3


_SENTENCE_END = re.compile(r"\w[.!?](?:\s|$)")


def _strong_clutter(marker: str) -> bool:
    """Return True when the marker is clutter for more than a page-builder word."""
    tokens = {t.lower() for t in _TOKEN_SPLIT.split(marker) if t}
    return bool(tokens & (_CLUTTER_TOKENS - _WEAK_TOKENS)) or _CLUTTER_PATTERNS.search(marker) is not None


# Class names that state a feature of the block or the page ("has-paywall", "enable-pin-share",
# "non-paywall", "with-sidebar"): a wrapper that has a share bar is not one.
_FEATURE_CLASS = re.compile(r"(?<![\w-])(?:has|enable|enabled|with|without|no|non|not|is)[-_][\w-]+", re.IGNORECASE)


_FEATURE_CLASS_LOW = lowercase_twin(_FEATURE_CLASS)
_CONTENT_PATTERNS_LOW = lowercase_twin(_CONTENT_PATTERNS)
_CLUTTER_PATTERNS_LOW = lowercase_twin(_CLUTTER_PATTERNS)


def _marker_verdict(marker: str) -> tuple[bool, bool]:
    """Return (is the article's text container, is a clutter block) for a marker string."""
    verdict = _VERDICTS.get(marker)
    if verdict is None:
        if marker.isascii():  # nearly all: the case-sensitive patterns on the lower-case text
            target = marker.lower()
            low = _FEATURE_CLASS_LOW.sub(" ", target)
            content, clutter = _CONTENT_PATTERNS_LOW.search, _CLUTTER_PATTERNS_LOW.search
        else:
            target = marker
            low = _FEATURE_CLASS.sub(" ", marker).lower()
            content, clutter = _CONTENT_PATTERNS.search, _CLUTTER_PATTERNS.search
        is_content = _CONTENT_HINT.search(low) is not None and content(target) is not None
        # the words of _TOKEN_SPLIT, split by str methods (several times faster than the regex)
        words = low.replace("_", " ").replace("-", " ").split()
        is_clutter = not _CLUTTER_TOKENS.isdisjoint(words) or (
            _PATTERN_HINT.search(low) is not None and clutter(target) is not None
        )
        verdict = (is_content, is_clutter)
        if len(_VERDICTS) >= _VERDICTS_MAX:
            _VERDICTS.clear()
        _VERDICTS[marker] = verdict
    return verdict


def _marker_text(el: lxml_html.HtmlElement) -> str:
    get = el.get
    cls, ident, role, label, component = get("class"), get("id"), get("role"), get("aria-label"), get("data-component")
    if not (ident or role or label or component):
        return cls or ""
    return " ".join(v for v in (cls, ident, role, label, component) if v)


# Tags removed whatever they hold; other clutter blocks are kept when they hold most of the
# page's text (a Blogger "widget Blog" or an ASP.NET page-wide <form> wraps the article).
_GUARDED_TAGS = frozenset(("form", "noscript"))

# Compiled once, returning plain strings (no link back to their element: cheaper).
_ALL_TEXT = etree.XPath(".//text()[not(ancestor::script or ancestor::style)]", smart_strings=False)
_TEXT = etree.XPath(".//text()", smart_strings=False)
_HOVER_CARDS = etree.XPath(".//p//span[.//img][count(.//a) >= 2]")
_LINKED_PARAGRAPHS = etree.XPath(".//p[.//a]")


def _text_len(el: lxml_html.HtmlElement, xpath: etree.XPath) -> int:
    return sum(len(t.strip()) for t in xpath(el))


class _TextSizes:
    """Paragraph-text lengths of one page, computed once, so that "does this block hold
    most of the page's text" costs one walk over the block's ``<p>`` elements."""

    def __init__(self, root: lxml_html.HtmlElement) -> None:
        self.root = root
        self.p_len: dict[lxml_html.HtmlElement, int] = {}
        for p in root.iter("p"):
            if p not in self.p_len:
                self.p_len[p] = _text_len(p, _TEXT)
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
        return _text_len(el, _ALL_TEXT) > 0.4 * self.all_total()

    def all_total(self) -> int:
        """Return the length of the page's text outside scripts and styles (at least 1)."""
        if self._all_total is None:
            self._all_total = _text_len(self.root, _ALL_TEXT) or 1
        return self._all_total


_PROSE_TAGS = frozenset(("p", "h2", "h3", "h4"))


def _article_part_families(
    candidates: list[tuple[lxml_html.HtmlElement, bool]], sizes: _TextSizes
) -> set[lxml_html.HtmlElement]:
    """Return the candidate blocks that are parts of the article: siblings of one kind
    (same parent, tag and first class name, such as a page builder's "article-widget"
    text blocks) that together hold most of the page's paragraph text (on a page without
    ``<p>`` text, of its text)."""
    families: dict[tuple[int, str, str], list[lxml_html.HtmlElement]] = {}
    for el, by_tag in candidates:
        parent = el.getparent()
        if by_tag or parent is None:
            continue
        first = (el.get("class") or "").split()[:1]
        if first:
            families.setdefault((id(parent), el.tag, first[0]), []).append(el)
    keep: set[lxml_html.HtmlElement] = set()
    p_len = sizes.p_len
    for members in families.values():
        if len(members) < 2:
            continue
        if sizes.p_total > 200:
            held = sum(p_len.get(p, 0) for el in members for p in el.iter("p")) > 0.5 * sizes.p_total
        else:  # a page without <p> text: the steps of a how-to in <div>s
            held = sum(_text_len(el, _ALL_TEXT) for el in members) > 0.4 * sizes.all_total()
        if held:
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
        if not by_tag and _layout_only(_marker_text(el)) and _holds_prose(el, sizes):
            continue  # a layout wrapper around the article ("td-main-content sidebar-left")
        _drop_keep_tail(el)
        removed_set.add(el)
        removed += 1
    return removed + removed_inline


def _strip_inline_clutter(root: lxml_html.HtmlElement) -> int:
    """Remove clutter that sits inside paragraphs: entity hover cards (an inline element
    holding a picture and links) and paragraphs that are nothing but a link (inline
    teasers such as "FULL COVERAGE OF THE VOTE")."""
    removed = 0
    cards = _HOVER_CARDS(root)
    for card in cards:
        if any(inner is not card for inner in card.iter("span") if inner in cards):
            continue  # remove the innermost card only: its wrapper holds the linked name
        if card.getparent() is not None:
            _drop_keep_tail(card)
            removed += 1
    for p in _LINKED_PARAGRAPHS(root):
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
