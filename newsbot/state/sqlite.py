"""The emitted-articles store of incremental crawls on SQLite, and the run lock.

What was emitted is keyed by the article's URL key (:func:`newsbot.identity.url_key` of its
canonical URL) and carries a content fingerprint (a 64-bit SimHash of the body) so the same
story under another URL is recognised too. Records become "emitted" only when
:meth:`StateStore.commit` runs, which the crawl does after its output file is complete and
renamed into place: a crash before that leaves the store as it was, so the next run emits
those articles again (at worst a repeat, never a gap).

:class:`RunLock` keeps two runs off the same store: an ``flock`` on ``<state>.lock``, which
the kernel releases when its holder dies, so a lock left by a dead process is taken over.

Nothing here imports Scrapy.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newsbot.identity import NEAR_DUPLICATE_BITS, bands
from newsbot.state import Seen, StagedWrites


def _signed(value: int) -> int:
    """SQLite integers are signed 64-bit."""
    return value - (1 << 64) if value >= 1 << 63 else value


def _unsigned(value: int) -> int:
    return value + (1 << 64) if value < 0 else value


class StoreError(Exception):
    """The state store cannot be opened; the message names the file and what to do."""


class StateStore(StagedWrites):
    """SQLite store of emitted articles, HTTP validators of feeds/sitemaps, and per-site
    results of the last run. Writes are staged in memory and applied by :meth:`commit`.
    A run on it holds the run lock (``locking``)."""

    locking = True

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path).expanduser()
        try:
            self._open()
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"state store {self.path}: {exc}; {_WHAT_TO_DO}") from None
        super().__init__()

    def _open(self) -> None:
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

    # -- lookups

    def lookup_key(self, key: str) -> Seen | None:
        """Return the emission stored under ``key`` or one of its aliases, else None."""
        row = self.db.execute(
            "SELECT e.key, e.url, e.fingerprint, e.first_emitted FROM emitted e WHERE e.key = ? "
            "UNION ALL SELECT e.key, e.url, e.fingerprint, e.first_emitted FROM aliases a "
            "JOIN emitted e ON e.key = a.article_key WHERE a.key = ? LIMIT 1",
            (key, key),
        ).fetchone()
        return Seen(row[0], row[1], _unsigned(row[2]), row[3]) if row else None

    def lookup_fingerprint(self, fingerprint: int) -> Seen | None:
        """Return an emission whose body fingerprint is within ``NEAR_DUPLICATE_BITS``."""
        if not fingerprint:
            return None
        values = bands(fingerprint)
        rows = self.db.execute(
            "SELECT key, url, fingerprint, first_emitted FROM emitted "
            "WHERE band0 = ? OR band1 = ? OR band2 = ? OR band3 = ?",
            values,
        ).fetchall()
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
                [
                    (key, url, _signed(fp), json.dumps(aliases), output)
                    for key, (url, fp, aliases, _) in self._pending.items()
                ],
            )
        return len(self._pending)

    def recover(self) -> int:
        """Settle the journal of a run that died after :meth:`prepare`: emissions whose
        output file is in place are recorded, the others forgotten. Return how many were
        recorded."""
        rows = self.db.execute("SELECT key, url, fingerprint, aliases, output FROM prepared").fetchall()
        if not rows:
            return 0
        now = datetime.now(UTC).replace(microsecond=0).isoformat()
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
            (key, url, _signed(fingerprint), *bands(fingerprint), now, now, output),
        )
        for alias in aliases:
            if alias != key:
                self.db.execute("INSERT OR REPLACE INTO aliases (key, article_key) VALUES (?, ?)", (alias, key))

    def commit(self, output: str | None = None) -> int:
        """Store every staged write in one transaction, clear the journal of
        :meth:`prepare`, and return the emissions stored."""
        now = datetime.now(UTC).replace(microsecond=0).isoformat()
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            for key, (url, fingerprint, aliases, item_output) in self._pending.items():
                self._insert(key, url, fingerprint, aliases, item_output or output, now)
            self.db.execute("DELETE FROM prepared")
            for url, (etag, last_modified) in self._pending_validators.items():
                self.db.execute(
                    "INSERT OR REPLACE INTO validators (url, etag, last_modified) VALUES (?, ?, ?)",
                    (url, etag, last_modified),
                )
            for host, found in self._pending_sites.items():
                self.db.execute(
                    "INSERT OR REPLACE INTO sites (host, last_found, last_run) VALUES (?, ?, ?)", (host, found, now)
                )
        stored = len(self._pending)
        self._pending.clear()
        self._pending_validators.clear()
        self._pending_sites.clear()
        return stored

    def close(self) -> None:
        """Close the database (staged writes that were not committed are discarded)."""
        self.db.close()


_WHAT_TO_DO = (
    "move it aside to start afresh (every article is then written again once), restore a backup, or give --state PATH"
)


def store_problem(path: Path | str) -> str | None:
    """Return one line naming the state store at ``path`` and what is wrong with it and
    what to do, or None when a run can read and write it (checked before crawling).

    Checked: its folder can be created and written in (the run lock and SQLite's journal
    live there); the file, if present, is a regular file, opens for writing, is an SQLite
    database and passes ``PRAGMA quick_check`` (a truncated or overwritten store fails)."""
    path = Path(path).expanduser()
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        return f"state store {path}: {folder} is not a folder; give --state PATH"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        probe = path.parent / f".{path.name}.probe.{os.getpid()}"
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        probe.unlink()
    except OSError as exc:
        return f"state store {path}: cannot write in its folder: {_reason(exc)}; give --state PATH on a writable disk"
    if not path.exists():
        return None
    if not path.is_file():
        return f"state store {path}: not a regular file; give --state PATH"
    try:
        os.close(os.open(path, os.O_RDWR))
        with path.open("rb") as file:
            header = file.read(16)
    except OSError as exc:
        return f"state store {path}: {_reason(exc)}; fix its permissions or give --state PATH"
    if header and header != b"SQLite format 3\x00":
        return f"state store {path}: not an SQLite database (overwritten?); {_WHAT_TO_DO}"
    try:
        db = sqlite3.connect(path, timeout=30)
        try:
            rows = db.execute("PRAGMA quick_check").fetchall()
        finally:
            db.close()
    except sqlite3.Error as exc:
        return f"state store {path}: damaged ({exc}); {_WHAT_TO_DO}"
    if rows != [("ok",)]:
        return f"state store {path}: damaged ({rows[0][0]}); {_WHAT_TO_DO}"
    return None


def _reason(exc: OSError) -> str:
    return f"[Errno {exc.errno}] {exc.strerror}" if exc.errno is not None else str(exc)


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
                f"started {holder.get('started', '?')})"
            ) from None
        os.ftruncate(fd, 0)
        os.write(
            fd,
            json.dumps({"pid": os.getpid(), "started": datetime.now(UTC).replace(microsecond=0).isoformat()}).encode(),
        )
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
