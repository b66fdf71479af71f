"""Feeds: the item links of RSS, RDF and Atom documents, and the feed types a page may
declare with ``<link rel="alternate">``."""

from __future__ import annotations

from lxml import etree

FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/rdf+xml",
    "application/xml",
    "text/xml",
)
_ATOM = "{http://www.w3.org/2005/Atom}"


def feed_links(body: bytes) -> list[str]:
    """Return the item links of an RSS, RDF or Atom feed; empty when it does not parse.

    The parser never expands entities, loads DTDs or touches the network.
    """
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=True)
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError:
        return []
    if root is None:
        return []
    links: list[str] = []
    for item in root.iter("item", "{*}item"):  # RSS 2.0 and RDF
        link = item.find("link")
        if link is None:
            link = item.find("{*}link")
        if link is not None and link.text and link.text.strip():
            links.append(link.text.strip())
        elif (guid := item.find("guid")) is not None and guid.text and guid.get("isPermaLink", "true") == "true":
            links.append(guid.text.strip())
    for entry in root.iter(f"{_ATOM}entry"):
        for link in entry.iter(f"{_ATOM}link"):
            if link.get("rel", "alternate") == "alternate" and link.get("href"):
                links.append(link.get("href").strip())
                break
    return links
