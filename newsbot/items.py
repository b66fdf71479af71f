"""Items that flow through the crawl.

``PageItem`` is what a spider yields: a fetched page, raw. ``Article`` is the record (see
the README's "The record"). Nothing here imports Scrapy: dataclass items work with Scrapy
through ``itemadapter``, and the extraction code fills an ``Article`` without a crawler.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

RECORD_FIELDS: tuple[str, ...] = (
    "id",
    "url",
    "source_url",
    "title",
    "description",
    "body",
    "authors",
    "published",
    "modified",
    "language",
    "site_name",
    "section",
    "tags",
    "image",
    "word_count",
    "fetched_at",
    "page_type",
    "paywalled",
)

# Record fields written only by some commands, each added to FEED_EXPORT_FIELDS by the
# command that fills it and checked by the schema when present: ``warc`` (``newsbot warc``:
# where the page is in its archive). Not required, so crawled records stay as they are.
OPTIONAL_RECORD_FIELDS: tuple[str, ...] = ("warc",)

# Drop reasons that leave no record to write, whatever the command (``scrape`` writes
# listings and other pages too, but not a page without text or headline).
NO_RECORD_REASONS = frozenset(("unparsable", "no_text", "no_title"))


@dataclass
class PageItem:
    """A fetched page as a spider yields it: never parsed by the spider."""

    url: str = ""  # the URL that was requested
    final_url: str = ""  # the URL after redirects
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    html: str = ""
    # the body when ``html`` is exactly its UTF-8 decoding (a BOM dropped), else empty: the
    # extraction pool sends these bytes, a copy, instead of encoding ``html`` again
    utf8: bytes = b""
    fetched_at: str = ""
    # the configured site the page was crawled for (request meta ``newsbot_site``): stats and
    # per-site options follow it, not the host of the page's canonical URL
    site: str = ""
    # a page read from a web archive: {"file", "offset", "record_id"} (newsbot.spiders.warc)
    warc: dict[str, Any] | None = None


@dataclass
class Article:
    """One article record (the README's "The record") plus the reason it is not one.

    ``drop_reason`` is set by extraction when the page is not an article (a listing, too
    little text, ...); it never reaches the feed (``FEED_EXPORT_FIELDS`` names the record
    fields only).
    """

    id: str = ""
    url: str = ""
    source_url: str = ""
    title: str | None = None
    description: str | None = None
    body: str = ""
    authors: list[str] = field(default_factory=list)
    published: str | None = None
    modified: str | None = None
    language: str | None = None
    site_name: str | None = None
    section: str | None = None
    tags: list[str] = field(default_factory=list)
    image: str | None = None
    word_count: int = 0
    fetched_at: str = ""
    page_type: str = "article"  # "article", "listing" or "other" (newsbot.extraction.classify)
    # True: the page says its text is for subscribers (JSON-LD isAccessibleForFree false, a
    # paywall block or prompt); False: it says the text is free; None: it says neither
    paywalled: bool | None = None
    updated: bool = False  # set with NEWSBOT_UPDATES when a seen article's text changed
    drop_reason: str | None = None
    # not a record field: the body's SimHash (newsbot.identity.body_fingerprint), computed by
    # the extraction worker so the crawling process need not (0: not computed)
    fingerprint: int = 0
    # not a record field: the site crawled (PageItem.site); empty: the URL's own site
    site: str = ""
    # where the page is in its web archive (``newsbot warc``): file, record offset, record id
    warc: dict[str, Any] | None = None

    def record(self) -> dict[str, Any]:
        """Return the record fields (no ``drop_reason``) as a plain dict, in schema order,
        followed by the optional fields that are set (``warc``)."""
        # not dataclasses.asdict: it deep-copies field by field, slower than the check it feeds
        record = {
            name: list(value) if isinstance(value := getattr(self, name), list) else value for name in RECORD_FIELDS
        }
        if self.warc is not None:
            record["warc"] = dict(self.warc)
        return record


def utc_now_iso() -> str:
    """Return the current time as an ISO 8601 UTC timestamp (seconds precision)."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()
