"""Item pipelines: extract -> validate -> dedup.

Settings read:

* ``NEWSBOT_MIN_WORDS``: shortest body (in words) that counts as an article;
* ``NEWSBOT_ARTICLES_ONLY``: write articles only (else every page with main text, its
  ``page_type`` set; ``scrape`` without ``--articles-only``);
* ``NEWSBOT_EXTRACT_WORKERS``, ``NEWSBOT_EXTRACT_TIMEOUT``, ``NEWSBOT_EXTRACT_FUNCTION``:
  the extraction process pool (:mod:`newsbot.procpool`).

Stats written:

* ``newsbot/pages``: raw pages that reached extraction;
* ``newsbot/articles``: records that passed every pipeline;
* ``newsbot/dropped/<reason>``: pages dropped, by reason (``listing``, ``not_article``,
  ``too_short``, ``no_text``, ``invalid_record``, ``duplicate``, ...);
* ``newsbot/errors/extract_crash``, ``newsbot/errors/extract_timeout``: pages lost because
  their extraction worker died or ran past the time limit;
* ``newsbot/errors/extract_broken``: pages no extraction worker could take because workers
  cannot start at all (the crawl is then closed, finish reason ``extract_broken``);
* ``newsbot/site/<host>/pages``, ``.../articles``, ``.../dropped/<reason>``: the same per site.
"""

from __future__ import annotations

import asyncio
import logging
import os
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import DropItem

from newsbot import settings
from newsbot.extractpool import EXTRACT_FINISH, blocked_imports_for
from newsbot.identity import NEAR_DUPLICATE_BITS, FingerprintIndex, article_id, body_fingerprint, url_key
from newsbot.items import NO_RECORD_REASONS, Article, PageItem
from newsbot.procpool import (
    PoolBroken,
    ProcessPool,
    Utf8Text,
    WorkerCrashed,
    WorkerTimeout,
    check_function_path,
    load_function,
)
from newsbot.schema import record_errors
from newsbot.state import EmittedStore, state_of
from newsbot.urls import canonical_request_url, site_of

if TYPE_CHECKING:
    from collections.abc import Callable

    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)


def _path_key(url: str) -> str:
    key = url_key(url)
    slash = key.find("/")
    return key[slash:] if slash >= 0 else "/"


def same_page(canonical: str, own: str) -> bool:
    """Return True when a page's ``canonical`` URL names the page itself: the same path and
    query once AMP/print variants, tracking parameters and trailing slashes are set aside
    (:func:`newsbot.identity.url_key`), on any host: a staging or CDN host whose pages name
    the public domain as canonical is the same page."""
    return _path_key(canonical) == _path_key(own)


