"""HTML -> article record fields: the single extraction code path (no Scrapy imports).

``extract_article(html, url)`` is what the extract pipeline, ``newsbot extract`` and the
benchmarks call. It works on one parsed tree (the page is parsed once, by
:func:`newsbot.extraction.parse.parse_html`), read by every step; the clutter step gets the
one copy of it, because it removes blocks that metadata, the paywall check and
classification still read in the page as it was (Trafilatura copies what it is handed, as
its API does):

1. metadata from structured data first (JSON-LD, OpenGraph and ``article:*`` meta, Dublin
   Core, ``<time datetime>``), then the visible byline, then htmldate for a missing date;
   authors are people where the page names any (JSON-LD people, author meta, the byline
   next to the headline, a bold byline opening the text), else the organisation it
   declares;
2. the clutter step of :mod:`newsbot.extraction.clutter` removes teaser, share, caption, comment and
   other blocks from a copy of the tree;
3. Trafilatura's ``bare_extraction`` (its fast pass, on the region of the page that holds
   the article's paragraphs when there is one, see :func:`newsbot.extraction.region.main_region`,
   else on the cleaned page with only the JSON-LD left in its head; its comparison with its
   fallback extractors, on the same tree, only where it may change the text, see
   :func:`newsbot.extraction.body.looks_wrong`) finds the main text, and its XML body becomes
   paragraphs (subheadings, list items and quotes each a paragraph of their own);
4. a recall pass puts back what Trafilatura leaves out: the other parts of an article
   split into several containers, subheadings, text between blocks, and for a page that
   renders its text from a script, the body the page embeds in its data;
5. the clutter text rules drop what survives as lines, and every field is cleaned through
   :class:`newsbot.extraction.loader.ArticleLoader`;
6. :mod:`newsbot.extraction.classify` gives the page its ``page_type`` (article, listing,
   other) from its main text and teasers, declared metadata counting as evidence only.

The result is an :class:`newsbot.items.Article`; when the page is not an article (a
listing, a page with too little text) its ``drop_reason`` says why.
"""

from __future__ import annotations

import functools
import logging
from copy import deepcopy
from typing import Any

from lxml import html as lxml_html

from newsbot import settings
from newsbot.extraction.authors import is_role_only
from newsbot.extraction.body import (
    add_split_body_parts,
    embedded_body,
    looks_wrong,
    main_text,
    main_text_paragraphs,
    paragraph_parents,
    split_one_block,
)
from newsbot.extraction.byline import lead_byline
from newsbot.extraction.classify import classify_page, drop_reason, prose_words
from newsbot.extraction.clutter import strip_clutter_nodes
from newsbot.extraction.clutter_text import strip_clutter_paragraphs
from newsbot.extraction.loader import ArticleLoader
from newsbot.extraction.metadata import PageMetadata
from newsbot.extraction.parse import parse_html
from newsbot.extraction.paywall import paywalled, strip_paywall_prompts
from newsbot.extraction.region import main_text_source
from newsbot.extraction.text import (
    clean_whitespace,
    count_words,
    inline_hover_cards,
    paragraphs_length,
    squash_text,
)
from newsbot.identity import article_id
from newsbot.items import Article

logger = logging.getLogger(__name__)


def _never_raises(func: Any) -> Any:
    """Wrap ``extract_article`` so that any failure on hostile input becomes a page dropped
    as ``"unparsable"`` (one warning line) instead of an exception."""

    @functools.wraps(func)
    def guarded(html: str | bytes, url: str, *args: Any, **kwargs: Any) -> Article:
        try:
            return func(html, url, *args, **kwargs)
        except Exception as exc:
            logger.warning(
                "extraction failed on %s (%s: %s); dropped as unparsable",
                url,
                type(exc).__name__,
                str(exc).splitlines()[0][:200] if str(exc) else "",
            )
            logger.debug("extraction failure on %s", url, exc_info=True)
            return Article(url=url, id=article_id(url), drop_reason="unparsable")

    return guarded


