"""The adapters to Scrapy internals that have no public API (``newsbot/engine.py`` and the
stats collector of ``newsbot/stats.py``): these tests fail when a Scrapy release changes
what they rely on, so the adapter is fixed in one place."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys

from scrapy.statscollectors import MemoryStatsCollector
from scrapy.statscollectors import StatsCollector as ScrapyStatsCollector

from newsbot.fixture_server import FixtureServer
from newsbot.stats import StatsCollector

PROBE = r'''
import json, os, sys
os.environ["SCRAPY_SETTINGS_MODULE"] = "newsbot.settings"
from scrapy import Spider, signals
from scrapy.crawler import CrawlerProcess
from scrapy.utils.project import get_project_settings
from newsbot.engine import engine_closing, engine_scheduler, wake_engine

seen = {}

class Probe(Spider):
    name = "probe"
    start_urls = [sys.argv[1]]

    def parse(self, response):
        engine = self.crawler.engine
        scheduler = engine_scheduler(engine)
        seen["scheduler"] = type(scheduler).__module__ + "." + type(scheduler).__name__
        seen["queued"] = len(scheduler)
        seen["closing_while_crawling"] = engine_closing(engine)
        wake_engine(engine)
        seen["woken"] = True

def closed(spider, reason):
    seen["closing_at_close"] = engine_closing(spider.crawler.engine)

settings = get_project_settings()
settings.set("LOG_LEVEL", "ERROR")
settings.set("ROBOTSTXT_OBEY", False)
process = CrawlerProcess(settings)
crawler = process.create_crawler(Probe)
crawler.signals.connect(closed, signal=signals.spider_closed)
process.crawl(crawler)
process.start()
seen["closing_after"] = engine_closing(crawler.engine)
print(json.dumps(seen))
'''


def test_engine_adapter_reads_scrapys_engine() -> None:
    with FixtureServer() as server:
        proc = subprocess.run([sys.executable, "-c", PROBE, server.url("/")], capture_output=True, text=True,
                              timeout=120)
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen["scheduler"] == "scrapy.core.scheduler.Scheduler"
    assert seen["queued"] == 0
    assert seen["closing_while_crawling"] is False
    assert seen["woken"] is True
    assert seen["closing_at_close"] is True
    assert seen["closing_after"] is True


def test_stats_collector_bypasses_only_scrapys_per_access_hook() -> None:
    # The hook this collector removes is still Scrapy's; when Scrapy drops it, so should we.
    assert "__getattribute__" in vars(ScrapyStatsCollector)
    assert StatsCollector.__getattribute__ is object.__getattribute__
    # Every public method keeps Scrapy's own signature (the spider argument included).
    for name in ("get_value", "get_stats", "set_value", "set_stats", "inc_value", "max_value", "min_value",
                 "clear_stats", "open_spider", "close_spider"):
        ours = inspect.signature(getattr(StatsCollector, name))
        theirs = inspect.signature(getattr(MemoryStatsCollector, name))
        assert ours == theirs, name
