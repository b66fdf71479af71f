"""Run real Scrapy crawls from tests and collect what they produced.

Twisted's reactor cannot be restarted in one process, so each crawl runs in a fresh child
process (``spawn``); items are gathered there through the ``item_scraped`` signal and sent
back with the final stats and the log lines.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from dataclasses import asdict, dataclass, field, is_dataclass
from typing import Any


@dataclass
class CrawlResult:
    """What one crawl produced: records (as dicts), final stats, and log lines."""

    items: list[dict[str, Any]] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)

    def stat(self, key: str) -> int:
        """Return a numeric stat, 0 when absent."""
        return int(self.stats.get(key, 0) or 0)


class _ListHandler(logging.Handler):
    def __init__(self, sink: list[str]) -> None:
        super().__init__(logging.INFO)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        self.sink.append(f"{record.levelname} {record.getMessage()}")


def _child(queue: Any, spider: str, settings: dict[str, Any], kwargs: dict[str, Any]) -> None:
    os.environ["SCRAPY_SETTINGS_MODULE"] = "newsbot.settings"
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    from newsbot.items import Article

    project = get_project_settings()
    project.setdict(settings, priority="cmdline")
    items: list[dict[str, Any]] = []
    log: list[str] = []
    logging.getLogger().addHandler(_ListHandler(log))

    def scraped(item: Any) -> None:
        items.append(item.record() if isinstance(item, Article) else (asdict(item) if is_dataclass(item) else dict(item)))

    process = CrawlerProcess(project)
    crawler = process.create_crawler(spider)
    crawler.signals.connect(scraped, signal=signals.item_scraped)
    process.crawl(crawler, **kwargs)
    process.start()
    stats = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in crawler.stats.get_stats().items()}
    queue.put(CrawlResult(items=items, stats=stats, log=log))


def crawl(spider: str, settings: dict[str, Any] | None = None, timeout: float = 300, **kwargs: Any) -> CrawlResult:
    """Run ``spider`` with the project settings plus ``settings`` and return its result."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(queue, spider, {"LOG_LEVEL": "INFO", **(settings or {})}, kwargs))
    proc.start()
    try:
        result: CrawlResult = queue.get(timeout=timeout)
    finally:
        proc.join(timeout=30)
        if proc.is_alive():
            proc.kill()
    from newsbot.schema import record_errors

    invalid = {item.get("url"): errors for item in result.items if (errors := record_errors(item))}
    assert not invalid, f"records that do not match the schema: {invalid}"
    return result
