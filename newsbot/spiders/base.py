"""What both spiders share: turning a response into a ``PageItem`` (with its text decoded
right where the declared charset lies) and naming failures."""

from __future__ import annotations

import codecs
import logging
import re
from collections.abc import Iterator

from scrapy import Spider
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from newsbot.errors import NotModified, failure_kind, failure_reason
from newsbot.items import PageItem, utc_now_iso
from newsbot.statskeys import is_lost_page
from newsbot.urls import site_of

logger = logging.getLogger(__name__)

_HTML_TYPES = (b"text/html", b"application/xhtml+xml")


def is_html(response: Response) -> bool:
    """Return True when the response is an HTML page (by Content-Type, else by sniffing)."""
    if not isinstance(response, TextResponse):
        return False
    content_type = (response.headers.get(b"Content-Type") or b"").split(b";")[0].strip().lower()
    if content_type:
        return content_type in _HTML_TYPES
    return b"<html" in response.body[:2048].lower()


def _codec(name: str | None) -> str:
    try:
        return codecs.lookup(name or "").name
    except LookupError:
        return ""


def page_text(response: TextResponse) -> str:
    """Return the page's text, decoded as Scrapy does (BOM, then HTTP charset, then
    ``<meta>``, then detection) except where that decoding is evidently wrong:

    * declared as a legacy charset but the body is valid UTF-8 with non-ASCII bytes:
      decoded as UTF-8 (such bytes are all but impossible in real legacy-encoded text);
    * declared as UTF-8 but the body is not valid UTF-8: the charset is detected with
      charset-normalizer, windows-1252 winning ties (falling back to Scrapy's text with
      replacement characters).
    """
    return decode_page(response)[0]


def decode_page(response: TextResponse) -> tuple[str, bool]:
    """Return :func:`page_text` of the response and whether that text is exactly the body
    decoded as UTF-8 (a leading BOM dropped), which is what lets the extraction pool send
    the body's bytes instead of encoding the text again. Always False for an ASCII body,
    whose text costs nothing to encode."""
    text = response.text
    body = response.body
    if body.isascii():
        return text, False
    declared = _codec(response.encoding)
    if declared != "utf-8":
        try:
            return body.decode("utf-8-sig"), True
        except UnicodeDecodeError:
            pass
        mixed = repair_blocks(body)
        if mixed is not None:
            logger.info("page mixes UTF-8 and %s blocks; each decoded as its own: %s", mixed[1], response.url)
            return mixed[0], False
        return text, False
    if "\ufffd" not in text:
        # decoded as UTF-8 with replacement and none was needed: the body is valid UTF-8
        # (a UTF-16 byte-order mark would have made Scrapy decode it as UTF-16)
        return text, not body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return text, True  # real U+FFFD characters in a valid UTF-8 page
    mixed = repair_blocks(body)
    if mixed is not None:
        logger.info("page declared UTF-8 has %s blocks; each decoded as its own: %s", mixed[1], response.url)
        return mixed[0], False
    encoding = _detect(body[:262144])
    if encoding is None:
        return text, False
    try:
        detected = body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return text, False
    logger.info("page declared UTF-8 but is %s: %s", encoding, response.url)
    return detected, False


def _detect(data: bytes) -> str | None:
    """Return the legacy encoding charset-normalizer finds for ``data`` (windows-1252
    winning ties), or None when it finds none or finds UTF-8."""
    from charset_normalizer import from_bytes

    matches = from_bytes(data)
    best = matches.best()
    if best is not None:  # among equally clean guesses, windows-1252 is by far the likeliest
        best = next((m for m in matches if _codec(m.encoding) == "cp1252" and m.chaos <= best.chaos), best)
    if best is None or _codec(best.encoding) == "utf-8":
        return None
    return str(best.encoding)


# a run of text between two tags that holds at least one byte invalid in UTF-8
_BAD_BLOCK = re.compile("[^<\udc80-\udcff]*[\udc80-\udcff][^<]*")
_VALID_NON_ASCII = re.compile("[\u0080-\udc7f\udd00-\U0010ffff]")


