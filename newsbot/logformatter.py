"""Log lines for items: one short line per dropped page, never the page itself."""

from __future__ import annotations

import logging
from typing import Any

from scrapy.logformatter import LogFormatter, LogFormatterResult


class NewsLogFormatter(LogFormatter):
    """Scrapy's formatter, but a dropped page is logged as ``dropped (reason): URL`` at
    INFO (or at the ``log_level`` the ``DropItem`` names) instead of a dump of the whole
    item at WARNING, and scraped items are not echoed."""

    def dropped(self, item: Any, exception: BaseException, response: Any, spider: Any) -> LogFormatterResult:
        """Return the log entry for a page dropped by a pipeline: at INFO, or at the
        exception's ``log_level`` (a name such as ``"DEBUG"`` or a number) when it has one."""
        return {"level": drop_level(exception), "msg": "dropped %(message)s", "args": {"message": str(exception)}}

    def scraped(self, item: Any, response: Any, spider: Any) -> LogFormatterResult:
        """Return the log entry for a written record: its URL only, at DEBUG."""
        url = getattr(item, "url", "") or ""
        return {"level": logging.DEBUG, "msg": "scraped %(url)s", "args": {"url": url}}


def drop_level(exception: BaseException) -> int:
    """Return the logging level for a dropped page: ``exception.log_level`` when set and
    valid, else INFO."""
    level = getattr(exception, "log_level", None)
    if isinstance(level, str):
        level = logging.getLevelName(level.strip().upper())
    return level if isinstance(level, int) and not isinstance(level, bool) else logging.INFO
