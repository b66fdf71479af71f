"""Pathological markup: nesting deeper than the HTML parser accepts.

libxml2 (lxml's parser) stops building the tree at 256 levels of nesting: everything
after the point where a page nests deeper is lost, so a story wrapped in 300 ``<div>`` s
comes out empty. :func:`flatten_nesting` returns the page with the wrapper tags beyond a
safe depth removed (their content kept), so the parser sees all of the text; a page that
never nests that deep is returned unchanged. Pure string work: no parser, no recursion.
"""

from __future__ import annotations

import re

# Nesting kept as it is; past it, wrapper tags are dropped (content kept).
SAFE_DEPTH = 160
# Past this depth every tag but the text-structure ones below is dropped.
HARD_DEPTH = 220

_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:-]*)(?:\s[^>]*)?/?>")
_VOID = frozenset("area base br col embed hr img input link meta param source track wbr basefont frame keygen".split())
# tags whose content a browser shows as it is: no nesting is counted inside them
_RAW = frozenset(("script", "style", "textarea", "title", "xmp", "plaintext", "noscript", "template"))
# tags that carry structure a reader sees; kept up to HARD_DEPTH (and p/h*/li beyond it,
# which the parser closes implicitly and so never nest)
_STRUCTURE = frozenset(
    "html head body article main p h1 h2 h3 h4 h5 h6 li ul ol blockquote pre table tr td th figure "
    "figcaption header footer nav aside time".split()
)
_ALWAYS = frozenset("p h1 h2 h3 h4 h5 h6 li br".split())


def flatten_nesting(html: str) -> str:
    """Return ``html`` with the wrapper tags that nest deeper than ``SAFE_DEPTH`` removed
    (their content kept), or ``html`` itself when it never nests that deep."""
    if html.count("<") <= SAFE_DEPTH:
        return html
    out: list[str] = []
    stack: list[tuple[str, bool]] = []  # (tag, kept)
    last = 0
    changed = False
    raw_until: str | None = None
    for match in _TAG.finditer(html):
        closing, name = match.group(1), match.group(2).lower()
        if raw_until is not None:
            if closing and name == raw_until:
                raw_until = None
                if stack and stack[-1][0] == name:
                    stack.pop()
            continue
        if not closing:
            if name in _VOID or match.group(0).endswith("/>"):
                continue
            depth = len(stack)
            keep = depth < SAFE_DEPTH or name in _ALWAYS or (depth < HARD_DEPTH and name in _STRUCTURE)
            stack.append((name, keep))
            if name in _RAW:
                raw_until = name
            if not keep:
                out.append(html[last : match.start()])
                last = match.end()
                changed = True
            continue
        for i in range(len(stack) - 1, max(-1, len(stack) - 64), -1):
            if stack[i][0] == name:
                kept = stack[i][1]
                del stack[i:]
                if not kept:
                    out.append(html[last : match.start()])
                    last = match.end()
                break
    if not changed:
        return html
    out.append(html[last:])
    return "".join(out)
