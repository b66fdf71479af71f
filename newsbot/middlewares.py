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
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as ScrapyRobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Request, Response
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler, load_object
from twisted.internet import defer, task
from twisted.python.failure import Failure

from newsbot.errors import (
    NotModified,
    OffsiteRedirect,
    RedirectLoop,
    TooManyRedirects,
    failure_kind,
    failure_reason,
)
from newsbot.identity import url_key
from newsbot.redirects import redirect_target
from newsbot.state import EmittedStore, state_of
from newsbot.urls import canonical_request_url, site_of

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.robotstxt import RobotParser

logger = logging.getLogger(__name__)

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
        self.cap = crawler.settings.getfloat("NEWSBOT_RETRY_AFTER_MAX")
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
        self.max_times = crawler.settings.getint("REDIRECT_MAX_TIMES")
        self.refresh = crawler.settings.getbool("METAREFRESH_ENABLED")
        self.refresh_ignore = crawler.settings.getlist("METAREFRESH_IGNORE_TAGS")
        self.refresh_delay = crawler.settings.getfloat("METAREFRESH_MAXDELAY")
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectGuardMiddleware:
        """Return the middleware configured from the crawler's settings."""
        return cls(crawler)

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        """Return ``response``; raise a :class:`newsbot.errors.FetchRefused` for a redirect
        (HTTP or meta refresh) that loops, is one too many, or leaves the allowed domains."""
        kind, target = redirect_target(
            request, response, self.refresh_ignore, self.refresh_delay if self.refresh else -1.0
        )
        if not target:
            return response
        chain = [*request.meta.get("redirect_urls", []), request.url]
        seen = {canonical_request_url(u) for u in chain}
        route = " -> ".join([*chain, target])
        if canonical_request_url(target) in seen:
            raise RedirectLoop(f"{kind} loop: {route}")
        if len(chain) > self.max_times:
            raise TooManyRedirects(f"more than {self.max_times} redirects (REDIRECT_MAX_TIMES), last to {target}")
        spider = self.crawler.spider
        allowed = getattr(spider, "allowed_domains", None)
        if allowed and target.startswith(("http://", "https://")) and not host_in_domains(target, allowed):
            where = "redirected" if kind == "redirect" else "meta refresh"
            raise OffsiteRedirect(f"{where} off the site to {target}; not followed")
        if kind == "meta refresh":
            logger.debug("meta refresh followed: %s -> %s", request.url, target)
        return response


# --------------------------------------------------------------------------- robots.txt


class RobotsTxtMiddleware(ScrapyRobotsTxtMiddleware):
    """Scrapy's robots.txt middleware with one warning line and a stats count per site
    whose robots.txt could not be fetched (then crawled as if everything were allowed).

    Only Scrapy's public API is used: :meth:`robot_parser` (the documented override point)
    keeps its own parser per site, fetches robots.txt with ``engine.download_async`` and
    builds the ``ROBOTSTXT_PARSER`` class with ``build_from_crawler``; the request checks
    stay Scrapy's (``process_request_2``). ``signals.robots_parsed`` also carries the
    robots.txt ``body``: the site spider reads its ``Sitemap:`` lines from it, so each
    site's robots.txt is fetched once."""

    QUIET_KINDS = ("connection_refused", "dns")

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.parser_class = load_object(crawler.settings.get("ROBOTSTXT_PARSER"))
        self.parsers: dict[str, RobotParser | defer.Deferred[RobotParser | None] | None] = {}

    async def robot_parser(self, request: Request) -> RobotParser | None:
        """Return the parser of the request's site robots.txt (None: allow everything)."""
        url = urlparse_cached(request)
        netloc = url.netloc
        if netloc not in self.parsers:
            waiting: defer.Deferred[RobotParser | None] = defer.Deferred()
            self.parsers[netloc] = waiting
            robotsreq = Request(
                f"{url.scheme}://{url.netloc}/robots.txt",
                priority=self.DOWNLOAD_PRIORITY,
                # its own download slot: the site's first page does not wait a download
                # delay behind the robots.txt fetch (later pages keep the site's delay)
                meta={"dont_obey_robotstxt": True, "download_slot": f"{netloc} robots.txt"},
                callback=NO_CALLBACK,
            )
            stats = self.crawler.stats
            parser: RobotParser | None = None
            try:
                response = await self.crawler.engine.download_async(robotsreq)
                stats.inc_value("robotstxt/response_count")
                stats.inc_value(f"robotstxt/response_status_count/{response.status}")
                parser = build_from_crawler(self.parser_class, self.crawler, response.body)
                await self.crawler.signals.send_catch_log_async(
                    signal=signals.robots_parsed, robotparser=parser, request=request, body=response.body
                )
            except Exception as exc:  # noqa: BLE001 - any failure means "no robots.txt rules"
                if not isinstance(exc, IgnoreRequest):
                    stats.inc_value(f"robotstxt/exception_count/{type(exc)}")
                    self._report(robotsreq, exc)
            stats.inc_value("robotstxt/request_count")
            self.parsers[netloc] = parser
            waiting.callback(parser)
        known = self.parsers[netloc]
        if isinstance(known, defer.Deferred):
            return await maybe_deferred_to_future(known)
        return known

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
            self.crawler.stats.inc_value(f"newsbot/errors/robots_{kind}")
        logger.warning(
            "robots.txt unavailable: %s: %s; the site is crawled as if it allowed everything",
            robotsreq.url,
            failure_reason(failure),
        )


