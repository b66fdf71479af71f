"""Text primitives shared by every extraction step: whitespace, word counts, match keys."""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any

# A word is a run of word characters, except that each Chinese character and each kana
# counts as one word: those scripts do not put spaces between words.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WORD_RE = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+")


def clean_whitespace(value: str | None) -> str | None:
    """Return the text NFC-normalised with runs of whitespace collapsed to one space, or
    None when nothing is left."""
    if value is None:
        return None
    # str.split() splits at what ``\s`` matches (both are str.isspace): the regex's result, faster
    text = " ".join(unicodedata.normalize("NFC", str(value)).replace("\u00ad", "").split())
    return text or None


def collapse_whitespace(value: str | None) -> str | None:
    """Return the text with runs of whitespace collapsed to one space, characters otherwise
    as the page has them (body text keeps its Unicode form), or None when nothing is left."""
    if value is None:
        return None
    text = " ".join(str(value).split())  # as re.sub(r"\s+", " ", ...).strip(), faster
    return text or None


def lowercase_twin(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """Return ``pattern`` (case-insensitive, its letters written in lower case) compiled
    case-sensitive: on an ASCII text made lower case it finds what ``pattern`` finds in the
    text, several times faster. Raise ``ValueError`` for a pattern with an upper-case letter
    outside its escapes (``\\S``, ``\\W``) and, when verbose, its comments."""
    letters = re.sub(r"\\.", "", pattern.pattern)
    if pattern.flags & re.VERBOSE:
        letters = re.sub(r"#[^\n]*", "", letters)
    if letters != letters.lower():
        raise ValueError(f"not written in lower case: {pattern.pattern[:60]!r}")
    return re.compile(pattern.pattern, pattern.flags & ~re.IGNORECASE)


# Invisible formatting characters that split words for search and tokenisation: soft
# hyphens, zero-width spaces, word joiners, byte-order marks (ZWJ and ZWNJ stay: they shape
# the letters of several scripts and emoji).
_INVISIBLE = "\u00ad\u200b\u2060\ufeff"


# A blank line: where one paragraph of a text ends and the next begins.
BLANK_LINE = re.compile(r"\n\s*\n")


def clean_body(value: str | None) -> str | None:
    """Return body text with each paragraph's whitespace collapsed and paragraphs separated by
    exactly one blank line; the characters are kept as the page has them, except invisible
    hyphenation and zero-width characters, which are dropped."""
    if not value:
        return None
    for char in _INVISIBLE:  # a scan per character: several times faster than str.translate
        if char in value:
            value = value.replace(char, "")
    paragraphs = (collapse_whitespace(p) for p in BLANK_LINE.split(value))
    return "\n\n".join(p for p in paragraphs if p) or None


def count_words(text: str | None) -> int:
    """Return the number of words in ``text``: ``\\w+`` runs, with each Chinese character
    and kana counted as a word."""
    return _counts(text or "")[0]


_UNSPACED_SCRIPT = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u0e00-\u0e7f\u0e80-\u0eff\u1000-\u109f]"
)


@functools.lru_cache(maxsize=512)
def _counts(text: str) -> tuple[int, int]:
    """Return (words, characters of a script written without spaces) of ``text``; cached,
    since each step of one page counts the same paragraphs and body again."""
    return len(_WORD_RE.findall(text)), len(_UNSPACED_SCRIPT.findall(text))


def reading_length(text: str) -> int:
    """Return the body's length in words, counting two characters of a script written
    without spaces (Chinese, Japanese, Thai, ...) as one word, so that such an article is
    not "too short" for having few ``\\w+`` runs."""
    words, unspaced = _counts(text)
    return words + unspaced // 2 if unspaced else words


def paragraphs_length(paragraphs: list[str]) -> int:
    """Return ``reading_length(" ".join(paragraphs))`` without joining them: no word spans
    the joining space, so the counts of the paragraphs (cached) add up."""
    words = unspaced = 0
    for p in paragraphs:
        w, u = _counts(p)
        words += w
        unspaced += u
    return words + unspaced // 2


