"""The emitted-articles store for incremental crawls (SQLite), and the run lock.

What was emitted is keyed by the article's URL key (:func:`url_key` of its canonical URL)
and carries a content fingerprint (a 64-bit SimHash of the body) so the same story under
another URL is recognised too. Records become "emitted" only when :meth:`StateStore.commit`
runs, which the crawl does after its output file is complete and renamed into place: a
crash before that leaves the store as it was, so the next run emits those articles again
(at worst a repeat, never a gap).

:class:`RunLock` keeps two runs off the same store: an ``flock`` on ``<state>.lock``, which
the kernel releases when its holder dies, so a lock left by a dead process is taken over.

Nothing here imports Scrapy.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from newsbot.urls import TRACKING_PARAMS

SIMHASH_BITS = 64
# Bodies whose SimHash differ in at most this many bits are the same story.
NEAR_DUPLICATE_BITS = 3
_BANDS = 4  # SimHash split in 4 bands of 16 bits: two hashes within 3 bits share a band


def default_state_path() -> Path:
    """Return the default store path: ``$XDG_STATE_HOME/newsbot/state.sqlite`` (``~/.local/state``)."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "newsbot" / "state.sqlite"


_AMP_PATH = re.compile(r"/(?:amp|print)/?$|\.amp(?=\.html?$|$)", re.IGNORECASE)
_AMP_PARAMS = {"amp", "outputtype", "print", "output", "view", "format"}
_TRACKING = {p.lower() for p in TRACKING_PARAMS}


