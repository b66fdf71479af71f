"""The article's main text as paragraphs: Trafilatura's extraction, checked against the
page's own blocks of paragraphs, and the recall steps that put back what it leaves out (body
parts split into several containers, subheadings, text embedded in a script's data)."""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Iterator
from copy import copy

from lxml import etree
from lxml import html as lxml_html
from trafilatura import bare_extraction
from trafilatura.settings import Extractor

from newsbot.extraction.clutter import strip_clutter_nodes
from newsbot.extraction.text import BLANK_LINE, block_key, collapse_whitespace, paragraphs_length

logger = logging.getLogger(__name__)


def paragraph_parents(tree: lxml_html.HtmlElement) -> dict[lxml_html.HtmlElement, int]:
    """Return each element that has ``<p>`` children with the length of their text (only
    paragraphs over 40 characters count)."""
    scores: dict[lxml_html.HtmlElement, int] = {}
    for p in tree.iter("p"):
        parent = p.getparent()
        if parent is not None:
            length = len(p.text_content())
            if length > 40:
                scores[parent] = scores.get(parent, 0) + length
    return scores


_BLOCK_TAGS = frozenset(
    "p head quote list table item row cell code div section article main header footer ul ol li "
    "blockquote pre h1 h2 h3 h4 h5 h6 dl dt dd figure tr td th".split()
)


def main_text_paragraphs(tree: lxml_html.HtmlElement, url: str, *, fast: bool = True) -> list[str]:
    """Return the main text of ``tree`` as paragraphs, as Trafilatura finds it (``fast``:
    without its comparison against its fallback extractors)."""
    return main_text(tree, url, fast=fast)[0]


@functools.cache
def _base_options(fast: bool) -> Extractor:
    # "txt": Trafilatura's "python" format also renders the body as text, which no step reads
    return Extractor(
        output_format="txt",
        fast=fast,
        comments=False,
        tables=True,
        images=False,
        formatting=False,
        links=False,
        dedup=False,
        with_metadata=False,
    )


def _options(url: str, fast: bool) -> Extractor:
    """Return Trafilatura's options for one page: a copy of the ones made once per ``fast``
    (building them reads Trafilatura's configuration each time), with the page's URL set as
    its constructor sets it."""
    options = copy(_base_options(fast))
    options.url = url
    options.source = url and url.encode("utf-8", "replace").decode("utf-8")
    return options


def main_text(tree: lxml_html.HtmlElement, url: str, *, fast: bool = True) -> tuple[list[str], int]:
    """Return the main text of ``tree`` as paragraphs (:func:`main_text_paragraphs`) and
    the number of paragraph elements of Trafilatura's result (one: its text as one block)."""
    try:
        doc = bare_extraction(tree, options=_options(url, fast))
    except Exception:
        logger.debug("trafilatura failed on %s", url, exc_info=True)
        return [], 0
    if doc is None or isinstance(doc, dict) or doc.body is None:  # a dict only with as_dict=True
        return [], 0
    return list(_paragraphs(doc.body)), len(doc.body.findall("p"))


def _class_tokens(el: lxml_html.HtmlElement) -> frozenset[str]:
    return frozenset((el.get("class") or "").split())


def _add_missing_subheadings(
    container: lxml_html.HtmlElement, paragraphs: list[str], known: set[str], *, started: bool = False
) -> list[str]:
    """Return ``paragraphs`` with the subheadings of ``container`` that Trafilatura left
    out, and the lists it left out whole (an item a paragraph; not lists of links), put
    back before the paragraph that follows them on the page. A heading or list above the
    container's first paragraph counts only when the article ``started`` in an earlier
    container (above the first, it is a kicker or a standfirst)."""
    index = {block_key(p): i for i, p in enumerate(paragraphs)}
    inserts: list[tuple[int, str]] = []
    pending: list[str] = []
    for el in container.iterchildren("p", "h2", "h3", "h4", "ul", "ol"):
        if el.tag in ("ul", "ol"):
            if started:
                pending.extend(_missing_list_items(el, known))
            continue
        text = collapse_whitespace(el.text_content())
        if not text:
            continue
        key = block_key(text)
        if el.tag != "p":
            if started and key not in known and len(text) <= 150 and key:
                pending.append(text)
            continue
        if pending and key in index:
            inserts.extend((index[key], h) for h in pending)
        pending = []
        started = started or key in index
    if not inserts:
        return paragraphs
    out = list(paragraphs)
    # from the last place to the first, and at one place the last text first, so that two
    # texts before one paragraph keep their page order
    for position, _, heading in sorted(((p, i, t) for i, (p, t) in enumerate(inserts)), reverse=True):
        out.insert(position, heading)
        known.add(block_key(heading))
    return out


