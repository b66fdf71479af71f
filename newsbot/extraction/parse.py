"""Parsing a page: the lxml tree every extraction step reads, and the JSON-LD objects in it."""

from __future__ import annotations

import json
import re
from typing import Any

from lxml import etree
from lxml import html as lxml_html
from trafilatura.utils import decode_file, load_html

from newsbot.extraction.nesting import SAFE_DEPTH, flatten_nesting


def parse_html(html: str | bytes) -> lxml_html.HtmlElement | None:
    """Return the parsed page, or None when nothing usable can be parsed."""
    if not html:
        return None
    try:
        tree = load_html(html)
        if tree is not None and isinstance(tree.tag, str) and tree.xpath(_DEEP_PROBE):
            # libxml2 drops everything past 256 levels: a page nesting this deep is parsed
            # again with its wrapper tags past SAFE_DEPTH removed (the string pass costs
            # time, so only here); decoded in its own charset, as load_html finds it
            tree = load_html(flatten_nesting(decode_file(html)))
    except (ValueError, etree.ParserError, RecursionError):  # pragma: no cover - lxml quirks
        return None
    if tree is None or not isinstance(tree.tag, str):
        return None
    for script in tree.xpath('//script[contains(translate(@type, "LDJSON", "ldjson"), "ld+json")]'):
        if _json_depth(script.text or "") > _MAX_JSON_DEPTH:
            script.text = ""  # json.loads would recurse past Python's limit
    return tree


# An element SAFE_DEPTH levels down (the root counted): the tree may have lost text.
_DEEP_PROBE = "boolean(/*" + "/*" * (SAFE_DEPTH - 1) + ")"
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


def json_ld_objects(tree: lxml_html.HtmlElement) -> list[dict[str, Any]]:
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