@lru_cache(maxsize=4096)  # asked several times per page (stats keys, dedup)
def url_key(url: str) -> str:
    """Return the key that all URL variants of one story share: host without ``www.`` and
    without scheme, path without AMP/print suffixes or a trailing slash, and the query
    without tracking, AMP or print parameters (sorted)."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if host.startswith(("www.", "amp.", "m.")):
        host = host.split(".", 1)[1]
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    path = _AMP_PATH.sub("", parts.path or "/").rstrip("/") or "/"
    query = sorted(
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in _TRACKING and not k.lower().startswith("utm_")
        and not (k.lower() in _AMP_PARAMS and v.lower() in ("", "1", "true", "amp", "print"))
    )
    return host + path + ("?" + urlencode(query) if query else "")


def body_fingerprint(body: str) -> int:
    """Return a 64-bit SimHash of the body's 4-word shingles (near-identical texts get
    hashes a few bits apart); 0 for an empty body."""
    words = re.findall(r"\w+", body.casefold())
    if not words:
        return 0
    shingles = [" ".join(words[i:i + 4]) for i in range(max(1, len(words) - 3))]
    weights = [0] * SIMHASH_BITS
    for shingle in shingles:
        h = int.from_bytes(hashlib.blake2b(shingle.encode("utf-8"), digest_size=8).digest(), "big")
        for bit in range(SIMHASH_BITS):
            weights[bit] += 1 if h >> bit & 1 else -1
    return sum(1 << bit for bit in range(SIMHASH_BITS) if weights[bit] > 0)


def _bands(fingerprint: int) -> list[int]:
    return [(fingerprint >> (16 * i)) & 0xFFFF for i in range(_BANDS)]


def _signed(value: int) -> int:
    """SQLite integers are signed 64-bit."""
    return value - (1 << 64) if value >= 1 << 63 else value


def _unsigned(value: int) -> int:
    return value + (1 << 64) if value < 0 else value


class FingerprintIndex:
    """In-memory index of body fingerprints for near-duplicate lookups within one run."""

    def __init__(self) -> None:
        self._bands: list[dict[int, list[tuple[int, str]]]] = [{} for _ in range(_BANDS)]

    def add(self, fingerprint: int, key: str) -> None:
        """Index ``fingerprint`` under ``key``."""
        if fingerprint:
            for band, value in zip(self._bands, _bands(fingerprint), strict=True):
                band.setdefault(value, []).append((fingerprint, key))

    def find(self, fingerprint: int) -> str | None:
        """Return the key of an indexed fingerprint within ``NEAR_DUPLICATE_BITS``, or None."""
        if not fingerprint:
            return None
        for band, value in zip(self._bands, _bands(fingerprint), strict=True):
            for stored, key in band.get(value, ()):
                if bin(stored ^ fingerprint).count("1") <= NEAR_DUPLICATE_BITS:
                    return key
        return None


@dataclass(frozen=True)
class Seen:
    """A stored emission: the key it was stored under and its fingerprint."""

    key: str
    url: str
    fingerprint: int
    first_emitted: str


class StagedWrites:
    """What a run stages for its store's commit: emissions, feed/sitemap validators, and
    per-site article counts. Shared by the SQLite and Redis stores."""

    def __init__(self) -> None:
        self._pending: dict[str, tuple[str, int, list[str], str | None]] = {}
        self._pending_validators: dict[str, tuple[str | None, str | None]] = {}
        self._pending_sites: dict[str, int] = {}

    def stage(self, key: str, url: str, fingerprint: int, aliases: list[str], output: str | None = None) -> None:
        """Stage an emission; it is stored by the next :meth:`commit`."""
        self._pending[key] = (url, fingerprint, aliases, output)

    def stage_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        """Stage the HTTP validators of a feed or sitemap response."""
        if etag or last_modified:
            self._pending_validators[url] = (etag, last_modified)

    def stage_site(self, host: str, found: int) -> None:
        """Stage how many articles a site gave in this run."""
        self._pending_sites[host] = found


class StateStore(StagedWrites):
    """SQLite store of emitted articles, HTTP validators of feeds/sitemaps, and per-site
    results of the last run. Writes are staged in memory and applied by :meth:`commit`."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path).expanduser()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(
            """
            CREATE TABLE IF NOT EXISTS emitted (
                key TEXT PRIMARY KEY, url TEXT NOT NULL, fingerprint INTEGER NOT NULL,
                band0 INTEGER, band1 INTEGER, band2 INTEGER, band3 INTEGER,
                first_emitted TEXT NOT NULL, last_emitted TEXT NOT NULL, output TEXT);
            CREATE TABLE IF NOT EXISTS aliases (key TEXT PRIMARY KEY, article_key TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS emitted_band0 ON emitted(band0);
            CREATE INDEX IF NOT EXISTS emitted_band1 ON emitted(band1);
            CREATE INDEX IF NOT EXISTS emitted_band2 ON emitted(band2);
            CREATE INDEX IF NOT EXISTS emitted_band3 ON emitted(band3);
            CREATE TABLE IF NOT EXISTS prepared (
                key TEXT NOT NULL, url TEXT NOT NULL, fingerprint INTEGER NOT NULL, aliases TEXT NOT NULL,
                output TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS validators (url TEXT PRIMARY KEY, etag TEXT, last_modified TEXT);
            CREATE TABLE IF NOT EXISTS sites (host TEXT PRIMARY KEY, last_found INTEGER, last_run TEXT);
            """
        )
        super().__init__()

    # -- lookups

    def lookup_key(self, key: str) -> Seen | None:
        """Return the emission stored under ``key`` or one of its aliases, else None."""
        row = self.db.execute(
            "SELECT e.key, e.url, e.fingerprint, e.first_emitted FROM emitted e WHERE e.key = ? "
            "UNION ALL SELECT e.key, e.url, e.fingerprint, e.first_emitted FROM aliases a "
            "JOIN emitted e ON e.key = a.article_key WHERE a.key = ? LIMIT 1", (key, key)).fetchone()
        return Seen(row[0], row[1], _unsigned(row[2]), row[3]) if row else None

    def lookup_fingerprint(self, fingerprint: int) -> Seen | None:
        """Return an emission whose body fingerprint is within ``NEAR_DUPLICATE_BITS``."""
        if not fingerprint:
            return None
        bands = _bands(fingerprint)
        rows = self.db.execute(
            "SELECT key, url, fingerprint, first_emitted FROM emitted "
            "WHERE band0 = ? OR band1 = ? OR band2 = ? OR band3 = ?", bands).fetchall()
        for key, url, stored, first in rows:
            if bin(_unsigned(stored) ^ fingerprint).count("1") <= NEAR_DUPLICATE_BITS:
                return Seen(key, url, _unsigned(stored), first)
        return None

    def validators(self, url: str) -> tuple[str | None, str | None]:
        """Return the stored ``(ETag, Last-Modified)`` of a feed or sitemap URL."""
        row = self.db.execute("SELECT etag, last_modified FROM validators WHERE url = ?", (url,)).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def last_found(self, host: str) -> int | None:
        """Return how many articles the site gave in the last complete run, or None."""
        row = self.db.execute("SELECT last_found FROM sites WHERE host = ?", (host,)).fetchone()
        return row[0] if row else None

    def count(self) -> int:
        """Return how many articles have been emitted."""
        return self.db.execute("SELECT COUNT(*) FROM emitted").fetchone()[0]

    # -- staged writes

    def claim(self, key: str, aliases: list[str], fingerprint: int, *, update: bool = False) -> bool:
        """Return True: the story may be emitted. One process holds the run lock, so there
        is nothing to race with (the Redis store's claim is a real lease)."""
        return True

    def prepare(self, output: str) -> int:
        """Journal the staged emissions as belonging to ``output`` (call just before the
        output file is renamed into place) and return how many were journalled.

        If the run dies between the rename and :meth:`commit`, :meth:`recover` finds the
        file in place and records its emissions, so the next run does not emit them again.
        """
        for key, (url, fingerprint, aliases, _) in self._pending.items():
            self._pending[key] = (url, fingerprint, aliases, output)
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute("DELETE FROM prepared WHERE output = ?", (output,))
            self.db.executemany(
                "INSERT INTO prepared (key, url, fingerprint, aliases, output) VALUES (?, ?, ?, ?, ?)",
                [(key, url, _signed(fp), json.dumps(aliases), output)
                 for key, (url, fp, aliases, _) in self._pending.items()])
        return len(self._pending)

    def recover(self) -> int:
        """Settle the journal of a run that died after :meth:`prepare`: emissions whose
        output file is in place are recorded, the others forgotten. Return how many were
        recorded."""
        rows = self.db.execute("SELECT key, url, fingerprint, aliases, output FROM prepared").fetchall()
        if not rows:
            return 0
        now = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
        recorded = 0
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            for key, url, fingerprint, aliases, output in rows:
                if Path(output).exists():
                    self._insert(key, url, _unsigned(fingerprint), json.loads(aliases), output, now)
                    recorded += 1
            self.db.execute("DELETE FROM prepared")
        return recorded

    def _insert(self, key: str, url: str, fingerprint: int, aliases: list[str], output: str | None, now: str) -> None:
        self.db.execute(
            "INSERT INTO emitted (key, url, fingerprint, band0, band1, band2, band3, first_emitted, "
            "last_emitted, output) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET "
            "url = excluded.url, fingerprint = excluded.fingerprint, band0 = excluded.band0, "
            "band1 = excluded.band1, band2 = excluded.band2, band3 = excluded.band3, "
            "last_emitted = excluded.last_emitted, output = excluded.output",
            (key, url, _signed(fingerprint), *_bands(fingerprint), now, now, output))
        for alias in aliases:
            if alias != key:
                self.db.execute("INSERT OR REPLACE INTO aliases (key, article_key) VALUES (?, ?)", (alias, key))

    def commit(self, output: str | None = None) -> int:
        """Store every staged write in one transaction, clear the journal of
        :meth:`prepare`, and return the emissions stored."""
        now = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            for key, (url, fingerprint, aliases, item_output) in self._pending.items():
                self._insert(key, url, fingerprint, aliases, item_output or output, now)
            self.db.execute("DELETE FROM prepared")
            for url, (etag, last_modified) in self._pending_validators.items():
                self.db.execute("INSERT OR REPLACE INTO validators (url, etag, last_modified) VALUES (?, ?, ?)",
                                (url, etag, last_modified))
            for host, found in self._pending_sites.items():
                self.db.execute("INSERT OR REPLACE INTO sites (host, last_found, last_run) VALUES (?, ?, ?)",
                                (host, found, now))
        stored = len(self._pending)
        self._pending.clear()
        self._pending_validators.clear()
        self._pending_sites.clear()
        return stored

    def close(self) -> None:
        """Close the database (staged writes that were not committed are discarded)."""
        self.db.close()


