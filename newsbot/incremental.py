"""Scrapy components of incremental, unattended crawls.

* :class:`IncrementalState` (extension): opens the emitted-articles store named by
  ``NEWSBOT_STATE`` (and takes the run lock unless the ``newsbot`` command already holds
  it: ``NEWSBOT_LOCK_HELD``), and commits what this run emitted only once every feed file
  has been stored (``feed_exporter_closed``); with no feed, when the spider closes.
* :class:`SeenRequestFilter` (spider middleware): drops requests for pages already emitted
  before they are fetched (``newsbot/skipped/seen``), unless ``NEWSBOT_UPDATES`` is on.
* :class:`ConditionalRequests` (downloader middleware): sends ``If-None-Match`` /
  ``If-Modified-Since`` for feeds and leaf sitemaps, so an unchanged site costs little.
* :class:`RunSummary` (extension): counts pages discovered per site, shows a progress line
  on a terminal, and writes the per-site summary beside the output as ``<output>.stats.json``.

Settings read: ``NEWSBOT_STATE``, ``NEWSBOT_LOCK_HELD``, ``NEWSBOT_UPDATES``,
``NEWSBOT_PROGRESS``, ``NEWSBOT_STATS_FILE``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import Request, signals
from scrapy.exceptions import IgnoreRequest, NotConfigured

from newsbot.state import LockedError, RunLock, StateStore, url_key
from newsbot.urls import host_of

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from scrapy.crawler import Crawler
    from scrapy.http import Response

    from newsbot.redis_state import RedisStateStore

logger = logging.getLogger(__name__)

_STATE_ATTR = "_newsbot_state"


def state_of(crawler: Crawler) -> StateStore | RedisStateStore | None:
    """Return the crawl's emitted-articles store (opened once per crawler): the Redis one
    when ``NEWSBOT_REDIS_URL`` is set, else the SQLite one of ``NEWSBOT_STATE``, else None."""
    if not hasattr(crawler, _STATE_ATTR):
        path = crawler.settings.get("NEWSBOT_STATE")
        if crawler.settings.get("NEWSBOT_REDIS_URL"):
            from newsbot.redis_state import RedisStateStore  # imports redis: only when asked for

            setattr(crawler, _STATE_ATTR, RedisStateStore.for_crawler(crawler))
        else:
            setattr(crawler, _STATE_ATTR, StateStore(path) if path else None)
    return getattr(crawler, _STATE_ATTR)


class NotModified(IgnoreRequest):
    """A feed or sitemap answered 304: nothing new there since the last complete run."""


class IncrementalState:
    """Holds the run lock and commits staged emissions after the output is in place."""

    def __init__(self, crawler: Crawler, store: StateStore) -> None:
        self.crawler = crawler
        self.store = store
        self.lock: RunLock | None = None
        self.has_feeds = bool(crawler.settings.getdict("FEEDS"))
        self.spider_done = self.feeds_done = False
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.feed_exporter_closed, signal=signals.feed_exporter_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IncrementalState:
        """Return the extension, or raise ``NotConfigured`` when no state store is set."""
        store = state_of(crawler)
        if store is None:
            raise NotConfigured  # no state store: a plain, non-incremental crawl
        return cls(crawler, store)

    def spider_opened(self, spider: Any) -> None:
        """Take the run lock (unless the command holds it; close the spider if another run
        holds it), then settle what a run that died during its final rename left."""
        # shared-crawl workers (Redis) run side by side: no lock
        if not self.crawler.settings.getbool("NEWSBOT_LOCK_HELD") and getattr(self.store, "locking", True):
            try:
                self.lock = RunLock(self.store.path).acquire()
            except LockedError as exc:
                logger.error("locked: %s", exc)
                self.crawler.stats.set_value("newsbot/locked", 1)
                # close once the engine has finished opening the spider
                asyncio.get_event_loop().call_soon(
                    lambda: asyncio.ensure_future(self.crawler.engine.close_spider_async(reason="locked")))
                return
        recovered = self.store.recover() if hasattr(self.store, "recover") else 0
        if recovered:
            logger.info("state: recorded %d emissions of an output file a killed run had put in place", recovered)

    def _commit(self) -> None:
        failed = sum(v for k, v in self.crawler.stats.get_stats().items() if k.startswith("feedexport/failed_count/"))
        if failed:
            logger.error("output was not stored; nothing is recorded as emitted (next run emits it again)")
            return
        if self.crawler.stats.get_value("newsbot/locked"):
            return
        for host, site in per_site(self.crawler.stats.get_stats()).items():
            before = self.store.last_found(host)
            if not site["found"] and before:
                logger.error("site %s gave %d articles in its last run and none now", host, before)
                self.crawler.stats.set_value(f"newsbot/site/{host}/stopped", 1)
            self.store.stage_site(host, int(site["found"]))
        stored = self.store.commit()
        self.crawler.stats.set_value("newsbot/state/committed", stored)
        logger.info("state: %d new articles recorded in %s", stored, self.store.path)

    def feed_exporter_closed(self) -> None:
        """Every feed file is complete and in place: record this run's emissions."""
        self._commit()
        self.feeds_done = True
        self._finish()

    def spider_closed(self, spider: Any, reason: str) -> None:
        """Without a feed, record emissions at the end; then release the lock.

        The feed exporter closes its files in its own ``spider_closed`` handler, which may
        run before or after this one: the store closes after both."""
        if not self.has_feeds:
            self._commit()
        self.spider_done = True
        self._finish()

    def _finish(self) -> None:
        if self.spider_done and (self.feeds_done or not self.has_feeds):
            self.store.close()
            if self.lock:
                self.lock.release()


