"""``ArticleLoader``: an ``itemloaders`` loader that turns raw field values into clean ones
(whitespace collapsed, dates as ISO 8601, author lists split and de-duplicated, URLs made
absolute). The extraction code fills it in order of trust; nothing here imports Scrapy."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urljoin

from itemloaders import ItemLoader
from itemloaders.processors import Identity, MapCompose, TakeFirst

from newsbot.extraction.authors import split_authors
from newsbot.extraction.dates import to_iso8601
from newsbot.extraction.text import clean_body, clean_whitespace
from newsbot.items import Article


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
