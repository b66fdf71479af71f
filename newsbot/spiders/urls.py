"""``urls`` spider: fetch every URL of a list, one record per article URL.

Arguments: ``-a file=PATH`` (``-`` or absent: standard input). One URL a line; blank lines
and lines starting with ``#`` are skipped. A line that is not an http(s) URL (another
scheme, whitespace inside, over 2048 characters, invalid UTF-8, a host that cannot be
punycoded) gets one error line naming the file and line number, and the run goes on. IDN
hosts are fetched by their punycode name. A URL listed again (after fragment and tracking
parameters are dropped) is fetched once, with one info line naming both line numbers.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, TextIO

from scrapy import Request
from scrapy.http import Response

from newsbot.credentials import split_credentials
from newsbot.items import PageItem
from newsbot.spiders.base import NewsSpider
from newsbot.urls import canonical_request_url, url_problem

logger = logging.getLogger(__name__)


def read_url_lines(stream: TextIO, name: str) -> Iterator[tuple[int, str, str | None]]:
    """Yield ``(line number, URL, problem)`` for each non-blank, non-comment line;
    ``problem`` is None for a good URL."""
    for lineno, raw in enumerate(stream, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if "\ufffd" in line:
            yield lineno, line, "line is not valid UTF-8"
            continue
        yield lineno, line, url_problem(line)


class UrlsSpider(NewsSpider):
    """Fetches the URLs of a list file (or stdin); never follows links."""

    name = "urls"

    def __init__(self, file: str | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.file = file or "-"

    def _open(self) -> TextIO:
        if self.file == "-":
            return open(sys.stdin.fileno(), encoding="utf-8", errors="replace", closefd=False)
        return Path(self.file).open(encoding="utf-8", errors="replace")

    async def start(self) -> AsyncIterator[Any]:
        """Yield one request per good URL line; report bad lines and go on."""
        label = "<stdin>" if self.file == "-" else self.file
        try:
            stream = self._open()
        except OSError as exc:
            logger.error("cannot read URL list %s: %s", label, exc.strerror or exc)
            self.count_error("url_list", label)
            return
        first_line: dict[str, int] = {}
        with stream:
            for lineno, line, problem in read_url_lines(stream, label):
                if problem:
                    logger.error("%s:%d: %s: %r", label, lineno, problem, line[:200])
                    self.crawler.stats.inc_value("newsbot/errors/bad_url")
                    continue
                line = split_credentials(line)  # used as basic auth on its origin, never shown
                request_url = canonical_request_url(line)
                if request_url in first_line:
                    logger.info(
                        "%s:%d: duplicate of line %d, fetched once: %s",
                        label,
                        lineno,
                        first_line[request_url],
                        line[:200],
                    )
                    self.crawler.stats.inc_value("newsbot/skipped/duplicate_url")
                    continue
                first_line[request_url] = lineno
                self.crawler.stats.inc_value("newsbot/urls")
                yield Request(
                    request_url,
                    callback=self.parse,
                    errback=self.on_error,
                    meta={"source_url": line, "source_line": f"{label}:{lineno}"},
                )

    def parse(self, response: Response, **kwargs: Any) -> Iterator[PageItem]:
        """Yield the fetched page."""
        yield from self.page_item(response)
