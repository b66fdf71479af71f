"""robots.txt: the sitemaps it names, and where sitemaps are looked for when it names none.

Protego (Scrapy's robots.txt parser) reads ``Sitemap:`` lines only; sites also write
``Site-map:``, ``Sitemaps:`` or indent the line, so the lines are read here.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

_SITEMAP_LINE = re.compile(rb"^[ \t]*site-?maps?[ \t]*:[ \t]*(\S+)", re.IGNORECASE | re.MULTILINE)

# Probed, in this order, when robots.txt names no sitemap (or cannot be fetched): the
# conventional paths, sitemap indexes, news sitemaps and WordPress's own (>= 5.5).
COMMON_SITEMAP_PATHS = (
    "/sitemap.xml",
    "/sitemap_index.xml",
    "/sitemap-index.xml",
    "/sitemap_news.xml",
    "/sitemap-news.xml",
    "/news-sitemap.xml",
    "/wp-sitemap.xml",
    "/sitemap.txt",
)


def robots_sitemaps(body: bytes, base_url: str) -> list[str]:
    """Return the absolute sitemap URLs a robots.txt names (``Sitemap:``, ``Site-map:``,
    ``Sitemaps:``, any case), in order and without repeats."""
    found: list[str] = []
    for match in _SITEMAP_LINE.finditer(body):
        url = urljoin(base_url, match.group(1).decode("utf-8", "replace"))
        if url not in found:
            found.append(url)
    return found


def common_sitemap_urls(origin: str) -> list[str]:
    """Return the URLs of :data:`COMMON_SITEMAP_PATHS` on ``origin`` (``scheme://host``)."""
    return [urljoin(origin, path) for path in COMMON_SITEMAP_PATHS]
