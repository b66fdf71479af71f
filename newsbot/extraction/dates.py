"""Dates as the record writes them: ISO 8601, with the UTC offset the source gave.

A raw value goes through python-dateutil first (ISO 8601, RFC 822 and English dates); a
value it cannot read, such as one with month names of another language ("13. Mai 2026",
"5 juin 2025", "13 мая 2026"), goes to dateparser, imported only then (it costs about a
second of start-up and a few milliseconds a value). A date that cannot be a publication
date (``0000-00-00``, a year before 1990, more than two days after the fetch) is None.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from dateutil import parser as date_parser
from dateutil.tz import tzoffset

from newsbot.extraction.text import clean_whitespace

_TZ_NAMES = {
    "GMT": 0,
    "UTC": 0,
    "Z": 0,
    "BST": 3600,
    "CET": 3600,
    "CEST": 7200,
    "EET": 7200,
    "EEST": 10800,
    "MSK": 10800,
    "EST": -18000,
    "EDT": -14400,
    "CST": -21600,
    "CDT": -18000,
    "PST": -28800,
    "PDT": -25200,
    "IST": 19800,
    "JST": 32400,
    "KST": 32400,
    "AEST": 36000,
    "AEDT": 39600,
}
_DATE_ONLY_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_TIME_RE = re.compile(r"\d{1,2}(?::\d{2}|h\d{2})")
# "GMT+5:30", "UTC -3", "GMT+0530": dateutil reads "GMT+h" the POSIX way (the sign
# inverted: "GMT+3" is three hours *behind*), which no news page means; written as a plain
# offset "+05:30" it keeps the sign the page shows.
_NAMED_OFFSET_RE = re.compile(r"\b(?:GMT|UTC)\s*([+-\u2212])\s*(\d{1,2})(?::?(\d{2}))?\b", re.IGNORECASE)
_OFFSET_TAIL_RE = re.compile(r"([+-])(\d{2})(?::?(\d{2}))?$")
_DOTTED_RE = re.compile(r"^\d{1,2}\.\s?\d{1,2}\.\s?\d{4}")  # 05.06.2026: day first, as written where dots are used
_FIRST_YEAR = 1990
_FUTURE_SLACK = timedelta(days=2)
# Words around a visible date that dateparser does not read ("Published: 13. Mai 2026, 10:30 Uhr").
_DATE_NOISE_RE = re.compile(
    r"(?i)^(?:(?:published|posted|updated|veröffentlicht|aktualisiert|erstellt|stand|datum|date|publié\w*|mis à jour"
    r"|publicado|actualizado|pubblicato|aggiornato|gepubliceerd|bijgewerkt|opublikowano|aktualizacja|опубликовано"
    r"|обновлено|on|am|le|el|il)\b[\s:,]*)+|\s*(?:uhr|h|hs|hrs|godz\.?)\s*$"
)

# The word between a date and its time ("13. Mai 2026 um 15:44", "5 juin à 14h30").
_AT_RE = re.compile(r"(?i)\s(?:um|à|at|alle|a las|às|om|o|kl\.?|в)\s(?=\d)")

# ISO 639-1 codes that dateparser knows under another name; the languages tried when the
# page names none.
_DATEPARSER_CODES = {"no": "nb"}
_COMMON_LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "pt", "pl", "ru")


def _named_offset(match: re.Match[str]) -> str:
    sign = "-" if match[1] in "-\u2212" else "+"
    return f" {sign}{int(match[2]):02d}:{match[3] or '00'}"


def _parse_other_language(text: str, language: str | None) -> datetime | None:
    """Return ``text`` read by dateparser (month names in many languages), or None."""
    import dateparser  # imported here: a second of start-up, rarely needed

    text = _AT_RE.sub(" ", _DATE_NOISE_RE.sub("", text)).strip(" ,")
    if not text or len(text) > 60 or not re.search(r"\d", text):
        return None
    settings: Any = {
        "PREFER_DAY_OF_MONTH": "first",
        "REQUIRE_PARTS": ["day", "month", "year"],
        # absolute dates only: "1h ago" depends on when the page is read, not on the page
        "PARSERS": ["custom-formats", "absolute-time"],
    }
    # the page's language only: guessing among all of dateparser's languages takes seconds
    # on a text that is not a date
    languages = [_DATEPARSER_CODES.get(language, language)] if language else list(_COMMON_LANGUAGES)
    try:
        return dateparser.parse(text, languages=languages, settings=settings)
    except Exception:  # noqa: BLE001 - dateparser raises many kinds on odd input
        return None


def parse_date(value: str | datetime | None, language: str | None = None) -> tuple[datetime, bool] | None:
    """Return (the date-time ``value`` names, whether it names a time of day), or None when
    it is not a date. ``language`` (an ISO 639-1 code) helps with month names."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value, True
    text = clean_whitespace(value)
    if not text or len(text) > 100:
        return None
    bare = _DATE_ONLY_RE.match(text)
    if bare:
        try:
            return datetime(int(bare[1]), int(bare[2]), int(bare[3])), False  # noqa: DTZ001 - a bare date has no offset
        except ValueError:
            return None  # 0000-00-00, 2026-02-30
    text = _NAMED_OFFSET_RE.sub(_named_offset, text).replace("\u2212", "-")
    has_time = bool(_TIME_RE.search(text))
    try:
        parsed = date_parser.parse(text, tzinfos=_TZ_NAMES, dayfirst=bool(_DOTTED_RE.match(text)))
    except (ValueError, OverflowError, TypeError, LookupError):
        if not re.search(r"[^\W\d_]{3}", text):
            return None  # digits only and not a date dateutil reads
        other = _parse_other_language(text, language)
        if other is None:
            return None
        parsed = other
    if parsed.tzinfo is None and (tail := _OFFSET_TAIL_RE.search(text)) and has_time:
        # "+05" alone at the end: an offset dateutil may have read as part of the time
        sign = -1 if tail[1] == "-" else 1
        parsed = parsed.replace(tzinfo=tzoffset(None, sign * (int(tail[2]) * 3600 + int(tail[3] or 0) * 60)))
    return parsed, has_time or parsed.tzinfo is not None


