"""The site spider of a shared crawl on Redis (``--redis``): its sites come from the Redis
hash ``newsbot:sites`` (all workers read it) and its start requests from the seed list
``newsbot:seeds`` (each entry is taken by one worker).

It lives here, not in :mod:`newsbot.spiders`, because Scrapy's spider loader imports every
module of that package: a plain crawl must not import redis."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any, Self

from scrapy import Request

from newsbot.spiders.base import NewsSpider
from newsbot.spiders.site import SiteSpider
from newsbot.state.redis import SEEDS, SITES, WorkerSession, seeding_key, session_of, text
from newsbot.urls import host_of, site_of

logger = logging.getLogger(__name__)


class RedisSiteSpider(SiteSpider):
    """The site spider of a shared crawl: sites from ``newsbot:sites``, start requests
    from the seeds in ``newsbot:seeds`` (taken by one worker each)."""

    session: WorkerSession

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        for name in ("url", "urls", "sites"):
            kwargs.pop(name, None)
        NewsSpider.__init__(self, *args, **kwargs)
        self.site_options: dict[str, dict[str, Any]] = {}
        self.homes: list[str] = []
        self.hosts: set[str] = set()
        self.sites: set[str] = set()
        self.allowed_domains: list[str] = []
        self.worker = ""

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> Self:
        """Return the spider bound to the crawl's worker session, its sites read from Redis.
        The worker id is the spider attribute ``worker`` (``-o 'out/%(worker)s.jsonl'``)."""
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.session = session_of(crawler)
        spider.worker = spider.session.id
        spider.refresh_sites()
        return spider

    def refresh_sites(self) -> None:
        """Read the sites of the shared crawl (hosts to stay on and their options)."""
        for key, raw in self.session.client.hgetall(SITES).items():
            host = text(key)
            if host not in self.hosts:
                options = json.loads(raw)
                self.hosts.add(host)
                self.site_options[host] = options
                self.homes.extend(options.get("urls", []))
                self.sites.update(site_of(u) for u in options.get("urls", []))
        self.allowed_domains = sorted(self.hosts)

    def know_host(self, url: str) -> None:
        """Read the sites again when ``url`` is on a site this worker has not heard of."""
        if host_of(url) not in self.hosts:
            self.refresh_sites()

    def seed_requests(self) -> list[Request]:
        """Take every seed from the seed list (recorded under this worker until its
        requests are queued: :meth:`seeds_queued`) and return their start requests."""
        client = self.session.client
        requests: list[Request] = []
        while (raw := client.lmove(SEEDS, seeding_key(self.session.id), "LEFT", "RIGHT")) is not None:
            entry = json.loads(raw)
            self.know_host(entry["home"])
            for request in self.home_requests(entry["home"]):
                request.meta["newsbot_seed"] = True
                requests.append(request)
            logger.info("redis: seeded %s", entry["home"])
        return requests

    def seeds_queued(self) -> None:
        """The requests of the seeds taken are in the shared queue: forget the seeds."""
        self.session.client.delete(seeding_key(self.session.id))

    async def start(self) -> AsyncIterator[Any]:
        """Yield the start requests of the seeds waiting in Redis (more are taken when idle)."""
        requests = self.seed_requests()
        for request in requests:
            yield request
        if requests:
            self.seeds_queued()
