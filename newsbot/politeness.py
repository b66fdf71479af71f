"""A User-Agent that names the operator's contact URL.

Settings read: ``USER_AGENT`` (``{contact}`` in it is replaced) and
``NEWSBOT_CONTACT_URL``. Replaces Scrapy's ``UserAgentMiddleware``, so
``-s NEWSBOT_CONTACT_URL=https://example.org/bot`` is all an operator has to set.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler


class ContactUserAgentMiddleware:
    """Downloader middleware: sets ``User-Agent`` on every request that has none."""

    def __init__(self, user_agent: str) -> None:
        self.user_agent = user_agent

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ContactUserAgentMiddleware:
        """Return the middleware with ``{contact}`` in ``USER_AGENT`` filled in."""
        settings = crawler.settings
        agent = settings.get("USER_AGENT", "newsbot").replace("{contact}", settings.get("NEWSBOT_CONTACT_URL", ""))
        return cls(agent)

    def process_request(self, request: Request) -> None:
        """Set the User-Agent header unless the request carries one."""
        request.headers.setdefault(b"User-Agent", self.user_agent.encode("utf-8"))