# --------------------------------------------------------------------------- log lines


class _DuplicateFailureFilter(logging.Filter):
    """Drops Scrapy's own log lines for failures a spider errback reports in one line."""

    PATTERNS = ("larger than download max size", "exceeded DOWNLOAD_MAXSIZE", "Got data loss in")

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - never break logging
            return True
        return not any(p in message for p in self.PATTERNS)


_FILTER = _DuplicateFailureFilter()


def install_log_filter() -> None:
    """Attach the duplicate-failure filter to Scrapy's download loggers (idempotent)."""
    for name in (
        "scrapy.core.downloader.handlers.http11",
        "scrapy.core.downloader.handlers._base_streaming",
        "scrapy.downloadermiddlewares.httpcompression",
        "scrapy.core.downloader.handlers.http2",
    ):
        target = logging.getLogger(name)
        if _FILTER not in target.filters:
            target.addFilter(_FILTER)


install_log_filter()


# --------------------------------------------------------------------------- User-Agent


class ContactUserAgentMiddleware:
    """Downloader middleware: sets ``User-Agent`` on every request that has none."""

    def __init__(self, user_agent: str) -> None:
        self.user_agent = user_agent

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ContactUserAgentMiddleware:
        """Return the middleware with ``{contact}`` in ``USER_AGENT`` filled in."""
        settings = crawler.settings
        agent = settings.get("USER_AGENT").replace("{contact}", settings.get("NEWSBOT_CONTACT_URL"))
        return cls(agent)

    def process_request(self, request: Request) -> None:
        """Set the User-Agent header unless the request carries one."""
        request.headers.setdefault(b"User-Agent", self.user_agent.encode("utf-8"))


# --------------------------------------------------------------------------- incremental crawls


class SeenRequestFilter:
    """Spider middleware: drops requests for pages emitted by an earlier run."""

    def __init__(self, crawler: Crawler, store: EmittedStore) -> None:
        self.stats = crawler.stats
        self.store = store
        self.counted: set[str] = set()  # keys already counted as skipped in this run

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SeenRequestFilter:
        """Return the middleware, or raise ``NotConfigured`` without a store or with
        ``NEWSBOT_UPDATES`` (updates need every page fetched again)."""
        store = state_of(crawler)
        if store is None or crawler.settings.getbool("NEWSBOT_UPDATES"):
            raise NotConfigured
        return cls(crawler, store)

    def _keep(self, request: Request) -> bool:
        key = url_key(request.url)
        if self.store.lookup_key(key) is None:
            return True
        if key in self.counted:
            return False
        self.counted.add(key)
        host = request.meta.get("newsbot_site") or site_of(request.url)
        self.stats.inc_value("newsbot/skipped/seen")
        self.stats.inc_value(f"newsbot/site/{host}/skipped/seen")
        self.stats.inc_value(f"newsbot/site/{host}/found")
        return False

    async def process_spider_output(self, response: Response, result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        """Yield the callback's output without requests for already-emitted pages."""
        async for entry in result:
            if isinstance(entry, Request) and not self._keep(entry):
                continue
            yield entry

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        """Yield the start requests without already-emitted pages."""
        async for entry in start:
            if isinstance(entry, Request) and not self._keep(entry):
                continue
            yield entry


_CONDITIONAL_CALLBACKS = ("parse_feed", "parse_sitemap")


class ConditionalRequests:
    """Downloader middleware: revalidates feeds and leaf sitemaps with ETag/Last-Modified."""

    def __init__(self, crawler: Crawler, store: EmittedStore) -> None:
        self.stats = crawler.stats
        self.store = store

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalRequests:
        """Return the middleware, or raise ``NotConfigured`` without a store."""
        store = state_of(crawler)
        if store is None:
            raise NotConfigured
        return cls(crawler, store)

    @staticmethod
    def _applies(request: Request) -> bool:
        callback = getattr(request.callback, "__name__", "")
        return callback in _CONDITIONAL_CALLBACKS

    def process_request(self, request: Request) -> None:
        """Add the stored validators of a feed or sitemap to its request."""
        if not self._applies(request):
            return None
        etag, last_modified = self.store.validators(request.url)
        if etag:
            request.headers.setdefault(b"If-None-Match", etag.encode("latin-1"))
        if last_modified:
            request.headers.setdefault(b"If-Modified-Since", last_modified.encode("latin-1"))
        return None

    def process_response(self, request: Request, response: Response) -> Response:
        """Stage the validators of a fresh feed or leaf sitemap; turn a 304 into
        :class:`NotModified`."""
        if not self._applies(request):
            return response
        if response.status == 304:
            host = request.meta.get("newsbot_site") or site_of(request.url)
            self.stats.inc_value("newsbot/unchanged")
            self.stats.inc_value(f"newsbot/site/{host}/unchanged")
            raise NotModified(f"not modified since the last run: {request.url}")
        if response.status == 200 and b"<sitemapindex" not in response.body[:4096]:
            etag = response.headers.get(b"ETag")
            last_modified = response.headers.get(b"Last-Modified")
            self.store.stage_validators(
                request.url,
                etag.decode("latin-1") if etag else None,
                last_modified.decode("latin-1") if last_modified else None,
            )
        return response
