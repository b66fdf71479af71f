"""Names for fetch failures, shared by every spider's errback and the stats keys."""

from __future__ import annotations

from twisted.internet import error as net_error
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError

_KINDS: tuple[tuple[type[BaseException] | tuple[type[BaseException], ...], str], ...] = (
    ((net_error.TimeoutError, net_error.TCPTimedOutError), "timeout"),
    (net_error.DNSLookupError, "dns"),
    (net_error.ConnectionRefusedError, "connection_refused"),
    ((net_error.ConnectionLost, net_error.ConnectionDone, ResponseFailed, ResponseNeverReceived), "connection_lost"),
    (net_error.ConnectError, "connect"),
)


def failure_kind(failure: Failure) -> str:
    """Return a short stats name for why a request failed (``http_404``, ``timeout``,
    ``dns``, ``connection_refused``, ``robots``, ...)."""
    exc = failure.value
    if isinstance(exc, HttpError):
        return f"http_{exc.response.status}"
    if isinstance(exc, IgnoreRequest):
        text = str(exc).lower()
        if "robots" in text:
            return "robots"
        return "ignored"
    for types, kind in _KINDS:
        if isinstance(exc, types):
            return kind
    return type(exc).__name__.lower()


def failure_reason(failure: Failure) -> str:
    """Return a one-line human description of a failure."""
    exc = failure.value
    if isinstance(exc, HttpError):
        return f"HTTP {exc.response.status}"
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
