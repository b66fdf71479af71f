"""Log lines for items: one short line per dropped page, never the page itself."""

from __future__ import annotations

import logging
from typing import Any

from scrapy.logformatter import LogFormatter, LogFormatterResult


class NewsLogFormatter(LogFormatter):
    """Scrapy's formatter, but a dropped page is logged as ``dropped (reason): URL`` at
    INFO instead of a dump of the whole item at WARNING, and scraped items are not echoed."""

    def dropped(self, item: Any, exception: BaseException, response: Any, spider: Any) -> LogFormatterResult:
        """Return the log entry for a page dropped by a pipeline."""
        return {"level": logging.INFO, "msg": "dropped %(message)s", "args": {"message": str(exception)}}

    def scraped(self, item: Any, response: Any, spider: Any) -> LogFormatterResult:
        """Return the log entry for a written record: its URL only, at DEBUG."""
        url = getattr(item, "url", "") or ""
        return {"level": logging.DEBUG, "msg": "scraped %(url)s", "args": {"url": url}}