def _missing_list_items(el: lxml_html.HtmlElement, known: set[str]) -> list[str]:
    """Return the items of a list that Trafilatura left out entirely, one paragraph each;
    none when it kept any of them or when the list is links (a teaser or link list)."""
    items = [text for li in el.iterchildren("li") if (text := collapse_whitespace(li.text_content()))]
    if not items or any(block_key(t) in known for t in items):
        return []
    linked = sum(len(a.text_content()) for a in el.iter("a"))
    return [] if linked > 0.5 * sum(len(t) for t in items) else items


def _parent_tokens(el: lxml_html.HtmlElement) -> frozenset[str]:
    parent = el.getparent()
    return _class_tokens(parent) if parent is not None else frozenset()


def add_split_body_parts(
    tree: lxml_html.HtmlElement, paragraphs: list[str], scores: dict[lxml_html.HtmlElement, int]
) -> list[str]:
    """Return ``paragraphs`` with the text of the article's other body parts added.

    The subheadings of every container Trafilatura's text comes from are put back where
    it left them out (its recovery of loose paragraphs, on a page whose container it does
    not recognise, keeps no headings). Pages split the article text into several
    containers of one class (between ads, newsletter boxes or a "read more" fold);
    Trafilatura keeps the first. The container with the most paragraph text is found; if
    Trafilatura's text comes from it, every other element of the same tag and class adds
    its paragraphs, before or after, in page order.
    """
    if not paragraphs or not scores:
        return paragraphs
    known = {block_key(p) for p in paragraphs}
    overlap = {el: sum(block_key(p.text_content()) in known for p in el.iterchildren("p")) for el in scores}
    best = max(scores, key=lambda el: (overlap[el], scores[el]))
    if not overlap[best]:
        return paragraphs
    used = sorted((el for el in scores if overlap[el]), key=lambda el: el.sourceline or 0)
    for position, container in enumerate(used):
        paragraphs = _add_missing_subheadings(container, paragraphs, known, started=position > 0)
    tokens = _class_tokens(best)
    if not tokens or len(scores) < 2:
        return paragraphs  # the other parts are found by the class of the first
    parts = [
        el
        for el in scores
        if el is not best
        and el.tag == best.tag
        and scores[el] >= 300
        and (other := _class_tokens(el))
        and (other <= tokens or tokens <= other)
        and _parent_tokens(el) == _parent_tokens(best)
    ]
    if not parts:
        return paragraphs
    order = {el: i for i, el in enumerate(tree.iter())}
    before: list[str] = []
    after: list[str] = []
    for part in sorted(parts, key=order.__getitem__):
        if any(anc is best or anc in parts for anc in part.iterancestors()):
            continue
        target = before if order[part] < order[best] else after
        for el in part.iterchildren("p", "h2", "h3", "h4"):
            text = collapse_whitespace(el.text_content())
            if not text or (len(text) < 40 if el.tag == "p" else len(text) > 150):
                continue
            if sum(len(a.text_content()) for a in el.iter("a")) > 0.5 * len(text):
                continue  # a link teaser, not prose
            if block_key(text) not in known:
                known.add(block_key(text))
                target.append(text)
    return before + paragraphs + after


# Keys under which pages embed the article body in their scripts (JSON-LD, or the state a
# JavaScript front end hydrates from).
_EMBEDDED_BODY_RE = re.compile(
    r'"(?:articleBody|contentHtml|content_html|bodyHtml|body_html|articleHtml|article_html|htmlContent|html_content|content|body|text)"'
    r'\s*:\s*"((?:[^"\\]|\\.){400,})"'
)


def embedded_body(declared: list[str], tree: lxml_html.HtmlElement, url: str) -> list[str]:
    """Return the article's paragraphs from the data the page embeds when its markup has
    no text (a script-rendered page): JSON-LD ``articleBody``, else the longest HTML or
    text value under a body-like key in a script."""
    candidates = [v for v in declared if isinstance(v, str)]
    for script in tree.iter("script"):
        text = script.text or ""
        if len(text) < 500 or "ld+json" in (script.get("type") or ""):
            continue
        for match in _EMBEDDED_BODY_RE.finditer(text):
            try:
                candidates.append(json.loads(f'"{match[1]}"'))
            except ValueError:
                continue
    best: list[str] = []
    for value in candidates:
        paragraphs = _fragment_paragraphs(value, url)
        if paragraphs_length(paragraphs) > paragraphs_length(best):
            best = paragraphs
    return best


def _fragment_paragraphs(value: str, url: str) -> list[str]:
    """Return the paragraphs of an embedded body: HTML (clutter removed) or plain text."""
    value = re.sub(r"\$\$\w+\$\$", " ", value)  # template placeholders ("$$AD$$")
    if "<p" not in value and "<br" not in value:
        return [p for chunk in re.split(r"\n\s*\n|\n", value) if (p := collapse_whitespace(chunk))]
    try:
        fragment = lxml_html.fragment_fromstring(value, create_parent="div")
    except (ValueError, etree.ParserError):
        return []
    strip_clutter_nodes(fragment)
    out: list[str] = []
    for el in fragment.iter("p", "h2", "h3", "h4", "li", "blockquote"):
        if any(anc.tag in ("p", "li", "blockquote") for anc in el.iterancestors()):
            continue
        if text := collapse_whitespace(el.text_content()):
            out.append(text)
    return out


