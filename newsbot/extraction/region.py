"""The part of the cleaned page that Trafilatura's passes read: the region of the article's
paragraphs when it holds the page's text, else the whole page with only its JSON-LD left in
the head. Trafilatura's passes cost in proportion to the tree they walk. No Scrapy."""

from __future__ import annotations

from copy import deepcopy

from lxml import etree
from lxml import html as lxml_html

# The region handed to Trafilatura: the smallest element holding this share of the page's
# paragraph text, widened by a few levels (the headline, standfirst and lists around the
# paragraphs sit there), and only when it also holds two thirds of the cleaned page's text,
# script text counted (conservative: a page with text outside the region, in lists, tables
# or its scripts' data, keeps the whole page; counting visible text only gives the region to
# more pages and loses standfirsts and lists just outside it).
_REGION_PARAGRAPH_SHARE = 0.95
_REGION_LEVELS_UP = 2
_REGION_TEXT_SHARE = 2 / 3
_REGION_MIN_TEXT = 1000  # below this much paragraph text the page is small anyway


def main_region(tree: lxml_html.HtmlElement, scores: dict[lxml_html.HtmlElement, int]) -> lxml_html.HtmlElement | None:
    """Return a new page (``html`` and ``body`` around a copy) holding only the region of
    ``tree`` where the article's paragraphs are, or None when that region is the whole page,
    leaves much of the page's text out, or the page has too little paragraph text to tell.

    ``scores`` is :func:`paragraph_parents` of ``tree``. Trafilatura's passes cost in
    proportion to the tree they walk; on a news page the region is a fraction of it.
    """
    total = sum(scores.values())
    if total < _REGION_MIN_TEXT:
        return None
    covered: dict[lxml_html.HtmlElement, int] = {}
    for el, size in scores.items():
        covered[el] = covered.get(el, 0) + size
        for anc in el.iterancestors():
            covered[anc] = covered.get(anc, 0) + size
    node = max(scores, key=scores.__getitem__)
    while covered[node] < _REGION_PARAGRAPH_SHARE * total and (parent := node.getparent()) is not None:
        node = parent
    for _ in range(_REGION_LEVELS_UP):
        if (parent := node.getparent()) is None:
            break
        node = parent
    if node.tag in ("body", "html") or node.getparent() is None:
        return None
    if len(node.text_content()) < _REGION_TEXT_SHARE * len(tree.text_content()):
        return None
    page = lxml_html.Element("html")
    head = tree.find("head")
    if head is not None:  # Trafilatura reads the JSON-LD (a forum thread's posts are content)
        etree.SubElement(page, "head").extend(deepcopy(el) for el in _json_ld_scripts(head))
    copied = deepcopy(node)
    copied.tail = None
    etree.SubElement(page, "body").append(copied)
    return page


def main_text_source(cleaned: lxml_html.HtmlElement, scores: dict[lxml_html.HtmlElement, int]) -> lxml_html.HtmlElement:
    """Return the tree Trafilatura's passes read for the cleaned page: the article's region
    (:func:`main_region`) where there is one, else ``cleaned`` itself with only the JSON-LD
    left in its head (:func:`strip_head`, done in place after the region's text share has
    counted the head's scripts)."""
    region = main_region(cleaned, scores)
    if region is not None:
        return region
    strip_head(cleaned)
    return cleaned


def _json_ld_scripts(head: lxml_html.HtmlElement) -> list[lxml_html.HtmlElement]:
    return [el for el in head.iterchildren("script") if "ld+json" in (el.get("type") or "")]


def strip_head(tree: lxml_html.HtmlElement) -> None:
    """Remove, in place, everything in ``tree``'s ``<head>`` but its JSON-LD scripts; returns
    nothing. Trafilatura's main-text passes read the body, and of the head only the JSON-LD
    (a forum thread's declared posts are content): styles, scripts, meta and link elements
    only cost those passes time (about a thirteenth of them on the dev pages)."""
    head = tree.find("head")
    if head is None:
        return
    keep = _json_ld_scripts(head)
    for el in list(head):
        if el not in keep:
            head.remove(el)
