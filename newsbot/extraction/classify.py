"""Page classification: is the page an article, a listing, or another kind of page?

``classify_page`` returns the page's ``page_type`` (``"article"``, ``"listing"`` or
``"other"``) and ``drop_reason`` returns why a crawl does not write the page as an article.
``emit_reason`` says whether a command writes the record: a crawl (``articles_only``)
writes articles only; ``scrape`` writes every page with a headline and main text.

Signals, taken from the main text the extraction found and from the page:

* **running paragraphs**: paragraphs of the main text with at least 12 words that end as a
  sentence does (a long block of prose counts once per 60 words); a story has several;
* **words** in the main text (``reading_length``);
* **teaser blocks**: blocks of the page that hold main-text paragraphs next to a linked
  headline; when four or more of them hold half the main text, the "text" is the blurbs
  of a page of teasers;
* **link density** of the main text: the share of its characters that are link text on
  the page (a list of links extracted as text);
* **teaser headlines**: headings that are links; a page with five or more and no story
  is a listing (a home page, a 404 page with teasers), else it is ``other``;
* **declared metadata** (``og:type``, JSON-LD ``@type``, a structured publication date) is
  evidence only: it lowers the bar (no running paragraph needed), and a
  declared collection (``CollectionPage``, ``og:type=website``) raises it (four running
  paragraphs, three times ``min_words``, fewer than five teaser headlines), but neither
  decides on its own.

A page whose main text is a story (``min_words`` words with running prose; three running
paragraphs when the page also shows five teaser headlines) is an article with no metadata
at all; a short news brief (half ``min_words``, nearly all running prose) is one when the
page names an article type (``og:type=article``, a JSON-LD article; a date alone does not
count, nor a placeholder date such as ``0000-00-00``); a page of teasers is a listing whatever its ``og:type``
says. ``<article>`` elements are not counted: reader comments and teasers inside an
article page use them too.
"""

from __future__ import annotations

import functools
import re

from lxml import etree
from lxml import html as lxml_html

from newsbot.extraction.dates import first_date
from newsbot.extraction.metadata import PageMetadata
from newsbot.extraction.text import collapse_whitespace, paragraphs_length, reading_length
from newsbot.items import NO_RECORD_REASONS, Article

LISTING_TYPES = frozenset("CollectionPage ItemList SearchResultsPage ProfilePage AboutPage ContactPage".split())
PAGE_TYPES = ("article", "listing", "other")

_SENTENCE_END = re.compile(r"[.!?…。！？:;\"'”»)\]]$")
_RUNNING_WORDS = 12
_BRIEF_PROSE = 0.8  # share of a brief's words in running paragraphs


# Publication dates in the markup (one walk for both kinds of ``itemprop`` attribute).
_MARKUP_DATES = etree.XPath(
    '//*[@itemprop="datePublished"]/@*[name()="datetime" or name()="content"] | //time[@pubdate]/@datetime'
)
# Links with more than 20 characters of text (``normalize-space`` collapses less than
# ``str.split``, so it never counts fewer): only these can be a paragraph of the text.
_LONG_LINKS = etree.XPath("descendant-or-self::a[string-length(normalize-space()) > 20]")


def has_structured_date(meta: PageMetadata) -> bool:
    """Return True when the page states a valid publication date in its metadata or markup
    (a placeholder such as ``0000-00-00`` or an impossible date does not count)."""
    declared = meta.ld("datePublished") + meta.meta(
        "article:published_time",
        "og:article:published_time",
        "datepublished",
        "pubdate",
        "publishdate",
        "dc.date.issued",
        "dcterms.issued",
        "dc.date",
        "date",
        "parsely-pub-date",
    )
    if first_date(declared[:6]) is not None:
        return True
    if len(declared) >= 6:
        return False  # the first six candidates decide; the markup's come after
    return first_date(_MARKUP_DATES(meta.tree)[: 6 - len(declared)]) is not None


def declares_article_type(meta: PageMetadata) -> bool:
    """Return True when the page names an article type (``og:type=article`` or a JSON-LD
    article), a date alone not counted."""
    return bool(meta.ld_article) or "article" in (v.lower() for v in meta.meta("og:type"))


def declares_article(meta: PageMetadata) -> bool:
    """Return True when the page's metadata calls it an article (evidence, not proof)."""
    og_type = [v.lower() for v in meta.meta("og:type")]
    return bool(meta.ld_article) or "article" in og_type or has_structured_date(meta)


def declares_listing(meta: PageMetadata) -> bool:
    """Return True when the page's metadata calls it a collection, profile or site page."""
    if meta.ld_types & LISTING_TYPES and not meta.ld_article:
        return True
    og_type = [v.lower() for v in meta.meta("og:type")]
    return bool(og_type) and og_type[0] in ("website", "profile", "object") and not meta.ld_article


def prose_words(paragraphs: list[str]) -> int:
    """Return how many of the main text's words are in running paragraphs."""
    counts = [(reading_length(p), p.rstrip()) for p in paragraphs]
    return sum(n for n, p in counts if n >= _RUNNING_WORDS and _SENTENCE_END.search(p))


def prose_share(paragraphs: list[str]) -> float:
    """Return the share of the main text's words that are in running paragraphs."""
    total = paragraphs_length(paragraphs)
    return prose_words(paragraphs) / total if total else 0.0