def split_one_block(paragraphs: list[str], scores: dict[lxml_html.HtmlElement, int]) -> list[str]:
    """Return the paragraphs of the page's main block when Trafilatura returned its text
    run together as one block (its last resort on short pages); else ``paragraphs``."""
    block = paragraphs[0]
    if not scores:
        return paragraphs
    best = max(scores, key=scores.__getitem__)
    parts = [t for el in best.iterchildren("p", "h2", "h3", "h4") if (t := collapse_whitespace(el.text_content()))]
    if sum(1 for el in best.iterchildren("p")) >= 2 and all(t in block for t in parts):
        return parts
    return paragraphs


def looks_wrong(paragraphs: list[str], scores: dict[lxml_html.HtmlElement, int], found_blocks: int = 1) -> bool:
    """Return True when the extracted text misses the page's main block of paragraphs
    (the element whose ``<p>`` children hold the most text) and is shorter than it, is
    many times its size as one block (``found_blocks``: the paragraph elements of
    Trafilatura's result), or is one long block: the cases where Trafilatura's comparison
    with its fallback extractors may change the text."""
    if len(paragraphs) == 1 and len(paragraphs[0]) > 400:
        return True  # the page as one block of text: Trafilatura's last-resort extraction
    best = max(scores, key=scores.__getitem__) if scores else None
    best_size = scores[best] if best is not None else 0
    if sum(len(p) for p in paragraphs) > 4 * max(best_size, 300) + 2000:
        # Text in paragraphs of its own that is only longer than the page's <p> block is a
        # page whose text is not in <p> (lists, divs), which the fallbacks read no better.
        return found_blocks <= 1
    if best is None or best_size < 300:
        return not paragraphs
    known = {block_key(p) for p in paragraphs}
    if any(block_key(p.text_content()) in known for p in best.iterchildren("p")):
        return False
    # The main block was missed. Trafilatura trades its text only for a longer one (the
    # readability pass's when twice as long, jusText's when its own is short), so a text at
    # least as long as the block it missed stays as it is: no second pass for it.
    return sum(len(p) for p in paragraphs) < best_size


def _paragraphs(body: etree._Element) -> Iterator[str]:
    """Yield one text per block of Trafilatura's XML body: paragraphs, headings, list
    items, quote paragraphs and table rows each become one paragraph."""
    children = list(body)
    if len(children) == 1 and children[0].tag == "p" and len(children[0]) == 0 and "\n" in (children[0].text or ""):
        # Trafilatura's last-resort extraction: the page's text blocks, one per line
        for line in children[0].text.split("\n"):
            if cleaned := collapse_whitespace(line):
                yield cleaned
        return
    if body.text and body.text.strip():
        yield from _split_text(body.text)
    for el in body:
        yield from _block_texts(el)
        if el.tail and el.tail.strip():  # text between blocks is a paragraph of its own
            yield from _split_text(el.tail)


def _split_text(text: str) -> Iterator[str]:
    for chunk in BLANK_LINE.split(text):
        cleaned = collapse_whitespace(chunk)
        if cleaned:
            yield cleaned


def _block_texts(el: etree._Element) -> Iterator[str]:
    """Yield the paragraphs of one block of Trafilatura's output. Its fallback extractors
    hand back HTML containers (``div`` holding ``p``), so any block holding blocks is
    walked, and the inline text between its blocks makes paragraphs of its own."""
    tag = el.tag
    if tag in ("graphic", "lb"):
        return
    if tag == "table":
        for row in el.iter("row", "tr"):
            cells = [collapse_whitespace(" ".join(c.itertext())) for c in row if c.tag in ("cell", "td", "th")]
            line = " | ".join(c for c in cells if c)
            if line:
                yield line
        return
    if not any(child.tag in _BLOCK_TAGS for child in el):
        yield from _split_on_double_breaks(el)
        return
    run: list[str] = [el.text or ""]
    for child in el:
        if child.tag in _BLOCK_TAGS:
            yield from _split_text("".join(run))
            yield from _block_texts(child)
            run = [child.tail or ""]
        elif child.tag == "lb":
            run.append("\n" + (child.tail or ""))
        else:
            run.append("".join(child.itertext()) + (child.tail or ""))
    yield from _split_text("".join(run))


def _split_on_double_breaks(el: etree._Element) -> Iterator[str]:
    """Yield the element's text, split into paragraphs where it has two line breaks in a
    row (old templates separate paragraphs with ``<br><br>``)."""
    parts: list[str] = [el.text or ""]
    for child in el:
        if child.tag == "lb":
            parts.append("\n")
        else:
            parts.append("".join(child.itertext()))
        parts.append(child.tail or "")
    text = "".join(parts)
    for chunk in BLANK_LINE.split(text):
        cleaned = collapse_whitespace(chunk)
        if cleaned:
            yield cleaned
