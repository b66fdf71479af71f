"""Downloader middlewares that make fetch failures well-behaved and reported once.

* :class:`RetryAfterMiddleware` honours ``Retry-After`` on 429 and 503 responses: waits
  that long before Scrapy's RetryMiddleware retries, up to ``NEWSBOT_RETRY_AFTER_MAX``
  seconds; a longer wait is not retried (the errback reports it).
* :class:`RedirectGuardMiddleware` stops redirect loops, chains longer than
  ``REDIRECT_MAX_TIMES`` and redirects that leave the spider's ``allowed_domains`` with an
  exception that names the failure (:mod:`newsbot.errors`), so the errback logs it
  (Scrapy's own handling drops them silently through the duplicate and off-site filters).
* :class:`RobotsTxtMiddleware` is Scrapy's, with one warning line (no traceback) and a
  ``newsbot/errors/robots_<kind>`` count when a robots.txt cannot be fetched (timeout,
  reset...); the site is then crawled as if robots.txt allowed everything. A refused
  connection or unknown host is left to the page requests to report.

Importing this module also installs a logging filter that drops Scrapy's own lines for
failures the spiders' errback reports anyway (size cancellations, data loss), so each
failure gets one line.

Settings read: ``NEWSBOT_RETRY_AFTER_MAX``, ``REDIRECT_MAX_TIMES``, ``ROBOTSTXT_OBEY``
(and Scrapy's robots.txt settings).
"""

from __future__ import annotations

import email.utils
import logging
import time
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as ScrapyRobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet import defer, task
from twisted.python.failure import Failure

from newsbot.errors import OffsiteRedirect, RedirectLoop, TooManyRedirects, failure_kind, failure_reason
from newsbot.urls import canonical_request_url

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.robotstxt import RobotParser

logger = logging.getLogger(__name__)

DEFAULT_RETRY_AFTER_MAX = 60.0


# --------------------------------------------------------------------------- Retry-After


def retry_after_seconds(value: bytes | str | None, now: float | None = None) -> float | None:
    """Return the wait a ``Retry-After`` header asks for, in seconds (delta or HTTP date),
    or None when it is absent or unreadable."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class RetryAfterMiddleware:
    """Waits ``Retry-After`` (capped) before a 429/503 is retried; refuses longer waits."""

    STATUSES = (429, 503)

    def __init__(self, crawler: Crawler) -> None:
        self.cap = crawler.settings.getfloat("NEWSBOT_RETRY_AFTER_MAX", DEFAULT_RETRY_AFTER_MAX)
        self.stats = crawler.stats
        from twisted.internet import reactor

        self.clock = reactor

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        """Return the middleware configured from the crawler's settings."""
        return cls(crawler)

    async def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        """Return ``response`` after waiting what its ``Retry-After`` asks (when under the
        cap); mark the request not to be retried when the wait is over the cap."""
        if response.status not in self.STATUSES or request.meta.get("dont_retry"):
            return response
        wait = retry_after_seconds(response.headers.get(b"Retry-After"))
        if wait is None:
            return response
        if wait > self.cap:
            request.meta["dont_retry"] = True
            request.meta["retry_after_over_cap"] = f"{self.cap:g}"
            return response
        self.stats.inc_value("newsbot/retry_after/waits")
        logger.debug("waiting %.1f s (Retry-After) before retrying %s", wait, request.url)
        await maybe_deferred_to_future(task.deferLater(self.clock, wait, lambda: None))
        return response


# --------------------------------------------------------------------------- redirects


def host_in_domains(url: str, domains: list[str]) -> bool:
    """Return True when the host of ``url`` (port ignored) is one of ``domains`` or a
    subdomain of one."""
    host = (urlsplit(url).hostname or "").lower()
    host = host[4:] if host.startswith("www.") else host
    for domain in domains:
        domain = domain.lower().split(":")[0]
        domain = domain[4:] if domain.startswith("www.") else domain
        if host == domain or host.endswith("." + domain):
            return True
    return False


