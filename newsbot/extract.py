"""HTML -> article record fields: the single extraction code path (no Scrapy imports).

``extract_article(html, url)`` is what the extract pipeline, ``newsbot extract`` and the
benchmarks call. It works on one parsed tree:

1. metadata from structured data first (JSON-LD, OpenGraph and ``article:*`` meta, Dublin
   Core, ``<time datetime>``), then the visible byline, then htmldate for a missing date;
   authors are people where the page names any (JSON-LD people, author meta, the byline
   next to the headline, a bold byline opening the text), else the organisation it
   declares;
2. the clutter step of :mod:`newsbot.clutter` removes teaser, share, caption, comment and
   other blocks from a copy of the tree;
3. Trafilatura's ``bare_extraction`` (its fast pass; its comparison with its fallback
   extractors only when the text misses the page's main block of paragraphs) finds the
   main text, and its XML body becomes paragraphs (subheadings, list items and quotes
   each a paragraph of their own);
4. a recall pass puts back what Trafilatura leaves out: the other parts of an article
   split into several containers, subheadings, text between blocks, and for a page that
   renders its text from a script, the body the page embeds in its data;
5. the clutter text rules drop what survives as lines, and every field is cleaned through
   :class:`newsbot.items.ArticleLoader`.

The result is an :class:`newsbot.items.Article`; when the page is not an article (a
listing, a page with too little text) its ``drop_reason`` says why.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import unicodedata
from collections.abc import Iterator
from copy import deepcopy
from typing import Any
from urllib.parse import urljoin, urlsplit

from htmldate import find_date
from lxml import etree
from lxml import html as lxml_html
from trafilatura import bare_extraction
from trafilatura.utils import load_html

from newsbot.clutter import strip_clutter_nodes, strip_clutter_paragraphs
from newsbot.items import (
    Article,
    ArticleLoader,
    article_id,
    clean_author,
    clean_whitespace,
    collapse_whitespace,
    count_words,
    is_role_only,
    looks_like_person,
    split_authors,
)

logger = logging.getLogger(__name__)

DEFAULT_MIN_WORDS = 80

ARTICLE_TYPES = frozenset(
    """Article NewsArticle ReportageNewsArticle AnalysisNewsArticle OpinionNewsArticle
    BackgroundNewsArticle ReviewNewsArticle AskPublicNewsArticle SatiricalArticle BlogPosting
    LiveBlogPosting Report TechArticle ScholarlyArticle SocialMediaPosting
    DiscussionForumPosting""".split()
)
LISTING_TYPES = frozenset(
    "CollectionPage ItemList SearchResultsPage ProfilePage AboutPage ContactPage".split()
)

ORGANISATION_TYPES = frozenset(
    """Organization NewsMediaOrganization Corporation NGO GovernmentOrganization
    EducationalOrganization WebSite Brand OnlineBusiness LocalBusiness""".split()
)
_DOMAIN_RE = re.compile(r"\bwww\.|\w\.(?:com|net|org|de|at|ch|be|nl|fr|it|es|pt|pl|no|se|dk|fi|uk|co|tr|jp|kr|cn|tw|in|za|au|ca|us|info|news)\b", re.I)
# Elements that may hold the visible byline, in document order.
_BYLINE_XPATH = (
    '//*[@itemprop="author"] | //a[@rel="author"]'
    ' | //*[contains(@class, "uthor") or contains(@class, "yline") or contains(@class, "yLine")'
    ' or contains(@class, "riter") or contains(@class, "AUTHOR") or contains(@class, "BYLINE")]'
)
_BYLINE_EXCLUDE_RE = re.compile(
    r"bio|desc|avatar|image|img|photo|pic|social|share|follow|comment|related|teaser|title|headline|label|prefix"
    r"|(?<![a-z])by(?![a-z])|about|more|contact|mail|date|time|socmed|tooltip|icon",
    re.IGNORECASE,
)
# Where a byline stops being names: a date, a place or section ("in News"), a separator.
_BYLINE_CUT_RE = re.compile(r"\s(?:in|im|on|am|um|le|el|il|at|—|–|·|\|)\s|\d|\n\s*\n|[|·•]")


def _squash(text: str) -> str:
    return re.sub(r"\W+", "", text.casefold())


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
_BY_PREFIX_XPATH = "//*[self::p or self::span or self::div or self::li][" + " or ".join(
    f'starts-with(normalize-space(.), "{w}")' for w in ("By ", "By:", "Von ", "Von:", "Par ", "Por ", "Door ", "Av ", "Af ")
) + "]"
_BY_WORD_RE = re.compile(r"(?i)(?:^|\s)(?:by|von|par|por|door|af|av)\s+")
_ACRONYM_RE = re.compile(r"^[A-Z]{2,6}$")


_TITLE_SEPARATORS = re.compile(r"\s+[|–—\-·•:»«/*]\s+|\s*[|\u3163]\s*|\s*：\s*")


def _never_raises(func: Any) -> Any:
    """Wrap ``extract_article`` so that any failure on hostile input becomes a page dropped
    as ``"unparsable"`` (one warning line) instead of an exception."""

    @functools.wraps(func)
    def guarded(html: str | bytes, url: str, *args: Any, **kwargs: Any) -> Article:
        try:
            return func(html, url, *args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - the contract is "never raises on any bytes"
            logger.warning("extraction failed on %s (%s: %s); dropped as unparsable", url,
                           type(exc).__name__, str(exc).splitlines()[0][:200] if str(exc) else "")
            logger.debug("extraction failure on %s", url, exc_info=True)
            return Article(url=url, id=article_id(url), drop_reason="unparsable")

    return guarded


@_never_raises
def extract_article(
    html: str | bytes, url: str, *, min_words: int = DEFAULT_MIN_WORDS
) -> Article:
    """Return the article record fields extracted from one page.

    ``url`` is the page's final URL (used to absolutise links and as the canonical URL when
    the page names none). The returned :class:`Article` has ``drop_reason`` set when the
    page is not an article: ``"unparsable"``, ``"not_article"``, ``"listing"``,
    ``"no_text"`` or ``"too_short"`` (fewer than ``min_words`` words). It never raises on
    bad markup.
    """
    tree = _parse(html)
    if tree is None:
        return Article(url=url, id=article_id(url), drop_reason="unparsable")
    meta = PageMetadata(tree, url)

    cleaned = deepcopy(tree)
    strip_clutter_nodes(cleaned)
    paragraphs = _main_text_paragraphs(cleaned, url)
    blocks = _paragraph_parents(cleaned)
    if _looks_wrong(paragraphs, blocks):
        # Trafilatura's own pass missed the text block or took the whole page: let it
        # compare with its fallback extractors (twice the time, so only here)
        paragraphs = _main_text_paragraphs(cleaned, url, fast=False)
    if len(paragraphs) == 1:
        paragraphs = _split_one_block(paragraphs, blocks)
    paragraphs = _add_split_body_parts(cleaned, paragraphs, blocks)
    if _reading_length(" ".join(paragraphs)) < min_words:
        # a page whose script renders the text: take it from the data the page embeds
        embedded = _embedded_body(meta, tree, url)
        if _reading_length(" ".join(embedded)) > _reading_length(" ".join(paragraphs)):
            paragraphs = embedded

    loader = ArticleLoader(base_url=url)
    loader.add_value("url", meta.canonical_url())
    loader.add_value("url", url)
    loader.add_value("site_name", meta.site_name())
    site_name = loader.get_output_value("site_name")
    title = meta.title(site_name)
    loader.add_value("title", title)
    loader.add_value("description", meta.description())
    description = loader.get_output_value("description")
    standfirst = description
    if description and _is_lede(tree, description, paragraphs):
        standfirst = None  # the summary is the article's first paragraph, not a standfirst
    paragraphs = strip_clutter_paragraphs(
        paragraphs, title=loader.get_output_value("title"), description=standfirst,
        headlines=meta.headlines(),
    )
    authors = meta.authors()
    if not meta.found_people:
        lead = _lead_byline(tree, paragraphs)
        if lead is not None:
            authors = lead[1]
            del paragraphs[lead[0]]
    body = "\n\n".join(paragraphs)
    loader.add_value("body", body)
    loader.add_value("authors", authors)
    loader.add_value("published", meta.published())
    loader.add_value("modified", meta.modified())
    loader.add_value("language", meta.language())
    loader.add_value("section", meta.section())
    loader.add_value("tags", meta.tags())
    loader.add_value("image", meta.image())
    article: Article = loader.load_item()
    if not article.authors and authors and not meta.found_people:
        # the page names no person: its declared author ("Staff reporter", a desk) stays
        article.authors = [a for a in dict.fromkeys(clean_whitespace(x) for x in authors)
                           if a and not is_role_only(a) and not a.startswith(("http://", "https://"))][:3]
    article.body = article.body or ""
    article.word_count = count_words(article.body)
    article.id = article_id(article.url)
    article.drop_reason = _drop_reason(meta, article, min_words)
    return article


def _lead_byline(tree: lxml_html.HtmlElement, paragraphs: list[str]) -> tuple[int, list[str]] | None:
    """Return (index, names) of a byline standing as one of the body's first paragraphs,
    set in bold ("<p><strong>Ann Lee/Omar Haddad</strong></p>"), or None."""
    bold = {_squash_text(p.text_content()) for p in tree.xpath("//p[strong or b]")
            if len(p.text_content()) <= 80
            and sum(len(s.text_content()) for s in p.iterchildren("strong", "b")) >= len(p.text_content().strip())}
    for index, text in enumerate(paragraphs[:4]):
        if len(text) > 80 or text.endswith((".", "!", "?", ":", ";")) or _squash_text(text) not in bold:
            continue
        parts = [p for p in re.split(r"\s*/\s*", text) if p]
        names = [n for part in parts for n in split_authors(part)]
        if names and all(len(n.split()) >= 2 and looks_like_person(n) and not _ACRONYM_RE.match(n) for n in names):
            return index, names
    return None


def _block_key(text: str) -> str:
    """Return the key that matches a block of extracted text with its page element."""
    return " ".join(text.split())


def _paragraph_parents(tree: lxml_html.HtmlElement) -> dict[lxml_html.HtmlElement, int]:
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


def _squash_text(text: str) -> str:
    return re.sub(r"\W+", " ", unicodedata.normalize("NFC", text)).strip().casefold()


def _is_lede(tree: lxml_html.HtmlElement, description: str, paragraphs: list[str]) -> bool:
    """Return True when the page's summary is also the first paragraph of the article text
    (a ``<p>`` among the body's paragraphs), as opposed to a standfirst set apart above it."""
    wanted = _squash_text(description)
    if not wanted or not any(_squash_text(p) == wanted for p in paragraphs[:3]):
        return False
    for p in tree.iter("p"):
        if _squash_text(p.text_content()) != wanted:
            continue
        parent = p.getparent()
        if parent is None:
            continue
        siblings = [s for s in parent.iterchildren("p") if s is not p and len(s.text_content()) > 80]
        if len(siblings) >= 2:
            return True
    return False


def _parse(html: str | bytes) -> lxml_html.HtmlElement | None:
    """Return the parsed page, or None when nothing usable can be parsed."""
    if not html:
        return None
    try:
        tree = load_html(html)
    except (ValueError, etree.ParserError, RecursionError):  # pragma: no cover - lxml quirks
        return None
    if tree is None or not isinstance(tree.tag, str):
        return None
    for script in tree.xpath('//script[contains(translate(@type, "LDJSON", "ldjson"), "ld+json")]'):
        if _json_depth(script.text or "") > _MAX_JSON_DEPTH:
            script.text = ""  # json.loads would recurse past Python's limit
    return tree


_MAX_JSON_DEPTH = 100
_JSON_STRING = re.compile(r'"(?:\\.|[^"\\])*"')
_JSON_BRACKETS = re.compile(r"[\[\]{}]")


def _json_depth(raw: str) -> int:
    """Return the deepest bracket nesting of a JSON text (strings ignored)."""
    depth = deepest = 0
    for bracket in _JSON_BRACKETS.findall(_JSON_STRING.sub("", raw)):
        depth = depth + 1 if bracket in "[{" else max(0, depth - 1)
        deepest = max(deepest, depth)
    return deepest


# --------------------------------------------------------------------------- body


_BLOCK_TAGS = frozenset(
    "p head quote list table item row cell code div section article main header footer ul ol li "
    "blockquote pre h1 h2 h3 h4 h5 h6 dl dt dd figure tr td th".split()
)


def _main_text_paragraphs(tree: lxml_html.HtmlElement, url: str, *, fast: bool = True) -> list[str]:
    """Return the main text of ``tree`` as paragraphs, as Trafilatura finds it (``fast``:
    without its comparison against its fallback extractors)."""
    try:
        doc = bare_extraction(
            tree,
            url=url,
            with_metadata=False,
            include_comments=False,
            include_tables=True,
            include_images=False,
            include_formatting=False,
            include_links=False,
            deduplicate=False,
            fast=fast,
        )
    except Exception:  # noqa: BLE001 - Trafilatura can fail deep inside lxml on odd markup
        logger.debug("trafilatura failed on %s", url, exc_info=True)
        return []
    if doc is None or doc.body is None:
        return []
    return list(_paragraphs(doc.body))


def _class_tokens(el: lxml_html.HtmlElement) -> frozenset[str]:
    return frozenset((el.get("class") or "").split())


def _add_missing_subheadings(
    container: lxml_html.HtmlElement, paragraphs: list[str], known: set[str], *, started: bool = False
) -> list[str]:
    """Return ``paragraphs`` with the subheadings of ``container`` that Trafilatura left
    out put back before the paragraph that follows them on the page. A heading above the
    container's first paragraph counts only when the article ``started`` in an earlier
    container (above the first, it is a kicker or a standfirst)."""
    index = {_block_key(p): i for i, p in enumerate(paragraphs)}
    inserts: list[tuple[int, str]] = []
    pending: list[str] = []
    for el in container.iterchildren("p", "h2", "h3", "h4"):
        text = collapse_whitespace(el.text_content())
        if not text:
            continue
        key = _block_key(text)
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
    for position, heading in sorted(inserts, key=lambda x: x[0], reverse=True):
        out.insert(position, heading)
        known.add(_block_key(heading))
    return out


def _parent_tokens(el: lxml_html.HtmlElement) -> frozenset[str]:
    parent = el.getparent()
    return _class_tokens(parent) if parent is not None else frozenset()


def _add_split_body_parts(
    tree: lxml_html.HtmlElement, paragraphs: list[str], scores: dict[lxml_html.HtmlElement, int]
) -> list[str]:
    """Return ``paragraphs`` with the text of the article's other body parts added.

    Pages split the article text into several containers of one class (between ads,
    newsletter boxes or a "read more" fold); Trafilatura keeps the first. The container
    with the most paragraph text is found; if Trafilatura's text comes from it, every
    other element of the same tag and class adds its paragraphs, before or after, in page
    order.
    """
    if not paragraphs:
        return paragraphs
    if len(scores) < 2:
        return paragraphs
    known = {_block_key(p) for p in paragraphs}
    overlap = {el: sum(_block_key(p.text_content()) in known for p in el.iterchildren("p")) for el in scores}
    best = max(scores, key=lambda el: (overlap[el], scores[el]))
    tokens = _class_tokens(best)
    if not tokens or not overlap[best]:
        return paragraphs
    used = sorted((el for el in scores if overlap[el]), key=lambda el: el.sourceline or 0)
    for position, container in enumerate(used):
        paragraphs = _add_missing_subheadings(container, paragraphs, known, started=position > 0)
    parts = [el for el in scores if el is not best and el.tag == best.tag and scores[el] >= 300
             and (other := _class_tokens(el)) and (other <= tokens or tokens <= other)
             and _parent_tokens(el) == _parent_tokens(best)]
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
            if _block_key(text) not in known:
                known.add(_block_key(text))
                target.append(text)
    return before + paragraphs + after


# Keys under which pages embed the article body in their scripts (JSON-LD, or the state a
# JavaScript front end hydrates from).
_EMBEDDED_BODY_RE = re.compile(
    r'"(?:articleBody|contentHtml|content_html|bodyHtml|body_html|articleHtml|article_html|htmlContent|html_content|content|body|text)"'
    r'\s*:\s*"((?:[^"\\]|\\.){400,})"'
)


def _embedded_body(meta: "PageMetadata", tree: lxml_html.HtmlElement, url: str) -> list[str]:
    """Return the article's paragraphs from the data the page embeds when its markup has
    no text (a script-rendered page): JSON-LD ``articleBody``, else the longest HTML or
    text value under a body-like key in a script."""
    candidates = [v for v in meta.ld("articleBody") if isinstance(v, str)]
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
        if _reading_length(" ".join(paragraphs)) > _reading_length(" ".join(best)):
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


def _split_one_block(paragraphs: list[str], scores: dict[lxml_html.HtmlElement, int]) -> list[str]:
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


def _looks_wrong(paragraphs: list[str], scores: dict[lxml_html.HtmlElement, int]) -> bool:
    """Return True when the extracted text misses the page's main block of paragraphs
    (the element whose ``<p>`` children hold the most text), is many times its size, or
    is one long block."""
    if len(paragraphs) == 1 and len(paragraphs[0]) > 400:
        return True  # the page as one block of text: Trafilatura's last-resort extraction
    best = max(scores, key=scores.__getitem__) if scores else None
    best_size = scores[best] if best is not None else 0
    if sum(len(p) for p in paragraphs) > 4 * max(best_size, 300) + 2000:
        return True
    if best is None or best_size < 300:
        return not paragraphs
    known = {_block_key(p) for p in paragraphs}
    return not any(_block_key(p.text_content()) in known for p in best.iterchildren("p"))


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
    for chunk in re.split(r"\n\s*\n", text):
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
    for chunk in re.split(r"\n\s*\n", text):
        cleaned = collapse_whitespace(chunk)
        if cleaned:
            yield cleaned


# --------------------------------------------------------------------------- metadata


def _json_ld_objects(tree: lxml_html.HtmlElement) -> list[dict[str, Any]]:
    """Return every JSON-LD object of the page, with ``@graph`` and lists flattened."""
    found: list[dict[str, Any]] = []
    for script in tree.xpath('//script[contains(translate(@type, "LDJSON", "ldjson"), "ld+json")]'):
        raw = (script.text or "").strip()
        raw = re.sub(r"^\s*(?://)?\s*<!\[CDATA\[|(?://)?\s*\]\]>\s*$", "", raw)
        if not raw:
            continue
        try:
            data = json.loads(raw, strict=False)
        except ValueError:
            continue
        stack = [data]
        while stack:
            item = stack.pop(0)
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                found.append(item)
                graph = item.get("@graph")
                if isinstance(graph, list | dict):
                    stack.append(graph)
    return found


def _types(obj: dict[str, Any]) -> set[str]:
    value = obj.get("@type", [])
    values = value if isinstance(value, list) else [value]
    return {v.rsplit("/", 1)[-1] for v in values if isinstance(v, str)}


def _as_texts(value: Any, key: str = "name") -> list[str]:
    """Return the strings in a JSON-LD value: a string, an object's ``key``, or a list."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        inner = value.get(key)
        return _as_texts(inner, key) if inner is not None else []
    if isinstance(value, list):
        return [t for v in value for t in _as_texts(v, key)]
    return []


class PageMetadata:
    """Metadata of one parsed page, read from its structured data first, then its markup."""

    def __init__(self, tree: lxml_html.HtmlElement, url: str) -> None:
        self.tree = tree
        self.url = url
        objects = _json_ld_objects(tree)
        self.ld_article = next((o for o in objects if _types(o) & ARTICLE_TYPES), None)
        self.ld_types = set().union(*(_types(o) for o in objects)) if objects else set()
        self.ld_objects = objects
        self._site_key_cache: set[str] | None = None
        self.found_people = False  # set by authors(): the names found are people
        self._meta: dict[str, list[str]] = {}
        for el in tree.iter("meta"):
            key = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip().lower()
            content = el.get("content")
            if key and content and content.strip():
                self._meta.setdefault(key, []).append(content.strip())

    # -- helpers

    def meta(self, *keys: str) -> list[str]:
        """Return the contents of the ``<meta>`` tags named by ``keys``, in key order."""
        return [v for k in keys for v in self._meta.get(k.lower(), [])]

    def ld(self, key: str, sub: str = "name") -> list[str]:
        """Return the texts of the JSON-LD article's ``key`` property."""
        return _as_texts(self.ld_article.get(key), sub) if self.ld_article else []

    def _first_text(self, xpath: str) -> str | None:
        for el in self.tree.xpath(xpath):
            text = clean_whitespace(el if isinstance(el, str) else el.text_content())
            if text:
                return text
        return None

    # -- fields

    def canonical_url(self) -> str | None:
        """Return the page's canonical URL (rel=canonical, else og:url), absolute; None if
        absent or if it points at a site's home page while this page is not one."""
        for candidate in self.tree.xpath('//link[@rel="canonical"]/@href') + self.meta("og:url"):
            absolute = urljoin(self.url, candidate.strip())
            if not absolute.startswith(("http://", "https://")):
                continue
            if urlsplit(absolute).path in ("", "/") and urlsplit(self.url).path not in ("", "/"):
                continue
            return absolute
        return None

    def site_name(self) -> str | None:
        """Return the publication's name."""
        values = (self.meta("og:site_name") + _as_texts(self.ld_article.get("publisher") if self.ld_article else None)
                  + self.meta("application-name"))
        return values[0] if values else None

    def title(self, site_name: str | None) -> str | None:
        """Return the headline without site-name (or trailing section-name) segments: the
        declared title (OpenGraph, JSON-LD headline, Twitter, Dublin Core), else the
        ``<h1>``, else ``<title>``."""
        h1 = self._first_text("//article//h1") or self._first_text("//h1")
        candidates = self.meta("og:title") + self.ld("headline") + self.meta("twitter:title", "dc.title")
        if h1:
            candidates.append(h1)
        candidates += [t.text_content() for t in self.tree.xpath("//title")][:1]
        section = self.section()
        for raw in candidates:
            title = strip_site_name(raw, site_name, self.url, h1)
            if title and section and title.casefold().endswith(section.casefold()) and len(title) > len(section) + 10:
                # "Headline - Section" once the site's name is gone
                title = re.sub(r"\s*[-|–—:\u3163]\s*" + re.escape(section) + r"$", "", title, flags=re.IGNORECASE) or title
            if title and h1 and len(h1) > len(title) and h1.startswith(title) and _QUOTE_AFTER.match(h1, len(title)):
                # a declared title cut short at a quotation mark (an unescaped quote ended its
                # attribute): the visible headline is whole
                title = strip_site_name(h1, site_name, self.url, h1)
            if title:
                return title
        return None

    def headlines(self) -> list[str]:
        """Return every version of the headline the page declares (to drop their repeats)."""
        h1 = self._first_text("//article//h1") or self._first_text("//h1")
        return [h for h in self.ld("headline") + self.meta("og:title", "twitter:title") + [h1 or ""] if h]

    def description(self) -> str | None:
        """Return the standfirst / summary."""
        values = (self.meta("og:description", "description", "twitter:description", "dc.description")
                  + self.ld("description"))
        return values[0] if values else None

    def authors(self) -> list[str]:
        """Return author names, people first: the JSON-LD article's people, else those of
        the author meta tags, else the visible byline; when none of these names a person,
        the organisation the page declares as its author (a news agency such as "nda", the paper)."""
        people, orgs = [], []
        for name, is_org in self._ld_authors():
            if is_org or self._is_site(name):
                orgs.append(name)
            elif any(clean_author(n) for n in split_authors(name)):
                people.append(name)
            else:
                orgs.append(name)
        if people:
            # an agency credited next to the people ("Ann Lee, SDA"), not the site itself
            self.found_people = True
            return people + [o for o in orgs if not self._is_site(o)]
        metas = [v for v in self.meta("author", "article:author", "dc.creator", "parsely-author", "sailthru.author")
                 if not v.startswith(("http://", "https://", "/", "@"))]
        meta_people = [n for v in metas if not _DOMAIN_RE.search(v)
                       for n in split_authors(v) if looks_like_person(n) and not self._is_site(n)]
        if meta_people:
            self.found_people = True
            return meta_people
        byline, byline_orgs = self._byline_people()
        if byline:
            self.found_people = True
            return byline
        return orgs or byline_orgs or [v for v in metas if not _DOMAIN_RE.search(v)] or metas[:1]

    def _ld_authors(self) -> list[tuple[str, bool]]:
        """Return (name, is an organisation) for each author of the JSON-LD article."""
        if not self.ld_article:
            return []
        value = self.ld_article.get("author") or self.ld_article.get("creator")
        values = value if isinstance(value, list) else [value]
        out: list[tuple[str, bool]] = []
        for item in values:
            if isinstance(item, str):
                out.append((item, False))
            elif isinstance(item, dict):
                if set(item) <= {"@id", "@type"} and isinstance(item.get("@id"), str):
                    item = self._ld_by_id().get(item["@id"], item)
                name = item.get("name")
                if isinstance(name, list):
                    name = next((n for n in name if isinstance(n, str)), None)
                if not isinstance(name, str) or not name.strip():
                    parts = [item.get("givenName"), item.get("additionalName"), item.get("familyName")]
                    name = " ".join(p for p in parts if isinstance(p, str) and p.strip())
                if name and name.strip():
                    out.append((name, bool(_types(item) & ORGANISATION_TYPES)))
        return out

    def _ld_by_id(self) -> dict[str, dict[str, Any]]:
        return {o["@id"]: o for o in self.ld_objects if isinstance(o.get("@id"), str)}

    def _site_keys(self) -> set[str]:
        """Return the squashed names under which the site itself may appear as an author."""
        if self._site_key_cache is None:
            names = self.meta("og:site_name", "application-name", "twitter:site", "dc.publisher")
            if self.ld_article:
                names += _as_texts(self.ld_article.get("publisher"))
            names += [n for o in self.ld_objects if _types(o) & ORGANISATION_TYPES for n in _as_texts(o.get("name"))]
            host = (urlsplit(self.url).hostname or "").lower().removeprefix("www.")
            keys = {_squash(n) for n in names} | {_squash(host)}
            labels = host.split(".")
            if len(labels) >= 2:
                keys.add(_squash(labels[-2] if len(labels[-2]) > 3 or len(labels) < 3 else labels[-3]))
            self._site_key_cache = {k for k in keys if k}
        return self._site_key_cache

    def _is_site(self, name: str) -> bool:
        return _squash(name) in self._site_keys()

    def _byline_people(self) -> tuple[list[str], list[str]]:
        """Return (people, organisations) named in the page's visible byline: the first
        byline-like element with text, and byline elements next to it (teaser cards
        further down the page carry bylines of other articles)."""
        found: list[str] = []
        orgs: list[str] = []
        anchor: lxml_html.HtmlElement | None = None
        for el in self.tree.xpath(_BYLINE_XPATH)[:40]:  # a byline stands near the top
            if _BYLINE_EXCLUDE_RE.search(el.get("class", "")):
                continue
            text = " ".join("".join(el.xpath(".//text()[not(ancestor::script or ancestor::style)]")).split())
            if len(_BYLINE_PREFIX_ONLY_RE.sub("", text)) < 2:
                continue
            if anchor is None:
                if el.xpath("ancestor::*[self::script or self::style or self::noscript]"):
                    continue
                anchor = el
            elif not _near(anchor, el):
                break
            people, others = self._names_in_byline(text)
            found.extend(n for n in people if n not in found)
            orgs.extend(n for n in others if n not in orgs)
        if found or orgs:
            return found, orgs
        for el in self.tree.xpath(_BY_PREFIX_XPATH):
            people, others = self._names_in_byline(el.text_content())
            if people or others:
                return people, others
        return [], []

    def _names_in_byline(self, text: str) -> tuple[list[str], list[str]]:
        """Return (people, other names: acronyms, the site's own name) in a byline text."""
        text = " ".join(text.split())
        if not text or len(text) > 200:
            return [], []
        text = _BYLINE_CUT_RE.split(text, maxsplit=1)[0]
        by = _BY_WORD_RE.search(text)
        if by:  # "ledger by Ann Lee": what stands before "by" is a brand or a label
            text = text[by.end():]
        if len(text) > 120:
            return [], []
        people, others = [], []
        for name in split_authors(text):
            if looks_like_person(name) and not self._is_site(name) and not _ACRONYM_RE.match(name):
                people.append(name)
            else:
                others.append(name)
        return people, others

    def published(self) -> str | None:
        """Return the raw publication date: structured sources first, then htmldate."""
        values = self.ld("datePublished") + self.ld("dateCreated") + self.meta(
            "article:published_time", "og:article:published_time", "datepublished", "pubdate",
            "publishdate", "publish-date", "dc.date.issued", "dcterms.issued", "dc.date",
            "dcterms.date", "date", "sailthru.date", "parsely-pub-date", "article.published",
        )
        values += self.tree.xpath('//*[@itemprop="datePublished"]/@datetime')
        values += self.tree.xpath("//time[@pubdate]/@datetime | //article//time/@datetime | //time/@datetime")[:1]
        if values:
            return values[0]
        return self._htmldate()

    def has_structured_date(self) -> bool:
        """Return True when the page states a publication date in its metadata or markup."""
        return bool(self.ld("datePublished") or self.meta(
            "article:published_time", "og:article:published_time", "datepublished", "pubdate",
            "publishdate", "dc.date.issued", "dcterms.issued", "dc.date", "date", "parsely-pub-date",
        ) or self.tree.xpath('//*[@itemprop="datePublished"] | //time[@pubdate]'))

    def _htmldate(self) -> str | None:
        try:
            return find_date(self.tree, url=self.url, original_date=True, extensive_search=False,
                             outputformat="%Y-%m-%d")
        except Exception:  # noqa: BLE001 - htmldate can fail on odd markup
            return None

    def modified(self) -> str | None:
        """Return the raw last-modified date."""
        values = self.ld("dateModified") + self.meta(
            "article:modified_time", "og:updated_time", "datemodified", "dc.date.modified",
            "dcterms.modified", "last-modified",
        ) + self.tree.xpath('//*[@itemprop="dateModified"]/@datetime')
        return values[0] if values else None

    def language(self) -> str | None:
        """Return the page's language tag."""
        values = self.tree.xpath("/html/@lang") + self.ld("inLanguage") + self.meta(
            "og:locale", "content-language", "dc.language", "language")
        values += self.tree.xpath('//meta[@http-equiv="content-language"]/@content')
        return values[0] if values else None

    def section(self) -> str | None:
        """Return the section the article is filed under."""
        values = self.meta("article:section") + self.ld("articleSection")
        return values[0] if values else None

    def tags(self) -> list[str]:
        """Return raw tag strings."""
        return self.meta("article:tag") or self.ld("keywords") or self.meta("news_keywords", "keywords")

    def image(self) -> str | None:
        """Return the lead image URL."""
        values = self.meta("og:image", "og:image:url", "twitter:image") + self.ld("image", "url")
        return values[0] if values else None

    def looks_like_article(self) -> bool:
        """Return True when the page declares itself an article."""
        og_type = [v.lower() for v in self.meta("og:type")]
        return bool(self.ld_article) or "article" in og_type or self.has_structured_date()

    def looks_like_listing(self) -> bool:
        """Return True when the page declares itself a listing (collection, profile, ...)
        or holds many teaser ``<article>`` elements."""
        if self.ld_types & LISTING_TYPES and not self.ld_article:
            return True
        og_type = [v.lower() for v in self.meta("og:type")]
        if og_type and og_type[0] in ("website", "profile", "object") and not self.ld_article:
            return True
        return len(self.tree.xpath("//article")) >= 3


_QUOTE_AFTER = re.compile(r"\s*[\"\u201c\u201d\u201e\u00ab\u00bb\u2018\u2019']")


def strip_site_name(raw: str | None, site_name: str | None, url: str, h1: str | None = None) -> str | None:
    """Return a title without the site-name segment ("Headline – Site" -> "Headline")."""
    title = clean_whitespace(raw)
    if not title:
        return None
    if h1 and title.casefold() == h1.casefold():
        return title
    if site_name:
        prefix = re.match(re.escape(site_name) + r"\s*[:|–—\-]\s*", title, re.IGNORECASE)
        if prefix and len(title) > prefix.end():
            title = title[prefix.end():]
    parts = [p for p in _TITLE_SEPARATORS.split(title) if p.strip()]
    if len(parts) < 2:
        return title
    if h1:
        for part in parts:
            if part.strip().casefold() == h1.casefold():
                return part.strip()
    host = urlsplit(url).hostname or ""
    host_words = {w for w in re.split(r"[.\-]", host.lower()) if w not in ("www", "com", "org", "net", "co")}

    def is_site(part: str) -> bool:
        folded = part.strip().casefold()
        squashed = re.sub(r"\W+", "", folded)
        if site_name and folded == site_name.casefold():
            return True
        return bool(squashed) and (squashed in host_words or any(squashed == w for w in host_words))

    while len(parts) > 1 and (is_site(parts[-1]) or re.match(r"(?i)by\s", parts[-1].strip())):
        parts.pop()
    while len(parts) > 1 and is_site(parts[0]):
        parts.pop(0)
    separator = re.search(_TITLE_SEPARATORS, title)
    if len(parts) > 1 and separator:
        # keep the headline's own separators: only the site segments were dropped
        return clean_whitespace(title[title.find(parts[0]): title.rfind(parts[-1]) + len(parts[-1])])
    return parts[0].strip()


_UNSPACED_SCRIPT = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u0e00-\u0e7f\u0e80-\u0eff\u1000-\u109f]")


def _reading_length(text: str) -> int:
    """Return the body's length in words, counting two characters of a script written
    without spaces (Chinese, Japanese, Thai, ...) as one word, so that such an article is
    not "too short" for having few ``\\w+`` runs."""
    words = count_words(text)
    unspaced = len(_UNSPACED_SCRIPT.findall(text))
    return words + unspaced // 2 if unspaced else words


def _drop_reason(meta: PageMetadata, article: Article, min_words: int) -> str | None:
    """Return why the page is not an article, or None when it is one."""
    if meta.looks_like_listing() and not meta.ld_article:
        return "listing"
    if not meta.looks_like_article():
        return "not_article"
    if not article.body:
        return "no_text"
    if _reading_length(article.body) < min_words:
        return "too_short"
    if not article.title:
        return "no_title"
    return None