_NON_WORD = re.compile(r"\W+")


def squash_text(text: str) -> str:
    """Return ``text`` NFC-normalised, case-folded, with every run of non-word characters
    one space: the key under which two renderings of one paragraph match."""
    return _NON_WORD.sub(" ", unicodedata.normalize("NFC", text)).strip().casefold()


def block_key(text: str) -> str:
    """Return the key that matches a block of extracted text with its page element."""
    return " ".join(text.split())


# Inline elements that may wrap a name and its hover card.
_INLINE_TAGS = frozenset("span a b strong em i abbr cite u mark small sup button".split())
_TEXT_BLOCKS = ("p", "blockquote")
# Class/id words of a card that pops up over a name: its text is not the sentence's.
_CARD_WORDS = frozenset(
    "tooltip tooltiptext tooltip-content popover popup flyout hovercard hover card cards preview dropdown".split()
)
# Elements inside text blocks that may be a card (checked by _is_card), in document order.
_IN_BLOCK_XPATH = (
    "("
    + " | ".join(f"//{tag}" for tag in _TEXT_BLOCKS)
    + ")//*[@class or @id or @role or @hidden or .//img][not(self::img)]"
)
_CARD_SPLIT = re.compile(r"[\s_\-]+|(?<=[a-z])(?=[A-Z])")


def _is_card(el: Any, in_inline: bool) -> bool:
    """Return True when ``el`` looks like a popup card: role tooltip/dialog, ``hidden``, a
    class or id word of a card, or (inside an inline wrapper) a picture."""
    if not isinstance(el.tag, str):
        return False
    if el.get("role") in ("tooltip", "dialog") or el.get("hidden") is not None:
        return True
    marker = f"{el.get('class', '')} {el.get('id', '')}"
    if any(w.lower() in _CARD_WORDS for w in _CARD_SPLIT.split(marker) if w):
        return True
    return in_inline and el.tag != "img" and next(el.iter("img"), None) is not None


def inline_hover_cards(root: Any) -> int:
    """Remove, in place, the popup cards that follow a name inside running text ("said
    <span>Jane Doe<span class="card">photo, bio, links</span></span>, who chairs"), so the
    name stays in the sentence and the card's text leaves it; return how many were removed.
    A card goes only when text stands before it in its parent, innermost cards first; an
    element that held a card is the name's wrapper and stays, whatever its class says."""
    hits = root.xpath(_IN_BLOCK_XPATH)
    removed = 0
    wrappers: set[Any] = set()
    for el in reversed(hits):  # descendants before their ancestors
        parent = el.getparent()
        if parent is None or el in wrappers or not _is_card(el, parent.tag in _INLINE_TAGS):
            continue
        block = next((a for a in el.iterancestors(*_TEXT_BLOCKS)), None)
        if block is None or not _text_before(el, parent, parent is block):
            continue
        _remove_keep_tail(el)
        removed += 1
        for anc in parent.iterancestors():
            if anc is block:
                break
            wrappers.add(anc)
        wrappers.add(parent)
    return removed


def _text_before(el: Any, parent: Any, in_block: bool) -> bool:
    """Return True when a name stands before ``el``: any text before it inside an inline
    ``parent``; in a block, an element with text right before it (the card's trigger)."""
    if in_block:
        prev = el.getprevious()
        return (
            prev is not None
            and not (prev.tail or "").strip()
            and isinstance(prev.tag, str)
            and bool(prev.text_content().strip())
        )
    if (parent.text or "").strip():
        return True
    for sib in el.itersiblings(preceding=True):
        if (sib.tail or "").strip() or (isinstance(sib.tag, str) and sib.text_content().strip()):
            return True
    return False


def _remove_keep_tail(el: Any) -> None:
    """Remove ``el`` from its parent, its tail text kept in place."""
    parent = el.getparent()
    if parent is None:
        return
    if el.tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)