def repair_blocks(body: bytes) -> tuple[str, str] | None:
    """Return ``(text, legacy encoding)`` for a body that is UTF-8 except for some blocks
    (the text between two tags) in a legacy encoding, e.g. a windows-1252 paragraph pasted
    into a UTF-8 page: each such block is decoded with the encoding detected over all of
    them (windows-1252 when detection finds nothing), the rest as UTF-8. Return None when
    the body is not such a mix (valid UTF-8, or no valid multi-byte UTF-8 character at all:
    then the whole page is in one legacy encoding)."""
    text = body.decode("utf-8", "surrogateescape")
    bad = [m.group() for m in _BAD_BLOCK.finditer(text)]
    if not bad or _VALID_NON_ASCII.search(_BAD_BLOCK.sub("", text)) is None:
        return None
    raw = [block.encode("utf-8", "surrogateescape") for block in bad]
    encoding = _detect(b"\n".join(raw)[:262144]) or "cp1252"
    try:
        "".join(block.decode(encoding) for block in raw)
    except (UnicodeDecodeError, LookupError):
        encoding = "cp1252"

    def legacy(match: re.Match[str]) -> str:
        return match.group().encode("utf-8", "surrogateescape").decode(encoding, "replace")

    return _BAD_BLOCK.sub(legacy, text), encoding


class NewsSpider(Spider):
    """Base spider: yields pages as ``PageItem`` and reports each failure in one line."""

    # A URL a user listed that robots.txt forbids is a failure; a link a crawl found is not.
    robots_is_error = True

    def page_item(self, response: Response) -> Iterator[PageItem]:
        """Yield the response as a ``PageItem`` when it is HTML; count it otherwise (an
        empty body as ``empty_response``, another content type as ``not_html``)."""
        if not response.body.strip():
            self.count_error("empty_response", response.url)
            logger.warning("empty response: %s (HTTP %d with no body)", response.url, response.status)
            return
        if not is_html(response) or not isinstance(response, TextResponse):
            self.count_error("not_html", response.url)
            logger.warning(
                "not an HTML page: %s (%s)",
                response.url,
                (response.headers.get(b"Content-Type") or b"no content type").decode("latin-1"),
            )
            return
        html, is_utf8 = decode_page(response)
        yield PageItem(
            url=response.request.meta.get("source_url", response.request.url) if response.request else response.url,
            final_url=response.url,
            status=response.status,
            headers={k.decode("latin-1"): b", ".join(v).decode("latin-1") for k, v in response.headers.items()},
            html=html,
            utf8=response.body if is_utf8 else b"",
            fetched_at=utc_now_iso(),
            site=(response.request.meta.get("newsbot_site") if response.request else None) or site_of(response.url),
        )

    def count_error(self, kind: str, url: str, site: str | None = None) -> None:
        """Count one failure in stats, globally and for its site (``site``, else the URL's)."""
        stats = self.crawler.stats
        stats.inc_value(f"newsbot/errors/{kind}")
        stats.inc_value(f"newsbot/site/{site or site_of(url)}/errors/{kind}")

    def on_error(self, failure: Failure) -> None:
        """Errback: count the failure and log one line naming the URL and the reason.

        Requests marked ``meta["probe"]`` (guessed feed paths) fail quietly. A redirected
        request is named by the URL first requested.
        """
        request = getattr(failure, "request", None)
        url = (request.meta.get("redirect_urls") or [request.url])[0] if request is not None else "?"
        if failure.check(NotModified):
            logger.debug("unchanged since the last run: %s", url)
            return
        kind = failure_kind(failure)
        if kind == "site_unreachable" and not self.robots_is_error:
            logger.debug("skipped, site unreachable: %s", url)  # counted by newsbot.hostguard
            return
        if request is not None and request.meta.get("probe"):
            logger.debug("probe failed: %s (%s)", url, failure_reason(failure))
            return
        site = (request.meta.get("newsbot_site") if request is not None else None) or site_of(url)
        if kind == "robots" and request is not None and request.meta.get("depth_links") == 0:
            # a site's home page forbidden: robots.txt keeps newsbot off the whole site
            self.count_error("robots_blocked", url, site)
            logger.error("site blocked by robots.txt: %s: robots.txt forbids its home page to newsbot", url)
            return
        if kind == "robots" and not self.robots_is_error:
            self.crawler.stats.inc_value("newsbot/skipped/robots")
            self.crawler.stats.inc_value(f"newsbot/site/{site}/skipped/robots")
            logger.debug("skipped, forbidden by robots.txt: %s", url)
            return
        self.count_error(kind, url, site)
        if request is not None and "depth_links" in request.meta and is_lost_page(kind):
            # a page of the site that answered with an HTTP error: an article may be lost
            self.crawler.stats.inc_value("newsbot/lost")
            self.crawler.stats.inc_value(f"newsbot/site/{site}/lost")
        where = request.meta.get("source_line", "") if request is not None else ""
        logger.error("fetch failed: %s%s: %s", url, f" ({where})" if where else "", failure_reason(failure))