class LockedError(Exception):
    """Another live run holds the lock; the message names its PID and start time."""


class RunLock:
    """An exclusive, non-blocking lock on ``<state path>.lock`` holding the PID and start
    time of its holder. The kernel drops it when the holder dies."""

    def __init__(self, state_path: Path | str) -> None:
        self.path = Path(str(state_path) + ".lock")
        self._fd: int | None = None

    def acquire(self) -> RunLock:
        """Take the lock and return self; raise :class:`LockedError` if a live run holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = self._read_holder(fd)
            os.close(fd)
            raise LockedError(
                f"another newsbot run holds {self.path} (pid {holder.get('pid', '?')}, "
                f"started {holder.get('started', '?')})") from None
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid(), "started": datetime.now(timezone.utc)
                                 .replace(microsecond=0).isoformat()}).encode())
        os.fsync(fd)
        self._fd = fd
        return self

    @staticmethod
    def _read_holder(fd: int) -> dict[str, Any]:
        # the holder writes its PID just after taking the lock: give it a moment
        for _ in range(40):
            try:
                os.lseek(fd, 0, os.SEEK_SET)
                holder = json.loads(os.read(fd, 4096) or b"{}")
            except (OSError, ValueError):
                holder = {}
            if holder.get("pid"):
                return holder
            time.sleep(0.05)
        return {}

    def release(self) -> None:
        """Release the lock."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
