"""Sitemaps and robots.txt: the URLs a sitemap or sitemap index lists (through Scrapy's
sitemap parser, which never expands entities or loads DTDs) and the sitemaps robots.txt
names."""

from __future__ import annotations

from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots


def declares_entities(body: bytes) -> bool:
    """Return True when an XML document declares entities in an internal DTD (the shape
    of "billion laughs" and external-entity attacks; newsbot never expands them)."""
    head = body[:65536]
    start = head.find(b"<!DOCTYPE")
    return start >= 0 and b"<!ENTITY" in head[start:]


def read_sitemap(body: bytes) -> tuple[str, list[str]] | None:
    """Return ``(kind, locs)`` of a sitemap document: kind ``"urlset"`` (pages) or
    ``"sitemapindex"`` (sitemaps), and its non-empty ``<loc>`` URLs in order; None when the
    body is not a sitemap."""
    try:
        sitemap = Sitemap(body)
    except Exception:  # noqa: BLE001 - lxml raises several types on broken XML
        return None
    if sitemap.type not in ("sitemapindex", "urlset"):
        return None
    return sitemap.type, [loc for entry in sitemap if (loc := (entry.get("loc") or "").strip())]


def robots_sitemaps(body: bytes, base_url: str) -> list[str]:
    """Return the sitemap URLs a robots.txt names (``Sitemap:`` lines), absolute."""
    return list(sitemap_urls_from_robots(body, base_url=base_url))
