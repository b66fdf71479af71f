"""The shared frontier of crawls on Redis: many newsbot processes, one queue, each page once.

Turned on by ``NEWSBOT_REDIS_URL`` (``newsbot crawl --redis URL``) through the
:class:`newsbot.addons.RedisCrawl` add-on, which sets scrapy-redis's scheduler and
dupefilter (``SCHEDULER``, ``DUPEFILTER_CLASS``, ``SCHEDULER_PERSIST = True``,
``REDIS_URL``) and enables :class:`newsbot.extensions.RedisWorker`. Without the setting
nothing here is imported.

* :class:`RedisScheduler` is scrapy-redis's ``Scheduler`` (shared priority queue
  ``newsbot:requests``, shared request fingerprints ``newsbot:dupefilter``) with what a
  crash-safe crawl needs: a request is taken from the queue and recorded in the worker's
  in-flight zset in one Lua step (:class:`LeasedPriorityQueue`), and it is forgotten only
  when the worker's output file is committed
  (:meth:`newsbot.state.redis_store.RedisStateStore.commit`). On opening, and whenever it is
  idle, a worker queues again the in-flight requests of workers whose heartbeat expired.
  Seed requests (robots.txt, home pages, feeds, sitemaps of a seeded site) are always
  queued, their fingerprints recorded so that links to them are still duplicates.
* :class:`RedisWorker` (extension) keeps an idle worker open while the shared queue, the
  seed list, dead workers' in-flight requests or busy workers may still bring work, and lets
  it finish once all were quiet for ``NEWSBOT_IDLE_EXIT`` seconds.
* :func:`seed` pushes sites (``newsbot crawl URL... --redis URL --seed-only``); the
  workers' spider (:class:`newsbot.state.spider.RedisSiteSpider`) takes them.

scrapy-redis 0.9.1 works with Scrapy's async ``start()`` and the asyncio reactor: its
scheduler satisfies ``BaseScheduler``, start requests reach it through the engine like any
other, and its Redis calls are short blocking calls on the reactor thread. The subclass
replaces ``enqueue_request``/``next_request`` (Scrapy deprecates the ``spider`` argument
scrapy-redis passes to the stats) and adds the in-flight record and seeds.

Settings read: ``NEWSBOT_REDIS_URL``, ``NEWSBOT_REDIS_LEASE``, ``NEWSBOT_IDLE_EXIT``.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from scrapy import Request, signals
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

from newsbot.engine import wake_engine
from newsbot.state import state_of
from newsbot.state.redis import (
    DUPEFILTER,
    POP_SCRIPT,
    PREFIX,
    QUEUE,
    SEEDS,
    SITES,
    WORKERS,
    connect,
    heartbeat_key,
    session_of,
    text,
)
from newsbot.urls import host_of

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

# How often an idle worker looks at the shared queue and the seed list (seconds).
POLL_SECONDS = 1.0


class KnownRFPDupeFilter(RFPDupeFilter):
    """scrapy-redis's dupefilter that remembers, in this process, the fingerprints it has
    already added or found in Redis: a link repeated on every page (menus) costs one Redis
    round trip per worker, not one per page. Safe because fingerprints leave Redis only when
    a new crawl is seeded with no worker alive."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.known: set[str] = set()

    def request_seen(self, request: Request) -> bool:
        """Return True when the request's fingerprint was seen (by any worker); record it."""
        fingerprint = self.request_fingerprint(request)
        if fingerprint in self.known:
            return True
        self.known.add(fingerprint)
        return self.server.sadd(self.key, fingerprint) == 0


