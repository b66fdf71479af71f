"""Filters applied to a WARC record before its body is read: the site of its target URI
(``--site``, subdomains included) and its WARC-Date (``--since`` / ``--until``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from newsbot.urls import host_of

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_bound(value: str, *, end_of_day: bool = False) -> datetime:
    """Return ``value`` (an ISO 8601 date or date-time; UTC when it names no offset) as an
    aware datetime. A bare date is its first moment, or with ``end_of_day`` the first
    moment of the next day (so ``--until 2026-11-30`` includes that whole day).

    Raises ``ValueError`` with a one-line message when ``value`` is not such a date."""
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO 8601 date (2026-11-30) or date-time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if end_of_day and _DATE_ONLY.match(text):
        moment += timedelta(days=1)
    return moment


def parse_warc_date(value: str | None) -> datetime | None:
    """Return a WARC-Date header (``2026-11-30T12:00:00Z``, fractions allowed, or an ARC
    ``20261130120000`` stamp) as an aware UTC datetime, or None when it is missing or not a date."""
    if not value:
        return None
    text = value.strip()
    try:
        if text.isdigit() and len(text) >= 8:
            moment = datetime.strptime(text[:14].ljust(14, "0"), "%Y%m%d%H%M%S").replace(tzinfo=UTC)
        else:
            moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def iso_utc(moment: datetime) -> str:
    """Return ``moment`` as the record's ``fetched_at``: ISO 8601 UTC, whole seconds."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def site_matches(url: str, sites: tuple[str, ...]) -> bool:
    """Return True when ``url``'s host is one of ``sites`` or a subdomain of one (no sites:
    every URL matches). Sites and hosts are compared without ``www.``."""
    if not sites:
        return True
    host = host_of(url)
    return any(host == site or host.endswith("." + site) for site in sites)


def normalise_site(value: str) -> str:
    """Return a ``--site`` value as the host it names (``https://www.News.example/x`` and
    ``news.example`` both give ``news.example``)."""
    text = value.strip()
    return host_of(text if "//" in text else "//" + text)


@dataclass(frozen=True)
class RecordFilter:
    """What to read: hosts (subdomains included), and a WARC-Date window
    (``since`` inclusive, ``until`` exclusive); None: no bound."""

    sites: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None

    def reason(self, url: str, date: datetime) -> str | None:
        """Return why a record is filtered out (``site``, ``date``), or None to read it."""
        if not site_matches(url, self.sites):
            return "site"
        if (self.since is not None and date < self.since) or (self.until is not None and date >= self.until):
            return "date"
        return None
