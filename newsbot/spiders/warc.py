"""``warc`` spider: the pages of web archives (WARC/ARC files) as page items, for the same
pipelines as a crawl (extraction pool, validation, dedup, state store, atomic output).

Arguments (the ``newsbot warc`` command passes them): ``sources`` (archive names: paths,
URLs or ``-``; paths files are expanded by the command), ``sites`` (hosts, subdomains
included), ``since`` / ``until`` (ISO dates on WARC-Date), ``add`` (with Redis: queue the
sources as shared work items).

Records are read in a thread (:func:`newsbot.warc.records.read_archive`), one at a time, and
each HTML page becomes a ``PageItem`` with ``source_url`` = WARC-Target-URI, ``fetched_at``
= WARC-Date and ``warc`` = file, offset, record id; at most a few pages per extraction
worker are in the pipelines at once, so memory stays flat however big the archive. When
the output is in place, each archive's checkpoint is recorded (:mod:`newsbot.warc.progress`):
the offset of its first record not handled yet, or that it was read to the end.

Stats written: ``newsbot/warc/archives``, ``newsbot/warc/records``,
``newsbot/warc/skipped/<kind>`` (request, revisit, metadata, not_200, not_html,
too_large, site, date), ``newsbot/errors/warc_record`` (bad records),
``newsbot/errors/warc_source`` (archives that could not be read),
``newsbot/warc/checkpoints`` (archives whose checkpoint was recorded).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.http import Headers, HtmlResponse

from newsbot.engine import recheck_closing
from newsbot.items import PageItem
from newsbot.spiders.base import NewsSpider, decode_page
from newsbot.urls import site_of
from newsbot.warc.filters import RecordFilter, normalise_site, parse_bound
from newsbot.warc.progress import LocalWork, WorkList
from newsbot.warc.sources import Source, SourceError

if TYPE_CHECKING:
    from newsbot.warc.records import Event, Page

logger = logging.getLogger(__name__)

_DROPPED_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}  # the body is decoded


@dataclass
class _Archive:
    """Where one archive is: records handed to the pipelines and not finished (by offset),
    and the end of the last record read."""

    name: str
    read_to: int
    pending: set[int] = field(default_factory=set)
    finished: bool = False

    def checkpoint(self) -> tuple[int, bool]:
        """Return ``(offset to resume at, read to the end and every page handled)``."""
        if self.pending:
            return min(self.pending), False
        return self.read_to, self.finished


class WarcSpider(NewsSpider):
    """Reads web archives; never fetches anything."""

    name = "warc"
    robots_is_error = False
    # shared runs claim archives (newsbot.warc.workqueue), not requests: no Redis frontier
    custom_settings = {"ADDONS": {}}  # noqa: RUF012  # Scrapy's own attribute, read once

    def __init__(
        self,
        sources: list[str] | str | None = None,
        sites: list[str] | str | None = None,
        since: str | None = None,
        until: str | None = None,
        add: bool = True,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.sources = sources.split("\n") if isinstance(sources, str) else list(sources or [])
        hosts = sites.split(",") if isinstance(sites, str) else list(sites or [])
        self.filter = RecordFilter(
            sites=tuple(normalise_site(h) for h in hosts if h.strip()),
            since=parse_bound(since) if since else None,
            until=parse_bound(until, end_of_day=True) if until else None,
        )
        self.add = add
        self.archives: dict[str, _Archive] = {}
        self.inflight = 0
        self._room = asyncio.Event()
        self.work: WorkList | None = None
        self._current: Source | None = None
        self._last_draw = 0.0
        self.max_inflight = 4  # pages in the pipelines at once (set from the extraction workers)
        self.max_size = 1 << 30
        self.progress = False

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> WarcSpider:
        """Return the spider with its work list (local, or shared on Redis) and its signals."""
        spider: WarcSpider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        workers = settings.get("NEWSBOT_EXTRACT_WORKERS")
        workers = (os.cpu_count() or 1) if workers in (None, "") else int(workers)
        spider.max_inflight = max(4, 4 * workers)
        spider.max_size = settings.getint("DOWNLOAD_MAXSIZE") or (1 << 30)
        spider.progress = settings.getbool("NEWSBOT_PROGRESS") and sys.stderr.isatty()
        redis_url = settings.get("NEWSBOT_REDIS_URL")
        if redis_url:
            from newsbot.state.redis import session_of
            from newsbot.warc.workqueue import RedisWork

            work = RedisWork(redis_url, session_of(crawler).id, settings.getfloat("NEWSBOT_REDIS_LEASE"))
            if spider.add and spider.sources:
                queued = work.add(spider.sources)
                logger.info("redis: %d of %d archives queued as shared work", queued, len(spider.sources))
            spider.work = work
        else:
            spider.work = LocalWork(spider.sources, settings.get("NEWSBOT_STATE") or None)
        crawler.signals.connect(spider.item_done, signal=signals.item_scraped)
        crawler.signals.connect(spider.item_done, signal=signals.item_dropped)
        crawler.signals.connect(spider.item_done_error, signal=signals.item_error)
        crawler.signals.connect(spider.watch_closing, signal=signals.spider_opened)
        if settings.getdict("FEEDS"):
            crawler.signals.connect(spider.output_delivered, signal=signals.feed_exporter_closed)
        else:
            crawler.signals.connect(spider.output_delivered, signal=signals.spider_closed)
        return spider

    # -- reading

    async def start(self) -> AsyncIterator[Any]:
        """Yield a ``PageItem`` per HTML page of each archive, in file order."""
        assert self.work is not None
        claims = self.work.claim()
        while True:
            claim = await asyncio.to_thread(next, claims, None)
            if claim is None:
                break
            name, offset = claim
            if offset:
                logger.info("resuming %s at offset %d (where the last delivered run left it)", name, offset)
            self.crawler.stats.inc_value("newsbot/warc/archives")
            archive = self.archives[name] = _Archive(name, offset)
            async for item in self._read(archive, Source(name), offset):
                yield item
        for name in getattr(self.work, "skipped_done", []):
            logger.info("already read to the end by an earlier run: %s", name)

    async def _read(self, archive: _Archive, source: Source, offset: int) -> AsyncIterator[PageItem]:
        from newsbot.warc.records import read_archive  # here: every command's spider loader imports this module

        events = read_archive(source, offset, self.filter, self.max_size)
        self._current = source
        while True:
            try:
                event = await asyncio.to_thread(next, events, None)
            except (SourceError, OSError) as exc:
                self.crawler.stats.inc_value("newsbot/errors/warc_source")
                logger.error("cannot read WARC %s", exc if isinstance(exc, SourceError) else f"{source.name}: {exc}")
                return
            if event is None:
                archive.finished = True
                return
            self.crawler.stats.inc_value("newsbot/warc/records")
            self._draw(archive)
            item = self._item(event)
            if item is None:
                if not archive.pending:
                    archive.read_to = event.end
                continue
            while self.inflight >= self.max_inflight:
                self._room.clear()
                await self._room.wait()
            archive.pending.add(event.offset)
            archive.read_to = event.end
            self.inflight += 1
            yield item

    def _item(self, event: Event) -> PageItem | None:
        """Return the page item of a page event; count and report the other events."""
        from newsbot.warc.records import BadRecord, Page, Skipped

        stats = self.crawler.stats
        if isinstance(event, Skipped):
            stats.inc_value(f"newsbot/warc/skipped/{event.kind}")
            return None
        if isinstance(event, BadRecord):
            stats.inc_value("newsbot/errors/warc_record")
            logger.error("%s", event.line())
            return None
        assert isinstance(event, Page)
        item = next(self._page_item(event), None)
        if item is not None:
            stats.inc_value(f"newsbot/site/{site_of(event.url)}/fetched")
        return item

    def _page_item(self, page: Page) -> Iterator[PageItem]:
        from newsbot.warc.records import BadRecord

        headers = Headers()
        for name, value in page.headers:
            if name.lower() not in _DROPPED_HEADERS:
                headers.appendlist(name, value)
        try:
            response = HtmlResponse(url=page.url, status=page.status, headers=headers, body=page.body)
        except (ValueError, TypeError) as exc:
            self.crawler.stats.inc_value("newsbot/errors/warc_record")
            logger.error("%s", BadRecord(f"unusable target URI {page.url!r}: {exc}", page.file, page.offset, 0).line())
            return
        html, is_utf8 = decode_page(response)
        yield PageItem(
            url=page.url,
            final_url=page.url,
            status=page.status,
            headers={k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in headers.items()},
            html=html,
            utf8=page.body if is_utf8 else b"",
            fetched_at=page.fetched_at,
            warc={"file": page.file, "offset": page.offset, "record_id": page.record_id},
        )

    def _draw(self, archive: _Archive) -> None:
        """Redraw the progress line (a terminal only, at most once a second)."""
        if not self.progress or time.monotonic() - self._last_draw < 1.0:
            return
        self._last_draw = time.monotonic()
        source = self._current
        done = source.position if source is not None else 0
        total = source.total if source is not None else None
        share = f" of {total / 1e6:.1f} MB ({100 * done / total:.0f}%)" if total else " MB"
        stats = self.crawler.stats
        sys.stderr.write(
            f"\rnewsbot: {archive.name.rsplit('/', 1)[-1]}: {done / 1e6:.1f}{share} read, "
            f"{stats.get_value('newsbot/warc/records', 0)} records, {stats.get_value('newsbot/pages', 0)} pages, "
            f"{stats.get_value('newsbot/articles', 0)} articles   "
        )
        sys.stderr.flush()

    def watch_closing(self) -> None:
        """Twice a second, let a closing engine see that the pages this spider yielded have
        all left the pipelines (:func:`newsbot.engine.recheck_closing`)."""
        engine = self.crawler.engine
        if engine is None or engine.spider is None:
            return
        recheck_closing(engine)
        asyncio.get_event_loop().call_later(0.5, self.watch_closing)

    # -- checkpoints

    def item_done(self, item: Any, **kwargs: Any) -> None:
        """A page left the pipelines (written or dropped): its record is handled."""
        where = getattr(item, "warc", None)
        if not where:
            return
        archive = self.archives.get(where["file"])
        if archive is not None:
            archive.pending.discard(where["offset"])
        self.inflight -= 1
        self._room.set()

    def item_done_error(self, item: Any, **kwargs: Any) -> None:
        """A pipeline raised on a page: it is handled (and lost) all the same."""
        self.item_done(item)

    def output_delivered(self, **kwargs: Any) -> None:
        """The output is in place (or the run had none): record each archive's checkpoint,
        unless the output failed."""
        if self.work is None:
            return
        stats = self.crawler.stats.get_stats()
        failed = stats.get("newsbot/output/failed") or any(
            k.startswith("feedexport/failed_count/") and v for k, v in stats.items()
        )
        try:
            if failed:
                self.work.abandon()
                return
            for archive in self.archives.values():
                offset, done = archive.checkpoint()
                self.work.stage(archive.name, offset, done)
            recorded = self.work.commit()
            self.crawler.stats.set_value("newsbot/warc/checkpoints", recorded)
        except Exception as exc:  # noqa: BLE001  # sqlite3 or redis: the output is delivered all the same
            logger.error("WARC checkpoints not recorded (%s); the next run reads those archives again", exc)
        finally:
            self.work.close()
            self.work = None
