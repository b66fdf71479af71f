"""Readers of newsbot's stats keys: ``newsbot/<name>`` run-wide and
``newsbot/site/<host>/<name>`` per site (pure functions of a stats dict; no Scrapy)."""

from __future__ import annotations

from typing import Any

# a page that is gone: a broken link, not an article lost to a fault of the fetch
BROKEN_LINK_ERRORS = frozenset(("http_404", "http_410"))


def is_lost_page(kind: str) -> bool:
    """Return True when a page request that failed as ``kind`` (:func:`newsbot.errors.failure_kind`) may
    have lost an article: any HTTP 4xx or 5xx answer (after retries) but 404 and 410."""
    return kind.startswith("http_") and kind not in BROKEN_LINK_ERRORS


def totals(stats: dict[str, Any]) -> dict[str, Any]:
    """Return the run-wide newsbot counts of a stats dict (pages, articles, drops, errors)."""
    out: dict[str, Any] = {}
    for key, value in stats.items():
        if key.startswith("newsbot/") and not key.startswith("newsbot/site/"):
            out[key[len("newsbot/") :]] = value
    return out


def per_site(stats: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Return, per site host: discovered, fetched, pages, written, skipped as seen, found,
    unchanged, lost (pages answered with an HTTP error other than 404/410), dropped by
    reason and errors by kind."""
    sites: dict[str, dict[str, Any]] = {}
    for key, value in stats.items():
        if not key.startswith("newsbot/site/"):
            continue
        _, _, host, *rest = key.split("/")
        site = sites.setdefault(
            host,
            {
                "discovered": 0,
                "fetched": 0,
                "pages": 0,
                "written": 0,
                "skipped_seen": 0,
                "found": 0,
                "unchanged": 0,
                "lost": 0,
                "dropped": {},
                "errors": {},
            },
        )
        name = "/".join(rest)
        if name == "articles":
            site["written"] = value
        elif name == "skipped/seen":
            site["skipped_seen"] = value
        elif rest[0] in ("dropped", "errors") and len(rest) == 2:
            site[rest[0]][rest[1]] = value
        elif name in site:
            site[name] = value
    return sites
