"""Parsing a page: the lxml tree every extraction step reads, and the JSON-LD objects in it."""

from __future__ import annotations

import json
import re
from typing import Any

from lxml import etree
from lxml import html as lxml_html
from trafilatura.utils import DOCTYPE_TAG, FAULTY_HTML, INVALID_XML_CHARS, decode_file, is_dubious_html

from newsbot.extraction.nesting import SAFE_DEPTH, flatten_nesting

# Trafilatura's parser options (``trafilatura.utils.HTML_PARSER``) with lxml's C-level class
# lookup: every element is an ``HtmlElement`` as before, but lxml.html's own lookup is a Python
# call for each element the first time a step touches it (to give form fields classes of
# their own, which no step uses): about a twentieth of the extraction's time.
_PARSER = lxml_html.HTMLParser(
    collect_ids=False, default_doctype=False, encoding="utf-8", remove_comments=True, remove_pis=True
)
_PARSER.set_element_class_lookup(
    etree.ElementDefaultClassLookup(
        element=lxml_html.HtmlElement,
        comment=lxml_html.HtmlComment,
        pi=lxml_html.HtmlProcessingInstruction,
        entity=lxml_html.HtmlEntity,
    )
)


def parse_html(html: str | bytes) -> lxml_html.HtmlElement | None:
    """Return the parsed page, or None when nothing usable can be parsed.

    The page is parsed once; only a page that nests deeper than the parser goes (libxml2
    stops building the tree there, losing the rest) is flattened and parsed again.
    """
    if not html:
        return None
    if isinstance(html, bytes) and html.count(b"<") > SAFE_DEPTH:
        html = decode_file(html)  # the page's own charset, as load_html would find it
    tree = _load(html)
    if isinstance(html, str) and html.count("<") > SAFE_DEPTH and _too_deep(tree, html):
        tree = _load(flatten_nesting(html))  # libxml2 drops everything past 256 levels
    if tree is None or not isinstance(tree.tag, str):
        return None
    for script in _LD_JSON_XPATH(tree):
        raw = script.text or ""
        if raw.count("[") + raw.count("{") > _MAX_JSON_DEPTH and _json_depth(raw) > _MAX_JSON_DEPTH:
            script.text = ""  # json.loads would recurse past Python's limit
    return tree


def _load(html: str | bytes) -> lxml_html.HtmlElement | None:
    """Return the page parsed as ``trafilatura.utils.load_html`` parses it (its decoding,
    repairs, second try from bytes, and rejection of what is not HTML), with :data:`_PARSER`.
    Raise ``TypeError`` for anything but ``str`` or ``bytes``, as it does."""
    if not isinstance(html, str | bytes):
        raise TypeError("incompatible input type", type(html))
    try:
        text = decode_file(html)
    except ValueError:  # pragma: no cover - an undecodable payload
        return None
    beginning = text[:50].lower()
    text = _repair(text, beginning)
    tree = None
    from_bytes = False
    try:
        tree = lxml_html.fromstring(text, parser=_PARSER)
    except ValueError:  # a str with an encoding declaration
        tree, from_bytes = _load_bytes(text), True
    except Exception:  # noqa: BLE001 - as load_html: the bytes are tried next
        tree = None
    if (tree is None or len(tree) < 1) and not from_bytes:
        tree = _load_bytes(text)
    if tree is not None and is_dubious_html(beginning) and len(tree) < 2:
        return None  # not HTML at all
    return tree


# The characters XML forbids, which Trafilatura's repairs strip before parsing.
_INVALID_XML = (*map(chr, (*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20))), "\ufffe", "\uffff")


def _repair(text: str, beginning: str) -> str:
    """Return ``text`` repaired as ``trafilatura.utils.repair_faulty_html`` repairs it (the
    characters XML forbids dropped, a DOCTYPE that libxml2 misreads dropped, a self-closing
    ``<html/>`` opened); the forbidden characters are looked for by ``in`` tests, a third
    of the cost of its regex over the whole page, which few pages need."""
    if any(char in text for char in _INVALID_XML):
        text = INVALID_XML_CHARS.sub("", text)
    if "doctype" in beginning:
        firstline, _, rest = text.partition("\n")
        text = DOCTYPE_TAG.sub("", firstline, count=1) + "\n" + rest
    for line in text[:4096].splitlines()[:4]:
        if "<html" in line and line.endswith("/>"):
            return str(FAULTY_HTML.sub(r"\1>", text, count=1))
    return text


def _load_bytes(text: str) -> lxml_html.HtmlElement | None:
    try:
        return lxml_html.fromstring(text.encode("utf8", "surrogatepass"), parser=_PARSER)
    except Exception:  # noqa: BLE001 - lxml raises several kinds on hostile bytes
        return None


# A tree as deep as this was cut short by the parser's depth limit.
_PARSER_DEPTH_LIMIT = 250
_DEEP_XPATH = etree.XPath(f"boolean(//*[ancestor::*[{_PARSER_DEPTH_LIMIT}]])")


def _too_deep(tree: lxml_html.HtmlElement | None, html: str) -> bool:
    """Return True when parsing ``html`` hit libxml2's nesting limit (the tree is cut short
    there). The parser's error log names the limit: free to read. For a page with an XML
    declaration (parsed a second time, from bytes) the tree itself is checked."""
    if tree is None:
        return True
    if html.lstrip()[:5].lower() == "<?xml":
        return bool(_DEEP_XPATH(tree))
    return any("depth" in entry.message for entry in _PARSER.error_log)


_LD_JSON_XPATH = etree.XPath('//script[contains(translate(@type, "LDJSON", "ldjson"), "ld+json")]')
_MAX_JSON_DEPTH = 100
_JSON_STRING = re.compile(r'"(?:\\.|[^"\\])*"')
_JSON_BRACKETS = re.compile(r"[\[\]{}]")


def _json_depth(raw: str) -> int:
    """Return the deepest bracket nesting of a JSON text (strings ignored): never more
    than its number of opening brackets, which is counted first."""
    depth = deepest = 0
    for bracket in _JSON_BRACKETS.findall(_JSON_STRING.sub("", raw)):
        depth = depth + 1 if bracket in "[{" else max(0, depth - 1)
        deepest = max(deepest, depth)
    return deepest


def json_ld_objects(tree: lxml_html.HtmlElement) -> list[dict[str, Any]]:
    """Return every JSON-LD object of the page, with ``@graph`` and lists flattened."""
    found: list[dict[str, Any]] = []
    for script in _LD_JSON_XPATH(tree):
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


def ld_types(obj: dict[str, Any]) -> set[str]:
    """Return the schema.org type names of a JSON-LD object (``@type``, URL prefixes dropped)."""
    value = obj.get("@type", [])
    values = value if isinstance(value, list) else [value]
    return {v.rsplit("/", 1)[-1] for v in values if isinstance(v, str)}


def as_texts(value: Any, key: str = "name") -> list[str]:
    """Return the strings in a JSON-LD value: a string, an object's ``key``, or a list."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        inner = value.get(key)
        return as_texts(inner, key) if inner is not None else []
    if isinstance(value, list):
        return [t for v in value for t in as_texts(v, key)]
    return []
