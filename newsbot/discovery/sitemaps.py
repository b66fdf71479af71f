"""Sitemaps: the URLs (with their dates) a sitemap, sitemap index or plain-text sitemap
lists.

Discovery is pure (no Scrapy import), so Scrapy's ``scrapy.utils.sitemap.Sitemap`` is not
used here; its safe lxml settings are mirrored instead: entities never resolved, no
network, no DTD loaded, ``huge_tree`` off, comments dropped. The document is read with a
pull parser that reports only elements whose end tag was read, so a sitemap cut off
inside or right after a ``<loc>`` never yields an invented, half-written URL. Raw ``&`` in
a URL (invalid XML, common in practice) is escaped before parsing so ``?a=1&b=2&c`` stays
whole. Elements are matched by local name: wrong or missing namespaces are read as well.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field

from lxml import etree

from newsbot.discovery.freshness import Listed, dated

_RAW_AMP = re.compile(rb"&(?!#\d+;|#x[0-9a-fA-F]+;|[A-Za-z_][\w.-]*;)")
_DATE_NAMES = ("lastmod", "publication_date")
_ROOT_CLOSED = re.compile(rb"</(?:[\w.-]+:)?(?:urlset|sitemapindex)\s*>(?:\s|<!--.*?-->)*\Z", re.DOTALL)


def declares_entities(body: bytes) -> bool:
    """Return True when an XML document declares entities in an internal DTD (the shape
    of "billion laughs" and external-entity attacks; newsbot never expands them)."""
    head = body[:65536]
    start = head.find(b"<!DOCTYPE")
    return start >= 0 and b"<!ENTITY" in head[start:]


@dataclass
class SitemapDoc:
    """What a sitemap document lists: ``kind`` ``"urlset"`` (pages, also for plain-text
    sitemaps) or ``"sitemapindex"`` (sitemaps); ``entries`` in order; ``cut`` is True when
    the XML ended before its root element closed (only complete entries are listed)."""

    kind: str
    entries: list[Listed] = field(default_factory=list)
    cut: bool = False


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def text_sitemap(body: bytes) -> SitemapDoc | None:
    """Return a plain-text sitemap (one absolute http(s) URL per line) as a urlset, or
    None when ``body`` is not one."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines or not all(line.startswith(("http://", "https://")) and " " not in line for line in lines):
        return None
    return SitemapDoc("urlset", [Listed(line) for line in lines])


def read_sitemap(body: bytes) -> SitemapDoc | None:
    """Return the :class:`SitemapDoc` of a sitemap, sitemap index or plain-text sitemap, or
    None when ``body`` is none of these (a feed listed as a sitemap is None here: read it
    with :func:`newsbot.discovery.feeds.feed_entries`)."""
    if not body.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return text_sitemap(body)
    parser = etree.XMLPullParser(
        events=("end",),
        recover=True,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    with contextlib.suppress(etree.XMLSyntaxError):
        parser.feed(_RAW_AMP.sub(b"&amp;", body))
        parser.feed(b"<!---->")  # makes the parser report every element closed so far
    events = list(parser.read_events())
    cut = not _ROOT_CLOSED.search(body[-1024:])
    with contextlib.suppress(etree.XMLSyntaxError):
        parser.close()
    if not cut:  # close() ends open elements: only trusted when the root was closed
        events += parser.read_events()
    if not events:
        return None
    kind = _local(events[0][1].getroottree().getroot().tag)
    if kind not in ("urlset", "sitemapindex"):
        return None
    doc = SitemapDoc(kind, cut=cut)
    loc: str | None = None
    dates: list[str | None] = []
    for _event, element in events:
        name = _local(element.tag)
        if name == "loc" and loc is None:
            # a <loc> holding an entity reference is dropped whole (entities never expand)
            loc = (element.text or "").strip() if len(element) == 0 else ""
        elif name in _DATE_NAMES:
            dates.append(element.text)
        elif name in ("url", "sitemap"):
            if loc:
                doc.entries.append(dated(loc, *dates))
            loc, dates = None, []
    if cut and loc:
        doc.entries.append(dated(loc, *dates))  # its </loc> was read; the cut came after it
    return doc
