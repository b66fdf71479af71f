"""Headline clean-up: the declared title without its site-name segments."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from newsbot.extraction.text import clean_whitespace

_TITLE_SEPARATORS = re.compile(r"\s+[|–—\-·•:»«/*]\s+|\s*[|\u3163]\s*|\s*：\s*")

QUOTE_AFTER = re.compile(r"\s*[\"\u201c\u201d\u201e\u00ab\u00bb\u2018\u2019']")


def strip_site_name(raw: str | None, site_name: str | None, url: str, h1: str | None = None) -> str | None:
    """Return a title without the site-name segment ("Headline – Site" -> "Headline")."""
    title = clean_whitespace(raw)
    if not title:
        return None
    if h1 and title.casefold() == h1.casefold():
        return title
    if site_name:
        prefix = re.match(re.escape(site_name) + r"\s*[:|–—\-]\s*", title, re.IGNORECASE)
        if prefix and len(title) > prefix.end():
            title = title[prefix.end() :]
    parts = [p for p in _TITLE_SEPARATORS.split(title) if p.strip()]
    if len(parts) < 2:
        return title
    if h1:
        for part in parts:
            if part.strip().casefold() == h1.casefold():
                return part.strip()
    host = urlsplit(url).hostname or ""
    host_words = {w for w in re.split(r"[.\-]", host.lower()) if w not in ("www", "com", "org", "net", "co")}

    def is_site(part: str) -> bool:
        folded = part.strip().casefold()
        squashed = re.sub(r"\W+", "", folded)
        if site_name and folded == site_name.casefold():
            return True
        return bool(squashed) and (squashed in host_words or any(squashed == w for w in host_words))

    while len(parts) > 1 and (is_site(parts[-1]) or re.match(r"(?i)by\s", parts[-1].strip())):
        parts.pop()
    while len(parts) > 1 and is_site(parts[0]):
        parts.pop(0)
    separator = re.search(_TITLE_SEPARATORS, title)
    if len(parts) > 1 and separator:
        # keep the headline's own separators: only the site segments were dropped
        return clean_whitespace(title[title.find(parts[0]) : title.rfind(parts[-1]) + len(parts[-1])])
    return parts[0].strip()
