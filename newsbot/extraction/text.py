"""Text primitives shared by every extraction step: whitespace, word counts, match keys."""

from __future__ import annotations

import re
import unicodedata

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


_UNSPACED_SCRIPT = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u0e00-\u0e7f\u0e80-\u0eff\u1000-\u109f]"
)


def reading_length(text: str) -> int:
    """Return the body's length in words, counting two characters of a script written
    without spaces (Chinese, Japanese, Thai, ...) as one word, so that such an article is
    not "too short" for having few ``\\w+`` runs."""
    words = count_words(text)
    unspaced = len(_UNSPACED_SCRIPT.findall(text))
    return words + unspaced // 2 if unspaced else words


def squash_text(text: str) -> str:
    """Return ``text`` NFC-normalised, case-folded, with every run of non-word characters
    one space: the key under which two renderings of one paragraph match."""
    return re.sub(r"\W+", " ", unicodedata.normalize("NFC", text)).strip().casefold()


def block_key(text: str) -> str:
    """Return the key that matches a block of extracted text with its page element."""
    return " ".join(text.split())