class SeenRequestFilter:
    """Spider middleware: drops requests for pages emitted by an earlier run."""

    def __init__(self, crawler: Crawler, store: StateStore) -> None:
        self.stats = crawler.stats
        self.store = store
        self.counted: set[str] = set()  # keys already counted as skipped in this run

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SeenRequestFilter:
        """Return the middleware, or raise ``NotConfigured`` without a store or with
        ``NEWSBOT_UPDATES`` (updates need every page fetched again)."""
        store = state_of(crawler)
        if store is None or crawler.settings.getbool("NEWSBOT_UPDATES"):
            raise NotConfigured
        return cls(crawler, store)

    def _keep(self, request: Request) -> bool:
        key = url_key(request.url)
        if self.store.lookup_key(key) is None:
            return True
        if key in self.counted:
            return False
        self.counted.add(key)
        host = host_of(request.url)
        self.stats.inc_value("newsbot/skipped/seen")
        self.stats.inc_value(f"newsbot/site/{host}/skipped/seen")
        self.stats.inc_value(f"newsbot/site/{host}/found")
        return False

    async def process_spider_output(self, response: Response, result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        """Yield the callback's output without requests for already-emitted pages."""
        async for entry in result:
            if isinstance(entry, Request) and not self._keep(entry):
                continue
            yield entry

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        """Yield the start requests without already-emitted pages."""
        async for entry in start:
            if isinstance(entry, Request) and not self._keep(entry):
                continue
            yield entry


_CONDITIONAL_CALLBACKS = ("parse_feed", "parse_sitemap")


class ConditionalRequests:
    """Downloader middleware: revalidates feeds and leaf sitemaps with ETag/Last-Modified."""

    def __init__(self, crawler: Crawler, store: StateStore) -> None:
        self.stats = crawler.stats
        self.store = store

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalRequests:
        """Return the middleware, or raise ``NotConfigured`` without a store."""
        store = state_of(crawler)
        if store is None:
            raise NotConfigured
        return cls(crawler, store)

    @staticmethod
    def _applies(request: Request) -> bool:
        callback = getattr(request.callback, "__name__", "")
        return callback in _CONDITIONAL_CALLBACKS

    def process_request(self, request: Request) -> None:
        """Add the stored validators of a feed or sitemap to its request."""
        if not self._applies(request):
            return None
        etag, last_modified = self.store.validators(request.url)
        if etag:
            request.headers.setdefault(b"If-None-Match", etag.encode("latin-1"))
        if last_modified:
            request.headers.setdefault(b"If-Modified-Since", last_modified.encode("latin-1"))
        return None

    def process_response(self, request: Request, response: Response) -> Response:
        """Stage the validators of a fresh feed or leaf sitemap; turn a 304 into
        :class:`NotModified`."""
        if not self._applies(request):
            return response
        if response.status == 304:
            host = host_of(request.url)
            self.stats.inc_value("newsbot/unchanged")
            self.stats.inc_value(f"newsbot/site/{host}/unchanged")
            raise NotModified(f"not modified since the last run: {request.url}")
        if response.status == 200 and b"<sitemapindex" not in response.body[:4096]:
            etag = response.headers.get(b"ETag")
            last_modified = response.headers.get(b"Last-Modified")
            self.store.stage_validators(
                request.url,
                etag.decode("latin-1") if etag else None,
                last_modified.decode("latin-1") if last_modified else None,
            )
        return response


class RunSummary:
    """Counts discovered pages per site, draws a progress line on a terminal, and writes
    the run's per-site summary as JSON beside the output file."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.progress = crawler.settings.getbool("NEWSBOT_PROGRESS", True) and sys.stderr.isatty()
        self.stats_file = crawler.settings.get("NEWSBOT_STATS_FILE") or ""
        self.outputs: list[str] = []
        self._last_draw = 0.0
        self.has_feeds = bool(crawler.settings.getdict("FEEDS"))
        self.reason: str | None = None
        self.feeds_done = False
        crawler.signals.connect(self.request_scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(self.request_dropped, signal=signals.request_dropped)
        crawler.signals.connect(self.feed_slot_closed, signal=signals.feed_slot_closed)
        crawler.signals.connect(self.feed_exporter_closed, signal=signals.feed_exporter_closed)
        crawler.signals.connect(self.response_received, signal=signals.response_received)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunSummary:
        """Return the extension bound to the crawler."""
        return cls(crawler)

    def request_scheduled(self, request: Request, spider: Any) -> None:
        """Count a page request (not robots.txt, feeds or sitemaps) as discovered."""
        if getattr(request.callback, "__name__", "") in ("parse", "parse_page"):
            self.stats.inc_value(f"newsbot/site/{host_of(request.url)}/discovered")

    def request_dropped(self, request: Request, spider: Any) -> None:
        """A scheduled request was a duplicate (or otherwise refused): not a new page."""
        if getattr(request.callback, "__name__", "") in ("parse", "parse_page"):
            self.stats.inc_value(f"newsbot/site/{host_of(request.url)}/discovered", -1)

    def response_received(self, response: Response, request: Request, spider: Any) -> None:
        """Count the fetch and redraw the progress line (at most once a second)."""
        self.stats.inc_value(f"newsbot/site/{host_of(request.url)}/fetched")
        if self.progress and time.monotonic() - self._last_draw > 1.0:
            self._last_draw = time.monotonic()
            errors = sum(v for k, v in self.stats.get_stats().items()
                         if k.startswith("newsbot/errors/") and isinstance(v, int))
            sys.stderr.write(f"\rnewsbot: {self.stats.get_value('newsbot/pages', 0)} pages, "
                             f"{self.stats.get_value('newsbot/articles', 0)} articles, {errors} errors   ")
            sys.stderr.flush()

    def feed_slot_closed(self, slot: Any) -> None:
        """Remember where an output file was stored."""
        uri = str(slot.uri)
        self.outputs.append(uri[len("file://"):] if uri.startswith("file://") else uri)

    def feed_exporter_closed(self) -> None:
        """Every output file is stored: the summary can be written."""
        self.feeds_done = True
        self._write()

    def spider_closed(self, spider: Any, reason: str) -> None:
        """End the progress line; write the summary once the outputs are stored."""
        if self.progress:
            sys.stderr.write("\n")
        self.reason = reason
        self._write()

    def _write(self) -> None:
        """Write the summary JSON beside the first output file (or at ``NEWSBOT_STATS_FILE``)."""
        if self.reason is None or (self.has_feeds and not self.feeds_done):
            return
        reason = self.reason
        target = self.stats_file or (self.outputs[0] + ".stats.json" if self.outputs and not
                                     self.outputs[0].startswith("stdout:") else "")
        if not target:
            return
        summary = {"finish_reason": reason, "outputs": self.outputs,
                   "totals": totals(self.stats.get_stats()), "sites": per_site(self.stats.get_stats())}
        path = Path(target)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(tmp, path)


def totals(stats: dict[str, Any]) -> dict[str, Any]:
    """Return the run-wide newsbot counts of a stats dict (pages, articles, drops, errors)."""
    out: dict[str, Any] = {}
    for key, value in stats.items():
        if key.startswith("newsbot/") and not key.startswith("newsbot/site/"):
            out[key[len("newsbot/"):]] = value
    return out


def per_site(stats: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Return, per site host: discovered, fetched, pages, written, skipped as seen, found,
    unchanged, dropped by reason and errors by kind."""
    sites: dict[str, dict[str, Any]] = {}
    for key, value in stats.items():
        if not key.startswith("newsbot/site/"):
            continue
        _, _, host, *rest = key.split("/")
        site = sites.setdefault(host, {"discovered": 0, "fetched": 0, "pages": 0, "written": 0, "skipped_seen": 0,
                                       "found": 0, "unchanged": 0, "dropped": {}, "errors": {}})
        name = "/".join(rest)
        if name == "articles":
            site["written"] = value
        elif name == "skipped/seen":
            site["skipped_seen"] = value
        elif rest[0] in ("dropped", "errors") and len(rest) == 2:
            site[rest[0]][rest[1]] = value
        elif name in site:
            site[name] = value
    return sites