@_never_raises
def extract_article(html: str | bytes, url: str, *, min_words: int = settings.NEWSBOT_MIN_WORDS) -> Article:
    """Return the article record fields extracted from one page.

    ``url`` is the page's final URL (used to absolutise links and as the canonical URL when
    the page names none). The returned :class:`Article` has ``drop_reason`` set when the
    page is not an article: ``"unparsable"``, ``"not_article"``, ``"listing"``,
    ``"no_text"`` or ``"too_short"`` (fewer than ``min_words`` words). It never raises on
    bad markup.
    """
    tree = parse_html(html)
    if tree is None:
        return Article(url=url, id=article_id(url), drop_reason="unparsable")
    meta = PageMetadata(tree, url)

    cleaned = deepcopy(tree)
    inline_hover_cards(cleaned)
    strip_clutter_nodes(cleaned)
    blocks = paragraph_parents(cleaned)
    source = main_text_source(cleaned, blocks)
    paragraphs, found_blocks = main_text(source, url)
    if looks_wrong(paragraphs, blocks, found_blocks):
        # Trafilatura's own pass missed the text block or took the whole page: let it
        # compare with its fallback extractors (twice the time, so only here)
        paragraphs = main_text_paragraphs(source, url, fast=False)
    if len(paragraphs) == 1:
        paragraphs = split_one_block(paragraphs, blocks)
    paragraphs = add_split_body_parts(cleaned, paragraphs, blocks)
    found = prose_words(paragraphs)
    if found < min_words // 2 and paragraphs_length(paragraphs) < min_words:
        # no story in what the cleaned page gave: the clutter step may have taken the text or
        # thrown the extractor off, so the page as it is gets a second look
        second = main_text_paragraphs(tree, url, fast=False)  # Trafilatura works on its own copy
        if prose_words(second) >= max(2 * found, min_words // 2):
            paragraphs = second
    if paragraphs_length(paragraphs) < min_words:
        # a page whose script renders the text: take it from the data the page embeds
        embedded = embedded_body(meta.ld("articleBody"), tree, url)
        if paragraphs_length(embedded) > paragraphs_length(paragraphs):
            paragraphs = embedded

    loader = ArticleLoader(base_url=url)
    loader.add_value("url", meta.canonical_url())
    loader.add_value("url", url)
    loader.add_value("site_name", meta.site_name())
    site_name = loader.get_output_value("site_name")
    title = meta.title(site_name)
    loader.add_value("title", title)
    loader.add_value("description", meta.description())
    description = loader.get_output_value("description")
    standfirst = description
    if description and _is_lede(tree, description, paragraphs):
        standfirst = None  # the summary is the article's first paragraph, not a standfirst
    paragraphs = strip_clutter_paragraphs(
        paragraphs,
        title=loader.get_output_value("title"),
        description=standfirst,
        headlines=meta.headlines(),
    )
    paragraphs, prompt_found = strip_paywall_prompts(paragraphs)
    authors = meta.authors()
    if not meta.found_people:
        lead = lead_byline(tree, paragraphs)
        if lead is not None:
            authors = lead[1]
            del paragraphs[lead[0]]
    body = "\n\n".join(paragraphs)
    loader.add_value("body", body)
    loader.add_value("authors", authors)
    loader.add_value("published", meta.published())
    loader.add_value("modified", meta.modified())
    loader.add_value("language", meta.language())
    loader.add_value("section", meta.section())
    loader.add_value("tags", meta.tags())
    loader.add_value("image", meta.image())
    article: Article = loader.load_item()
    if not article.authors and authors and not meta.found_people:
        # the page names no person: its declared author ("Staff reporter", a desk) stays
        article.authors = [
            a
            for a in dict.fromkeys(clean_whitespace(x) for x in authors)
            if a and not is_role_only(a) and not a.startswith(("http://", "https://"))
        ][:3]
    article.body = article.body or ""
    article.word_count = count_words(article.body)
    article.id = article_id(article.url)
    article.paywalled = paywalled(
        tree, meta.ld_objects, meta.ld_article, meta.meta("article:content_tier", "content_tier"), prompt_found
    )
    article.page_type = classify_page(meta, paragraphs, min_words)
    article.drop_reason = drop_reason(article.page_type, article, min_words)
    return article


def _is_lede(tree: lxml_html.HtmlElement, description: str, paragraphs: list[str]) -> bool:
    """Return True when the page's summary is also the first paragraph of the article text
    (a ``<p>`` among the body's paragraphs), as opposed to a standfirst set apart above it."""
    wanted = squash_text(description)
    opening = [p for p in paragraphs if len(p) > 80][:2]  # after any short date or kicker lines
    if not wanted or not any(squash_text(p) == wanted for p in paragraphs[:3] + opening):
        return False
    for p in tree.iter("p"):
        if squash_text(p.text_content()) != wanted:
            continue
        parent = p.getparent()
        if parent is None:
            continue
        siblings = [s for s in parent.iterchildren("p") if s is not p and len(s.text_content()) > 80]
        if len(siblings) >= 2:
            return True
    return False