class RedirectGuardMiddleware:
    """Turns redirect loops, over-long chains and off-site redirects into named failures.

    Runs before Scrapy's RedirectMiddleware sees the response (a higher order number).
    """

    def __init__(self, crawler: Crawler) -> None:
        self.max_times = crawler.settings.getint("REDIRECT_MAX_TIMES", 20)
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectGuardMiddleware:
        """Return the middleware configured from the crawler's settings."""
        return cls(crawler)

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        """Return ``response``; raise a :class:`newsbot.errors.FetchRefused` for a redirect
        that loops, is one too many, or leaves the allowed domains."""
        if not (300 <= response.status < 400) or b"Location" not in response.headers:
            return response
        if request.meta.get("dont_redirect") or response.status in request.meta.get("handle_httpstatus_list", ()):
            return response
        location = response.headers[b"Location"].decode("latin-1").strip()
        target = urljoin(request.url, location)
        chain = [*request.meta.get("redirect_urls", []), request.url]
        seen = {canonical_request_url(u) for u in chain}
        route = " -> ".join([*chain, target])
        if canonical_request_url(target) in seen:
            raise RedirectLoop(f"redirect loop: {route}")
        if len(chain) > self.max_times:
            raise TooManyRedirects(f"more than {self.max_times} redirects (REDIRECT_MAX_TIMES), last to {target}")
        spider = self.crawler.spider
        allowed = getattr(spider, "allowed_domains", None)
        if allowed and target.startswith(("http://", "https://")) and not host_in_domains(target, allowed):
            raise OffsiteRedirect(f"redirected off the site to {target}; not followed")
        return response


# --------------------------------------------------------------------------- robots.txt


class RobotsTxtMiddleware(ScrapyRobotsTxtMiddleware):
    """Scrapy's robots.txt middleware with one warning line and a stats count per site
    whose robots.txt could not be fetched (then crawled as if everything were allowed)."""

    QUIET_KINDS = ("connection_refused", "dns")

    async def robot_parser(self, request: Request) -> RobotParser | None:
        """Return the parser of the request's site robots.txt (None: allow everything)."""
        url = urlparse_cached(request)
        netloc = url.netloc
        if netloc not in self._parsers:
            self._parsers[netloc] = defer.Deferred()
            robotsurl = f"{url.scheme}://{url.netloc}/robots.txt"
            robotsreq = Request(robotsurl, priority=self.DOWNLOAD_PRIORITY,
                                meta={"dont_obey_robotstxt": True}, callback=NO_CALLBACK)
            try:
                resp = await self.crawler.engine.download_async(robotsreq)
                await self._parse_robots(resp, netloc, request)
            except Exception as exc:  # noqa: BLE001 - any failure means "no robots.txt rules"
                if not isinstance(exc, IgnoreRequest):
                    self._report(robotsreq, exc)
                self._robots_error(exc, netloc)
            self._stats.inc_value("robotstxt/request_count")
        parser = self._parsers[netloc]
        if isinstance(parser, defer.Deferred):
            return await maybe_deferred_to_future(parser)
        return parser

    def _report(self, robotsreq: Request, exc: Exception) -> None:
        failure = Failure(exc)
        failure.request = robotsreq  # type: ignore[attr-defined]
        kind = failure_kind(failure)
        if kind in self.QUIET_KINDS:
            logger.debug("robots.txt unavailable: %s: %s", robotsreq.url, failure_reason(failure))
            return
        spider = self.crawler.spider
        if spider is not None and hasattr(spider, "count_error"):
            spider.count_error(f"robots_{kind}", robotsreq.url)
        else:
            self._stats.inc_value(f"newsbot/errors/robots_{kind}")
        logger.warning("robots.txt unavailable: %s: %s; the site is crawled as if it allowed everything",
                       robotsreq.url, failure_reason(failure))


# --------------------------------------------------------------------------- log lines


class _DuplicateFailureFilter(logging.Filter):
    """Drops Scrapy's own log lines for failures a spider errback reports in one line."""

    PATTERNS = ("larger than download max size", "exceeded DOWNLOAD_MAXSIZE",
                "Got data loss in")

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - never break logging
            return True
        return not any(p in message for p in self.PATTERNS)


_FILTER = _DuplicateFailureFilter()


def install_log_filter() -> None:
    """Attach the duplicate-failure filter to Scrapy's download loggers (idempotent)."""
    for name in ("scrapy.core.downloader.handlers.http11", "scrapy.core.downloader.handlers._base_streaming",
                 "scrapy.downloadermiddlewares.httpcompression", "scrapy.core.downloader.handlers.http2"):
        target = logging.getLogger(name)
        if _FILTER not in target.filters:
            target.addFilter(_FILTER)


install_log_filter()
