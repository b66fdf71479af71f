"""Scrapy extensions of unattended crawls.

* :class:`IncrementalState`: opens the emitted-articles store named by ``NEWSBOT_STATE``
  (and takes the run lock unless the ``newsbot`` command already holds it:
  ``NEWSBOT_LOCK_HELD``), and commits what this run emitted only once every feed file has
  been stored (``feed_exporter_closed``); with no feed, when the spider closes.
* :class:`RunSummary`: counts pages discovered per site, shows a progress line on a
  terminal, and writes the per-site summary beside the output as ``<output>.stats.json``.

Settings read: ``NEWSBOT_STATE``, ``NEWSBOT_LOCK_HELD``, ``NEWSBOT_PROGRESS``,
``NEWSBOT_STATS_FILE``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sqlite3
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import Request, signals
from scrapy.exceptions import NotConfigured

from newsbot.outputs import is_stream
from newsbot.state import EmittedStore, state_of
from newsbot.statskeys import per_site, totals
from newsbot.urls import site_of

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response

    from newsbot.state.sqlite import RunLock

logger = logging.getLogger(__name__)


class IncrementalState:
    """Holds the run lock and commits staged emissions after the output is in place."""

    def __init__(self, crawler: Crawler, store: EmittedStore) -> None:
        self.crawler = crawler
        self.store = store
        self.lock: RunLock | None = None
        self.has_feeds = bool(crawler.settings.getdict("FEEDS"))
        self.spider_done = self.feeds_done = False
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.feed_exporter_closed, signal=signals.feed_exporter_closed)
        # the crawl ran out of work (idle with nothing scheduled since): it was not cut short
        self.ran_out = False
        crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(self.request_scheduled, signal=signals.request_scheduled)

    def spider_idle(self, spider: Any) -> None:
        """Nothing left to do (unless a handler schedules more)."""
        self.ran_out = True

    def request_scheduled(self, request: Any, spider: Any) -> None:
        """More work: the crawl has not run out yet."""
        self.ran_out = False

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
        if not self.crawler.settings.getbool("NEWSBOT_LOCK_HELD") and self.store.locking:
            from newsbot.state.sqlite import LockedError, RunLock

            try:
                self.lock = RunLock(self.store.path).acquire()
            except LockedError as exc:
                logger.error("locked: %s", exc)
                self.crawler.stats.set_value("newsbot/locked", 1)
                # close once the engine has finished opening the spider
                asyncio.get_event_loop().call_soon(
                    lambda: asyncio.ensure_future(self.crawler.engine.close_spider_async(reason="locked"))
                )
                return
        recovered = self.store.recover()
        if recovered:
            logger.info("state: recorded %d emissions of an output file a killed run had put in place", recovered)

    def _commit(self) -> None:
        try:
            self._commit_now()
        except (sqlite3.Error, OSError) as exc:
            logger.error(
                "state store %s: commit failed: %s; the output is in place, the next run settles the store",
                self.store.path,
                exc,
            )
            self.crawler.stats.set_value("newsbot/state/failed", 1)

    def _commit_now(self) -> None:
        stats = self.crawler.stats.get_stats()
        failed = stats.get("newsbot/output/failed") or sum(
            v for k, v in stats.items() if k.startswith("feedexport/failed_count/")
        )
        if failed:
            logger.error("output was not stored; nothing is recorded as emitted (next run emits it again)")
            return
        if self.crawler.stats.get_value("newsbot/locked"):
            return
        if not self.ran_out:  # stopped (a signal, a limit): what it did not follow stays to do
            forget = getattr(self.store, "forget_validators", None)
            if forget is not None:
                forget()
        for host, site in per_site(self.crawler.stats.get_stats()).items() if self.ran_out else ():
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


class RunSummary:
    """Counts discovered pages per site, draws a progress line on a terminal, and writes
    the run's per-site summary as JSON beside the output file."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.progress = crawler.settings.getbool("NEWSBOT_PROGRESS") and sys.stderr.isatty()
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
            self.stats.inc_value(f"newsbot/site/{request.meta.get('newsbot_site') or site_of(request.url)}/discovered")

    def request_dropped(self, request: Request, spider: Any) -> None:
        """A scheduled request was a duplicate (or otherwise refused): not a new page."""
        if getattr(request.callback, "__name__", "") in ("parse", "parse_page"):
            site = request.meta.get("newsbot_site") or site_of(request.url)
            self.stats.inc_value(f"newsbot/site/{site}/discovered", -1)

    def response_received(self, response: Response, request: Request, spider: Any) -> None:
        """Count the fetch and redraw the progress line (at most once a second)."""
        self.stats.inc_value(f"newsbot/site/{request.meta.get('newsbot_site') or site_of(request.url)}/fetched")
        if self.progress and time.monotonic() - self._last_draw > 1.0:
            self._last_draw = time.monotonic()
            errors = sum(
                v for k, v in self.stats.get_stats().items() if k.startswith("newsbot/errors/") and isinstance(v, int)
            )
            sys.stderr.write(
                f"\rnewsbot: {self.stats.get_value('newsbot/pages', 0)} pages, "
                f"{self.stats.get_value('newsbot/articles', 0)} articles, {errors} errors   "
            )
            sys.stderr.flush()

    def feed_slot_closed(self, slot: Any) -> None:
        """Remember where an output file was stored."""
        uri = str(slot.uri)
        self.outputs.append(uri[len("file://") :] if uri.startswith("file://") else uri)

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
        target = self.stats_file or (
            self.outputs[0] + ".stats.json"
            if self.outputs and not self.outputs[0].startswith("stdout:") and not is_stream(Path(self.outputs[0]))
            else ""
        )
        if not target:
            return
        summary = {
            "finish_reason": reason,
            "outputs": self.outputs,
            "totals": totals(self.stats.get_stats()),
            "sites": per_site(self.stats.get_stats()),
        }
        path = Path(target)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            tmp.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8")
            tmp.replace(path)
        except OSError as exc:
            logger.error("run summary %s: not written: %s", path, exc.strerror or exc)
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
