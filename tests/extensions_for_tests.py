"""Test-only Scrapy extensions that change the file system under a running crawl."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scrapy import signals


class TargetBecomesFolder:
    """At the first record, makes a folder where the output file is to be renamed to."""

    def __init__(self, crawler: Any) -> None:
        feeds = crawler.settings.getdict("FEEDS")
        self.target = Path(next(iter(feeds)))
        self.done = False
        crawler.signals.connect(self.scraped, signal=signals.item_scraped)

    @classmethod
    def from_crawler(cls, crawler: Any) -> TargetBecomesFolder:
        return cls(crawler)

    def scraped(self, item: Any, response: Any, spider: Any) -> None:
        if not self.done:
            self.done = True
            self.target.mkdir()


class DownloadSlotRecorder:
    """Records, as stats ``test/slot/<path>``, the download slot each request went through."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        crawler.signals.connect(self.reached, signal=signals.request_reached_downloader)

    @classmethod
    def from_crawler(cls, crawler: Any) -> DownloadSlotRecorder:
        return cls(crawler)

    def reached(self, request: Any, spider: Any) -> None:
        slot = self.crawler.engine.downloader.get_slot_key(request)
        path = request.url.split("/", 3)[3] if request.url.count("/") >= 3 else ""
        self.crawler.stats.set_value(f"test/slot/{path}", slot)


class StartupProbe:
    """Writes, when the spider opens, whether the cyclic garbage collector runs, how many
    objects start-up froze, and whether the switched-off extensions' modules were loaded,
    to the file named by the ``TEST_PROBE_FILE`` setting."""

    def __init__(self, crawler: Any) -> None:
        self.path = Path(crawler.settings.get("TEST_PROBE_FILE"))
        crawler.signals.connect(self.opened, signal=signals.spider_opened)

    @classmethod
    def from_crawler(cls, crawler: Any) -> StartupProbe:
        return cls(crawler)

    def opened(self, spider: Any) -> None:
        import gc
        import sys

        loaded = [m for m in ("twisted.conch.telnet", "aiohttp", "scrapy.extensions.telnet") if m in sys.modules]
        self.path.write_text(f"{gc.isenabled()} {gc.get_freeze_count()} {','.join(loaded) or '-'}")
