"""Is the page an article? The drop rules of the extraction, with their signals.

``drop_reason`` returns why a page is not written as an article (``"listing"``,
``"not_article"``, ``"no_text"``, ``"too_short"``, ``"no_title"``) or None.
"""

from __future__ import annotations

from newsbot.extraction.metadata import PageMetadata
from newsbot.extraction.text import reading_length
from newsbot.items import Article

LISTING_TYPES = frozenset("CollectionPage ItemList SearchResultsPage ProfilePage AboutPage ContactPage".split())


def has_structured_date(meta: PageMetadata) -> bool:
    """Return True when the page states a publication date in its metadata or markup."""
    return bool(
        meta.ld("datePublished")
        or meta.meta(
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
        or meta.tree.xpath('//*[@itemprop="datePublished"] | //time[@pubdate]')
    )


def looks_like_article(meta: PageMetadata) -> bool:
    """Return True when the page declares itself an article."""
    og_type = [v.lower() for v in meta.meta("og:type")]
    return bool(meta.ld_article) or "article" in og_type or has_structured_date(meta)


def looks_like_listing(meta: PageMetadata) -> bool:
    """Return True when the page declares itself a listing (collection, profile, ...)
    or holds many teaser ``<article>`` elements."""
    if meta.ld_types & LISTING_TYPES and not meta.ld_article:
        return True
    og_type = [v.lower() for v in meta.meta("og:type")]
    if og_type and og_type[0] in ("website", "profile", "object") and not meta.ld_article:
        return True
    return len(meta.tree.xpath("//article")) >= 3


def drop_reason(meta: PageMetadata, article: Article, min_words: int) -> str | None:
    """Return why the page is not an article, or None when it is one."""
    if looks_like_listing(meta) and not meta.ld_article:
        return "listing"
    if not looks_like_article(meta):
        return "not_article"
    if not article.body:
        return "no_text"
    if reading_length(article.body) < min_words:
        return "too_short"
    if not article.title:
        return "no_title"
    return None
