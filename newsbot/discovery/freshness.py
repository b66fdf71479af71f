"""Dates before fetching: whether a page a sitemap or feed lists with a date needs to be
requested at all. Like Scrapy's ``SitemapSpider.sitemap_filter``, the decision is made on
the listing's entry, before any request.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dateutil import parser as dateparser

TOO_OLD = "too_old"
UNCHANGED = "unchanged"


def parse_date(text: str | None) -> datetime | None:
    """Return the aware datetime of a W3C/ISO 8601 or RFC 822 date (UTC when it names no
    zone), or None when there is none or it does not parse."""
    if not text or not text.strip():
        return None
    text = text.strip()
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        try:
            value = dateparser.parse(text)
        except (ValueError, OverflowError):
            return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def skip_reason(
    dates: list[datetime],
    max_age_days: int = 0,
    emitted_at: datetime | None = None,
    now: datetime | None = None,
) -> str | None:
    """Return why a listed page need not be requested, or None when it must be.

    ``dates`` are what its listing says (lastmod, news publication date, feed item date);
    the newest counts. ``"too_old"``: even the newest is older than ``max_age_days`` (0: no
    limit). ``"unchanged"``: the page was emitted at ``emitted_at`` and no date is newer.
    A page listed without a date is always requested.
    """
    if not dates:
        return None
    newest = max(dates)
    now = now or datetime.now(UTC)
    if max_age_days and now - newest > timedelta(days=max_age_days):
        return TOO_OLD
    if emitted_at is not None and newest <= emitted_at:
        return UNCHANGED
    return None


class Listed:
    """A page URL as a sitemap or feed lists it, with the dates the listing gives."""

    __slots__ = ("dates", "url")

    def __init__(self, url: str, dates: list[datetime] | None = None) -> None:
        self.url = url
        self.dates = dates or []

    def __repr__(self) -> str:
        return f"Listed({self.url!r}, {self.dates!r})"


def dated(url: str, *texts: str | None) -> Listed:
    """Return ``url`` listed with the dates among ``texts`` that parse."""
    return Listed(url, [d for t in texts if (d := parse_date(t)) is not None])