def plausible(moment: datetime, now: datetime | None = None) -> bool:
    """Return True when ``moment`` can be a publication date: from 1990 on and not more
    than two days after ``now`` (the fetch; the current time when not given)."""
    if moment.year < _FIRST_YEAR:
        return False
    now = now or datetime.now(UTC)
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    try:
        return aware <= now + _FUTURE_SLACK
    except (OverflowError, TypeError):
        return False


# A date-time in the ISO 8601 form metadata and the record use ("2026-05-13T10:30:00+02:00"):
# datetime.fromisoformat reads it as python-dateutil does, some fifty times faster.
_ISO_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:\d{2})?")


def _iso_date_time(value: str | datetime | None) -> tuple[datetime, bool] | None:
    """Return what :func:`parse_date` returns for an ISO 8601 date-time, read the fast way;
    None for any other value (and for one ``fromisoformat`` refuses: dateutil decides)."""
    if not isinstance(value, str) or not _ISO_RE.fullmatch(value):
        return None
    try:
        return datetime.fromisoformat(value), True
    except ValueError:
        return None


def to_iso8601(value: str | datetime | None, language: str | None = None, now: datetime | None = None) -> str | None:
    """Return ``value`` as ISO 8601: ``YYYY-MM-DD`` for a bare date, else a date-time to the
    second with its UTC offset where the source had one; None when it is not a date or not
    a plausible publication date (see :func:`plausible`). Never raises."""
    try:
        found = _iso_date_time(value) or parse_date(value, language)
        if found is None or not plausible(found[0], now):
            return None
        parsed, has_time = found
        if not has_time:
            return parsed.date().isoformat()
        return parsed.replace(microsecond=0).isoformat()
    except (ValueError, OverflowError, TypeError, AttributeError):
        return None


def first_date(candidates: Iterable[str], language: str | None = None, now: datetime | None = None) -> str | None:
    """Return the first of ``candidates`` (raw values in order of trust) that is a
    plausible date, as ISO 8601; None when none is."""
    for candidate in candidates:
        iso = to_iso8601(candidate, language, now)
        if iso:
            return iso
    return None


def refine(found: str, others: Iterable[str], language: str | None = None) -> str:
    """Return ``found`` (ISO 8601) made more precise by a later candidate that names the
    same moment: the same day with a time of day when ``found`` is a bare date, the same
    instant in the page's own UTC offset when ``found`` is in UTC."""
    bare = len(found) == 10
    in_utc = found.endswith(("+00:00", "Z"))
    if not bare and not in_utc:
        return found
    mine = datetime.fromisoformat(found)
    for raw in others:
        if not isinstance(raw, str) or not _TIME_RE.search(raw):
            continue  # names no time of day: it cannot make ``found`` more precise (and is not parsed)
        iso = to_iso8601(raw, language)
        if not iso or len(iso) == 10:
            continue
        theirs = datetime.fromisoformat(iso)
        if bare and theirs.date() == mine.date():
            return iso
        if in_utc and theirs.tzinfo is not None and theirs == mine and theirs.utcoffset():
            return iso
    return found
