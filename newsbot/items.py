"""Items that flow through the crawl, and the loader that cleans article fields.

``PageItem`` is what a spider yields: a fetched page, raw. ``Article`` is the record of
DESIGN.md. ``ArticleLoader`` (an ``itemloaders.ItemLoader``) turns raw field values into
clean ones: whitespace collapsed, dates as ISO 8601, author lists split and de-duplicated,
URLs made absolute. Nothing here imports Scrapy: dataclass items work with Scrapy through
``itemadapter``, and the extraction code uses the loader without a crawler.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urljoin

from dateutil import parser as date_parser
from itemloaders import ItemLoader
from itemloaders.processors import Identity, MapCompose, TakeFirst

RECORD_FIELDS: tuple[str, ...] = (
    "id", "url", "source_url", "title", "description", "body", "authors", "published",
    "modified", "language", "site_name", "section", "tags", "image", "word_count",
    "fetched_at",
)


@dataclass
class PageItem:
    """A fetched page as a spider yields it: never parsed by the spider."""

    url: str = ""  # the URL that was requested
    final_url: str = ""  # the URL after redirects
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    html: str = ""
    # the body when ``html`` is exactly its UTF-8 decoding (a BOM dropped), else empty: the
    # extraction pool sends these bytes, a copy, instead of encoding ``html`` again
    utf8: bytes = b""
    fetched_at: str = ""


@dataclass
class Article:
    """One article record (DESIGN.md "The record") plus the reason it is not one.

    ``drop_reason`` is set by extraction when the page is not an article (a listing, too
    little text, ...); it never reaches the feed (``FEED_EXPORT_FIELDS`` names the record
    fields only).
    """

    id: str = ""
    url: str = ""
    source_url: str = ""
    title: str | None = None
    description: str | None = None
    body: str = ""
    authors: list[str] = field(default_factory=list)
    published: str | None = None
    modified: str | None = None
    language: str | None = None
    site_name: str | None = None
    section: str | None = None
    tags: list[str] = field(default_factory=list)
    image: str | None = None
    word_count: int = 0
    fetched_at: str = ""
    updated: bool = False  # set with NEWSBOT_UPDATES when a seen article's text changed
    drop_reason: str | None = None
    # not a record field: the body's SimHash (newsbot.state.body_fingerprint), computed by
    # the extraction worker so the crawling process need not (0: not computed)
    fingerprint: int = 0

    def record(self) -> dict[str, Any]:
        """Return the record fields (no ``drop_reason``) as a plain dict, in schema order."""
        # not dataclasses.asdict: it deep-copies field by field, slower than the check it feeds
        return {name: list(value) if isinstance(value := getattr(self, name), list) else value
                for name in RECORD_FIELDS}


ARTICLE_FIELDS = frozenset(f.name for f in fields(Article))

_SPACE_RE = re.compile(r"\s+")
# A word is a run of word characters, except that each Chinese character and each kana
# counts as one word: those scripts do not put spaces between words.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WORD_RE = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+")


def clean_whitespace(value: str | None) -> str | None:
    """Return the text NFC-normalised with runs of whitespace collapsed to one space, or
    None when nothing is left."""
    if value is None:
        return None
    text = _SPACE_RE.sub(" ", unicodedata.normalize("NFC", str(value)).replace("\u00ad", "")).strip()
    return text or None


def collapse_whitespace(value: str | None) -> str | None:
    """Return the text with runs of whitespace collapsed to one space, characters otherwise
    as the page has them (body text keeps its Unicode form), or None when nothing is left."""
    if value is None:
        return None
    text = _SPACE_RE.sub(" ", str(value)).strip()
    return text or None


def clean_body(value: str | None) -> str | None:
    """Return body text with each paragraph's whitespace collapsed and paragraphs separated by
    exactly one blank line; the characters are kept as the page has them."""
    if not value:
        return None
    paragraphs = (collapse_whitespace(p) for p in re.split(r"\n\s*\n", value))
    return "\n\n".join(p for p in paragraphs if p) or None


def count_words(text: str | None) -> int:
    """Return the number of words in ``text``: ``\\w+`` runs, with each Chinese character
    and kana counted as a word."""
    return len(_WORD_RE.findall(text or ""))


def article_id(url: str) -> str:
    """Return the stable record id: the first 20 hex digits of SHA-256 of the canonical URL."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:20]


_TZ_NAMES = {"GMT": 0, "UTC": 0, "Z": 0, "BST": 3600, "CET": 3600, "CEST": 7200,
             "EST": -18000, "EDT": -14400, "CST": -21600, "CDT": -18000,
             "PST": -28800, "PDT": -25200, "IST": 19800, "JST": 32400}
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


def utc_now_iso() -> str:
    """Return the current time as an ISO 8601 UTC timestamp (seconds precision)."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


_BYLINE_PREFIX_RE = re.compile(
    r"^\s*(?:(?i:(?:written|posted|reported|text|story|words)\s+)?(?i:by|von|par|por|door|af|av|text|tekst)\b"
    r"|(?:de|di|da)\s)[:\s]*"
)
_AUTHOR_SPLIT_RE = re.compile(r"\s*(?:,|;|&|\||\band\b|\bund\b|\bet\b|\by\b|\bog\b|\ben\b|\bi\b|\boch\b|\be\b)\s*",
                              re.IGNORECASE)
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


def unique(values: list[Any]) -> list[Any]:
    """Return ``values`` without repeats (case-insensitive for strings), first kept."""
    seen: set[Any] = set()
    out = []
    for value in values:
        key = value.casefold() if isinstance(value, str) else value
        if key not in seen:
            seen.add(key)
            out.append(value)
    return out


def absolute_url(value: str | None, loader_context: dict[str, Any]) -> str | None:
    """Return ``value`` joined to the loader context's ``base_url``; None for non-http URLs."""
    text = clean_whitespace(value)
    if not text:
        return None
    joined = urljoin(loader_context.get("base_url", ""), text)
    return joined if joined.startswith(("http://", "https://")) else None


def split_tags(value: str | None) -> list[str]:
    """Return the tags in a comma-separated keyword string."""
    return [t for part in re.split(r"[,;]", value or "") if (t := clean_whitespace(part))]


def language_code(value: str | None) -> str | None:
    """Return the ISO 639-1 code of a language tag ("en-GB" -> "en"), or None."""
    text = clean_whitespace(value)
    if not text:
        return None
    code = re.split(r"[-_]", text.lower())[0]
    return code if re.fullmatch(r"[a-z]{2}", code) else None


def clean_meta_text(value: str | None) -> str | None:
    """Return a metadata string with HTML entities decoded ("&#8217;" -> "’") and its
    whitespace cleaned; metadata often carries entities escaped twice."""
    if value is None:
        return None
    return clean_whitespace(html.unescape(str(value)))


class ArticleLoader(ItemLoader):
    """Loads ``Article`` fields from raw values; the first non-empty value of a scalar field
    wins, so callers add values in order of trust."""

    default_item_class = Article
    default_input_processor = MapCompose(clean_meta_text)
    default_output_processor = TakeFirst()

    body_in = MapCompose(clean_body)
    authors_in = MapCompose(clean_meta_text, split_authors)
    authors_out = unique
    tags_in = MapCompose(clean_meta_text, split_tags)
    tags_out = unique
    published_in = MapCompose(to_iso8601)
    modified_in = MapCompose(to_iso8601)
    url_in = MapCompose(absolute_url)
    image_in = MapCompose(absolute_url)
    language_in = MapCompose(language_code)
    word_count_in = Identity()
