"""Parsing a page: the lxml tree every extraction step reads, and the JSON-LD objects in it."""

from __future__ import annotations

import json
import re
from typing import Any

from lxml import etree
from lxml import html as lxml_html
from trafilatura import utils as trafilatura_utils
from trafilatura.utils import decode_file, load_html

from newsbot.extraction.nesting import SAFE_DEPTH, flatten_nesting


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
    try:
        return load_html(html)
    except (ValueError, etree.ParserError, RecursionError):  # pragma: no cover - lxml quirks
        return None


# A tree as deep as this was cut short by the parser's depth limit.
_PARSER_DEPTH_LIMIT = 250
_DEEP_XPATH = etree.XPath(f"boolean(//*[ancestor::*[{_PARSER_DEPTH_LIMIT}]])")


def _too_deep(tree: lxml_html.HtmlElement | None, html: str) -> bool:
    """Return True when parsing ``html`` hit libxml2's nesting limit (the tree is cut short
    there). Trafilatura parses a string with its ``HTML_PARSER``, whose error log names the
    limit: free to read. A page with an XML declaration goes through another parser, so its
    tree is checked instead."""
    if tree is None:
        return True
    parser = getattr(trafilatura_utils, "HTML_PARSER", None)
    if parser is None or html.lstrip()[:5].lower() == "<?xml":
        return bool(_DEEP_XPATH(tree))
    return any("depth" in entry.message for entry in parser.error_log)


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
