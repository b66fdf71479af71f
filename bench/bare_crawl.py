"""Fetch a list of URLs with a bare Scrapy spider (no items, no extraction) and print
``{"pages": N, "seconds": S}`` as JSON on standard output.

    python bench/bare_crawl.py URLS.txt [NAME=VALUE ...]

Settings: Scrapy's defaults with the asyncio reactor, robots.txt not fetched, plus the
``NAME=VALUE`` overrides (the benchmark passes the crawl's concurrency settings).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import scrapy
from scrapy.crawler import CrawlerProcess


class BareSpider(scrapy.Spider):
    """Requests every URL of the list and counts the responses."""

    name = "bare"

    def __init__(self, url_file: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.url_file = url_file
        self.pages = 0

    async def start(self) -> AsyncIterator[scrapy.Request]:
        """Yield one request per URL of the list."""
        for line in Path(self.url_file).read_text(encoding="utf-8").splitlines():
            if line.strip():
                yield scrapy.Request(line.strip(), callback=self.parse)

    def parse(self, response: Any) -> None:
        """Count the page; yield nothing."""
        self.pages += 1


def main() -> int:
    """Run the bare crawl; print pages and seconds as JSON; return 0."""
    settings: dict[str, Any] = {
        "LOG_LEVEL": "WARNING",
        "ROBOTSTXT_OBEY": False,
        "TELNETCONSOLE_ENABLED": False,
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
    }
    for item in sys.argv[2:]:
        name, _, value = item.partition("=")
        settings[name] = value
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(BareSpider)
    process.crawl(crawler, url_file=sys.argv[1])
    started = time.perf_counter()
    process.start()
    seconds = time.perf_counter() - started
    print(json.dumps({"pages": crawler.spider.pages, "seconds": seconds}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
