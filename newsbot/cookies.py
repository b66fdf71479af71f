"""Scrapy's cookie handling with the ``Cookie`` header kept to a size every server accepts.

Some sites set a new cookie on every response (tracking ids, A/B buckets, one per article
read). A browser caps what it keeps; Scrapy's cookie jar does not, so the ``Cookie``
header of a long crawl grows until the server refuses every further request with HTTP 400
("Request Header Or Cookie Too Large"; nginx, Apache and Tomcat stop at about 8 KB).
:class:`BoundedCookiesMiddleware` sends at most ``NEWSBOT_MAX_COOKIE_BYTES`` of cookies:
the ones a site set first (its session and consent cookies) are kept, the most recently
added are left out of the header (they stay in the jar), counted as
``newsbot/cookies_trimmed`` (and per site) and said once per site in a warning.

Settings read: ``COOKIES_ENABLED``, ``COOKIES_DEBUG`` (Scrapy's), ``NEWSBOT_MAX_COOKIE_BYTES``
(0: no bound).
"""

from __future__ import annotations

import logging
from typing import Any, Self

from scrapy import Request
from scrapy.crawler import Crawler

from newsbot.offline import CookiesMiddleware
from newsbot.urls import site_of

logger = logging.getLogger(__name__)


def bounded_cookie_header(value: bytes, limit: int) -> tuple[bytes, int]:
    """Return ``value`` (a ``Cookie`` header) cut to at most ``limit`` bytes by leaving out
    whole cookies from its end, and how many were left out (0: unchanged).

    The cookie jar writes a header with the most specific path first and, within a path,
    in the order the cookies were set, so the end holds the most recently added ones."""
    if limit <= 0 or len(value) <= limit:
        return value, 0
    cookies = [c.strip() for c in value.split(b";") if c.strip()]
    kept: list[bytes] = []
    size = 0
    for cookie in cookies:
        extra = len(cookie) + (2 if kept else 0)  # "; " between cookies
        if size + extra > limit:
            break
        kept.append(cookie)
        size += extra
    return b"; ".join(kept), len(cookies) - len(kept)


class BoundedCookiesMiddleware(CookiesMiddleware):
    """Scrapy's cookie middleware (public suffix list offline) with a bounded ``Cookie``
    header (module docstring)."""

    max_bytes: int
    warned: set[str]

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Return the middleware with its bound read from ``NEWSBOT_MAX_COOKIE_BYTES``."""
        middleware = super().from_crawler(crawler)
        middleware.max_bytes = crawler.settings.getint("NEWSBOT_MAX_COOKIE_BYTES")
        middleware.warned = set()
        return middleware

    def process_request(self, request: Request, spider: Any = None) -> None:
        """Add the request's cookies as Scrapy does, then bound the header; return None."""
        super().process_request(request)
        header = request.headers.get("Cookie")
        if not header:
            return None
        value, dropped = bounded_cookie_header(header, self.max_bytes)
        if not dropped:
            return None
        request.headers["Cookie"] = value
        site = request.meta.get("newsbot_site") or site_of(request.url)
        stats = self.crawler.stats
        assert stats is not None
        stats.inc_value("newsbot/cookies_trimmed")
        stats.inc_value(f"newsbot/site/{site}/cookies_trimmed")
        if site not in self.warned:
            self.warned.add(site)
            logger.warning(
                "cookies of %s pass %d bytes: the %d set last are not sent (NEWSBOT_MAX_COOKIE_BYTES)",
                site,
                self.max_bytes,
                dropped,
            )
        return None
