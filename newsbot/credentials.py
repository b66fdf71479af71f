"""Credentials in URLs (``https://user:secret@host/``): used, never shown.

* :func:`split_credentials` takes the user name and password out of a URL the user gave;
  the spiders request the URL without them and :class:`BasicAuthMiddleware` sends them as
  HTTP basic auth to that origin only (scheme, host and port), never to another host.
* :func:`mask` replaces the password in any URL in a text with ``***``; importing this
  module installs a log record factory that masks every log line (messages and their
  arguments), so no line, summary or traceback shows a password.
"""

from __future__ import annotations

import base64
import logging
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit, urlunsplit

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Request

_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^/?#@\s:]*):(?P<password>[^/?#@\s]*)@")

_origins: dict[str, bytes] = {}  # origin -> Authorization header value


def mask(text: str) -> str:
    """Return ``text`` with the password of every ``scheme://user:password@`` replaced by ``***``."""
    if "@" not in text:
        return text
    return _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:***@", text)


def origin_of(url: str) -> str:
    """Return ``scheme://host:port`` of ``url`` (lower case, the port explicit)."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    return f"{parts.scheme.lower()}://{(parts.hostname or '').lower()}:{port}"


def split_credentials(url: str) -> str:
    """Return ``url`` without its user name and password; when it had them, remember them
    for HTTP basic auth on its origin (:class:`BasicAuthMiddleware`)."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    netloc = parts.hostname or ""
    if ":" in netloc:
        netloc = f"[{netloc}]"
    if parts.port is not None:
        netloc += f":{parts.port}"
    clean = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    token = f"{unquote(parts.username or '')}:{unquote(parts.password or '')}".encode()
    _origins[origin_of(clean)] = b"Basic " + base64.b64encode(token)
    return clean


class BasicAuthMiddleware:
    """Downloader middleware: adds the basic-auth header for origins given with credentials."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BasicAuthMiddleware:
        """Return the middleware."""
        return cls()

    def process_request(self, request: Request) -> None:
        """Set ``Authorization`` on a request to an origin whose URL carried credentials."""
        if _origins and b"Authorization" not in request.headers:
            header = _origins.get(origin_of(request.url))
            if header is not None:
                request.headers[b"Authorization"] = header


def _masked_args(args: Any) -> Any:
    if isinstance(args, tuple):
        return tuple(mask(a) if isinstance(a, str) else a for a in args)
    if isinstance(args, dict):
        return {k: mask(v) if isinstance(v, str) else v for k, v in args.items()}
    return args


_previous_factory = logging.getLogRecordFactory()


def _masking_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
    record = _previous_factory(*args, **kwargs)
    if isinstance(record.msg, str):
        record.msg = mask(record.msg)
    if record.args:
        record.args = _masked_args(record.args)
    return record


if getattr(_previous_factory, "__name__", "") != "_masking_factory":
    logging.setLogRecordFactory(_masking_factory)
