"""Author names: splitting a byline string into people, and telling names from roles."""

from __future__ import annotations

import re

from newsbot.extraction.text import clean_whitespace

_BYLINE_PREFIX_RE = re.compile(
    r"^\s*(?:(?i:(?:written|posted|reported|text|story|words)\s+)?(?i:by|von|par|por|door|af|av|text|tekst)\b"
    r"|(?:de|di|da)\s)[:\s]*"
)
_AUTHOR_SPLIT_RE = re.compile(
    r"\s*(?:,|;|&|\||\band\b|\bund\b|\bet\b|\by\b|\bog\b|\ben\b|\bi\b|\boch\b|\be\b)\s*", re.IGNORECASE
)
_ROLE_WORDS = frozenset(
    """correspondent reporter reporters editor editors staff writer writers contributor
    contributors bureau desk columnist journalist journalists producer analyst team
    newsroom agency agencies service services senior chief political science business
    sports health economics foreign affairs photographer photos photo wire news
    updated published admin administrator guest redaktion redaktor redakteur redakteurin
    korrespondent korrespondentin reporterin autor autorin rédaction rédacteur journaliste
    redacción redactor periodista redazione giornalista redactie verslaggever journalist""".split()
)
# Role titles written after a name in scripts without spaces between words ("기자" reporter).
_ROLE_SUFFIX_RE = re.compile(r"\s*(?:기자|특파원|記者|特派員|编辑|編集委員)$")
_NAME_PARTICLES = frozenset("van von de der den da di del la le du bin al el dos das ter".split())
# "Surname, Given" as Dublin Core and library metadata write a single name.
_INVERTED_NAME_RE = re.compile(r"^([^\W\d_][\w'’\-]*),\s*([^\W\d_][\w'’.\-]*(?:\s+[^\W\d_][\w'’.\-]*)?)$")


def split_authors(value: str | None) -> list[str]:
    """Return the names in one author string: "By A and B, Staff Reporters" -> [A, B];
    "Surname, Given" (one name in library order) -> "Given Surname"."""
    text = clean_whitespace(value)
    if not text:
        return []
    text = _BYLINE_PREFIX_RE.sub("", text)
    text = re.sub(r"\S+@\S+", " ", text)  # e-mail addresses
    text = re.sub(r"\(.*?\)", " ", text).strip()
    inverted = _INVERTED_NAME_RE.match(text)
    if inverted and inverted[1][0].isupper() and inverted[2][0].isupper() and not _is_role(inverted[2]):
        return [name] if (name := clean_author(f"{inverted[2]} {inverted[1]}")) else []
    return [name for part in _AUTHOR_SPLIT_RE.split(text) if (name := clean_author(part))]


def _is_role(text: str) -> bool:
    return any(w.lower().strip(".,") in _ROLE_WORDS for w in text.split())


def is_role_only(text: str) -> bool:
    """Return True when every word of ``text`` is a role or boilerplate word ("Staff
    Reporter", "Redaktion", "Admin")."""
    words = [w.lower().strip(".,") for w in text.split()]
    return not words or all(w in _ROLE_WORDS for w in words)


def clean_author(value: str | None) -> str | None:
    """Return a name from one author string, or None for a role, a URL or junk. A role
    title after the name ("Ann Lee, Reporter", "신현주 기자") is dropped; a name written
    all in lower case by its site ("nda") is kept as written."""
    text = clean_whitespace(value)
    if not text:
        return None
    text = _BYLINE_PREFIX_RE.sub("", text).strip(" .:-–—|/")
    text = _ROLE_SUFFIX_RE.sub("", text).strip()
    words = text.split()
    if not 1 <= len(words) <= 5 or any(ch.isdigit() for ch in text):
        return None
    if _is_role(text):
        return None
    if "http" in text or "/" in text or "@" in text:
        return None
    return text


def looks_like_person(name: str) -> bool:
    """Return True when ``name`` is written like a person's name in a byline: one to four
    words, each capitalised (name particles aside), or a name in a script without case."""
    words = name.split()
    if not 1 <= len(words) <= 4:
        return False
    cased = [w for w in words if w[:1].isalpha() and w[:1].lower() != w[:1].upper()]
    if not cased:  # a script without letter case (CJK, Hangul, Arabic, ...)
        return len(name) <= 12
    return all(w[0].isupper() or w.lower() in _NAME_PARTICLES for w in cased)
