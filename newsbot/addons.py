"""Scrapy add-ons of newsbot (the ``ADDONS`` setting).

:class:`RedisCrawl` switches a crawl to a shared Redis frontier when ``NEWSBOT_REDIS_URL``
is set; it imports nothing of Redis, so a crawl without the setting needs neither ``redis``
nor ``scrapy-redis``.

Settings read: ``NEWSBOT_REDIS_URL``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scrapy.settings import Settings

# What a shared crawl sets (newsbot.redis_crawl); the Redis keys match newsbot.redis_state.
REDIS_SETTINGS = {
    "SCHEDULER": "newsbot.state.scheduler.RedisScheduler",
    "DUPEFILTER_CLASS": "newsbot.state.scheduler.KnownRFPDupeFilter",  # scrapy-redis's, with a local cache
    "SCHEDULER_QUEUE_CLASS": "newsbot.state.scheduler.LeasedPriorityQueue",
    "SCHEDULER_QUEUE_KEY": "newsbot:requests",
    "SCHEDULER_DUPEFILTER_KEY": "newsbot:dupefilter",
    "SCHEDULER_PERSIST": True,
}


class RedisCrawl:
    """Add-on: with ``NEWSBOT_REDIS_URL`` set, use scrapy-redis's scheduler and dupefilter
    (``SCHEDULER``, ``DUPEFILTER_CLASS``, ``SCHEDULER_PERSIST = True``, ``REDIS_URL``; thin
    subclasses in :mod:`newsbot.redis_crawl`) and
    enable the :class:`newsbot.state.scheduler.RedisWorker` extension. Settings given on the
    command line still win."""

    def update_settings(self, settings: Settings) -> None:
        """Apply the shared-crawl settings when ``NEWSBOT_REDIS_URL`` is set."""
        url = settings.get("NEWSBOT_REDIS_URL")
        if not url:
            return
        for name, value in {**REDIS_SETTINGS, "REDIS_URL": url}.items():
            settings.set(name, value, priority="addon")
        extensions = settings.getdict("EXTENSIONS")
        extensions["newsbot.state.scheduler.RedisWorker"] = 520
        settings.set("EXTENSIONS", extensions, priority=settings.getpriority("EXTENSIONS") or "addon")
