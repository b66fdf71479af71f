"""JSON Feed (``application/feed+json``, https://jsonfeed.org/version/1.1): item links."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urljoin

from newsbot.discovery.freshness import Listed, dated


def is_json_feed(body: bytes) -> bool:
    """Return True when ``body`` starts like a JSON Feed document."""
    head = body[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"{") and b"jsonfeed.org/version" in body[:4096]


def json_feed_entries(body: bytes, base_url: str) -> list[Listed] | None:
    """Return the items of a JSON Feed (``url``, else ``id`` when it is an http(s) URL,
    resolved against ``base_url``) with their published/modified dates; None when ``body``
    is not a JSON Feed."""
    try:
        data: Any = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        return None
    entries: list[Listed] = []
    for item in data["items"]:
        if not isinstance(item, dict):
            continue
        link = item.get("url")
        if not isinstance(link, str) or not link.strip():
            ident = item.get("id")
            link = ident if isinstance(ident, str) and ident.startswith(("http://", "https://")) else None
        if not link:
            continue
        published, modified = item.get("date_published"), item.get("date_modified")
        entries.append(
            dated(
                urljoin(base_url, link.strip()),
                published if isinstance(published, str) else None,
                modified if isinstance(modified, str) else None,
            )
        )
    return entries
