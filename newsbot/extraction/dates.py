"""Dates as the record writes them: ISO 8601, with the UTC offset the source gave."""

from __future__ import annotations

import re
from datetime import datetime

from dateutil import parser as date_parser

from newsbot.extraction.text import clean_whitespace

_TZ_NAMES = {
    "GMT": 0,
    "UTC": 0,
    "Z": 0,
    "BST": 3600,
    "CET": 3600,
    "CEST": 7200,
    "EST": -18000,
    "EDT": -14400,
    "CST": -21600,
    "CDT": -18000,
    "PST": -28800,
    "PDT": -25200,
    "IST": 19800,
    "JST": 32400,
}
_DATE_ONLY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def to_iso8601(value: str | datetime | None) -> str | None:
    """Return ``value`` as ISO 8601: ``YYYY-MM-DD`` for a bare date, else a date-time to the
    second with its UTC offset where the source had one; None when it is not a date."""
    if value is None:
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        text = clean_whitespace(value)
        if not text:
            return None
        if _DATE_ONLY_RE.match(text):
            return text
        try:
            parsed = date_parser.parse(text, tzinfos=_TZ_NAMES)
        except (ValueError, OverflowError, TypeError):
            return None
        has_time = bool(re.search(r"\d{1,2}:\d{2}", text))
        if not has_time and parsed.tzinfo is None:
            return parsed.date().isoformat()
    if not 1990 <= parsed.year <= 2100:
        return None
    return parsed.replace(microsecond=0).isoformat()
