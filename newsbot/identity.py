"""What makes two pages one story: the URL key all URL variants of a story share, the
record id, and the body SimHash that recognises the same text under another URL.

Pure functions; nothing here imports Scrapy.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from newsbot.urls import TRACKING_PARAMS, without_session

SIMHASH_BITS = 64
# Bodies whose SimHash differ in at most this many bits are the same story.
NEAR_DUPLICATE_BITS = 3
BANDS = 4  # SimHash split in 4 bands of 16 bits: two hashes within 3 bits share a band

_AMP_PATH = re.compile(r"/(?:amp|print)/?$|\.amp(?=\.html?$|$)", re.IGNORECASE)
_AMP_PARAMS = {"amp", "outputtype", "print", "output", "view", "format"}
_TRACKING = {p.lower() for p in TRACKING_PARAMS}


@lru_cache(maxsize=4096)  # asked several times per page (stats keys, dedup)
def url_key(url: str) -> str:
    """Return the key that all URL variants of one story share: host without ``www.`` and
    without scheme, path without AMP/print suffixes or a trailing slash, and the query
    without session ids, tracking, AMP or print parameters (sorted)."""
    parts = urlsplit(without_session(url.strip()))
    host = (parts.hostname or "").lower()
    if host.startswith(("www.", "amp.", "m.")):
        host = host.split(".", 1)[1]
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    path = _AMP_PATH.sub("", parts.path or "/").rstrip("/") or "/"
    query = sorted(
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in _TRACKING
        and not k.lower().startswith("utm_")
        and not (k.lower() in _AMP_PARAMS and v.lower() in ("", "1", "true", "amp", "print"))
    )
    return host + path + ("?" + urlencode(query) if query else "")


def article_id(url: str) -> str:
    """Return the stable record id: the first 20 hex digits of SHA-256 of the canonical URL."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:20]


# _BIT_TABLES[k] maps a byte to its bit k (0 or 1), for bytes.translate
_BIT_TABLES = [bytes((value >> bit) & 1 for value in range(256)) for bit in range(8)]


def body_fingerprint(body: str) -> int:
    """Return a 64-bit SimHash of the body's 4-word shingles (near-identical texts get
    hashes a few bits apart); 0 for an empty body.

    Each shingle is hashed with BLAKE2b (8 bytes, big-endian); a bit is set when more than
    half the shingles have it. Instead of adding +1/-1 to 64 weights per shingle in Python,
    the hashes are laid end to end and each bit is counted in C: one column of bytes per
    byte position, ``translate`` to that bit's 0/1 values, ``count`` (~10x faster; the
    plain weighted version stays in ``tests/test_identity.py`` as the oracle).
    """
    words = re.findall(r"\w+", body.casefold())
    if not words:
        return 0
    blake = hashlib.blake2b
    shingles = (
        map(" ".join, zip(words, words[1:], words[2:], words[3:], strict=False))
        if len(words) > 3
        else [" ".join(words)]
    )
    digests = b"".join([blake(shingle.encode("utf-8"), digest_size=8).digest() for shingle in shingles])
    count = len(digests) // 8
    fingerprint = 0
    for byte in range(8):  # from the least significant byte of the big-endian hashes
        column = digests[7 - byte :: 8]
        for bit in range(8):
            if 2 * column.translate(_BIT_TABLES[bit]).count(1) > count:
                fingerprint |= 1 << (8 * byte + bit)
    return fingerprint


def add_fingerprint(result: Any) -> Any:
    """Return ``result`` (an extracted ``Article``) with its body fingerprint set, when it
    has a body and is an article: the finish step of the extraction workers, so that the
    crawling process's dedup step need not compute it on the reactor thread."""
    if hasattr(result, "fingerprint") and getattr(result, "body", None) and not getattr(result, "drop_reason", None):
        result.fingerprint = body_fingerprint(result.body)
    return result


def bands(fingerprint: int) -> list[int]:
    """Return the ``BANDS`` 16-bit bands of a fingerprint (two fingerprints within
    ``NEAR_DUPLICATE_BITS`` bits share at least one)."""
    return [(fingerprint >> (16 * i)) & 0xFFFF for i in range(BANDS)]


class FingerprintIndex:
    """In-memory index of body fingerprints for near-duplicate lookups within one run."""

    def __init__(self) -> None:
        self._bands: list[dict[int, list[tuple[int, str]]]] = [{} for _ in range(BANDS)]

    def add(self, fingerprint: int, key: str) -> None:
        """Index ``fingerprint`` under ``key``."""
        if fingerprint:
            for band, value in zip(self._bands, bands(fingerprint), strict=True):
                band.setdefault(value, []).append((fingerprint, key))

    def find(self, fingerprint: int) -> str | None:
        """Return the key of an indexed fingerprint within ``NEAR_DUPLICATE_BITS``, or None."""
        if not fingerprint:
            return None
        for band, value in zip(self._bands, bands(fingerprint), strict=True):
            for stored, key in band.get(value, ()):
                if bin(stored ^ fingerprint).count("1") <= NEAR_DUPLICATE_BITS:
                    return key
        return None