class Dropped(DropItem):
    """A page that is not (or no longer) a record, with a machine-readable reason."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class _StatsPipeline:
    """Base for pipelines that count drops in stats globally and per site."""

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    def drop(self, reason: str, url: str, detail: str = "", site: str = "") -> Dropped:
        """Count a drop (for ``site``, else the URL's) and return the exception to raise."""
        self.stats.inc_value(f"newsbot/dropped/{reason}")
        self.stats.inc_value(f"newsbot/site/{site or site_of(url)}/dropped/{reason}")
        return Dropped(reason, f"{reason}: {url}{' (' + detail + ')' if detail else ''}")


class ExtractPipeline(_StatsPipeline):
    """Turns a ``PageItem`` into an ``Article`` with :func:`newsbot.extraction.extract_article`.

    With ``NEWSBOT_EXTRACT_WORKERS`` above 1 the extraction runs in a
    :class:`newsbot.procpool.ProcessPool` started when the spider opens and stopped when it
    closes, and ``process_item`` awaits it, so the reactor keeps downloading meanwhile.
    Backpressure: ``process_item`` returns only once its page is extracted, so a page waiting
    for a worker stays in Scrapy's scraper slot, and Scrapy stops taking new requests while
    that slot holds ``SCRAPER_SLOT_MAX_ACTIVE_SIZE`` bytes of responses; the pool sends a
    worker at most two pages at a time (one running, the next waiting in its pipe). A page
    whose worker dies (``newsbot/errors/extract_crash``) or runs past
    ``NEWSBOT_EXTRACT_TIMEOUT`` (``newsbot/errors/extract_timeout``) is lost with one error
    line naming it; the worker is replaced, the page that waited behind it goes to another
    worker, and the crawl goes on. When workers cannot start at all (the function does not
    import, or they die before they are ready), one error line says why and the crawl is
    closed (finish reason ``extract_broken``); what was written stays written.
    """

    def __init__(
        self,
        stats: StatsCollector,
        min_words: int,
        workers: int = 0,
        timeout: float = 0.0,
        function: str = settings.NEWSBOT_EXTRACT_FUNCTION,
    ) -> None:
        super().__init__(stats)
        self.min_words = min_words
        self.function_path = function
        self.pool: ProcessPool | None = None
        self.function: Callable[..., Article] | None = None
        self.crawler: Crawler | None = None
        self._closing: asyncio.Future[None] | None = None
        if workers > 1:  # the crawling process never imports the extraction code
            check_function_path(function)
            self.pool = ProcessPool(
                workers,
                function,
                timeout,
                blocked_imports=blocked_imports_for(function),
                finish=EXTRACT_FINISH,
            )
        else:
            self.function = load_function(function)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractPipeline:
        """Return the pipeline configured from the crawler's settings, its pool tied to the
        spider's life (started on ``spider_opened``, stopped on ``spider_closed``)."""
        config = crawler.settings
        workers = config.get("NEWSBOT_EXTRACT_WORKERS")
        try:
            function = config.get("NEWSBOT_EXTRACT_FUNCTION") or settings.NEWSBOT_EXTRACT_FUNCTION
            pipeline = cls(
                crawler.stats,
                config.getint("NEWSBOT_MIN_WORDS"),
                workers=(os.cpu_count() or 1) if workers in (None, "") else int(workers),
                timeout=config.getfloat("NEWSBOT_EXTRACT_TIMEOUT"),
                function=function,
            )
        except (ValueError, ImportError, AttributeError) as exc:
            raise ValueError(f"extraction settings: {exc}") from exc
        pipeline.crawler = crawler
        crawler.signals.connect(pipeline.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    async def spider_opened(self) -> None:
        """Start the extraction workers, so they load while the first pages download."""
        if self.pool is not None:
            self.pool.start()
            if self.pool.started < self.pool.size:
                logger.info(
                    "extracting in %d worker process(es), up to %d when pages wait",
                    self.pool.started,
                    self.pool.size,
                )
            else:
                logger.info("extracting in %d worker processes", self.pool.size)

    def spider_closed(self) -> None:
        """Stop the extraction workers."""
        if self.pool is not None:
            self.pool.close()
            logger.info(
                "extraction pool closed: %d pages, %d crashes, %d timeouts, at most %d pages waiting",
                self.pool.tasks,
                self.pool.crashes,
                self.pool.timeouts,
                self.pool.max_waiting,
            )

    async def process_item(self, item: Any) -> Any:
        """Return the extracted ``Article`` for a ``PageItem``; other items pass through.

        Raises ``DropItem`` when the page is lost to a worker crash or the time limit.
        """
        if not isinstance(item, PageItem):
            return item
        self.stats.inc_value("newsbot/pages")
        self.stats.inc_value(f"newsbot/site/{item.site or site_of(item.url)}/pages")
        url = item.final_url or item.url
        if self.function is not None:
            article = self.function(item.html, url, min_words=self.min_words)
        else:
            assert self.pool is not None
            try:
                html = Utf8Text(item.utf8) if item.utf8 else item.html  # the worker gets item.html either way
                article = await self.pool.run(html, url, min_words=self.min_words)
            except WorkerCrashed as exc:
                raise self.lost("extract_crash", item.url, str(exc), item.site) from None
            except WorkerTimeout as exc:
                raise self.lost("extract_timeout", item.url, str(exc), item.site) from None
            except PoolBroken as exc:
                raise self.broken(item.url, str(exc), item.site) from None
        article.source_url = item.url
        article.fetched_at = item.fetched_at
        article.site = item.site or site_of(item.url)
        own = canonical_request_url(item.final_url or item.url)
        if article.url and not article.drop_reason and not same_page(article.url, own):
            # a canonical naming another page (a shared "/index.html", or a different
            # story) is not this page's identity: the record keeps its own URL, so it
            # neither merges with nor marks as emitted the page it names
            logger.info("canonical %s names another page than %s; record kept under its own URL", article.url, own)
            self.stats.inc_value("newsbot/canonical_ignored")
            article.url = own
            article.id = article_id(own)
        article.warc = item.warc
        return article

    def lost(self, kind: str, url: str, reason: str, site: str = "") -> DropItem:
        """Count and log a page lost to its extraction worker; return the exception to raise."""
        self.stats.inc_value(f"newsbot/errors/{kind}")
        self.stats.inc_value(f"newsbot/site/{site or site_of(url)}/errors/{kind}")
        logger.error("extraction failed: %s: %s; page lost", url, reason)
        # the error line above is the page's one line; the log formatter's "dropped" line
        # is at DEBUG
        return DropItem(f"{kind}: {url}", log_level="DEBUG")

    def broken(self, url: str, reason: str, site: str = "") -> DropItem:
        """Count a page that no extraction worker can take; the first one logs why and
        closes the crawl. Return the exception to raise."""
        self.stats.inc_value("newsbot/errors/extract_broken")
        self.stats.inc_value(f"newsbot/site/{site or site_of(url)}/errors/extract_broken")
        engine = getattr(self.crawler, "engine", None)
        if self._closing is None and engine is not None:
            logger.error("extraction cannot run: %s; closing the crawl", reason)
            self._closing = asyncio.ensure_future(engine.close_spider_async(reason="extract_broken"))
        return DropItem(f"extract_broken: {url}", log_level="DEBUG")


class ValidatePipeline(_StatsPipeline):
    """Drops pages that are not articles (with their reason), articles older than
    ``NEWSBOT_MAX_AGE_DAYS`` (or a site's own ``max_age_days``), and records that do not
    match the shipped JSON Schema."""

    def __init__(
        self, stats: StatsCollector, crawler: Crawler | None = None, max_age_days: int = 0, articles_only: bool = True
    ) -> None:
        super().__init__(stats)
        self.crawler = crawler
        self.max_age_days = max_age_days
        self.articles_only = articles_only

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidatePipeline:
        """Return the pipeline bound to the crawler's stats and age limit."""
        return cls(
            crawler.stats,
            crawler,
            crawler.settings.getint("NEWSBOT_MAX_AGE_DAYS"),
            crawler.settings.getbool("NEWSBOT_ARTICLES_ONLY", True),
        )

    def age_limit(self, site: str) -> int:
        """Return the age limit in days for a site crawled (0: none)."""
        spider = getattr(self.crawler, "spider", None)
        options_of = getattr(spider, "options", None)
        options = options_of(site) if callable(options_of) else {}
        return options.get("max_age_days") or self.max_age_days

    def too_old(self, item: Article) -> bool:
        """Return True when the article was published longer ago than its site's limit."""
        limit = self.age_limit(item.site or site_of(item.url))
        if not limit or not item.published:
            return False
        published = datetime.fromisoformat(item.published)
        if published.tzinfo is None:
            published = published.replace(tzinfo=UTC)
        return datetime.now(UTC) - published > timedelta(days=limit)

    async def process_item(self, item: Any) -> Any:
        """Return ``item`` when it is a valid article record; raise ``DropItem`` otherwise."""
        if not isinstance(item, Article):
            return item
        site = item.site or site_of(item.url)
        if item.drop_reason and (self.articles_only or item.drop_reason in NO_RECORD_REASONS):
            raise self.drop(item.drop_reason, item.source_url or item.url, site=site)
        if self.too_old(item):
            self.stats.inc_value(f"newsbot/site/{site}/found")
            raise self.drop("too_old", item.source_url, f"published {item.published}", site)
        errors = record_errors(item.record())
        if errors:
            logger.error("invalid record for %s: %s", item.source_url, "; ".join(errors))
            raise self.drop("invalid_record", item.source_url, errors[0], site)
        return item


class DedupPipeline(_StatsPipeline):
    """Emits each story once: within the run (same canonical URL, or a body whose
    fingerprint is within a few bits of one already written) and, with a state store
    (``NEWSBOT_STATE``), across runs. With ``NEWSBOT_UPDATES`` an article seen before is
    emitted again, flagged ``updated``, when its text changed."""

    def __init__(self, stats: StatsCollector, store: EmittedStore | None = None, updates: bool = False) -> None:
        super().__init__(stats)
        self.store = store
        self.updates = updates
        self.seen_ids: set[str] = set()
        self.fingerprints = FingerprintIndex()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupPipeline:
        """Return the pipeline bound to the crawler's stats and state store."""
        return cls(crawler.stats, state_of(crawler), crawler.settings.getbool("NEWSBOT_UPDATES"))

    async def process_item(self, item: Any) -> Any:
        """Return ``item`` the first time its story is seen; drop repeats."""
        if not isinstance(item, Article):
            return item
        site = item.site or site_of(item.url)
        self.stats.inc_value(f"newsbot/site/{site}/found")
        key = url_key(item.url)
        fingerprint = item.fingerprint or body_fingerprint(item.body)  # the extraction worker's, when pooled
        twin = self.fingerprints.find(fingerprint)
        if twin is not None:
            raise self.drop("duplicate", item.source_url, f"same text as {twin}", site)
        if item.id in self.seen_ids:
            # same URL, different text: two pages claiming one identity never merge; this
            # one is written under the URL it was fetched from
            own = canonical_request_url(item.source_url or item.url)
            if article_id(own) in self.seen_ids or url_key(own) == key:
                raise self.drop("duplicate", item.source_url, f"same canonical URL as {item.url}", site)
            logger.info("%s has the URL of another record with different text; written as %s", item.url, own)
            item.url, item.id = own, article_id(own)
            key = url_key(own)
        aliases = sorted({url_key(u) for u in (item.source_url, item.url) if u} - {key})
        if self.store is not None:
            earlier = (
                self.store.lookup_key(key)
                or next((s for a in aliases if (s := self.store.lookup_key(a))), None)
                or self.store.lookup_fingerprint(fingerprint)
            )
            if earlier is not None:
                changed = bin(earlier.fingerprint ^ fingerprint).count("1") > NEAR_DUPLICATE_BITS
                if not (self.updates and changed and earlier.key == key):
                    self.stats.inc_value("newsbot/skipped/seen")
                    self.stats.inc_value(f"newsbot/site/{site}/skipped/seen")
                    raise Dropped("seen", f"seen: {item.source_url} (emitted {earlier.first_emitted} as {earlier.url})")
                item.updated = True
            if not self.store.claim(key, aliases, fingerprint, update=item.updated):
                # another process of a shared crawl is emitting this story (or just did)
                self.stats.inc_value("newsbot/skipped/seen")
                self.stats.inc_value(f"newsbot/site/{site}/skipped/seen")
                raise Dropped("seen", f"seen: {item.source_url} (claimed by another worker)")
            if item.updated:
                self.stats.inc_value("newsbot/updated")
            self.store.stage(key, item.url, fingerprint, aliases)
        self.seen_ids.add(item.id)
        self.fingerprints.add(fingerprint, item.url)
        self.stats.inc_value("newsbot/articles")
        self.stats.inc_value(f"newsbot/site/{site}/articles")
        return item
