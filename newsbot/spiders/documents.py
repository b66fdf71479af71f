"""How the ``site`` spider reads the sitemap and feed documents it fetched: gunzipping,
entity warnings, a feed listed as a sitemap, a cut-off sitemap, an unreadable feed; each
problem logged in one line naming the URL (the parsing itself is
:mod:`newsbot.discovery`)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from scrapy import Request
from scrapy.http import Response
from scrapy.utils.gz import gunzip

from newsbot.discovery.feeds import feed_entries, looks_like_feed
from newsbot.discovery.freshness import Listed
from newsbot.discovery.sitemaps import declares_entities, read_sitemap
from newsbot.spiders.base import is_html
from newsbot.urls import canonical_request_url

logger = logging.getLogger("newsbot.spiders.site")


class DocumentReader:
    """Mixin of :class:`newsbot.spiders.site.SiteSpider`: reads sitemap and feed responses."""

    settings: Any
    count_error: Any
    on_site: Any
    discovery: Any
    parse_sitemap: Any

    def sitemap_body(self, response: Response) -> bytes | None:
        """Return the body of a sitemap response, gunzipped when it is gzip (None and one
        line logged when it cannot be)."""
        body = response.body
        if body[:2] == b"\x1f\x8b":
            try:
                body = gunzip(body, max_size=self.settings.getint("DOWNLOAD_MAXSIZE"))
            except Exception:  # noqa: BLE001 - corrupt or oversized archives are one error
                self.count_error("bad_sitemap", response.url)
                logger.error("bad sitemap: %s: cannot decompress", response.url)
                return None
        return body

    def read_sitemap_response(self, response: Response, pages: list[Listed]) -> Iterator[Request]:
        """Yield the requests of the sitemaps a sitemap index lists; put the pages a sitemap
        or feed lists into ``pages``."""
        body = self.sitemap_body(response)
        if body is None:
            return
        self.check_entities(response.url, body, "sitemap")
        doc = read_sitemap(body)
        if doc is None:
            entries = feed_entries(body, response.url) if looks_like_feed(body) else None
            if entries is not None:
                pages.extend(entries)  # an RSS/Atom feed listed as a sitemap
            elif not response.meta.get("probe"):
                self.count_error("bad_sitemap", response.url)
                logger.error("bad sitemap: %s: not a sitemap, sitemap index or feed", response.url)
            return
        if doc.cut:
            self.count_error("bad_sitemap", response.url)
            logger.error(
                "bad sitemap: %s: XML cut off; the %d complete entries before the cut are used",
                response.url,
                len(doc.entries),
            )
        if doc.kind == "urlset":
            pages.extend(doc.entries)
            return
        depth = response.meta.get("sitemap_depth", 0)
        chain = [*response.meta.get("sitemap_chain", []), canonical_request_url(response.url)]
        for entry in doc.entries:
            loc = entry.url
            if not self.on_site(loc):
                continue
            if canonical_request_url(loc) in chain:
                self.count_error("sitemap_loop", response.url)
                logger.warning(
                    "sitemap loop: %s lists %s, %s; not followed again",
                    response.url,
                    "itself" if canonical_request_url(loc) == chain[-1] else "a sitemap index above it",
                    loc,
                )
            elif depth < 3:
                meta = {"sitemap_depth": depth + 1, "sitemap_chain": chain}
                yield from self.discovery(loc, self.parse_sitemap, meta=meta)

    def read_feed(self, response: Response) -> list[Listed]:
        """Return the items of a feed response; log one line when it cannot be read (a
        probed path answering with an HTML page is not a feed and stays quiet)."""
        body = response.body
        if is_html(response) and not looks_like_feed(body):
            if not response.meta.get("probe"):
                self.count_error("bad_feed", response.url)
                logger.error("bad feed: %s: an HTML page, not a feed", response.url)
            return []
        self.check_entities(response.url, body, "feed")
        entries = feed_entries(body, response.url)
        if entries is None or (not entries and not looks_like_feed(body)):
            self.count_error("bad_feed", response.url)
            probed = " (probed path)" if response.meta.get("probe") else ""
            logger.error("bad feed: %s%s: no items could be read", response.url, probed)
            return []
        return entries

    def check_entities(self, url: str, body: bytes, what: str) -> None:
        """Count and log an XML document that declares entities (they are not expanded)."""
        if declares_entities(body):
            self.count_error("xml_entities", url)
            logger.warning("%s declares XML entities (not expanded, DTD not loaded): %s", what, url)
