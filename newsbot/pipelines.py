"""Item pipelines: extract -> validate -> dedup.

Settings read:

* ``NEWSBOT_MIN_WORDS``: shortest body (in words) that counts as an article.

Stats written:

* ``newsbot/pages``: raw pages that reached extraction;
* ``newsbot/articles``: records that passed every pipeline;
* ``newsbot/dropped/<reason>``: pages dropped, by reason (``listing``, ``not_article``,
  ``too_short``, ``no_text``, ``invalid_record``, ``duplicate``, ...);
* ``newsbot/site/<host>/pages``, ``.../articles``, ``.../dropped/<reason>``: the same per site.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy.exceptions import DropItem

from newsbot.extract import extract_article
from newsbot.items import Article, PageItem
from newsbot.schema import record_errors

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)


def site_of(url: str) -> str:
    """Return the host of ``url`` without a leading ``www.``, the per-site stats key."""
    host = (urlsplit(url).hostname or "unknown").lower()
    return host[4:] if host.startswith("www.") else host


class Dropped(DropItem):
    """A page that is not (or no longer) a record, with a machine-readable reason."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class _StatsPipeline:
    """Base for pipelines that count drops in stats globally and per site."""

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    def drop(self, reason: str, url: str, detail: str = "") -> Dropped:
        """Count a drop and return the exception to raise for it."""
        self.stats.inc_value(f"newsbot/dropped/{reason}")
        self.stats.inc_value(f"newsbot/site/{site_of(url)}/dropped/{reason}")
        return Dropped(reason, f"{reason}: {url}{' (' + detail + ')' if detail else ''}")


class ExtractPipeline(_StatsPipeline):
    """Turns a ``PageItem`` into an ``Article`` with :func:`newsbot.extract.extract_article`."""

    def __init__(self, stats: StatsCollector, min_words: int) -> None:
        super().__init__(stats)
        self.min_words = min_words

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractPipeline:
        """Return the pipeline configured from the crawler's settings."""
        return cls(crawler.stats, crawler.settings.getint("NEWSBOT_MIN_WORDS"))

    async def process_item(self, item: Any) -> Any:
        """Return the extracted ``Article`` for a ``PageItem``; other items pass through."""
        if not isinstance(item, PageItem):
            return item
        self.stats.inc_value("newsbot/pages")
        self.stats.inc_value(f"newsbot/site/{site_of(item.url)}/pages")
        article = extract_article(item.html, item.final_url or item.url, min_words=self.min_words)
        article.source_url = item.url
        article.fetched_at = item.fetched_at
        return article


class ValidatePipeline(_StatsPipeline):
    """Drops pages that are not articles (with their reason) and records that do not
    match the shipped JSON Schema."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidatePipeline:
        """Return the pipeline bound to the crawler's stats."""
        return cls(crawler.stats)

    async def process_item(self, item: Any) -> Any:
        """Return ``item`` when it is a valid article record; raise ``DropItem`` otherwise."""
        if not isinstance(item, Article):
            return item
        if item.drop_reason:
            raise self.drop(item.drop_reason, item.source_url or item.url)
        errors = record_errors(item.record())
        if errors:
            logger.error("invalid record for %s: %s", item.source_url, "; ".join(errors))
            raise self.drop("invalid_record", item.source_url, errors[0])
        return item


class DedupPipeline(_StatsPipeline):
    """Drops a second record with the same canonical URL within one run."""

    def __init__(self, stats: StatsCollector) -> None:
        super().__init__(stats)
        self.seen: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupPipeline:
        """Return the pipeline bound to the crawler's stats."""
        return cls(crawler.stats)

    async def process_item(self, item: Any) -> Any:
        """Return ``item`` the first time its canonical URL is seen; drop repeats."""
        if not isinstance(item, Article):
            return item
        if item.id in self.seen:
            raise self.drop("duplicate", item.source_url, f"same canonical URL as {item.url}")
        self.seen.add(item.id)
        self.stats.inc_value("newsbot/articles")
        self.stats.inc_value(f"newsbot/site/{site_of(item.url)}/articles")
        return item