def is_brief(meta: PageMetadata, paragraphs: list[str], min_words: int) -> bool:
    """Return True when the page is a short news brief: it names an article type, its main
    text has half ``min_words`` words or more, and nearly all of them are running prose."""
    words = paragraphs_length(paragraphs)
    return (
        min_words // 2 <= words < min_words and declares_article_type(meta) and prose_share(paragraphs) >= _BRIEF_PROSE
    )


def running_paragraphs(paragraphs: list[str]) -> int:
    """Return how many paragraphs read as running prose (a dozen words, a sentence end); a
    long block of prose (an old table layout's text run together) counts once per 60 words."""
    count = 0
    for p in paragraphs:
        words = reading_length(p)
        if words >= _RUNNING_WORDS and _SENTENCE_END.search(p.rstrip()):
            count += max(1, words // 60)
    return count


def teaser_headlines(tree: lxml_html.HtmlElement) -> int:
    """Return the number of headings on the page that are links to other pages."""
    count = 0
    for h in tree.iter("h1", "h2", "h3", "h4"):
        text = h.text_content().strip()
        if not text:
            continue
        parent = h.getparent()
        linked = sum(len(a.text_content().strip()) for a in h.iter("a"))
        if linked >= 0.8 * len(text) or (parent is not None and parent.tag == "a"):
            count += 1
    return count


def _has_linked_heading(el: lxml_html.HtmlElement) -> bool:
    return any(
        sum(len(a.text_content().strip()) for a in h.iter("a")) >= 0.8 * len(h.text_content().strip()) > 0
        for h in el.iter("h1", "h2", "h3", "h4", "h5")
    )


def teaser_blocks(tree: lxml_html.HtmlElement, paragraphs: list[str]) -> tuple[int, float]:
    """Return (how many teaser blocks, their share of the main text): the blocks of the page
    holding main-text paragraphs next to a linked headline (a teaser's blurb), where each
    block holds few paragraphs of its own."""
    wanted = {collapse_whitespace(p): len(p) for p in paragraphs}
    total = sum(wanted.values())
    if not total:
        return 0, 0.0
    per_parent: dict[lxml_html.HtmlElement, int] = {}
    for el in tree.iter("p", "h1", "h2", "h3", "h4", "h5"):
        text = collapse_whitespace(el.text_content())
        parent = el.getparent()
        if parent is not None and text in wanted:
            per_parent[parent] = per_parent.get(parent, 0) + wanted[text]
    blocks = [el for el in per_parent if _has_linked_heading(el)]
    return len(blocks), sum(per_parent[el] for el in blocks) / total


def link_density(tree: lxml_html.HtmlElement, paragraphs: list[str]) -> float:
    """Return the share of the main text's characters that are link text on the page."""
    total = sum(len(p) for p in paragraphs)
    if not total:
        return 0.0
    texts = {p.strip() for p in paragraphs}
    linked = 0
    for a in _LONG_LINKS(tree):
        t = " ".join(a.text_content().split())
        if len(t) > 20 and t in texts:
            linked += len(t)
    return linked / total


def classify_page(meta: PageMetadata, paragraphs: list[str], min_words: int) -> str:
    """Return the page type (``"article"``, ``"listing"`` or ``"other"``) from the main
    text ``paragraphs`` and the page."""
    tree = meta.tree
    words = paragraphs_length(paragraphs)
    running = running_paragraphs(paragraphs)
    declared = declares_article(meta)
    if len(paragraphs) >= 3 and link_density(tree, paragraphs) > 0.5:
        return "listing"
    blocks, share = teaser_blocks(tree, paragraphs)
    if blocks >= 4 and share >= 0.5:
        return "listing"  # the main text is the blurbs of teasers
    teasers = functools.cache(lambda: teaser_headlines(tree))  # a walk over the page: when needed
    story = (words >= min_words and (running >= 1 or declared)) or is_brief(meta, paragraphs, min_words)
    if declares_listing(meta) and not declared:
        story = story and running >= 4 and words >= 3 * min_words and teasers() < 5
    elif not declared and running < 3 and teasers() >= 5:
        story = False  # a page of headlines with a few lines of text
    if story:
        return "article"
    if teasers() >= 5:
        return "listing"
    return "other"


def drop_reason(page_type: str, article: Article, min_words: int) -> str | None:
    """Return why the page is not written as an article by a crawl, or None when it is one:
    ``"no_text"``, ``"no_title"``, ``"listing"``, ``"not_article"`` or ``"too_short"`` (an
    article under ``min_words`` words, half that for a brief, see :func:`is_brief`)."""
    if not article.body:
        return "no_text"
    if not article.title:
        return "no_title"
    if page_type == "listing":
        return "listing"
    if page_type != "article":
        return "not_article"
    if reading_length(article.body) < min_words // 2:
        return "too_short"
    return None


def emit_reason(article: Article, articles_only: bool) -> str | None:
    """Return why a command does not write ``article``, or None when it writes it: with
    ``articles_only`` (a crawl, ``scrape --articles-only``) its ``drop_reason``; else
    (``scrape``) only a reason that leaves no record to write (no text, no title)."""
    reason = getattr(article, "drop_reason", None)
    if articles_only or reason in NO_RECORD_REASONS:
        return reason
    return None
