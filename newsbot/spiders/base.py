"""What both spiders share: turning a response into a ``PageItem`` and naming failures."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from scrapy import Spider
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from newsbot.errors import failure_kind, failure_reason
from newsbot.incremental import NotModified
from newsbot.items import PageItem, utc_now_iso
from newsbot.pipelines import site_of

logger = logging.getLogger(__name__)

_HTML_TYPES = (b"text/html", b"application/xhtml+xml")


def is_html(response: Response) -> bool:
    """Return True when the response is an HTML page (by Content-Type, else by sniffing)."""
    if not isinstance(response, TextResponse):
        return False
    content_type = (response.headers.get(b"Content-Type") or b"").split(b";")[0].strip().lower()
    if content_type:
        return content_type in _HTML_TYPES
    return b"<html" in response.body[:2048].lower()


class NewsSpider(Spider):
    """Base spider: yields pages as ``PageItem`` and reports each failure in one line."""

    def page_item(self, response: Response) -> Iterator[PageItem]:
        """Yield the response as a ``PageItem`` when it is HTML; count it otherwise."""
        if not is_html(response):
            self.count_error("not_html", response.url)
            logger.warning("not an HTML page: %s (%s)", response.url,
                           (response.headers.get(b"Content-Type") or b"no content type").decode("latin-1"))
            return
        yield PageItem(
            url=response.request.meta.get("source_url", response.request.url) if response.request else response.url,
            final_url=response.url,
            status=response.status,
            headers={k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in response.headers.items()},
            html=response.text,
            fetched_at=utc_now_iso(),
        )

    def count_error(self, kind: str, url: str) -> None:
        """Count one failure in stats, globally and for the URL's site."""
        stats = self.crawler.stats
        stats.inc_value(f"newsbot/errors/{kind}")
        stats.inc_value(f"newsbot/site/{site_of(url)}/errors/{kind}")

    def on_error(self, failure: Failure) -> None:
        """Errback: count the failure and log one line naming the URL and the reason.

        Requests marked ``meta["probe"]`` (guessed feed paths) fail quietly.
        """
        request = getattr(failure, "request", None)
        url = request.url if request is not None else "?"
        if failure.check(NotModified):
            logger.debug("unchanged since the last run: %s", url)
            return
        kind = failure_kind(failure)
        if request is not None and request.meta.get("probe"):
            logger.debug("probe failed: %s (%s)", url, failure_reason(failure))
            return
        self.count_error(kind, url)
        where = request.meta.get("source_line", "") if request is not None else ""
        logger.error("fetch failed: %s%s: %s", url, f" ({where})" if where else "", failure_reason(failure))
