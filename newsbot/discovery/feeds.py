"""Feeds: the item links of RSS (0.9x-2.0), RDF, Atom (0.3 and 1.0), CDF and JSON Feed
documents, with the dates each item gives, and the feed types a page may declare with
``<link rel="alternate">``.

XML feeds are read by feedparser, wrapped so that it never fetches anything (it is handed
the downloaded bytes as a stream, never a URL or a path; external DTDs stay off), an
internal DTD is removed before parsing (no entity is ever expanded), relative links are
resolved against ``xml:base`` and the feed's own URL, HTML sanitising is off, and an Atom
``<id>`` that is not a link (``tag:``, ``urn:``) is never taken for one.
"""

from __future__ import annotations

import io
import re
import warnings
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

from newsbot.discovery.freshness import Listed
from newsbot.discovery.jsonfeed import is_json_feed, json_feed_entries

FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/json",
    "application/rdf+xml",
    "application/xml",
    "text/xml",
)
_INTERNAL_DTD = re.compile(rb"<!DOCTYPE[^\[>]*\[.*?\]\s*>", re.DOTALL | re.IGNORECASE)
_UNEXPANDED_ENTITY = re.compile(r"&[A-Za-z_][\w.-]*;")
_ENTITY_NAME = re.compile(rb"<!ENTITY\s+(?:%\s*)?([\w.-]+)")
_FEED_ROOT = re.compile(
    rb"^(?:\s|<\?xml[^>]*\?>|<!--.*?-->|<!DOCTYPE[^>]*>)*<(?:\w+:)?(rss|feed|RDF|channel)\b", re.IGNORECASE | re.DOTALL
)


def looks_like_feed(body: bytes) -> bool:
    """Return True when ``body`` begins like an RSS, RDF, Atom, CDF or JSON feed, whatever
    Content-Type it was served with (feeds served as ``text/html`` are common)."""
    head = body[:4096].lstrip(b"\xef\xbb\xbf")
    return bool(_FEED_ROOT.match(head)) or is_json_feed(head)


def _struct_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime(value[0], value[1], value[2], value[3], value[4], value[5], tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def _entry_link(entry: Any, version: str) -> str | None:
    for link in entry.get("links") or []:
        if link.get("href") and link.get("rel", "alternate") == "alternate":
            return str(link["href"])
    if entry.get("links") and entry.get("link"):
        return str(entry["link"])
    ident = str(entry.get("id") or "")
    # an RSS <guid> that is a permalink; an Atom <id> only when it is an http(s) URL
    if (
        entry.get("guidislink")
        and ident
        and (not version.startswith("atom") or ident.startswith(("http://", "https://")))
    ):
        return ident
    return None


def feed_entries(body: bytes, url: str) -> list[Listed] | None:
    """Return the items of a feed at ``url`` (absolute http(s) links, with the dates each
    item gives), or None when ``body`` is not a readable feed."""
    if is_json_feed(body):
        return json_feed_entries(body, url)
    dtd = _INTERNAL_DTD.search(body[:65536])
    declared = [b"&" + name for name in _ENTITY_NAME.findall(dtd.group(0))] if dtd else []
    if dtd:  # no entity is expanded: links that used one are dropped below
        body = body[: dtd.start()] + body[dtd.end() :]
    import feedparser  # type: ignore[import-untyped]  # here: a URL-list run never reads a feed

    parsed = feedparser.parse(
        io.BytesIO(body),
        response_headers={"content-location": url, "content-type": "application/xml"},
        resolve_relative_uris=False,
        sanitize_html=False,
    )
    version = parsed.get("version") or ""
    if not version and not parsed.entries:
        return None
    entries: list[Listed] = []
    for entry in parsed.entries:
        link = _entry_link(entry, version)
        if not link or _UNEXPANDED_ENTITY.search(link) or any(n.decode() in link for n in declared):
            continue
        link = urljoin(url, link.strip())
        if not link.startswith(("http://", "https://")):
            continue
        with warnings.catch_warnings():  # feedparser's updated/published fallback notice
            warnings.simplefilter("ignore", DeprecationWarning)
            dates = [
                d
                for key in ("published_parsed", "updated_parsed", "created_parsed")
                if (d := _struct_time(entry.get(key))) is not None
            ]
        entries.append(Listed(link, dates))
    return entries


def feed_links(body: bytes, url: str = "") -> list[str]:
    """Return the item links of a feed (:func:`feed_entries` without dates); empty when it
    does not parse."""
    return [entry.url for entry in feed_entries(body, url) or []]