class LeasedPriorityQueue(PriorityQueue):
    """scrapy-redis's priority queue whose ``pop`` moves the request into the worker's
    in-flight zset in the same atomic step."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pop = self.server.register_script(POP_SCRIPT)  # the bytes client: pickled requests

    def pop(self, timeout: int = 0) -> Request | None:
        """Return the next request (now in flight for this worker), or None."""
        session = session_of(self.spider.crawler)
        top = self._pop(args=[PREFIX, session.id])
        return self._decode_request(top[0]) if top else None


class RedisScheduler(Scheduler):
    """scrapy-redis's scheduler with in-flight records, dead-worker re-queueing and seeds."""

    crawler: Crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedisScheduler:
        """Return the scheduler bound to the crawler and its worker session."""
        instance = super().from_crawler(crawler)
        instance.crawler = crawler
        return instance

    def open(self, spider: Any) -> None:
        """Open the shared queue, then queue again what dead workers had taken."""
        super().open(spider)
        session = session_of(self.crawler)
        session.requeue_dead()
        logger.info("redis: shared queue holds %d requests", len(self.queue))

    def enqueue_request(self, request: Request) -> bool:
        """Queue ``request`` unless its fingerprint was seen; seed and start requests always
        (their fingerprints recorded, so that links to them are still duplicates): a site
        seeded again is looked at again, also by ``scrapy crawl site -s NEWSBOT_REDIS_URL=...``."""
        seen = self.df.request_seen(request)
        always = request.meta.get("newsbot_seed") or request.meta.get("is_start_request")
        if seen and not request.dont_filter and not always:
            self.df.log(request, self.spider)
            return False
        self.queue.push(request)
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Request | None:
        """Return the next request of the shared queue (recorded as in flight), or None."""
        request = self.queue.pop()
        if request is None:
            return None
        if self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        session_of(self.crawler).set_state("busy")
        know = getattr(self.spider, "know_host", None)
        if know is not None:
            know(request.url)
        return request


class RedisWorker:
    """Extension: keeps an idle worker of a shared crawl open while work may still come,
    and lets it finish once the shared queue and the seed list stayed empty (and no other
    worker was busy) for ``NEWSBOT_IDLE_EXIT`` seconds."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.idle_exit = crawler.settings.getfloat("NEWSBOT_IDLE_EXIT")
        self._poll: Any = None
        crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedisWorker:
        """Return the extension, or raise ``NotConfigured`` without ``NEWSBOT_REDIS_URL``."""
        if not crawler.settings.get("NEWSBOT_REDIS_URL"):
            raise NotConfigured
        return cls(crawler)

    def _poll_soon(self) -> None:
        """Look at the shared queue again in ``POLL_SECONDS`` rather than at the engine's
        next heartbeat (5 s), so an idle worker joins new work quickly."""
        from twisted.internet import reactor  # the installed one (asyncio): import it late

        if self._poll is None or not self._poll.active():
            self._poll = reactor.callLater(POLL_SECONDS, wake_engine, self.crawler.engine)  # type: ignore[arg-type]  # Twisted types the installed reactor as a module

    def spider_idle(self, spider: Any) -> None:
        """Raise ``DontCloseSpider`` while there is, or may soon be, shared work."""
        session = session_of(self.crawler)
        session.set_state("idle")
        if session.idle_since is None:
            session.idle_since = time.monotonic()
        store = state_of(self.crawler)
        if store is not None:
            store.recover()
        work = session.requeue_dead()
        take = getattr(spider, "seed_requests", None)
        if take is not None:
            requests = take()
            for request in requests:
                self.crawler.engine.crawl(request)
            if requests:
                spider.seeds_queued()
            work += len(requests)
        work += session.client.zcard(QUEUE) + session.client.llen(SEEDS)
        busy = session.others_busy()
        if work or busy:
            session.idle_since = time.monotonic()
            self._poll_soon()
            raise DontCloseSpider
        idle_for = time.monotonic() - session.idle_since
        if idle_for < self.idle_exit:
            self._poll_soon()
            raise DontCloseSpider
        logger.info("redis: shared queue and seed list empty for %.0f s: worker %s finishes", idle_for, session.id)


def seed(url: str, homes: Iterable[str], sites: Iterable[dict[str, Any]] = ()) -> int:
    """Push sites to the shared crawl at ``url``: their options into ``newsbot:sites`` and
    one seed per home page into ``newsbot:seeds``. When no worker is alive and the queue is
    empty (the last crawl is over), the request fingerprints are cleared first, so listing
    pages are fetched again. Return how many home pages were seeded."""
    client = connect(url)
    entries: list[tuple[str, dict[str, Any]]] = [(home, {"urls": [home]}) for home in homes]
    for site in sites:
        entries.extend((home, dict(site)) for home in site["urls"])
    live = [w for w in map(text, client.smembers(WORKERS)) if client.exists(heartbeat_key(w))]
    if not live and not client.zcard(QUEUE) and client.delete(DUPEFILTER):
        logger.info("redis: new crawl: request fingerprints of the last one cleared")
    pipe = client.pipeline()
    for home, options in entries:
        pipe.hset(SITES, host_of(home), json.dumps(options))
    for home, _ in entries:
        pipe.rpush(SEEDS, json.dumps({"home": home}))
    pipe.execute()
    return len(entries)
