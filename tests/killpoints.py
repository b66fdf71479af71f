"""Test-only Scrapy extension that SIGKILLs its own crawl at a chosen moment.

Enabled by a test with ``-s NEWSBOT_TEST_KILL_AT=<moment>`` and this class added to
``EXTENSIONS``. Moments: ``discovery`` (the 5th page request is scheduled), ``fetch`` (the
10th page response arrives), ``write`` (the 15th record was written to the temporary
output file), ``rename`` (the output file is fsynced and journalled, the rename not yet
done), ``commit`` (inside the state store's final transaction, after some inserts).
"""

from __future__ import annotations

import os
import signal
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

import newsbot.feedstorage
import newsbot.state


def die() -> None:
    """Kill this process at once, as a power cut or the OOM killer would."""
    os.kill(os.getpid(), signal.SIGKILL)


class KillAt:
    """Kills the crawl at ``NEWSBOT_TEST_KILL_AT``."""

    def __init__(self, moment: str, crawler: Any) -> None:
        self.moment = moment
        self.count = 0
        if moment == "discovery":
            crawler.signals.connect(self.scheduled, signal=signals.request_scheduled)
        elif moment == "fetch":
            crawler.signals.connect(self.received, signal=signals.response_received)
        elif moment == "write":
            crawler.signals.connect(self.scraped, signal=signals.item_scraped)
        elif moment == "rename":
            newsbot.feedstorage.os.replace = lambda *a, **k: die()  # type: ignore[attr-defined]
        elif moment == "commit":
            original = newsbot.state.StateStore._insert

            def insert_then_die(store: Any, *args: Any) -> None:
                original(store, *args)
                self.count += 1
                if self.count == 10:
                    die()

            newsbot.state.StateStore._insert = insert_then_die  # type: ignore[method-assign]
        else:
            raise ValueError(f"unknown kill moment {moment!r}")

    @classmethod
    def from_crawler(cls, crawler: Any) -> KillAt:
        moment = crawler.settings.get("NEWSBOT_TEST_KILL_AT")
        if not moment:
            raise NotConfigured
        return cls(moment, crawler)

    def _tick(self, limit: int) -> None:
        self.count += 1
        if self.count == limit:
            die()

    def scheduled(self, request: Any, spider: Any) -> None:
        if getattr(request.callback, "__name__", "") == "parse_page":
            self._tick(5)

    def received(self, response: Any, request: Any, spider: Any) -> None:
        if getattr(request.callback, "__name__", "") == "parse_page":
            self._tick(10)

    def scraped(self, item: Any, response: Any, spider: Any) -> None:
        self._tick(15)
