"""Scrapy's HTTP/1.1 download handler with bounds on the response header section.

Twisted's response parser accepts header lines of at most 16 KB (a longer one drops the
connection, losing pages that send a large ``Content-Security-Policy``) and any number of
them (a server sending header lines forever grows the crawler's memory until the
download timeout). :class:`LimitedHTTP11DownloadHandler` is Scrapy's handler with:

* a header line of up to ``NEWSBOT_MAX_HEADER_LINE`` bytes accepted;
* at most ``NEWSBOT_MAX_HEADER_BYTES`` bytes and ``NEWSBOT_MAX_HEADERS`` lines in the
  header section: past either, the response fails at once with
  :class:`newsbot.errors.HeaderLimitExceeded` (error kind ``headers_too_large``) and the
  connection is closed, so memory stays bounded whatever the server sends.

Only the response parser changes; connections, TLS, proxies and timeouts are Scrapy's.
Scrapy's handler builds its parser in a private class (there is no public hook), so this
module subclasses that class and swaps the parser's class the same way Scrapy itself does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from newsbot.errors import HeaderLimitExceeded
from newsbot.hostguard import guard_of
from newsbot.startup import frames_only_stack

with frames_only_stack():  # Scrapy's TLS module calls inspect.stack() at import (newsbot.startup)
    from scrapy.core.downloader.handlers.http11 import (
        HTTP11DownloadHandler,
        _LenientHTTP11ClientFactory,
        _LenientHTTP11ClientProtocol,
        _LenientHTTPClientParser,
    )

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response
    from twisted.internet.defer import Deferred
    from twisted.web.iweb import IResponse


class HeaderLimits:
    """The three bounds on a response's header section, in bytes and lines."""

    __slots__ = ("headers", "line", "total")

    def __init__(self, line: int, total: int, headers: int) -> None:
        self.line = line
        self.total = total
        self.headers = headers


class LimitedHTTPClientParser(_LenientHTTPClientParser):
    """Scrapy's lenient response parser that counts the header section's bytes and lines
    and raises :class:`HeaderLimitExceeded` past the limits."""

    limits: HeaderLimits
    _header_bytes: int
    _header_lines: int

    def lineReceived(self, line: bytes) -> None:  # noqa: N802 - Twisted's naming
        """Count the line against the limits, then parse it as Scrapy does."""
        self._header_bytes = getattr(self, "_header_bytes", 0) + len(line) + 2
        self._header_lines = getattr(self, "_header_lines", 0) + 1
        limits = self.limits
        if self._header_bytes > limits.total:
            raise HeaderLimitExceeded(
                f"response header section over {limits.total} bytes (NEWSBOT_MAX_HEADER_BYTES); not read further"
            )
        if self._header_lines > limits.headers + 1:  # the status line is not a header
            raise HeaderLimitExceeded(
                f"more than {limits.headers} response header lines (NEWSBOT_MAX_HEADERS); not read further"
            )
        super().lineReceived(line)

    def lineLengthExceeded(self, line: bytes) -> None:  # noqa: N802 - Twisted's naming
        """Fail the response: one header line is longer than the limit."""
        raise HeaderLimitExceeded(
            f"a response header line over {self.limits.line} bytes (NEWSBOT_MAX_HEADER_LINE); not read further"
        )


class LimitedHTTP11ClientProtocol(_LenientHTTP11ClientProtocol):
    """Scrapy's HTTP/1.1 client protocol whose response parser is bounded."""

    limits = HeaderLimits(65536, 262144, 500)

    def request(self, request: Any) -> Deferred[IResponse]:
        """Send ``request``; return the deferred response, parsed within the limits."""
        d = super().request(request)
        parser = self._parser
        if parser is not None:
            parser.__class__ = LimitedHTTPClientParser
            parser.limits = self.limits  # type: ignore[attr-defined]
            parser.MAX_LENGTH = self.limits.line
        return d


class LimitedHTTP11DownloadHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP/1.1 download handler with bounded response headers (module docstring).

    Settings read: ``NEWSBOT_MAX_HEADER_LINE``, ``NEWSBOT_MAX_HEADER_BYTES``,
    ``NEWSBOT_MAX_HEADERS``.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        settings = crawler.settings
        limits = HeaderLimits(
            settings.getint("NEWSBOT_MAX_HEADER_LINE"),
            settings.getint("NEWSBOT_MAX_HEADER_BYTES"),
            settings.getint("NEWSBOT_MAX_HEADERS"),
        )
        protocol = type("BoundedProtocol", (LimitedHTTP11ClientProtocol,), {"limits": limits})

        class BoundedFactory(_LenientHTTP11ClientFactory):
            def buildProtocol(self, addr: Any) -> Any:  # noqa: N802 - Twisted's naming
                return protocol(self._quiescentCallback)

        self._pool._factory = BoundedFactory

    async def download_request(self, request: Request) -> Response:
        """Return the response; a request queued for a site that has since been marked
        unreachable (:mod:`newsbot.hostguard`) fails at once without connecting."""
        guard = guard_of(self._crawler)
        if guard is not None:
            guard.refuse(request)
        return await super().download_request(request)
