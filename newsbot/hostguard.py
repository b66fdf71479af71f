"""Sites that cannot be reached stop costing the crawl anything.

:class:`HostGuard` (a downloader middleware) counts, per site (request meta
``newsbot_site``, else :func:`newsbot.urls.site_of`), connection failures in a row
(refused, unknown host, connect error, timeout; every attempt, retries included; a
robots.txt that times out is not counted: the site is crawled as if it allowed everything). A site
is marked **unreachable** after ``NEWSBOT_DEAD_SITE_FAILURES`` of them when it never
answered in this run (after three times as many when it did: a site that answered once
and then only times out is slow, not gone). Then:

* one warning line names the site, and ``newsbot/sites_unreachable`` is counted (the site's
  own requests already failed with their named errors, and a configured site with no
  article fails the run);
* every request of that site still queued or discovered later fails at once with
  :class:`SiteUnreachable` before it is sent (the spider counts them as
  ``newsbot/skipped/site_unreachable``, quietly), and the site's download slot loses its
  politeness delay so its queue drains in moments;
* any response from the site resets its count.

So a run over many sites of which most refuse connections costs, per dead site, at most
``NEWSBOT_DEAD_SITE_FAILURES`` connection attempts, and never holds the crawl's
concurrency long enough to starve the live sites.

Settings read: ``NEWSBOT_DEAD_SITE_FAILURES`` (0: never mark a site unreachable).
"""

from __future__ import annotations

import logging
import weakref
from typing import TYPE_CHECKING

from scrapy.exceptions import NotConfigured
from twisted.python.failure import Failure

from newsbot.engine import hurry_download_slot
from newsbot.errors import FetchRefused, failure_kind
from newsbot.urls import site_of

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response

logger = logging.getLogger(__name__)

CONNECTION_KINDS = frozenset(("connection_refused", "dns", "connect", "timeout"))


class SiteUnreachable(FetchRefused):
    """A request for a site already marked unreachable: not sent."""

    kind = "site_unreachable"


def request_site(request: Request) -> str:
    """Return the site a request belongs to: its ``newsbot_site`` meta, else its URL's."""
    return str(request.meta.get("newsbot_site") or site_of(request.url))


_GUARDS: weakref.WeakKeyDictionary[Crawler, HostGuard] = weakref.WeakKeyDictionary()


def guard_of(crawler: Crawler) -> HostGuard | None:
    """Return the crawler's :class:`HostGuard`, or None when it has none."""
    return _GUARDS.get(crawler)


class HostGuard:
    """Downloader middleware: marks sites unreachable and drops their requests (module doc)."""

    def __init__(self, crawler: Crawler, limit: int) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.limit = limit
        self.failures: dict[str, int] = {}
        self.answered: set[str] = set()
        self.dead: set[str] = set()
        _GUARDS[crawler] = self

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HostGuard:
        """Return the guard, or raise ``NotConfigured`` when the limit is 0."""
        limit = crawler.settings.getint("NEWSBOT_DEAD_SITE_FAILURES")
        if limit <= 0:
            raise NotConfigured
        return cls(crawler, limit)

    def process_request(self, request: Request) -> None:
        """Refuse a request for an unreachable site (raise :class:`SiteUnreachable`); the
        download handler asks again for requests that were queued before the site died."""
        self.refuse(request)

    def refuse(self, request: Request) -> None:
        """Raise :class:`SiteUnreachable` (and count it) when the request's site is dead."""
        if not self.dead:
            return
        site = request_site(request)
        if site in self.dead:
            self.stats.inc_value("newsbot/skipped/site_unreachable")
            self.stats.inc_value(f"newsbot/site/{site}/skipped/site_unreachable")
            raise SiteUnreachable(f"site unreachable, not requested: {site}")

    def process_response(self, request: Request, response: Response) -> Response:
        """Any response: the site answers; its failure count starts again."""
        site = request_site(request)
        self.answered.add(site)
        self.failures.pop(site, None)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        """Count a connection failure; mark the site unreachable at the limit."""
        failure = Failure(exception)
        failure.request = request  # type: ignore[attr-defined]
        kind = failure_kind(failure)
        if kind not in CONNECTION_KINDS or (kind == "timeout" and request.url.endswith("/robots.txt")):
            return
        site = request_site(request)
        count = self.failures.get(site, 0) + 1
        self.failures[site] = count
        engine = self.crawler.engine
        if site not in self.answered and engine is not None:
            hurry_download_slot(engine, request)
        limit = self.limit if site not in self.answered else 3 * self.limit
        if count >= limit and site not in self.dead:
            self.dead.add(site)
            self.stats.inc_value("newsbot/sites_unreachable")
            logger.warning(
                "site unreachable: %s: %d connection failures in a row (last: %s); its other requests are dropped",
                site,
                count,
                kind.replace("_", " "),
            )
