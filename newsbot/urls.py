"""URL helpers shared by the spiders: validation of list lines and canonical forms."""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit

from w3lib.url import safe_url_string, url_query_cleaner

import newsbot.credentials  # noqa: F401 - masks passwords in URLs in every log line

# Query parameters that only track a click; dropping them leaves the same page.
TRACKING_PARAMS = (
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "utm_id",
    "utm_name",
    "utm_reader",
    "utm_brand",
    "utm_social",
    "utm_social-type",
    "fbclid",
    "gclid",
    "dclid",
    "msclkid",
    "mc_cid",
    "mc_eid",
    "igshid",
    "yclid",
    "_ga",
    "ref_src",
    "cmpid",
    "ocid",
    "at_medium",
    "at_campaign",
    "sr_share",
    "smid",
    "xtor",
)
MAX_URL_LENGTH = 2048
# Query parameters that carry a server session, not a page (removed from requests and URL
# keys, so a story is fetched once whatever session a link was written in). ``sid`` is
# also a story id on some sites: it is removed only when its value looks like a session
# token (see ``_SESSION_SID``).
SESSION_PARAMS = (
    "jsessionid",
    "JSESSIONID",
    "phpsessid",
    "PHPSESSID",
    "sessionid",
    "SESSIONID",
    "session_id",
    "sessid",
    "aspsessionid",
    "ASPSESSIONID",
    "CFID",
    "CFTOKEN",
    "cfid",
    "cftoken",
    "zenid",
    "osCsid",
)
_PATH_SESSION = re.compile(r";(?:jsessionid|phpsessid|sessionid|sid)=[^/?#;]*", re.IGNORECASE)
_SESSION_SID = re.compile(r"(?<=[?&])(?:sid|SID)=[0-9A-Za-z]{16,}(?:&|$)")


def without_session(url: str) -> str:
    """Return ``url`` without session ids: ``;jsessionid=...`` path parameters, the
    :data:`SESSION_PARAMS` query parameters, and ``sid=`` with a value of 16 or
    more letters and digits."""
    if ";" in url:
        url = _PATH_SESSION.sub("", url)
    if "?" not in url:
        return url
    url = _SESSION_SID.sub("", url).rstrip("&?")
    return url_query_cleaner(url, SESSION_PARAMS, remove=True, keep_fragments=True)


def canonical_request_url(url: str) -> str:
    """Return ``url`` without its fragment, session ids and tracking parameters, percent-encoded, with an
    IDN host as punycode (``bücher.example`` -> ``xn--bcher-kva.example``)."""
    cleaned = url_query_cleaner(without_session(url), TRACKING_PARAMS, remove=True, keep_fragments=False)
    return safe_url_string(cleaned)


def url_problem(line: str) -> str | None:
    """Return why ``line`` is not a fetchable http(s) URL, or None when it is one."""
    if len(line) > MAX_URL_LENGTH:
        return f"URL longer than {MAX_URL_LENGTH} characters"
    if any(ch.isspace() for ch in line):
        return "not a URL (contains whitespace)"
    try:
        parts = urlsplit(line)
        port = parts.port  # raises ValueError on a bad port
    except ValueError as exc:
        return f"not a URL ({exc})"
    if parts.scheme.lower() not in ("http", "https"):
        scheme = parts.scheme + ":" if parts.scheme else "(none)"
        return f"unsupported scheme {scheme}; only http and https URLs are fetched"
    if not parts.hostname:
        return "not a URL (no host)"
    if not parts.hostname.isascii():
        try:
            parts.hostname.encode("idna")  # IDN hosts are fetched by their punycode name
        except UnicodeError as exc:
            return f"not a URL (host name cannot be converted to punycode: {exc})"
    del port
    return None


@lru_cache(maxsize=4096)  # asked several times per page (stats keys, dedup)
def host_of(url: str) -> str:
    """Return the lower-case host of ``url`` without ``www.``."""
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


@lru_cache(maxsize=4096)
def site_of(url: str) -> str:
    """Return the site of ``url``, the key of per-site stats, options and budgets: its host
    without a leading ``www.``, with ``:port`` when the port is not the scheme's default
    (``unknown`` when it has no host). Two sites on one host but different ports are two
    sites; ``http`` and ``https`` on their default ports are one."""
    host = host_of(url)
    if not host:
        return "unknown"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return host
    if port is None or (parts.scheme.lower(), port) in (("http", 80), ("https", 443)):
        return host
    return f"{host}:{port}"
