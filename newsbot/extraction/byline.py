"""The visible byline: names found in byline-like elements near the headline, or set in
bold as one of the body's first paragraphs."""

from __future__ import annotations

import re
from collections.abc import Callable

from lxml import etree
from lxml import html as lxml_html

from newsbot.extraction.authors import looks_like_person, split_authors
from newsbot.extraction.text import squash_text

# Class substrings of an element that may hold the visible byline (besides
# ``itemprop="author"`` and ``<a rel="author">``).
_BYLINE_CLASS_RE = re.compile("uthor|yline|yLine|riter|AUTHOR|BYLINE")
_BYLINE_TEXT_XPATH = etree.XPath(".//text()[not(ancestor::script or ancestor::style)]")
_IN_SCRIPT_XPATH = etree.XPath("boolean(ancestor::*[self::script or self::style or self::noscript])")


def _byline_elements(tree: lxml_html.HtmlElement, limit: int) -> list[lxml_html.HtmlElement]:
    """Return the first ``limit`` elements that may hold the visible byline, in document
    order: one walk that stops there (an XPath predicate on every element of the page
    cost twice as much, and went on to the end)."""
    found: list[lxml_html.HtmlElement] = []
    search = _BYLINE_CLASS_RE.search
    for el in tree.getroottree().getroot().iter(etree.Element):  # the whole document, as ``//*`` was
        get = el.get
        cls = get("class")
        if (
            (cls is not None and search(cls))
            or get("itemprop") == "author"
            or (el.tag == "a" and get("rel") == "author")
        ):
            found.append(el)
            if len(found) >= limit:
                break
    return found


_BYLINE_EXCLUDE_RE = re.compile(
    r"bio|desc|avatar|image|img|photo|pic|social|share|follow|comment|related|teaser|title|headline|label|prefix"
    r"|(?<![a-z])by(?![a-z])|about|more|contact|mail|date|time|socmed|tooltip|icon",
    re.IGNORECASE,
)
# Where a byline stops being names: a date, a place or section ("in News"), a separator.
_BYLINE_CUT_RE = re.compile(r"\s(?:in|im|on|am|um|le|el|il|at|—|–|·|\|)\s|\d|\n\s*\n|[|·•]")


def _near(a: lxml_html.HtmlElement, b: lxml_html.HtmlElement) -> bool:
    """Return True when ``b`` is inside ``a`` or stands within two levels of it (the names
    of one byline)."""
    if any(anc is a for anc in b.iterancestors()):
        return True
    up_a = [x for x in (a.getparent(),) if x is not None]
    up_a += [x for x in (up_a[0].getparent(),) if x is not None] if up_a else []
    pb = b.getparent()
    return pb is not None and (pb in up_a or pb.getparent() in up_a)


_BYLINE_PREFIX_ONLY_RE = re.compile(r"(?i)\b(?:by|von|par|por|door|af|av|de|di|da)\b|[\W\d_]+")
# Elements whose text (whitespace collapsed as XPath's normalize-space does) starts with
# one of these: a "By Ann Lee" line.
_BY_PREFIXES = ("By ", "By:", "Von ", "Von:", "Par ", "Por ", "Door ", "Av ", "Af ")
_BY_INITIALS = frozenset(p[0] for p in _BY_PREFIXES)
_BY_PREFIX_TAGS = ("p", "span", "div", "li")
_XML_SPACE_RE = re.compile(r"[ \t\r\n]+")


def _starts_with_by(el: lxml_html.HtmlElement) -> bool:
    """Return True when the text of ``el`` starts with a byline prefix; reads only the
    first few characters (a container's whole text would be the page)."""
    for text in el.itertext():  # most elements: the first letter is no prefix's
        text = text.lstrip(" \t\r\n")
        if text:
            if text[0] not in _BY_INITIALS:
                return False
            break
    else:
        return False  # no text
    head = ""
    for text in el.itertext():
        head = _XML_SPACE_RE.sub(" ", head + text).lstrip(" ")
        if len(head.rstrip(" ")) >= 5:  # the first five characters are final
            break
    stripped = head.rstrip(" ")  # all of a short text read: normalize-space drops the end's space
    return (head if len(stripped) >= 5 else stripped).startswith(_BY_PREFIXES)


_BY_WORD_RE = re.compile(r"(?i)(?:^|\s)(?:by|von|par|por|door|af|av)\s+")
_ACRONYM_RE = re.compile(r"^[A-Z]{2,6}$")


def lead_byline(tree: lxml_html.HtmlElement, paragraphs: list[str]) -> tuple[int, list[str]] | None:
    """Return (index, names) of a byline standing as one of the body's first paragraphs,
    set in bold ("<p><strong>Ann Lee/Omar Haddad</strong></p>"), or None."""
    bold = {
        squash_text(p.text_content())
        for p in tree.xpath("//p[strong or b]")
        if len(p.text_content()) <= 80
        and sum(len(s.text_content()) for s in p.iterchildren("strong", "b")) >= len(p.text_content().strip())
    }
    for index, text in enumerate(paragraphs[:4]):
        if len(text) > 80 or text.endswith((".", "!", "?", ":", ";")) or squash_text(text) not in bold:
            continue
        parts = [p for p in re.split(r"\s*/\s*", text) if p]
        names = [n for part in parts for n in split_authors(part)]
        if names and all(len(n.split()) >= 2 and looks_like_person(n) and not _ACRONYM_RE.match(n) for n in names):
            return index, names
    return None


def byline_people(tree: lxml_html.HtmlElement, is_site: Callable[[str], bool]) -> tuple[list[str], list[str]]:
    """Return (people, organisations) named in the page's visible byline: the first
    byline-like element with text, and byline elements next to it (teaser cards
    further down the page carry bylines of other articles)."""
    found: list[str] = []
    orgs: list[str] = []
    anchor: lxml_html.HtmlElement | None = None
    for el in _byline_elements(tree, 40):  # a byline stands near the top
        if _BYLINE_EXCLUDE_RE.search(el.get("class", "")):
            continue
        text = " ".join("".join(_BYLINE_TEXT_XPATH(el)).split())
        if len(_BYLINE_PREFIX_ONLY_RE.sub("", text)) < 2:
            continue
        if anchor is None:
            if _IN_SCRIPT_XPATH(el):
                continue
            anchor = el
        elif not _near(anchor, el):
            break
        people, others = names_in_byline(text, is_site)
        found.extend(n for n in people if n not in found)
        orgs.extend(n for n in others if n not in orgs)
    if found or orgs:
        return found, orgs
    for el in tree.iter(*_BY_PREFIX_TAGS):
        if not _starts_with_by(el):
            continue
        people, others = names_in_byline(el.text_content(), is_site)
        if people or others:
            return people, others
    return [], []


def names_in_byline(text: str, is_site: Callable[[str], bool]) -> tuple[list[str], list[str]]:
    """Return (people, other names: acronyms, the site's own name) in a byline text."""
    text = " ".join(text.split())
    if not text or len(text) > 200:
        return [], []
    text = _BYLINE_CUT_RE.split(text, maxsplit=1)[0]
    by = _BY_WORD_RE.search(text)
    if by:  # "ledger by Ann Lee": what stands before "by" is a brand or a label
        text = text[by.end() :]
    if len(text) > 120:
        return [], []
    people, others = [], []
    for name in split_authors(text):
        if looks_like_person(name) and not is_site(name) and not _ACRONYM_RE.match(name):
            people.append(name)
        else:
            others.append(name)
    return people, others
