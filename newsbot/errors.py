"""Names for fetch failures, shared by every spider's errback and the stats keys.

:func:`failure_kind` gives the ``<kind>`` of ``newsbot/errors/<kind>``; :func:`failure_reason`
the human half of the one log line each failure gets. The exceptions below are raised by
:mod:`newsbot.middlewares` for failures Scrapy itself does not name.
"""

from __future__ import annotations

from scrapy import exceptions as scrapy_exc
from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import error as net_error
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived


class FetchRefused(IgnoreRequest):
    """A response newsbot will not use; ``kind`` names it in stats, the message says why."""

    kind = "ignored"


class RedirectLoop(FetchRefused):
    """A redirect leads back to a URL already in the request's redirect chain."""

    kind = "redirect_loop"


class TooManyRedirects(FetchRefused):
    """A redirect chain is longer than ``REDIRECT_MAX_TIMES``."""

    kind = "too_many_redirects"


class OffsiteRedirect(FetchRefused):
    """A redirect leaves the sites being crawled."""

    kind = "offsite_redirect"


class HeaderLimitExceeded(Exception):
    """A response's header section broke a bound (line length, total bytes, line count);
    raised by :mod:`newsbot.http11`'s parser, reported as ``headers_too_large``."""

    kind = "headers_too_large"


class NotModified(IgnoreRequest):
    """A feed or sitemap answered 304: nothing new there since the last complete run."""


def _twisted_reasons(exc: BaseException) -> list[BaseException]:
    """Return the Twisted failures wrapped in ``exc`` (its cause's ``reasons``), if any."""
    cause = exc if isinstance(exc, ResponseFailed) else exc.__cause__
    reasons = getattr(cause, "reasons", None) or []
    return [r.value for r in reasons if isinstance(r, Failure) and r.value is not None]


def _is_reset(exc: BaseException) -> bool:
    """Return True when a data-loss failure came from a reset (not a clean close)."""
    return any(
        isinstance(r, net_error.ConnectionLost) and not isinstance(r, net_error.ConnectionDone)
        for r in _twisted_reasons(exc)
    )


_KINDS: tuple[tuple[type[BaseException] | tuple[type[BaseException], ...], str], ...] = (
    ((scrapy_exc.DownloadTimeoutError, net_error.TimeoutError, net_error.TCPTimedOutError), "timeout"),
    ((scrapy_exc.CannotResolveHostError, net_error.DNSLookupError), "dns"),
    ((scrapy_exc.DownloadConnectionRefusedError, net_error.ConnectionRefusedError), "connection_refused"),
    (scrapy_exc.DownloadCancelledError, "too_large"),
    (
        (
            net_error.ConnectionLost,
            net_error.ConnectionDone,
            ResponseFailed,
            ResponseNeverReceived,
            scrapy_exc.DownloadFailedError,
        ),
        "connection_lost",
    ),
    (net_error.ConnectError, "connect"),
)


def _header_limit(exc: BaseException | None) -> HeaderLimitExceeded | None:
    """Return the header-limit failure wrapped in ``exc``, if that is why it failed."""
    if exc is None or isinstance(exc, HeaderLimitExceeded):
        return exc
    return next((r for r in _twisted_reasons(exc) if isinstance(r, HeaderLimitExceeded)), None)


def failure_kind(failure: Failure) -> str:
    """Return a short stats name for why a request failed: ``http_404``, ``timeout``,
    ``dns``, ``connection_refused``, ``connection_lost``, ``truncated``, ``too_large``,
    ``robots``, ``redirect_loop``, ``too_many_redirects``, ``offsite_redirect``, ..."""
    exc = failure.value
    if isinstance(exc, HttpError):
        return f"http_{exc.response.status}"
    if isinstance(exc, FetchRefused):
        return exc.kind
    if isinstance(exc, IgnoreRequest):
        text = str(exc).lower()
        if "robots" in text:
            return "robots"
        if "max redirections" in text:
            return "too_many_redirects"
        if "download_maxsize" in text or "max size" in text:
            return "too_large"
        return "ignored"
    if _header_limit(exc) is not None:
        return HeaderLimitExceeded.kind
    if isinstance(exc, scrapy_exc.ResponseDataLossError):
        return "connection_lost" if _is_reset(exc) else "truncated"
    for types, kind in _KINDS:
        if isinstance(exc, types):
            return kind
    return type(exc).__name__.lower()


_REASONS = {
    "timeout": "no response within DOWNLOAD_TIMEOUT",
    "connection_refused": "connection refused",
    "connection_lost": "connection lost mid-response",
    "truncated": "body shorter than its Content-Length (truncated)",
    "too_large": "response larger than DOWNLOAD_MAXSIZE (download or decompression stopped)",
    "robots": "forbidden by robots.txt",
    "dns": "host name not found",
}


def failure_reason(failure: Failure) -> str:
    """Return a one-line human description of a failure (with the attempt count when the
    request was retried)."""
    exc = failure.value
    request = getattr(failure, "request", None)
    retries = request.meta.get("retry_times", 0) if request is not None else 0
    attempts = f" (gave up after {retries + 1} attempts)" if retries else ""
    if isinstance(exc, HttpError):
        extra = ""
        retry_after = exc.response.headers.get(b"Retry-After")
        if exc.response.status in (429, 503) and retry_after:
            extra = f", Retry-After {retry_after.decode('latin-1')}"
            if request is not None and request.meta.get("retry_after_over_cap"):
                extra += f" is over the {request.meta['retry_after_over_cap']} s cap, not retried"
        return f"HTTP {exc.response.status}{extra}{attempts}"
    if isinstance(exc, FetchRefused):
        return str(exc)
    limit = _header_limit(exc)
    if limit is not None:
        return str(limit)
    kind = failure_kind(failure)
    if kind == "timeout" and request is not None and request.meta.get("download_timeout"):
        return f"{_REASONS[kind]} ({request.meta['download_timeout']:g} s){attempts}"
    if kind in _REASONS:
        return _REASONS[kind] + attempts
    text = str(exc).strip().splitlines()
    return (f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__) + attempts
